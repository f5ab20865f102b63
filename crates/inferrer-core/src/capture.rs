//! Capture lines (kcat -C -J JSON Lines) → records, as `inferrer.capture.decode_line`
//! reads them, with the same bad-line reasons.
//!
//! The reference reads a line with orjson and, when that fails, with Python's json
//! over the line decoded with `surrogateescape` (real kcat writes non-UTF-8 bytes
//! raw). The two differ in what they accept and give: Python's json takes NaN,
//! Infinity, lone surrogate escapes, raw bytes (as surrogates) and exact big integers;
//! orjson refuses those and reads integers beyond 64 bits as floats. So this reader
//! parses every line once, the way Python's json does (its grammar, its error messages
//! and positions), notes whether orjson would have taken the line, and then gives
//! integers beyond 64 bits orjson's floats when it would. serde_json cannot be that
//! parser: it refuses the raw bytes and surrogates the slow path must keep. It does read
//! the common line, though ([`fast_line`]): a plain kcat line is parsed by serde_json,
//! and only the others come here.

use crate::value::nesting_exceeds;
use std::io::BufRead;

/// How a read error that ends the file starts (the reader's last item).
pub const READ_ERROR_PREFIX: &str = "cannot read after line ";

/// A line whose brackets nest deeper than this is not a record (`capture.MAX_LINE_DEPTH`).
pub const MAX_LINE_DEPTH: usize = 256;
/// Python's default limit on the digits of an int read from text.
const MAX_INT_DIGITS: usize = 4300;

/// One record of a capture file, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl CaptureRecord {
    /// The record as the decoder takes it.
    pub fn as_record(&self) -> crate::decode::RecordRef<'_> {
        crate::decode::RecordRef {
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
            headers: &self.headers,
        }
    }
}

/// A JSON string as Python holds it after the slow path: code points, where a raw
/// byte that is not UTF-8 is U+DC80..U+DCFF (`surrogateescape`) and a lone surrogate
/// escape is itself.
#[derive(Clone, Debug, PartialEq)]
struct PyStr(Vec<u32>);

fn is_surrogate(c: u32) -> bool {
    (0xD800..=0xDFFF).contains(&c)
}

impl PyStr {
    /// The text, when it has a UTF-8 form (no surrogates).
    fn text(&self) -> Option<String> {
        self.0.iter().map(|&c| char::from_u32(c)).collect()
    }

    /// `str.encode("utf-8", "surrogateescape")`.
    fn surrogateescape_bytes(&self) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(self.0.len());
        for &c in &self.0 {
            match c {
                0xDC80..=0xDCFF => out.push((c - 0xDC00) as u8),
                _ => {
                    let ch = char::from_u32(c)?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        Some(out)
    }

    fn is(&self, s: &str) -> bool {
        self.0.iter().copied().eq(s.chars().map(u32::from))
    }
}

/// An integer literal: exact when it fits an i128, else its decimal text.
#[derive(Clone, Debug, PartialEq)]
enum PyInt {
    Small(i128),
    Big,
}

#[derive(Clone, Debug, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Int(PyInt, f64),
    Float(f64),
    Str(PyStr),
    Array(Vec<J>),
    /// First-seen order, a repeated name keeps its first position and last value.
    Object(Vec<(PyStr, J)>),
}

impl J {
    fn get(&self, name: &str) -> Option<&J> {
        match self {
            J::Object(m) => m.iter().find(|(k, _)| k.is(name)).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// What orjson would have refused, noted while parsing.
#[derive(Default)]
struct Strictness {
    constant: bool,
    surrogate: bool,
    infinite_number: bool,
}

struct Parser<'a> {
    s: &'a [u32],
    strict: Strictness,
}

struct SyntaxError {
    msg: String,
    pos: usize,
}

fn err<T>(msg: &str, pos: usize) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        msg: msg.to_owned(),
        pos,
    })
}

fn hex_digit(c: u32) -> Option<u32> {
    char::from_u32(c)?.to_digit(16)
}

const fn cp(c: char) -> u32 {
    c as u32
}

