//! String formats and map key classes, from the grammar shared with Python.
//!
//! `inferrer/inference/grammar.json` is the one definition: `rules.py` reads it with
//! Python's `re` at import, and this module compiles the same text (built into the
//! library) with the `regex` crate on first use. The patterns only use constructs both
//! engines read alike (explicit ASCII classes, whole-string matches), and the calendar
//! check below is written exactly as `rules._valid_calendar_date`, so a string gets the
//! same format bits and the same map key class on both sides.

use std::sync::OnceLock;

use regex::Regex;

const GRAMMAR: &str = include_str!("../../../inferrer/inference/grammar.json");

/// Formats we detect, in bit order (bit i of a mask is `FORMATS[i]`); new ones are
/// appended so that saved masks keep their meaning. `digits` is a hint (a pattern), not
/// a JSON Schema format; `rules.py` decides what is emitted.
pub const FORMATS: [&str; 13] = [
    "date",
    "date-time",
    "email",
    "ipv4",
    "ipv6",
    "time",
    "uri",
    "uuid",
    "uri-reference",
    "uri-template",
    "digits",
    "decimal-text",
    "boolean-text",
];
pub const ALL_FORMATS_MASK: u32 = (1 << FORMATS.len()) - 1;

/// Map key families, sorted by name; a family's index is its bit in a family mask
/// (`rules.MAP_KEY_CLASS_NAMES`). `id` and `id-digits` are decided by
/// [`split_id_key`], the others by the grammar.
pub const MAP_KEY_CLASSES: [&str; 9] = [
    "code",
    "date",
    "date-time",
    "dotted",
    "header",
    "id",
    "id-digits",
    "integer",
    "uuid",
];
const ID: usize = 5;
const ID_DIGITS: usize = 6;
pub const ALL_KEY_FAMILIES: u32 = (1 << MAP_KEY_CLASSES.len()) - 1;

struct Format {
    regex: Regex,
    calendar: bool,
}

enum KeyCheck {
    Pattern(Regex),
    /// The key must have this format (by index into [`FORMATS`]).
    Format(usize),
}

struct Grammar {
    formats: Vec<Format>,
    /// In checking order: (index into [`MAP_KEY_CLASSES`], check).
    map_keys: Vec<(usize, KeyCheck)>,
    /// The families that name record fields never: a path whose every key is of one
    /// is a map however few keys it has.
    strong: u32,
}

fn grammar() -> &'static Grammar {
    static CELL: OnceLock<Grammar> = OnceLock::new();
    CELL.get_or_init(|| compile(GRAMMAR).expect("grammar.json is valid (tested)"))
}

fn expand(pattern: &str, parts: &[(String, String)]) -> String {
    let mut out = pattern.to_string();
    for (name, part) in parts {
        out = out.replace(&format!("{{{{{name}}}}}"), part);
    }
    out
}

/// Anchor a pattern to the whole text, as Python's `re.fullmatch` does.
fn whole(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())
}

fn compile(text: &str) -> Result<Grammar, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let str_of = |v: &serde_json::Value, what: &str| -> Result<String, String> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("grammar: {what} is not a string"))
    };
    let mut parts: Vec<(String, String)> = Vec::new();
    for pair in json["parts"].as_array().ok_or("grammar: no parts")? {
        let name = str_of(&pair[0], "part name")?;
        let part = expand(&str_of(&pair[1], "part")?, &parts);
        parts.push((name, part));
    }
    let mut formats = Vec::new();
    for (i, f) in json["formats"]
        .as_array()
        .ok_or("grammar: no formats")?
        .iter()
        .enumerate()
    {
        if FORMATS.get(i).copied() != f["name"].as_str() {
            return Err(format!("grammar: format {i} is not {:?}", FORMATS.get(i)));
        }
        formats.push(Format {
            regex: whole(&expand(&str_of(&f["pattern"], "pattern")?, &parts))?,
            calendar: f["calendar"].as_bool().unwrap_or(false),
        });
    }
    if formats.len() != FORMATS.len() {
        return Err("grammar: wrong number of formats".into());
    }
    let mut map_keys = Vec::new();
    let mut strong = 0;
    for entry in json["map_keys"].as_array().ok_or("grammar: no map_keys")? {
        let class = str_of(&entry["class"], "class")?;
        let index = MAP_KEY_CLASSES
            .iter()
            .position(|c| *c == class)
            .ok_or_else(|| format!("grammar: unknown key class {class}"))?;
        let check = match entry["format"].as_str() {
            Some(fmt) => KeyCheck::Format(
                FORMATS
                    .iter()
                    .position(|f| *f == fmt)
                    .ok_or_else(|| format!("grammar: unknown format {fmt}"))?,
            ),
            None => KeyCheck::Pattern(whole(&str_of(&entry["pattern"], "pattern")?)?),
        };
        if entry["strong"]
            .as_bool()
            .ok_or("grammar: map key without strong")?
        {
            strong |= 1 << index;
        }
        map_keys.push((index, check));
    }
    Ok(Grammar {
        formats,
        map_keys,
        strong,
    })
}

