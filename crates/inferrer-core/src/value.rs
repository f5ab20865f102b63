//! JSON values parsed from untrusted bytes by serde_json, with what the decoder reports.
//!
//! The parser is serde_json (strict UTF-8, no NaN/Infinity) driven by our own
//! [`Value`] visitor, which
//! * keeps integers exact: every number arrives as its literal (`arbitrary_precision`),
//!   64-bit ones become [`Value::Int`], longer ones [`Value::BigInt`] (decimal text);
//! * keeps an object's members in first-seen order; a repeated name keeps its first
//!   position and its last value (as Python's `dict` and every mainstream parser do),
//!   and is counted;
//! * records the deepest nesting, so that the caller can refuse payloads nested deeper
//!   than [`MAX_DEPTH`] after a successful parse.
//!
//! Nothing here panics on any input; errors come back as a [`ParseError`] reason.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// Deepest nesting of objects and arrays a payload may have.
pub const MAX_DEPTH: usize = 64;
/// Most members one object of a payload may have (`decoding.MAX_OBJECT_MEMBERS`): a
/// wider one makes the value `too-wide`, so that the work per message stays bounded.
pub const MAX_OBJECT_MEMBERS: usize = 10_000;
/// Python's default limit on the digits of an int converted from text.
const MAX_INT_DIGITS: usize = 4300;
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// The text of a string value or a member name: held inline up to 24 bytes (most
/// names and many values of real traffic), so parsing them allocates nothing.
pub type Text = compact_str::CompactString;

/// A decoded JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// An integer in [-2**63, 2**64-1] (kept in an i128).
    Int(i128),
    /// An integer outside the 64-bit range, as normalized decimal text (no leading
    /// zeros, `-` for negatives).
    BigInt(Text),
    /// A finite float; `-0.0` is kept as parsed (statistics normalize it).
    Float(f64),
    Str(Text),
    Array(Vec<Value>),
    /// Members in first-seen order, names unique.
    Object(Vec<(Text, Value)>),
}

impl Value {
    pub fn as_object(&self) -> Option<&[(Text, Value)]> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The member named `name` of an object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_object()?
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_container(&self) -> bool {
        matches!(self, Value::Array(_) | Value::Object(_))
    }
}

/// What the parse saw besides the value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// An object named a member twice (at any depth).
    pub duplicate_keys: bool,
    /// An integer literal lies outside the 64-bit range.
    pub big_integer: bool,
    /// Deepest nesting of containers (0 for a scalar).
    pub depth: usize,
    /// Most members of one object (distinct names).
    pub widest: usize,
}

impl Facts {
    /// The anomalies, comma-joined and sorted, as the decoder reports them.
    pub fn anomalies(&self) -> Option<&'static str> {
        match (self.duplicate_keys, self.big_integer) {
            (false, false) => None,
            (true, false) => Some("duplicate-keys"),
            (false, true) => Some("integer-beyond-64-bits"),
            (true, true) => Some("duplicate-keys,integer-beyond-64-bits"),
        }
    }
}

/// Why bytes are not a usable JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    InvalidJson,
    InvalidUtf8,
    TooDeep,
    TooWide,
    NanOrInfinity,
}

impl ParseError {
    pub fn reason(self) -> &'static str {
        match self {
            ParseError::InvalidJson => "invalid-json",
            ParseError::InvalidUtf8 => "invalid-utf8",
            ParseError::TooDeep => "too-deep",
            ParseError::TooWide => "too-wide",
            ParseError::NanOrInfinity => "nan-or-infinity",
        }
    }
}

struct State {
    depth: Cell<usize>,
    facts: Cell<Facts>,
    /// Set when a literal could not become a Python-compatible number.
    bad_number: Cell<bool>,
}

impl State {
    fn update(&self, f: impl FnOnce(&mut Facts)) {
        let mut facts = self.facts.get();
        f(&mut facts);
        self.facts.set(facts);
    }
}

struct ValueSeed<'s>(&'s State);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor(self.0))
    }
}

struct ValueVisitor<'s>(&'s State);

/// A member name, or the marker serde_json sends for a number literal.
enum Key {
    Number,
    Name(Text),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
        Ok(if s == NUMBER_TOKEN {
            Key::Number
        } else {
            Key::Name(s.into())
        })
    }
}

impl ValueVisitor<'_> {
    fn enter(&self) {
        let d = self.0.depth.get() + 1;
        self.0.depth.set(d);
        self.0.update(|f| f.depth = f.depth.max(d));
    }

    fn leave(&self) {
        self.0.depth.set(self.0.depth.get() - 1);
    }

    fn number<E: de::Error>(&self, text: &str) -> Result<Value, E> {
        match number_from_literal(text) {
            Some((v, big)) => {
                if big {
                    self.0.update(|f| f.big_integer = true);
                }
                Ok(v)
            }
            None => {
                self.0.bad_number.set(true);
                Err(E::custom("number out of range"))
            }
        }
    }
}