impl Parser<'_> {
    fn at(&self, i: usize) -> Option<u32> {
        self.s.get(i).copied()
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while matches!(self.at(i), Some(0x20 | 0x09 | 0x0A | 0x0D)) {
            i += 1;
        }
        i
    }

    fn starts(&self, i: usize, word: &str) -> bool {
        let n = word.chars().count();
        self.s
            .get(i..i + n)
            .is_some_and(|w| w.iter().copied().eq(word.chars().map(u32::from)))
    }

    /// Python json's `scan_once`: a value at `i`; an error "Expecting value" at `i`
    /// where none starts.
    fn value(&mut self, i: usize) -> Result<(J, usize), SyntaxError> {
        let Some(c) = self.at(i) else {
            return err("Expecting value", i);
        };
        match char::from_u32(c) {
            Some('"') => {
                let (s, end) = self.string(i + 1)?;
                Ok((J::Str(s), end))
            }
            Some('{') => self.object(i + 1),
            Some('[') => self.array(i + 1),
            Some('n') if self.starts(i, "null") => Ok((J::Null, i + 4)),
            Some('t') if self.starts(i, "true") => Ok((J::Bool(true), i + 4)),
            Some('f') if self.starts(i, "false") => Ok((J::Bool(false), i + 5)),
            Some('N') if self.starts(i, "NaN") => {
                self.strict.constant = true;
                Ok((J::Float(f64::NAN), i + 3))
            }
            Some('I') if self.starts(i, "Infinity") => {
                self.strict.constant = true;
                Ok((J::Float(f64::INFINITY), i + 8))
            }
            Some('-') if self.starts(i, "-Infinity") => {
                self.strict.constant = true;
                Ok((J::Float(f64::NEG_INFINITY), i + 9))
            }
            _ => self.number(i),
        }
    }

    fn digits(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(|c| (cp('0')..=cp('9')).contains(&c)) {
            i += 1;
        }
        i
    }

    /// Python json's number match: `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`, the
    /// fraction and exponent only taken when complete.
    fn number(&mut self, start: usize) -> Result<(J, usize), SyntaxError> {
        let mut i = start;
        if self.at(i) == Some(cp('-')) {
            i += 1;
        }
        match self.at(i) {
            Some(c) if (cp('1')..=cp('9')).contains(&c) => i = self.digits(i + 1),
            Some(c) if c == cp('0') => i += 1,
            _ => return err("Expecting value", start),
        }
        let int_end = i;
        let mut is_float = false;
        if self.at(i) == Some(cp('.'))
            && self
                .at(i + 1)
                .is_some_and(|c| (cp('0')..=cp('9')).contains(&c))
        {
            i = self.digits(i + 1);
            is_float = true;
        }
        if matches!(self.at(i), Some(c) if c == cp('e') || c == cp('E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some(c) if c == cp('+') || c == cp('-')) {
                j += 1;
            }
            let end = self.digits(j);
            if end > j {
                i = end;
                is_float = true;
            }
        }
        // Only ASCII got here.
        let text: String = self.s[start..i]
            .iter()
            .filter_map(|&c| char::from_u32(c))
            .collect();
        let f: f64 = text.parse().unwrap_or(f64::NAN);
        if f.is_infinite() {
            self.strict.infinite_number = true;
        }
        if is_float {
            return Ok((J::Float(f), i));
        }
        let digits = int_end - start - usize::from(text.starts_with('-'));
        if digits > MAX_INT_DIGITS {
            return err(INT_LIMIT, start);
        }
        let int = match text.parse::<i128>() {
            Ok(v) => PyInt::Small(v),
            Err(_) => PyInt::Big,
        };
        Ok((J::Int(int, f), i))
    }

    /// Python json's `scanstring` (strict): from just after the opening quote.
    fn string(&mut self, mut i: usize) -> Result<(PyStr, usize), SyntaxError> {
        let begin = i - 1;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.at(i) else {
                return err("Unterminated string starting at", begin);
            };
            if c == cp('"') {
                break;
            }
            if c < 0x20 {
                return err("Invalid control character at", i);
            }
            if c != cp('\\') {
                if is_surrogate(c) {
                    self.strict.surrogate = true;
                }
                out.push(c);
                i += 1;
                continue;
            }
            let Some(e) = self.at(i + 1) else {
                return err("Unterminated string starting at", begin);
            };
            if e != cp('u') {
                let decoded = match char::from_u32(e) {
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('/') => '/',
                    Some('b') => '\x08',
                    Some('f') => '\x0c',
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('t') => '\t',
                    _ => return err("Invalid \\escape", i),
                };
                out.push(u32::from(decoded));
                i += 2;
                continue;
            }
            // `\uXXXX`: Python wants a character after the four digits.
            let first = i + 2;
            if first + 4 >= self.s.len() {
                return err("Invalid \\uXXXX escape", i + 1);
            }
            let Some(mut code) = self.hex4(first) else {
                return err("Invalid \\uXXXX escape", i + 1);
            };
            let mut next = first + 4;
            if (0xD800..=0xDBFF).contains(&code)
                && next + 6 < self.s.len()
                && self.at(next) == Some(cp('\\'))
                && self.at(next + 1) == Some(cp('u'))
            {
                let Some(low) = self.hex4(next + 2) else {
                    return err("Invalid \\uXXXX escape", next + 1);
                };
                if (0xDC00..=0xDFFF).contains(&low) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    next += 6;
                }
            }
            if is_surrogate(code) {
                self.strict.surrogate = true;
            }
            out.push(code);
            i = next;
        }
        Ok((PyStr(out), i + 1))
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let mut v = 0;
        for k in 0..4 {
            v = v * 16 + hex_digit(self.at(at + k)?)?;
        }
        Some(v)
    }

    fn object(&mut self, i: usize) -> Result<(J, usize), SyntaxError> {
        let mut members: Vec<(PyStr, J)> = Vec::new();
        let mut i = self.skip_ws(i);
        if self.at(i) == Some(cp('}')) {
            return Ok((J::Object(members), i + 1));
        }
        loop {
            if self.at(i) != Some(cp('"')) {
                return err("Expecting property name enclosed in double quotes", i);
            }
            let (name, end) = self.string(i + 1)?;
            i = self.skip_ws(end);
            if self.at(i) != Some(cp(':')) {
                return err("Expecting ':' delimiter", i);
            }
            i = self.skip_ws(i + 1);
            let (v, end) = self.value(i)?;
            match members.iter_mut().find(|(k, _)| *k == name) {
                Some(slot) => slot.1 = v,
                None => members.push((name, v)),
            }
            i = self.skip_ws(end);
            match self.at(i) {
                Some(c) if c == cp('}') => return Ok((J::Object(members), i + 1)),
                Some(c) if c == cp(',') => i = self.skip_ws(i + 1),
                _ => return err("Expecting ',' delimiter", i),
            }
        }
    }

    fn array(&mut self, i: usize) -> Result<(J, usize), SyntaxError> {
        let mut items = Vec::new();
        let mut i = self.skip_ws(i);
        if self.at(i) == Some(cp(']')) {
            return Ok((J::Array(items), i + 1));
        }
        loop {
            let (v, end) = self.value(i)?;
            items.push(v);
            i = self.skip_ws(end);
            match self.at(i) {
                Some(c) if c == cp(']') => return Ok((J::Array(items), i + 1)),
                Some(c) if c == cp(',') => i = self.skip_ws(i + 1),
                _ => return err("Expecting ',' delimiter", i),
            }
        }
    }
}

