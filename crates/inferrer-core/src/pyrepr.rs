//! Python's text forms of values, byte for byte, without Python.
//!
//! The statistics hash the `repr` of numbers and order things by canonical JSON text,
//! so a shape folded here must produce the very strings CPython would: `repr(float)`,
//! `repr(int)`, `zlib.crc32` and `json.dumps(..., sort_keys=True, separators=(",", ":"),
//! ensure_ascii=False)`.

use crate::value::{Text, Value};
use std::fmt::Write as _;

/// Python's `repr(f)` of a finite float.
///
/// Both CPython and ryu produce the shortest digit string that reads back as the same
/// float; what differs is the layout. CPython writes scientific notation when the
/// decimal exponent is below -4 or at least 16 (`1e-05`, `1e+16`, two exponent digits
/// at least), and otherwise fixed notation, with `.0` on integral values.
pub fn float_repr(f: f64) -> String {
    with_float_repr(f, str::to_string)
}

/// `use_repr` applied to Python's `repr(f)`. Where CPython writes fixed notation
/// (1e-4 ≤ |f| < 1e16) ryu writes it too, with the same shortest digits and `.0` on an
/// integral value: its text is the repr, and nothing is allocated (a float is hashed
/// by its repr once per value folded).
pub fn with_float_repr<R>(f: f64, use_repr: impl FnOnce(&str) -> R) -> R {
    let magnitude = f.abs();
    if (1e-4..1e16).contains(&magnitude) {
        let mut buf = ryu::Buffer::new();
        let text = buf.format_finite(f);
        if !text.contains('e') {
            return use_repr(text);
        }
    }
    use_repr(&layout_repr(f))
}

/// [`float_repr`] laid out from ryu's digits, whatever layout ryu chose.
fn layout_repr(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    if !f.is_finite() {
        // Never produced by the parser; spelled as Python would anyway.
        return if f.is_nan() {
            "nan".into()
        } else if f > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(f);
    let (negative, digits, point) = shortest_digits(text);
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    // value = 0.DIGITS × 10^point, so the scientific exponent is point - 1.
    let exponent = point - 1;
    if (-4..16).contains(&exponent) {
        let n = digits.len() as i32;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point >= n {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (point - n) as usize));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.unsigned_abs()
        );
    }
    out
}

/// (negative, significant digits without leading/trailing zeros, decimal point position)
/// of ryu's text, whatever layout ryu chose for it.
fn shortest_digits(text: &str) -> (bool, String, i32) {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    let mut point = int_part.len() as i32 + exp;
    let all: String = int_part.chars().chain(frac_part.chars()).collect();
    let trimmed = all.trim_start_matches('0');
    point -= (all.len() - trimmed.len()) as i32;
    let digits = trimmed.trim_end_matches('0').to_string();
    (negative, digits, point)
}

/// Python's `repr(i)` of an integer held exactly.
pub fn int_repr(i: i128) -> String {
    i.to_string()
}

/// Which seed of `stats.py`'s `stable_hash` a value is hashed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tag {
    /// A float (`"f"`, seed 3). Declared first: tags order as their one-letter names.
    Float,
    /// An integer (`"i"`, seed 2).
    Int,
    /// A string (`"s"`, seed 1).
    Str,
}

impl Tag {
    /// The one-letter name stats.py stores.
    pub fn letter(self) -> &'static str {
        match self {
            Tag::Float => "f",
            Tag::Int => "i",
            Tag::Str => "s",
        }
    }

    pub fn from_letter(letter: &str) -> Option<Tag> {
        match letter {
            "f" => Some(Tag::Float),
            "i" => Some(Tag::Int),
            "s" => Some(Tag::Str),
            _ => None,
        }
    }

    fn seed(self) -> u32 {
        match self {
            Tag::Str => 1,
            Tag::Int => 2,
            Tag::Float => 3,
        }
    }
}

/// `zlib.crc32(text.encode(), seed)`: the run-independent hash of stats.py, where
/// `text` is the string itself for strings and the `repr` for numbers.
pub fn stable_hash(tag: Tag, text: &str) -> u32 {
    // crc32fast's initial state is a finished CRC, exactly zlib's running value.
    let mut h = crc32fast::Hasher::new_with_initial(tag.seed());
    h.update(text.as_bytes());
    h.finalize()
}

pub fn stable_hash_str(s: &str) -> u32 {
    stable_hash(Tag::Str, s)
}

pub fn stable_hash_int(i: i128) -> u32 {
    // Python's repr of an int is its decimal text, which itoa writes without allocating.
    stable_hash(Tag::Int, itoa::Buffer::new().format(i))
}