/// A JSON number literal (already checked by serde_json) as a Value: (value, beyond 64 bits?).
/// None when Python could not hold it either (over 4300 digits) or a float overflows.
pub fn number_from_literal(text: &str) -> Option<(Value, bool)> {
    if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        let f: f64 = text.parse().ok()?;
        // Python reads an overflowing literal (1e400) as inf; JSON has no infinity.
        return if f.is_finite() {
            Some((Value::Float(f), false))
        } else {
            None
        };
    }
    if let Ok(i) = text.parse::<i128>() {
        let big = i < i64::MIN as i128 || i > u64::MAX as i128;
        if !big {
            return Some((Value::Int(i), false));
        }
    }
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.len() > MAX_INT_DIGITS {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
    let mut s = String::with_capacity(trimmed.len() + 1);
    if neg && trimmed != "0" {
        s.push('-');
    }
    s.push_str(trimmed);
    Some((Value::BigInt(s.into()), true))
}

impl<'de> Visitor<'de> for ValueVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i as i128))
    }
    fn visit_u64<E>(self, i: u64) -> Result<Value, E> {
        Ok(Value::Int(i as i128))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.into()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s.into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.enter();
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(ValueSeed(self.0))? {
            out.push(v);
        }
        self.leave();
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let first = match map.next_key_seed(KeySeed)? {
            None => {
                self.enter();
                self.leave();
                return Ok(Value::Object(Vec::new()));
            }
            Some(Key::Number) => {
                let text: String = map.next_value()?;
                return self.number(&text);
            }
            Some(Key::Name(k)) => k,
        };
        self.enter();
        let mut members: Vec<(Text, Value)> = Vec::with_capacity(8);
        let mut index = Names::default();
        let mut key = Some(first);
        while let Some(k) = key {
            let v = map.next_value_seed(ValueSeed(self.0))?;
            insert_member(&mut members, &mut index, k, v, self.0);
            key = match map.next_key_seed(KeySeed)? {
                None => None,
                Some(Key::Name(k)) => Some(k),
                Some(Key::Number) => Some(NUMBER_TOKEN.into()),
            };
        }
        self.leave();
        let width = members.len();
        self.0.update(|f| f.widest = f.widest.max(width));
        Ok(Value::Object(members))
    }
}

/// The names of an object being parsed, for finding a repeated one: a 64-bit filter of
/// name hashes first (most objects repeat no name, so most names need no comparison),
/// then the names themselves; an index once the object is large.
#[derive(Default)]
struct Names {
    filter: u64,
    index: Option<rustc_hash::FxHashMap<Text, usize>>,
}

fn name_bit(name: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let h = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(name);
    1u64 << (h >> 58)
}

fn insert_member(
    members: &mut Vec<(Text, Value)>,
    names: &mut Names,
    k: Text,
    v: Value,
    state: &State,
) {
    const INDEX_FROM: usize = 16;
    let found = match &names.index {
        Some(ix) => ix.get(&k).copied(),
        None => {
            let bit = name_bit(&k);
            let maybe = names.filter & bit != 0;
            names.filter |= bit;
            if maybe {
                members.iter().position(|(name, _)| *name == k)
            } else {
                None
            }
        }
    };
    if let Some(i) = found {
        members[i].1 = v;
        state.update(|f| f.duplicate_keys = true);
        return;
    }
    if let Some(ix) = &mut names.index {
        ix.insert(k.clone(), members.len());
    }
    members.push((k, v));
    if names.index.is_none() && members.len() >= INDEX_FROM {
        names.index = Some(
            members
                .iter()
                .enumerate()
                .map(|(i, (name, _))| (name.clone(), i))
                .collect(),
        );
    }
}