const INT_LIMIT: &str = "\0int-limit";

/// The line as Python's `bytes.decode("utf-8", "surrogateescape")` gives it.
fn surrogateescape_decode(line: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(line.len());
    for chunk in line.utf8_chunks() {
        out.extend(chunk.valid().chars().map(u32::from));
        out.extend(chunk.invalid().iter().map(|&b| 0xDC00 + u32::from(b)));
    }
    out
}

/// Python's `json.loads` of the decoded line, orjson's view applied when orjson
/// would have read it; the bad-line reason otherwise.
fn load(line: &[u8]) -> Result<J, String> {
    let s = surrogateescape_decode(line);
    let mut p = Parser {
        s: &s,
        strict: Strictness::default(),
    };
    let parsed = if s.first() == Some(&0xFEFF) {
        err("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
    } else {
        let start = p.skip_ws(0);
        p.value(start).and_then(|(v, end)| {
            let end = p.skip_ws(end);
            if end == s.len() {
                Ok(v)
            } else {
                err("Extra data", end)
            }
        })
    };
    match parsed {
        Ok(v) => {
            let st = &p.strict;
            let orjson = !(st.constant || st.surrogate || st.infinite_number);
            Ok(if orjson { orjson_numbers(v) } else { v })
        }
        Err(e) if e.msg == INT_LIMIT => {
            Err("not JSON (an integer has more than 4300 digits)".into())
        }
        Err(e) => {
            // Python's colno: 1-based, counted from the last newline before pos.
            let colno = match s[..e.pos.min(s.len())].iter().rposition(|&c| c == 0x0A) {
                Some(nl) => e.pos - nl,
                None => e.pos + 1,
            };
            Err(format!("not JSON ({} at column {colno})", e.msg))
        }
    }
}

/// orjson reads an integer beyond 64 bits as a float.
fn orjson_numbers(v: J) -> J {
    match v {
        J::Int(PyInt::Small(i), _) if i >= i128::from(i64::MIN) && i <= i128::from(u64::MAX) => {
            J::Int(PyInt::Small(i), 0.0)
        }
        J::Int(_, f) => J::Float(f),
        J::Array(items) => J::Array(items.into_iter().map(orjson_numbers).collect()),
        J::Object(m) => J::Object(m.into_iter().map(|(k, v)| (k, orjson_numbers(v))).collect()),
        other => other,
    }
}

/// `orjson.dumps`: compact, floats as orjson writes them (non-finite as null); None
/// when orjson refuses (an integer beyond 64 bits, text with surrogates).
fn dumps(v: &J, out: &mut Vec<u8>) -> Option<()> {
    match v {
        J::Null => out.extend_from_slice(b"null"),
        J::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        J::Int(PyInt::Small(i), _) if *i >= i128::from(i64::MIN) && *i <= i128::from(u64::MAX) => {
            out.extend_from_slice(i.to_string().as_bytes())
        }
        J::Int(..) => return None,
        J::Float(f) if f.is_finite() => {
            let mut buf = ryu::Buffer::new();
            let text = buf.format_finite(*f);
            // ryu writes `1e16`; orjson `1e+16`.
            match text.find('e') {
                Some(at) if !text[at + 1..].starts_with('-') => {
                    out.extend_from_slice(&text.as_bytes()[..=at]);
                    out.push(b'+');
                    out.extend_from_slice(&text.as_bytes()[at + 1..]);
                }
                _ => out.extend_from_slice(text.as_bytes()),
            }
        }
        J::Float(_) => out.extend_from_slice(b"null"),
        J::Str(s) => dump_str(s, out)?,
        J::Array(items) => {
            out.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                dumps(item, out)?;
            }
            out.push(b']');
        }
        J::Object(m) => {
            out.push(b'{');
            for (n, (k, item)) in m.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                dump_str(k, out)?;
                out.push(b':');
                dumps(item, out)?;
            }
            out.push(b'}');
        }
    }
    Some(())
}

fn dump_str(s: &PyStr, out: &mut Vec<u8>) -> Option<()> {
    let text = s.text()?;
    out.push(b'"');
    for ch in text.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\x08' => out.extend_from_slice(b"\\b"),
            '\x0c' => out.extend_from_slice(b"\\f"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
    Some(())
}

/// `base64.b64decode(text, validate=True)`, which is binascii's strict mode: only the
/// alphabet and `=`; no leading `=`; a pad completing a quantum ends the data (nothing
/// may follow); a pad where a quantum starts is skipped; no data after any pad; the
/// last quantum must be whole; leftover bits are ignored.
fn b64decode(s: &PyStr) -> Option<Vec<u8>> {
    let text = s.text()?;
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b'=') {
        return None;
    }
    let sextet = |b: u8| -> Option<u8> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    let (mut quad_pos, mut pads, mut padding_started, mut left) = (0u8, 0u8, false, 0u8);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'=' {
            padding_started = true;
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return (i + 1 == bytes.len()).then_some(out);
                }
            }
            continue;
        }
        let v = sextet(b)?;
        if padding_started {
            return None;
        }
        match quad_pos {
            0 => left = v,
            1 => {
                out.push(left << 2 | v >> 4);
                left = v & 0x0f;
            }
            2 => {
                out.push(left << 4 | v >> 2);
                left = v & 0x03;
            }
            _ => out.push(left << 6 | v),
        }
        quad_pos = (quad_pos + 1) % 4;
    }
    (quad_pos == 0).then_some(out)
}

fn text_to_bytes(v: &PyStr, what: &str) -> Result<Vec<u8>, String> {
    v.surrogateescape_bytes()
        .ok_or_else(|| format!("{what} is not encodable text"))
}