/// The hash of an integer given as decimal text (big integers).
pub fn stable_hash_int_text(text: &str) -> u32 {
    stable_hash(Tag::Int, text)
}

pub fn stable_hash_float(f: f64) -> u32 {
    with_float_repr(f, |text| stable_hash(Tag::Float, text))
}

/// Python's `json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

/// [`canonical_json`] appended to `out`.
pub fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(t) => out.push_str(t),
        Value::Float(f) => with_float_repr(*f, |text| out.push_str(text)),
        Value::Str(s) => write_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            // Python sorts str keys by code point; UTF-8 byte order is the same order.
            let mut sorted: Vec<&(Text, Value)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string as `json.dumps(..., ensure_ascii=False)` writes it: only the quote,
/// the backslash and control characters below 0x20 are escaped.
pub fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_reprs_match_python() {
        // (value, repr(value)) as CPython 3.11 prints them.
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (0.0000123, "1.23e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (9999999999999998.0, "9999999999999998.0"),
            (1.5e300, "1.5e+300"),
            (1e-300, "1e-300"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (2.5, "2.5"),
            (100.0, "100.0"),
            (123.456, "123.456"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.0f64.powi(53), "9007199254740992.0"),
            (0.30000000000000004, "0.30000000000000004"),
            (3.4028234663852886e38, "3.4028234663852886e+38"),
            (1e22, "1e+22"),
            (1e100, "1e+100"),
        ];
        for &(f, want) in cases {
            assert_eq!(float_repr(f), want, "{f:e}");
        }
    }

    #[test]
    fn ryu_text_is_the_repr_where_both_are_fixed() {
        // Every float the fast path takes, against the layout from ryu's digits: a walk
        // over the magnitudes, the edges of the range, and spread bit patterns.
        let mut values = vec![1e-4, 1e16, 9999999999999998.0, 1e15, 0.1, 100.0];
        let mut x = 1.000_000_1e-5_f64;
        while x < 1e17 {
            values.extend([x, -x, x.round(), (x * 100.0).round() / 100.0]);
            x *= 1.37;
        }
        let mut bits = 0x3f1a_36e2_eb1c_432d_u64; // 1e-4
        while f64::from_bits(bits) < 1e16 {
            values.push(f64::from_bits(bits));
            bits += 0x0000_3a5f_0c1d_2b77;
        }
        for f in values {
            assert_eq!(float_repr(f), layout_repr(f), "{f:e}");
        }
    }

    #[test]
    fn reprs_read_back() {
        let mut x = 1.234_567_890_123e-320_f64;
        while x < 1e300 {
            let r = float_repr(x);
            assert_eq!(r.parse::<f64>().unwrap(), x, "{r}");
            x *= 7.77;
        }
    }

    #[test]
    fn hashes_match_zlib() {
        // zlib.crc32(b"abc", 1), zlib.crc32(b"12", 2), zlib.crc32(b"1.5", 3), zlib.crc32(b"", 1)
        assert_eq!(stable_hash_str("abc"), 887_499_765);
        assert_eq!(stable_hash_int(12), 2_103_780_943);
        assert_eq!(stable_hash_float(1.5), 2_233_083_363);
        assert_eq!(stable_hash_str(""), 1);
        assert_eq!(stable_hash_int_text("12"), stable_hash_int(12));
        for i in [
            0,
            -1,
            7,
            -12_345,
            i128::from(i64::MIN),
            i128::from(u64::MAX),
            i128::MAX,
            i128::MIN,
        ] {
            assert_eq!(
                stable_hash_int(i),
                stable_hash(Tag::Int, &i.to_string()),
                "{i}"
            );
        }
    }

    #[test]
    fn canonical_json_matches_json_dumps() {
        let (v, _) = crate::value::parse(
            "{\"b\":[1,2.0,-0.0,1e16,null,true],\"a\":\"x\\\"\\\\\\n\\u0001\\u007f\u{e9}\",\"\u{e9}\":{},\"B\":18446744073709551616}"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            canonical_json(&v),
            "{\"B\":18446744073709551616,\"a\":\"x\\\"\\\\\\n\\u0001\u{7f}\u{e9}\",\"b\":[1,2.0,-0.0,1e+16,null,true],\"\u{e9}\":{}}"
        );
        let mut s = String::new();
        write_json_string("\u{8}\u{c}\t\r\u{1f}", &mut s);
        assert_eq!(s, "\"\\b\\f\\t\\r\\u001f\"");
    }
}