/// Parse JSON text (a BOM and surrounding whitespace are the caller's to strip).
pub fn parse(data: &[u8]) -> Result<(Value, Facts), ParseError> {
    // Text that is not UTF-8 parses as nothing (bytes outside strings are syntax
    // errors), and its reason is `invalid-utf8` before any other. UTF-8 checked once,
    // here, spares serde_json checking each string again.
    let Ok(text) = std::str::from_utf8(data) else {
        return Err(ParseError::InvalidUtf8);
    };
    let state = State {
        depth: Cell::new(0),
        facts: Cell::new(Facts::default()),
        bad_number: Cell::new(false),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let result = ValueSeed(&state)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match result {
        Ok(v) => {
            let facts = state.facts.get();
            if facts.depth > MAX_DEPTH {
                return Err(ParseError::TooDeep);
            }
            if facts.widest > MAX_OBJECT_MEMBERS {
                return Err(ParseError::TooWide);
            }
            Ok((v, facts))
        }
        Err(e) => Err(classify(data, &e, state.bad_number.get())),
    }
}

/// Why a UTF-8 text that did not parse is unusable (text that is not UTF-8 is
/// `invalid-utf8`, named by [`parse`] before parsing). The rule (shared with the Python
/// reference, `inferrer.decoding.parse_json`) looks at the whole text first, then at
/// the first error: brackets nested deeper
/// than [`MAX_DEPTH`] ([`nesting_exceeds`]) → `too-deep`; a lone surrogate escape
/// anywhere ([`has_lone_surrogate_escape`]) → `invalid-utf8`; else the first error
/// decides: NaN, Infinity or -Infinity where a value belongs → `nan-or-infinity`,
/// anything else (a float overflowing to infinity, an integer over 4300 digits, any
/// syntax error) → `invalid-json`. Global checks first because a parser's first error
/// depends on its own limits (recursion, number ranges); these do not.
fn classify(data: &[u8], e: &serde_json::Error, bad_number: bool) -> ParseError {
    if nesting_exceeds(data, MAX_DEPTH) {
        return ParseError::TooDeep;
    }
    if has_lone_surrogate_escape(data) {
        return ParseError::InvalidUtf8;
    }
    if bad_number {
        return ParseError::InvalidJson;
    }
    if constant_at_error(data, e) {
        return ParseError::NanOrInfinity;
    }
    ParseError::InvalidJson
}

/// Whether brackets (`[`, `{`) outside strings nest deeper than `max` anywhere in
/// `data`, read as JSON lexes it (a string runs from `"` to the next unescaped `"`,
/// or to the end); closing brackets never go below 0. Defined on any bytes, so that
/// it gives the same answer for broken text as for valid JSON (where it is the depth).
pub fn nesting_exceeds(data: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'"' => {
                i += 1;
                while i < data.len() && data[i] != b'"' {
                    i += if data[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// Whether a string of `data` (lexed as in [`nesting_exceeds`]) holds a `\\uXXXX`
/// escape of a surrogate that is not a high one directly followed by a low one: JSON
/// text is Unicode, so such a string has no UTF-8 form.
pub fn has_lone_surrogate_escape(data: &[u8]) -> bool {
    let mut i = 0;
    while i < data.len() {
        if data[i] != b'"' {
            i += 1;
            continue;
        }
        i += 1;
        while i < data.len() && data[i] != b'"' {
            if data[i] != b'\\' {
                i += 1;
                continue;
            }
            match hex_escape(data, i) {
                Some(0xD800..=0xDBFF) => match hex_escape(data, i + 6) {
                    Some(0xDC00..=0xDFFF) => i += 12,
                    _ => return true,
                },
                Some(0xDC00..=0xDFFF) => return true,
                Some(_) => i += 6,
                // Another escape, or `\\u` without four hex digits: two bytes.
                None => i += 2,
            }
        }
        i += 1;
    }
    false
}

/// The code unit of a `\\uXXXX` escape starting at `at`, if there is one.
fn hex_escape(data: &[u8], at: usize) -> Option<u32> {
    let e = data.get(at..at + 6)?;
    if e[0] != b'\\' || e[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&e[2..]).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// Whether the first syntax error is a NaN, Infinity or -Infinity literal where a
/// value belongs (Python's json reads those as constants; JSON has none).
fn constant_at_error(data: &[u8], e: &serde_json::Error) -> bool {
    let (line, column) = (e.line(), e.column());
    if line == 0 || column == 0 {
        return false;
    }
    let mut offset = 0usize;
    for _ in 1..line {
        match data[offset..].iter().position(|&b| b == b'\n') {
            Some(i) => offset += i + 1,
            None => return false,
        }
    }
    // serde_json's column is the 1-based position of the byte it stopped at.
    let at = offset + column - 1;
    let rest = |start: usize| data.get(start..).unwrap_or(&[]);
    let message = e.to_string();
    if message.starts_with("expected value") {
        // At a value: `N` or `I` cannot start one.
        return rest(at).starts_with(b"NaN") || rest(at).starts_with(b"Infinity");
    }
    // `-` began a number and the next byte is no digit.
    message.starts_with("invalid number") && at > 0 && rest(at - 1).starts_with(b"-Infinity")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_numbers() {
        assert_eq!(parse(b"1").unwrap().0, Value::Int(1));
        assert_eq!(parse(b"-0").unwrap().0, Value::Int(0));
        assert_eq!(parse(b"1.5").unwrap().0, Value::Float(1.5));
        assert_eq!(parse(b"1e2").unwrap().0, Value::Float(100.0));
        let (v, f) = parse(b"18446744073709551616").unwrap();
        assert_eq!(v, Value::BigInt("18446744073709551616".into()));
        assert!(f.big_integer);
        let (v, f) = parse(b"18446744073709551615").unwrap();
        assert_eq!(v, Value::Int(u64::MAX as i128));
        assert!(!f.big_integer);
        let (_, f) = parse(b"-9223372036854775809").unwrap();
        assert!(f.big_integer);
        assert_eq!(parse(b"1e400"), Err(ParseError::InvalidJson));
    }

    #[test]
    fn duplicates_keep_first_position_last_value() {
        let (v, f) = parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert!(f.duplicate_keys);
        assert_eq!(
            v,
            Value::Object(vec![
                ("a".into(), Value::Int(3)),
                ("b".into(), Value::Int(2))
            ])
        );
        let many: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
        let (_, f) = parse(format!("{{{many}\"k3\":0}}").as_bytes()).unwrap();
        assert!(f.duplicate_keys);
    }

    #[test]
    fn reasons() {
        assert_eq!(parse(b"{\"a\":NaN}"), Err(ParseError::NanOrInfinity));
        assert_eq!(parse(b"[Infinity]"), Err(ParseError::NanOrInfinity));
        assert_eq!(parse(b"[-Infinity]"), Err(ParseError::NanOrInfinity));
        assert_eq!(parse(b"{\"a\":}"), Err(ParseError::InvalidJson));
        assert_eq!(parse(b"\"\\ud800\""), Err(ParseError::InvalidUtf8));
        assert_eq!(parse(b"\"\xff\""), Err(ParseError::InvalidUtf8));
        let deep = "[".repeat(65) + &"]".repeat(65);
        assert_eq!(parse(deep.as_bytes()), Err(ParseError::TooDeep));
        let ok = "[".repeat(64) + &"]".repeat(64);
        assert!(parse(ok.as_bytes()).is_ok());
        let very = "[".repeat(200);
        assert_eq!(parse(very.as_bytes()), Err(ParseError::TooDeep));
    }

    #[test]
    fn whole_text_rules_before_the_first_error() {
        // Nested past MAX_DEPTH before a syntax error: too deep, whatever the depth.
        let deep = "[".repeat(65) + "tru";
        assert_eq!(parse(deep.as_bytes()), Err(ParseError::TooDeep));
        assert_eq!(parse("[".repeat(200).as_bytes()), Err(ParseError::TooDeep));
        let members = |n: usize| {
            let body: Vec<String> = (0..n).map(|i| format!("\"f{i}\":{i}")).collect();
            format!("[{{\"a\":{{{}}}}}]", body.join(","))
        };
        assert!(parse(members(MAX_OBJECT_MEMBERS).as_bytes()).is_ok());
        assert_eq!(
            parse(members(MAX_OBJECT_MEMBERS + 1).as_bytes()),
            Err(ParseError::TooWide)
        );
        // Bytes that are not UTF-8 win over everything, even when deep.
        let bad = "["
            .repeat(200)
            .into_bytes()
            .into_iter()
            .chain(*b"\xff")
            .collect::<Vec<_>>();
        assert_eq!(parse(&bad), Err(ParseError::InvalidUtf8));
        // A lone surrogate anywhere, even after the first error.
        assert_eq!(parse(br#"[tru, "\ud800"]"#), Err(ParseError::InvalidUtf8));
        assert_eq!(parse(br#""\udc00""#), Err(ParseError::InvalidUtf8));
        assert_eq!(parse(br#""\ud800\u0041""#), Err(ParseError::InvalidUtf8));
        assert_eq!(
            parse(br#""\\ud800""#).unwrap().0,
            Value::Str("\\ud800".into())
        );
        assert_eq!(
            parse(br#""\ud83d\ude00""#).unwrap().0,
            Value::Str("\u{1F600}".into())
        );
        // The first error decides between a constant and other errors.
        assert_eq!(parse(b"[1NaN]"), Err(ParseError::InvalidJson));
        assert_eq!(parse(b"[-NaN]"), Err(ParseError::InvalidJson));
        assert_eq!(parse(b"[NaNx]"), Err(ParseError::NanOrInfinity));
        assert_eq!(parse(b"[1,\n-Infinity]"), Err(ParseError::NanOrInfinity));
        assert_eq!(parse(b"[tru, NaN]"), Err(ParseError::InvalidJson));
        assert_eq!(parse(b"[NaN, tru]"), Err(ParseError::NanOrInfinity));
        assert_eq!(parse(b"[1e400, NaN]"), Err(ParseError::InvalidJson));
    }

    #[test]
    fn nesting_scan_skips_strings() {
        assert!(!nesting_exceeds(br#"["[[[[", "\"[[["]"#, 1));
        assert!(nesting_exceeds(b"[[", 1));
        assert!(!nesting_exceeds(b"]]]][", 1));
        assert!(!has_lone_surrogate_escape(br#"\ud800 "x""#));
    }
}