fn b64_to_bytes(v: Option<&J>, what: &str) -> Result<Vec<u8>, String> {
    match v {
        Some(J::Str(s)) => b64decode(s).ok_or_else(|| format!("{what} is not valid base64")),
        _ => Err(format!("{what} must be a base64 string")),
    }
}

fn get_bytes(obj: &J, name: &str) -> Result<Option<Vec<u8>>, String> {
    let b64 = format!("{name}_b64");
    if let J::Object(m) = obj {
        if m.iter().any(|(k, _)| k.is(&b64)) {
            return b64_to_bytes(obj.get(&b64), &b64).map(Some);
        }
    }
    match obj.get(name) {
        None | Some(J::Null) => Ok(None),
        Some(J::Str(s)) => text_to_bytes(s, name).map(Some),
        Some(other) => {
            let mut out = Vec::new();
            dumps(other, &mut out).ok_or_else(|| format!("'{name}' cannot be written as JSON"))?;
            Ok(Some(out))
        }
    }
}

fn get_int(obj: &J, name: &str, lo: i128, hi: i128) -> Result<i128, String> {
    let v = match obj.get(name) {
        Some(J::Int(i, _)) => i,
        _ => return Err(format!("'{name}' must be an integer")),
    };
    match v {
        PyInt::Small(i) if *i < lo => Err(format!("'{name}' must be at least {lo}")),
        PyInt::Small(i) if *i > hi => Err(format!("'{name}' must be at most {hi}")),
        PyInt::Small(i) => Ok(*i),
        // Beyond an i128: its sign tells which bound it breaks.
        PyInt::Big => match obj.get(name) {
            Some(J::Int(_, f)) if *f < 0.0 => Err(format!("'{name}' must be at least {lo}")),
            _ => Err(format!("'{name}' must be at most {hi}")),
        },
    }
}

type Headers = Vec<(String, Option<Vec<u8>>)>;

fn get_headers(obj: &J) -> Result<Headers, String> {
    let raw = match obj.get("headers") {
        None | Some(J::Null) => return Ok(Vec::new()),
        Some(raw) => raw,
    };
    let positions: Vec<&PyInt> = match obj.get("headers_b64") {
        None => Vec::new(),
        Some(J::Array(items)) => items
            .iter()
            .map(|i| match i {
                J::Int(i, _) => Some(i),
                _ => None,
            })
            .collect::<Option<_>>()
            .ok_or("'headers_b64' must be a list of header positions")?,
        Some(_) => return Err("'headers_b64' must be a list of header positions".into()),
    };
    let pairs: Vec<(&J, &J)> = match raw {
        J::Array(items) => {
            if items.len() % 2 == 1 {
                return Err(
                    "'headers' must be a flat [name, value, ...] list of even length".into(),
                );
            }
            items.chunks(2).map(|p| (&p[0], &p[1])).collect()
        }
        J::Object(m) => {
            let mut pairs = Vec::new();
            for (name, values) in m {
                let J::Array(values) = values else {
                    return Err("'headers' map values must be lists".into());
                };
                pairs.extend(values.iter().map(|v| (name, v)));
            }
            return headers_from(
                pairs
                    .into_iter()
                    .map(|(n, v)| (NameRef::Key(n), v))
                    .collect(),
                &positions,
            );
        }
        _ => return Err("'headers' must be a list or an object".into()),
    };
    headers_from(
        pairs
            .into_iter()
            .map(|(n, v)| (NameRef::Value(n), v))
            .collect(),
        &positions,
    )
}

/// A header name: a map key (always a string) or a list item (any value).
enum NameRef<'a> {
    Key(&'a PyStr),
    Value(&'a J),
}

fn headers_from(pairs: Vec<(NameRef, &J)>, positions: &[&PyInt]) -> Result<Headers, String> {
    let mut encoded = Vec::with_capacity(positions.len());
    for p in positions {
        match p {
            PyInt::Small(i) if *i >= 0 && (*i as u128) < pairs.len() as u128 => {
                encoded.push(*i as usize)
            }
            _ => return Err("'headers_b64' names a header position that does not exist".into()),
        }
    }
    let mut out = Vec::with_capacity(pairs.len());
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        let name = match name {
            NameRef::Key(s) | NameRef::Value(J::Str(s)) => s,
            NameRef::Value(_) => return Err("header names must be strings".into()),
        };
        let Some(name) = name.text() else {
            return Err("header names must be valid UTF-8 text".into());
        };
        let what = format!("header '{name}'");
        let bytes = match value {
            J::Null => None,
            J::Str(s) if encoded.contains(&i) => {
                Some(b64decode(s).ok_or(format!("{what} is not valid base64"))?)
            }
            J::Str(s) => Some(text_to_bytes(s, &what)?),
            _ => return Err(format!("header '{name}' value must be a string or null")),
        };
        out.push((name, bytes));
    }
    Ok(out)
}

/// `capture.record_from_json` of a parsed line.
fn record_from(obj: &J) -> Result<CaptureRecord, String> {
    if !matches!(obj, J::Object(_)) {
        return Err("not a JSON object".into());
    }
    let topic = match obj.get("topic") {
        Some(J::Str(s)) if !s.0.is_empty() => s,
        _ => return Err("'topic' must be a non-empty string".into()),
    };
    let topic = topic.text().ok_or("'topic' must be valid UTF-8 text")?;
    let partition = get_int(obj, "partition", 0, i128::from(i32::MAX))? as i32;
    let offset = get_int(obj, "offset", i128::from(i64::MIN), i128::from(i64::MAX))? as i64;
    let timestamp = match obj.get("ts") {
        None | Some(J::Null) => None,
        Some(_) => Some(get_int(obj, "ts", i128::from(i64::MIN), i128::from(i64::MAX))? as i64),
    };
    let key = get_bytes(obj, "key")?;
    let value = get_bytes(obj, "payload")?;
    let headers = get_headers(obj)?;
    Ok(CaptureRecord {
        topic,
        partition,
        offset,
        timestamp,
        key,
        value,
        headers,
    })
}