/// Whether `s[..10]` (`YYYY-MM-DD`, ASCII digits already checked by the pattern) names
/// a real day: month lengths and leap years; year 0 is not a year (as in Python's
/// `datetime`). The same function as `rules._valid_calendar_date`.
pub fn valid_calendar_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 10 {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut n = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(c - b'0');
        }
        Some(n)
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    if year < 1 || !(1..=12).contains(&month) || day < 1 {
        return false;
    }
    const DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    day <= DAYS[month as usize - 1] + u32::from(month == 2 && leap)
}

fn has_format(g: &Grammar, index: usize, s: &str) -> bool {
    let f = &g.formats[index];
    f.regex.is_match(s) && (!f.calendar || valid_calendar_date(s))
}

/// The subset of `mask` (a bit set over [`FORMATS`]) that `s` matches.
pub fn match_formats(s: &str, mask: u32) -> u32 {
    let g = grammar();
    let mut out = 0;
    for i in 0..FORMATS.len() {
        let bit = 1 << i;
        if mask & bit != 0 && has_format(g, i, s) {
            out |= bit;
        }
    }
    out
}

/// The strong key families (`rules.STRONG_KEY_FAMILIES`).
pub fn strong_key_families() -> u32 {
    grammar().strong
}

/// Whether an object key is data rather than a field's name (`redact.is_data_key`):
/// not shaped like an identifier (`[A-Za-z_$@][A-Za-z0-9_$.:-]{0,63}`), holding six
/// digits in a row, or of a strong key family (uuid, integer, date, date-time, code).
pub fn is_data_key(key: &str) -> bool {
    let b = key.as_bytes();
    let head_ok = matches!(b.first(), Some(c) if c.is_ascii_alphabetic() || b"_$@".contains(c));
    if !head_ok
        || b.len() > 64
        || !b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_$.:-".contains(c))
    {
        return true;
    }
    if b.windows(6).any(|w| w.iter().all(u8::is_ascii_digit)) {
        return true;
    }
    // Of the strong families, a key shaped like a field name can only be a code (three
    // letters) or a uuid (36 characters): dates and integers start with a digit or a
    // sign. The other lengths skip the grammar's checks (this runs per nested key).
    matches!(b.len(), 3 | 36) && key_families(key) & strong_key_families() != 0
}

/// (prefix, rest) of a key made of a short prefix and hex digits (`WH-0042`,
/// `s-0a3f9c`, `user123`), as `rules.split_id_key`: the prefix is 1 to 16 ASCII letters
/// up to and including the first separator (`- _ : .`), or without one the leading
/// letters; the rest 1 to 32 hex digits.
pub fn split_id_key(key: &str) -> Option<(&str, &str)> {
    let b = key.as_bytes();
    let mut n = 0;
    while n < b.len() && n <= 16 && b[n].is_ascii_alphabetic() {
        n += 1;
    }
    if n == 0 || n > 16 {
        return None;
    }
    let cut = if n < b.len() && b"-_:.".contains(&b[n]) {
        n + 1
    } else {
        n
    };
    let rest = &b[cut..];
    if rest.is_empty() || rest.len() > 32 || !rest.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    Some((&key[..cut], &key[cut..]))
}

/// The id prefix of a key ([`split_id_key`]).
pub fn key_prefix(key: &str) -> Option<&str> {
    split_id_key(key).map(|(p, _)| p)
}

/// The bit set of key families (over [`MAP_KEY_CLASSES`]) `key` belongs to
/// (`rules.key_families`).
pub fn key_families(key: &str) -> u32 {
    let g = grammar();
    let mut out = 0;
    for (class, check) in &g.map_keys {
        let ok = match check {
            KeyCheck::Pattern(re) => re.is_match(key),
            KeyCheck::Format(f) => has_format(g, *f, key),
        };
        if ok {
            out |= 1 << class;
        }
    }
    if let Some((_, rest)) = split_id_key(key) {
        out |= 1 << ID;
        if rest.bytes().all(|c| c.is_ascii_digit()) {
            out |= 1 << ID_DIGITS;
        }
    }
    out
}

/// The family names of a mask, sorted.
pub fn families_of(mask: u32) -> impl Iterator<Item = &'static str> {
    (0..MAP_KEY_CLASSES.len())
        .filter(move |i| mask >> i & 1 == 1)
        .map(|i| MAP_KEY_CLASSES[i])
}