/// The record on one capture line, or why there is none (`capture.decode_line`).
pub fn parse_line(line: &[u8]) -> Result<CaptureRecord, String> {
    // First the common line (serde_json refuses nesting past 128, so a line the
    // depth rule refuses never gets through it).
    if let Some(record) = fast_line(line) {
        return Ok(record);
    }
    if nesting_exceeds(line, MAX_LINE_DEPTH) {
        return deep_line(line);
    }
    record_from(&load(line)?)
}

fn skip_space(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && matches!(line[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Just past the string starting at `i`, lexed as [`nesting_exceeds`] does.
fn string_end(line: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < line.len() && line[i] != b'"' {
        i += if line[i] == b'\\' { 2 } else { 1 };
    }
    (i < line.len()).then_some(i + 1)
}

/// Just past the member value starting at `i`: a container to its closing bracket, a
/// string to its quote, anything else to the next comma, brace or space.
fn value_end(line: &[u8], mut i: usize) -> Option<usize> {
    match line.get(i)? {
        b'"' => string_end(line, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            while i < line.len() {
                match line[i] {
                    b'"' => {
                        i = string_end(line, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            while i < line.len() && !matches!(line[i], b',' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            Some(i)
        }
    }
}

/// What [`split_deep_members`] gives: the shallow line, the deep `payload` and `key`
/// texts, and every member name as written (quoted).
type DeepSplit<'a> = (Vec<u8>, Option<&'a [u8]>, Option<&'a [u8]>, Vec<&'a [u8]>);

/// `capture.split_deep_members`: the line with its `"payload"` and `"key"` members that
/// nest deeper than `limit - 1` replaced by `null`; None when the line is not an object
/// of members.
fn split_deep_members(line: &[u8], limit: usize) -> Option<DeepSplit<'_>> {
    let mut i = skip_space(line, 0);
    if line.get(i) != Some(&b'{') {
        return None;
    }
    let mut out = b"{".to_vec();
    let (mut payload, mut key): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    let mut names = Vec::new();
    i = skip_space(line, i + 1);
    if line.get(i) == Some(&b'}') {
        out.push(b'}');
        return Some((out, payload, key, names));
    }
    loop {
        if line.get(i) != Some(&b'"') {
            return None;
        }
        let name_end = string_end(line, i)?;
        let name = &line[i..name_end];
        names.push(name);
        i = skip_space(line, name_end);
        if line.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_space(line, i + 1);
        let end = value_end(line, start)?;
        let value = &line[start..end];
        let slot = match name {
            b"\"payload\"" => Some(&mut payload),
            b"\"key\"" => Some(&mut key),
            _ => None,
        };
        let deep = matches!(value.first(), Some(b'{' | b'['))
            && nesting_exceeds(value, limit.saturating_sub(1));
        out.extend_from_slice(name);
        out.push(b':');
        match slot {
            Some(slot) => {
                *slot = deep.then_some(value);
                out.extend_from_slice(if deep { b"null" } else { value });
            }
            None => out.extend_from_slice(value),
        }
        i = skip_space(line, end);
        match line.get(i) {
            Some(b',') => {
                out.push(b',');
                i = skip_space(line, i + 1);
            }
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_space(line, i + 1) != line.len() {
        return None;
    }
    out.push(b'}');
    Some((out, payload, key, names))
}

/// `capture._decode_deep_line`: a line nested deeper than [`MAX_LINE_DEPTH`] is a
/// record when only its `payload` or `key` (JSON, as kcat may write it) is that deep:
/// that member's text becomes the bytes (which the decoder counts as `too-deep`).
fn deep_line(line: &[u8]) -> Result<CaptureRecord, String> {
    let too_deep = || format!("not JSON (nested deeper than {MAX_LINE_DEPTH})");
    let (shallow, payload, key, names) =
        split_deep_members(line, MAX_LINE_DEPTH).ok_or_else(too_deep)?;
    let has = |n: &[u8]| names.contains(&n);
    if (payload.is_none() && key.is_none())
        || (payload.is_some() && has(b"\"payload_b64\""))
        || (key.is_some() && has(b"\"key_b64\""))
        || nesting_exceeds(&shallow, MAX_LINE_DEPTH)
    {
        return Err(too_deep());
    }
    let mut record = parse_line(&shallow)?;
    if let Some(p) = payload {
        record.value = Some(p.to_vec());
    }
    if let Some(k) = key {
        record.key = Some(k.to_vec());
    }
    Ok(record)
}

/// A capture line in its common form, read by simd-json or serde_json (strings
/// borrowed where they can be). Only the plainest lines are taken: valid UTF-8, an
/// object, no base64 fields, every known field of the expected type and range, headers
/// as a flat list of string names. Anything else (and any line serde_json refuses: raw
/// bytes, lone surrogates, NaN, repeated fields) is left to [`load`], whose reading of
/// such a line is Python's; for the lines taken here all three give the same record.
///
/// simd-json reads the line first (it unescapes the payload, most of the line, a few
/// times faster); a line it refuses is read again by serde_json. A line with a
/// `\ud`/`\uD` escape goes to serde_json directly: simd-json takes a lone surrogate
/// escape that serde_json and Python refuse.
fn fast_line(line: &[u8]) -> Option<CaptureRecord> {
    if !plain_candidate(line) {
        return None;
    }
    if !has_surrogate_escape(line) && memchr::memchr(0, line).is_none() {
        if let Some(record) = simd_line(line) {
            return Some(record);
        }
    }
    serde_line(line)
}

/// Whether the line may be plain: an object without base64 fields, nested no deeper
/// than [`MAX_LINE_DEPTH`] (the fast readers skip unknown fields at any depth; the
/// exact reading refuses such a line). Brackets are counted first: few brackets
/// cannot nest deep.
fn plain_candidate(line: &[u8]) -> bool {
    line.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && memchr::memmem::find(line, b"_b64\"").is_none()
        && (memchr::memchr2_iter(b'[', b'{', line).count() <= MAX_LINE_DEPTH
            || !nesting_exceeds(line, MAX_LINE_DEPTH))
}

/// Whether the line has a `\ud`/`\uD` escape (simd-json is not given such a line).
fn has_surrogate_escape(line: &[u8]) -> bool {
    memchr::memmem::find_iter(line, b"\\u").any(|at| matches!(line.get(at + 2), Some(b'd' | b'D')))
}

fn serde_line(line: &[u8]) -> Option<CaptureRecord> {
    serde_json::from_slice::<PlainLine>(line).ok()?.record()
}

/// A plain capture line's fields, borrowed from the line where they have no escapes.
#[derive(serde::Deserialize)]
struct PlainLine<'a> {
    #[serde(borrow)]
    topic: std::borrow::Cow<'a, str>,
    partition: i64,
    offset: i64,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(borrow, default)]
    key: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    payload: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    headers: Option<Vec<Option<std::borrow::Cow<'a, str>>>>,
}

/// The lines simd-json is trusted with: kcat's own fields and no other (serde_json reads
/// a line with other fields). Two things simd-json takes that JSON refuses, found by the
/// differential tests: a NUL byte after a value (`1\x00,`; a line with a NUL is not
/// given to it), and any byte after a number of 19 digits or more
/// (`-1000000000000000000\x01,`): its numbers here are integers, so a line with one of
/// [`SIMD_MAX_MAGNITUDE`] or more is read again by serde_json (offsets and timestamps
/// of real traffic stay far below it; JSON has no leading zeros, which simd-json refuses).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SimdLine<'a> {
    #[serde(borrow)]
    topic: std::borrow::Cow<'a, str>,
    partition: i64,
    offset: i64,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(borrow, default)]
    key: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    payload: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    headers: Option<Vec<Option<std::borrow::Cow<'a, str>>>>,
    #[serde(default)]
    broker: Option<i64>,
    #[serde(borrow, default)]
    #[allow(dead_code)]
    tstype: Option<std::borrow::Cow<'a, str>>,
}

/// Integers from this magnitude up (18 digits) send a line to serde_json.
const SIMD_MAX_MAGNITUDE: i64 = 100_000_000_000_000_000;

impl<'a> SimdLine<'a> {
    fn plain(self) -> Option<PlainLine<'a>> {
        let numbers = [
            Some(self.partition),
            Some(self.offset),
            self.ts,
            self.broker,
        ];
        if numbers
            .iter()
            .flatten()
            .any(|n| n.unsigned_abs() >= SIMD_MAX_MAGNITUDE as u64)
        {
            return None;
        }
        Some(PlainLine {
            topic: self.topic,
            partition: self.partition,
            offset: self.offset,
            ts: self.ts,
            key: self.key,
            payload: self.payload,
            headers: self.headers,
        })
    }
}

impl PlainLine<'_> {
    fn record(self) -> Option<CaptureRecord> {
        if self.topic.is_empty() || !(0..=i32::MAX as i64).contains(&self.partition) {
            return None;
        }
        let mut headers = Vec::new();
        if let Some(flat) = self.headers {
            if flat.len() % 2 != 0 {
                return None;
            }
            for pair in flat.chunks(2) {
                let name = pair[0].as_ref()?;
                headers.push((
                    name.to_string(),
                    pair[1].as_ref().map(|v| v.as_bytes().to_vec()),
                ));
            }
        }
        Some(CaptureRecord {
            topic: self.topic.into_owned(),
            partition: self.partition as i32,
            offset: self.offset,
            timestamp: self.ts,
            key: self.key.map(|k| k.into_owned().into_bytes()),
            value: self.payload.map(|p| p.into_owned().into_bytes()),
            headers,
        })
    }
}

/// [`fast_line`] by simd-json, which reads a copy of the line (it unescapes in place);
/// the copy and simd-json's buffers are kept per thread.
fn simd_line(line: &[u8]) -> Option<CaptureRecord> {
    use serde::Deserialize;
    thread_local! {
        static SCRATCH: std::cell::RefCell<(Vec<u8>, simd_json::Buffers)> =
            std::cell::RefCell::new((Vec::new(), simd_json::Buffers::default()));
    }
    SCRATCH.with(|cell| {
        let mut guard = cell.borrow_mut();
        let (copy, buffers) = &mut *guard;
        copy.clear();
        copy.extend_from_slice(line);
        let mut de = simd_json::Deserializer::from_slice_with_buffers(copy, buffers).ok()?;
        SimdLine::deserialize(&mut de).ok()?.plain()?.record()
    })
}

/// The lines of a capture file, streaming: `(line number, record or bad-line reason)`,
/// blank lines (only whitespace, as `bytes.strip` sees it) skipped but counted.
pub struct CaptureReader<R> {
    inner: R,
    line_no: usize,
    buf: Vec<u8>,
    failed: bool,
}

impl<R: BufRead> CaptureReader<R> {
    pub fn new(inner: R) -> Self {
        CaptureReader {
            inner,
            line_no: 0,
            buf: Vec::new(),
            failed: false,
        }
    }
}

impl<R: BufRead> Iterator for CaptureReader<R> {
    type Item = (usize, Result<CaptureRecord, String>);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed {
            self.buf.clear();
            match self.inner.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    // A read error ends the file (iter_capture raises there).
                    self.failed = true;
                    return Some((
                        self.line_no,
                        Err(format!("{READ_ERROR_PREFIX}{}: {e}", self.line_no)),
                    ));
                }
            }
            self.line_no += 1;
            // bytes.strip(): ASCII whitespace including \x0b and \x0c.
            if self
                .buf
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
            {
                continue;
            }
            return Some((self.line_no, parse_line(&self.buf)));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines each fast reader (simd-json, serde_json) may take or refuse: whenever one
    /// takes a line, its record is the exact reader's.
    fn tricky_lines() -> Vec<Vec<u8>> {
        let plain = |rest: &str| format!(r#"{{"topic":"t","partition":0,"offset":1{rest}}}"#);
        let mut lines: Vec<Vec<u8>> = [
            r#"{"topic":"t","partition":1,"offset":2,"ts":3,"headers":["a","b","c",null],"key":"k","payload":"v"}"#,
            r#" {"topic":"t\u00e9","partition":0,"offset":-5,"ts":null,"payload":"{\"a\":1}"} "#,
            r#"{"topic":"t","partition":0,"offset":1,"broker":-1,"tstype":"create","x":[1e400, 123456789012345678901234]}"#,
            r#"{"topic":"t","partition":0,"offset":1,"headers":[]}"#,
            r#"{"topic":"t","partition":0,"offset":1,"key":null,"payload":null}"#,
            r#"{"topic":"","partition":0,"offset":1}"#,
            r#"{"topic":"t","partition":2147483648,"offset":1}"#,
            r#"{"topic":"t","partition":0,"offset":1,"headers":["a"]}"#,
            r#"{"topic":"t","partition":0,"offset":1,"payload_b64":"gA=="}"#,
            r#"{"topic":"t","partition":0,"offset":1,"topic":"u"}"#,
            r#"["t",0,1]"#,
            r#"{"topic":"t","partition":true,"offset":1}"#,
            r#"{"topic":"t","partition":-0,"offset":1}"#,
            r#"{"topic":"t","partition":01,"offset":1}"#,
            r#"{"topic":"t","partition":0,"offset":1.0}"#,
            r#"{"topic":"t","partition":0,"offset":1e2}"#,
            r#"{"topic":"t","partition":0,"offset":+1}"#,
            r#"{"topic":"t","partition":0,"offset":18446744073709551616}"#,
            r#"{"topic":"t","partition":0,"offset":-9223372036854775808}"#,
            r#"{"topic":"t","partition":0,"offset":9223372036854775808}"#,
            r#"{"topic":"t","partition":0,"offset":1} x"#,
            r#"{"topic":"t","partition":0,"offset":1}}"#,
            r#"{"topic":"t","partition":0,"offset":1,}"#,
            r#"{"topic":"t" "partition":0,"offset":1}"#,
            r#"{"topic":"t","partition":0,"offset":1"#,
        ]
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
        for rest in [
            r#","payload":"\ud800""#,
            r#","payload":"\udc00\ud800""#,
            r#","payload":"\uD83D\uDE00""#,
            r#","payload":"\ud83d\ude00""#,
            r#","payload":"a\u0000b\/""#,
            r#","payload":"a\u0000b\x""#,
            r#","payload":"\u00e9\u20AC""#,
            r#","payload":"\U0041""#,
            r#","payload":"\u00G1""#,
            r#","payload":"a\"#,
            r#","x":NaN"#,
            r#","x":[1,]"#,
            r#","x":tru"#,
            r#","x":-"#,
            r#","x":1."#,
            r#","x":.5"#,
            r#","x":1e"#,
            r#","x":-01"#,
            r#","x":1E+2"#,
            r#","x":0.1e-400"#,
            r#","x":{"a":1 "b":2}"#,
            r#","x":[1 2]"#,
            r#","x":{1:2}"#,
            r#","x":true false"#,
            r#","x":null}garbage{"#,
            r#","x":[]]"#,
        ] {
            lines.push(plain(rest).into_bytes());
        }
        for raw in [
            &b"\x01"[..],
            b"\x7f",
            b"\t",
            b"\xff",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\xc0\xaf",
            b"\xef\xbb\xbf",
        ] {
            let mut line = br#"{"topic":"t","partition":0,"offset":1,"payload":"a"#.to_vec();
            line.extend_from_slice(raw);
            line.extend_from_slice(br#"b"}"#);
            lines.push(line);
        }
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(plain("").as_bytes());
        lines.push(bom);
        lines.push([plain("").as_bytes(), b"\x00"].concat());
        lines.push([b"\x0b", plain("").as_bytes()].concat());
        for depth in [100, 255, 256, 300, 3000] {
            let x = format!(r#","x":{}{}"#, "[".repeat(depth), "]".repeat(depth));
            lines.push(plain(&x).into_bytes());
        }
        lines
    }

    /// The exact reading of a line (parse_line without its fast path).
    fn exact_line(line: &[u8]) -> Result<CaptureRecord, String> {
        if nesting_exceeds(line, MAX_LINE_DEPTH) {
            deep_line(line)
        } else {
            load(line).and_then(|j| record_from(&j))
        }
    }

    #[test]
    fn any_byte_between_tokens_is_read_as_the_exact_reading_reads_it() {
        // Found by the differential test: simd-json took `-1000000000000000000\x01,` as a
        // number followed by a comma (and takes any byte after 19 digits).
        let mut differed = Vec::new();
        for b in 0u8..=255 {
            for (before, after) in [
                (
                    r#"{"topic":"t","partition":0,"offset":-100"#,
                    r#","payload":null}"#,
                ),
                (
                    r#"{"topic":"t","partition":0,"offset":-1000000000000000000"#,
                    r#","x":1}"#,
                ),
                (
                    r#"{"topic":"t","partition":0,"offset":7,"x":123456789012345678901"#,
                    r#"}"#,
                ),
                (
                    r#"{"topic":"t","partition":0,"offset":7,"x":1.000000000000000000"#,
                    r#"}"#,
                ),
                (
                    r#"{"topic":"t","partition":0,"offset":7,"x":-11111111111111111111"#,
                    r#"}"#,
                ),
                (
                    r#"{"topic":"t","partition":0,"offset":7,"x":111111111111111111111e5"#,
                    r#"}"#,
                ),
                (
                    r#"{"topic":"t","partition":0,"offset":"#,
                    r#"7,"payload":null}"#,
                ),
                (
                    r#"{"topic":"t","partition":0,"offset":7,"payload":"v""#,
                    r#"}"#,
                ),
                (r#"{"topic":"t","partition":0,"offset":7,"x":true"#, r#"}"#),
                (r#"{"topic":"t","partition":0,"offset":7,"x":1.5"#, r#"}"#),
            ] {
                let line = [before.as_bytes(), &[b], after.as_bytes()].concat();
                if let Some(fast) = fast_line(&line) {
                    if Ok(fast) != exact_line(&line) {
                        differed.push(String::from_utf8_lossy(&line).into_owned());
                    }
                }
            }
        }
        assert!(differed.is_empty(), "{differed:#?}");
    }

    #[test]
    fn the_fast_readings_equal_the_exact_one_where_they_are_taken() {
        let mut taken = [0, 0, 0];
        for line in tricky_lines() {
            // parse_line without its fast path (deep lines are not given to `load`).
            let exact = if nesting_exceeds(&line, MAX_LINE_DEPTH) {
                deep_line(&line)
            } else {
                load(&line).and_then(|j| record_from(&j))
            };
            let shown = String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned();
            let candidate = plain_candidate(&line);
            if let Some(fast) = candidate.then(|| serde_line(&line)).flatten() {
                taken[0] += 1;
                assert_eq!(Ok(fast), exact, "serde_json: {shown}");
            }
            let simd = candidate && !has_surrogate_escape(&line);
            if let Some(fast) = simd.then(|| simd_line(&line)).flatten() {
                taken[1] += 1;
                assert_eq!(Ok(fast), exact, "simd-json: {shown}");
            }
            if let Some(fast) = fast_line(&line) {
                taken[2] += 1;
                assert_eq!(Ok(fast), exact, "{shown}");
            }
        }
        // simd-json takes fewer than serde_json: not a line with fields kcat does not
        // write, nor one with an integer of 18 digits or more (SimdLine).
        assert_eq!(taken, [16, 9, 17]);
    }

    #[test]
    fn a_plain_line() {
        let r = parse_line(br#"{"topic":"t","partition":1,"offset":2,"ts":3,"headers":["a","b","c",null],"key":"k","payload":"v"}"#).unwrap();
        assert_eq!(r.topic, "t");
        assert_eq!((r.partition, r.offset, r.timestamp), (1, 2, Some(3)));
        assert_eq!(
            r.headers,
            vec![("a".into(), Some(b"b".to_vec())), ("c".into(), None)]
        );
        assert_eq!(
            (r.key.as_deref(), r.value.as_deref()),
            (Some(&b"k"[..]), Some(&b"v"[..]))
        );
    }

    #[test]
    fn raw_bytes_base64_and_verbatim_json() {
        let r = parse_line(
            b"{\"topic\":\"t\",\"partition\":0,\"offset\":0,\"payload\":\"\xff\\udc80\"}",
        )
        .unwrap();
        assert_eq!(r.value.as_deref(), Some(&b"\xff\x80"[..]));
        let r = parse_line(br#"{"topic":"t","partition":0,"offset":0,"key_b64":"/w==","payload":{"a":[1e16,2.5e-5,18446744073709551616]}}"#).unwrap();
        assert_eq!(r.key.as_deref(), Some(&b"\xff"[..]));
        assert_eq!(
            r.value.as_deref(),
            Some(&br#"{"a":[1e+16,0.000025,1.8446744073709552e+19]}"#[..])
        );
    }

    #[test]
    fn bad_lines() {
        assert_eq!(
            parse_line(b"{nope").unwrap_err(),
            "not JSON (Expecting property name enclosed in double quotes at column 2)"
        );
        assert_eq!(parse_line(b"[1]").unwrap_err(), "not a JSON object");
        assert_eq!(
            parse_line(br#"{"topic":"t","partition":-1,"offset":0}"#).unwrap_err(),
            "'partition' must be at least 0"
        );
        assert_eq!(
            parse_line(br#"{"topic":"t","partition":0,"offset":0,"key_b64":"Q"}"#).unwrap_err(),
            "key_b64 is not valid base64"
        );
    }

    #[test]
    fn base64_as_binascii_strict_mode() {
        let b = |t: &str| b64decode(&PyStr(t.chars().map(u32::from).collect()));
        for ok in ["", "AAAA", "AAA=", "AA==", "AAAA=", "AAAA===", "QR=="] {
            assert!(b(ok).is_some(), "{ok}");
        }
        for bad in [
            "=", "AA=", "AAA==", "AA=A", "A===", "AAAAA", " AAAA", "AA==\n",
        ] {
            assert!(b(bad).is_none(), "{bad}");
        }
        assert_eq!(b("QR==").unwrap(), b"A");
    }

    #[test]
    fn reader_skips_blank_lines() {
        let data = b"\n  \n{\"topic\":\"t\",\"partition\":0,\"offset\":0}\nx\n";
        let got: Vec<_> = CaptureReader::new(&data[..])
            .map(|(n, r)| (n, r.is_ok()))
            .collect();
        assert_eq!(got, vec![(3, true), (4, false)]);
    }
}