/// Whether the families include `id` (a prefix then names the keys).
pub fn has_id_family(mask: u32) -> bool {
    mask >> ID & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formats_of(s: &str) -> Vec<&'static str> {
        let m = match_formats(s, ALL_FORMATS_MASK);
        (0..FORMATS.len())
            .filter(|i| m >> i & 1 == 1)
            .map(|i| FORMATS[i])
            .collect()
    }

    #[test]
    fn grammar_compiles() {
        assert!(compile(GRAMMAR).is_ok());
        assert_eq!(grammar().formats.len(), FORMATS.len());
    }

    #[test]
    fn formats_detected() {
        let good: &[(&str, &str)] = &[
            ("2024-02-29", "date"),
            ("2024-01-01T10:00:00Z", "date-time"),
            ("2024-12-31t00:00:00.5+02:00", "date-time"),
            ("a@b.co", "email"),
            ("first.last+tag@example.com", "email"),
            ("255.255.255.255", "ipv4"),
            ("::1", "ipv6"),
            ("1:2:3:4:5:6:7::", "ipv6"),
            ("::ffff:1.2.3.4", "ipv6"),
            ("23:59:60.1-05:00", "time"),
            ("https://x.org/a?b", "uri"),
            ("urn:isbn:0451450523", "uri"),
            ("5C9425FB-72f9-4f2c-9204-3b364db695e5", "uuid"),
            ("/orders/42?view=full", "uri-reference"),
            ("../a/b%20c", "uri-reference"),
            ("https://api.example.com/items/{id}{/part}", "uri-template"),
            ("/search{?q,page*}", "uri-template"),
            ("12345", "digits"),
            ("-12.5", "decimal-text"),
            ("false", "boolean-text"),
        ];
        for (s, f) in good {
            // The first format in bit order (the one emitted); absolute URIs are URI
            // references too.
            assert_eq!(formats_of(s).first(), Some(f), "{s}");
            assert!(
                formats_of(s).len() == 1 || ["uri", "digits"].contains(f),
                "{s}"
            );
        }
        let bad = [
            "2023-02-29",
            "0000-01-01",
            "2024-13-01",
            "2024-01-01 10:00:00",
            "10:00:00",
            "01.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "::00001",
            "a@b",
            "http://a b",
            "http://a\u{1}",
            "\u{661}\u{662}\u{663}\u{664}-01-01",
            "",
            "key:value",
            "https://x.org/}id{",
            "https://x.org/a b",
            "http://a/\u{e9}",
            "/",
            "//host/x",
            "a/b",
            "/a b",
            "{id}",
            "/x/{id",
            "/x/{}",
            "/x/{a b}",
            "https://x.org/%zz",
        ];
        for s in bad {
            assert!(formats_of(s).is_empty(), "{s:?}: {:?}", formats_of(s));
        }
        // An absolute URI is also a URI reference; `rules.py` emits the first (uri).
        assert_eq!(
            formats_of("https://x.org/a?b"),
            vec!["uri", "uri-reference"]
        );
    }

    #[test]
    fn calendar() {
        assert!(valid_calendar_date("2000-02-29"));
        assert!(!valid_calendar_date("1900-02-29"));
        assert!(valid_calendar_date("2024-04-30T"));
        assert!(!valid_calendar_date("2024-04-31"));
        assert!(!valid_calendar_date("2024-04"));
    }

    fn families(key: &str) -> Vec<&'static str> {
        families_of(key_families(key)).collect()
    }

    #[test]
    fn map_keys() {
        assert_eq!(families("USD"), ["code", "header"]);
        assert_eq!(families("-12"), ["integer"]);
        assert!(families("12345678901234567890").is_empty());
        assert_eq!(families("2024-01-01"), ["date"]);
        assert!(families("2023-02-29").is_empty());
        assert_eq!(families("2024-01-01T10:00:00Z"), ["date-time"]);
        assert_eq!(families("5c9425fb-72f9-4f2c-9204-3b364db695e5"), ["uuid"]);
        assert_eq!(families("WH-0042"), ["header", "id", "id-digits"]);
        assert_eq!(families("s-0a3f9c"), ["header", "id"]);
        assert_eq!(families("Content-Type"), ["header"]);
        assert_eq!(families("app.kubernetes.io/name"), ["dotted"]);
        assert!(families("usd").is_empty());
        assert!(families("dark_mode").is_empty());
        assert!(families("").is_empty());
        assert_eq!(split_id_key("user123"), Some(("user", "123")));
        assert_eq!(split_id_key("sensor-beef12"), Some(("sensor-", "beef12")));
        assert_eq!(split_id_key("abcdefghijklmnopq1"), None);
        assert_eq!(strong_key_families().count_ones(), 5);
    }

    #[test]
    fn data_keys_need_the_grammar_only_for_codes_and_uuids() {
        let keys = [
            "amount",
            "EUR",
            "eur",
            "2024-01-31",
            "2024-01-31T10:00:00Z",
            "-12",
            "42",
            "user_123456",
            "user_12345",
            "s-0a3f9c",
            "WH-0000042",
            "a b",
            "x.y:z-w",
            "0f1e2d3c-4b5a-4978-8877-665544332211",
            "af1e2d3c-4b5a-4978-8877-665544332211",
            "$ref",
            "@type",
            "",
            "ABCD",
        ];
        for k in keys {
            let full = is_data_key(k) || key_families(k) & strong_key_families() != 0;
            assert_eq!(is_data_key(k), full, "{k}");
        }
        assert!(is_data_key("af1e2d3c-4b5a-4978-8877-665544332211") && is_data_key("EUR"));
        assert!(!is_data_key("amount") && !is_data_key("user_12345"));
    }
}
