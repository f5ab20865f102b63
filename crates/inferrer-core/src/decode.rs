//! The decoder: one record's raw bytes → what `inferrer.decoding.decode_parts` reports.
//!
//! The Python module is the reference; this is the same decision tree, step for step
//! (framing, BOM, JSON vs text vs binary, envelopes, discriminators, anomalies,
//! headers, keys), so that the compiled engine and the reference agree on every input.
//! Pure Rust, no Python types; nothing here panics.

use crate::value::{self, ParseError, Text, Value, MAX_DEPTH};

/// Payload fields that may name the event kind, in order of precedence.
pub const DISCRIMINATOR_FIELDS: [&str; 5] = ["@type", "eventType", "event_type", "type", "kind"];
/// Headers that may name the event kind (compared ignoring ASCII case), in order of
/// precedence, when the payload names none: Spring Kafka's type header, then the names
/// producers commonly give an event-type header.
pub const HEADER_KIND_NAMES: [&str; 8] = [
    "__typeid__",
    "event-type",
    "eventtype",
    "event_type",
    "message-type",
    "messagetype",
    "x-event-type",
    "type",
];
/// The kind field of a kind named by a header: this prefix and the header's name.
pub const HEADER_KIND_PREFIX: &str = "header:";
/// Longest discriminator value (in code points, as Python's `len`) taken as a kind.
pub const MAX_KIND_VALUE_LENGTH: usize = 100;
/// Debezium `op` codes.
const DEBEZIUM_OPS: [&str; 6] = ["c", "u", "d", "r", "t", "m"];
const BOM: &[u8] = b"\xef\xbb\xbf";
const SCAN_FOR_CONTROL: usize = 256;

/// One record, borrowed: where it was, when, and its raw key, value and headers.
#[derive(Clone, Copy, Debug)]
pub struct RecordRef<'a> {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<&'a [u8]>,
    /// None is a tombstone, distinct from an empty value.
    pub value: Option<&'a [u8]>,
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

/// What the decoder says about one record (the Python `Parts` tuple without the
/// record's own partition, offset and timestamp).
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub ok: bool,
    /// Why it is not `ok`, or the anomalies of an `ok` payload (comma-joined, sorted).
    pub reason: Option<String>,
    /// None stands for Python's None, like `Some(Value::Null)`.
    pub value: Option<Value>,
    pub key: Option<Value>,
    pub key_encoding: &'static str,
    /// An object, empty when the record has no headers.
    pub headers: Value,
    pub encoding: &'static str,
    pub content_type: Option<String>,
    pub envelope: &'static str,
    pub framing: &'static str,
    pub schema_id: Option<u32>,
    pub kind: Option<String>,
    pub kind_field: Option<String>,
    pub size: usize,
    /// CRC-32 (zlib's) of the raw value; 0 for a tombstone or an empty value.
    pub hash: u32,
    /// A JSON Schema from a Kafka Connect envelope's schema.
    pub hint: Option<Value>,
    /// The same for a Kafka Connect key.
    pub key_hint: Option<Value>,
}

/// Decode one record (`decoding.decode_parts`).
pub fn decode(r: &RecordRef) -> Decoded {
    let headers = decode_headers(r.headers);
    let (key_encoding, key, key_hint) = decode_key_parts(r.key);
    let content_type = header_content_type(&headers);
    let mut out = Decoded {
        ok: true,
        reason: None,
        value: None,
        key,
        key_encoding,
        headers,
        encoding: "json",
        content_type: None,
        envelope: "none",
        framing: "none",
        schema_id: None,
        kind: None,
        kind_field: None,
        size: 0,
        hash: 0,
        hint: None,
        key_hint,
    };
    let Some(raw) = r.value else {
        out.encoding = "null";
        return out;
    };
    out.size = raw.len();
    out.hash = crc32fast::hash(raw);
    let framed = match decode_framed(raw, true) {
        Ok(f) => f,
        Err(e) => {
            out.ok = false;
            out.reason = Some(e.reason().to_owned());
            out.content_type = content_type;
            return out;
        }
    };
    let mut value = framed.value;
    let mut envelope = "none";
    let mut kind: Option<String> = None;
    let mut kind_field: Option<String> = None;
    if let Some(Value::Str(ce_type)) = out.headers.get("ce_type") {
        if out.headers.get("ce_specversion").is_some() {
            envelope = "cloudevents-binary";
            kind = Some(ce_type.to_string());
            kind_field = Some("ce_type".into());
        }
    }
    if framed.encoding == "json" && matches!(value, Some(Value::Object(_))) {
        let mut v = value.take().unwrap_or(Value::Null);
        if envelope == "none" {
            if let Value::Object(members) = &v {
                if members.len() == 2
                    && v.get("payload").is_some()
                    && v.get("schema").is_some_and(is_connect_schema)
                {
                    let hint = v.get("schema").map(|s| connect_to_json_schema(s, 0));
                    out.hint = hint.filter(|h| !matches!(h, Value::Object(m) if m.is_empty()));
                    v = take_member(v, "payload");
                    envelope = "kafka-connect";
                }
            }
        }
        if (envelope == "none" || envelope == "kafka-connect") && is_debezium(&v) {
            envelope = "debezium";
            kind = v.get("op").and_then(Value::as_str).map(str::to_owned);
            kind_field = Some("op".into());
        } else if envelope == "none" && is_structured_cloudevent(&v, content_type.as_deref()) {
            envelope = "cloudevents-structured";
            kind_field = Some("type".into());
            kind = v.get("type").and_then(Value::as_str).map(str::to_owned);
            v = take_member(v, "data");
        }
        if kind.is_none() {
            let (k, f) = kind_from_payload(&v);
            kind = k.map(str::to_owned);
            kind_field = f.map(str::to_owned);
        }
        value = Some(v);
    }
    if kind.is_none() {
        if let Some((name, k)) = kind_from_headers(&out.headers) {
            kind = Some(k);
            kind_field = Some(format!("{HEADER_KIND_PREFIX}{name}"));
        }
    }
    out.content_type = Some(match content_type {
        Some(ct) => ct,
        None if envelope == "cloudevents-structured" => "application/cloudevents+json".to_owned(),
        None => content_type_of(framed.encoding, framed.framing).to_owned(),
    });
    out.reason = framed.anomalies.map(str::to_owned);
    out.value = value;
    out.encoding = framed.encoding;
    out.envelope = envelope;
    out.framing = framed.framing;
    out.schema_id = framed.schema_id;
    out.kind = kind;
    out.kind_field = kind_field;
    out
}

/// Python's truth value of a decoded JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::BigInt(_) => true,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// `headers.get("content-type") or headers.get("content_type")`, when a string.
fn header_content_type(headers: &Value) -> Option<String> {
    let first = headers.get("content-type");
    let chosen = match first {
        Some(v) if truthy(v) => Some(v),
        _ => headers.get("content_type"),
    };
    chosen.and_then(Value::as_str).map(str::to_owned)
}

/// The member `name` of an object, moved out (Null when absent, as `dict.get`).
fn take_member(v: Value, name: &str) -> Value {
    match v {
        Value::Object(members) => members
            .into_iter()
            .find(|(k, _)| &**k == name)
            .map_or(Value::Null, |(_, v)| v),
        _ => Value::Null,
    }
}

struct Framed {
    encoding: &'static str,
    value: Option<Value>,
    anomalies: Option<&'static str>,
    framing: &'static str,
    schema_id: Option<u32>,
}

/// A BOM dropped, then JSON whitespace on both ends.
fn strip(data: &[u8]) -> &[u8] {
    let data = data.strip_prefix(BOM).unwrap_or(data);
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = data.iter().position(|b| !ws(b)).unwrap_or(data.len());
    let end = data.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    &data[start..end.max(start)]
}

fn json_start(b: u8) -> bool {
    matches!(
        b,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

fn parse(body: &[u8], check: bool) -> Result<(Value, Option<&'static str>), ParseError> {
    let (v, facts) = value::parse(body)?;
    Ok((v, if check { facts.anomalies() } else { None }))
}

/// Unframed bytes: (encoding, value, anomalies). Err only for a container that is
/// not usable JSON.
type Unframed = (&'static str, Option<Value>, Option<&'static str>);

fn decode_bytes(data: &[u8], check: bool) -> Result<Unframed, ParseError> {
    let body = strip(data);
    if let Some(&first) = body.first() {
        if first == b'{' || first == b'[' {
            let (v, a) = parse(body, check)?;
            return Ok(("json", Some(v), a));
        }
        if json_start(first) {
            if let Ok((v, a)) = parse(body, check) {
                return Ok(("json", Some(v), a));
            }
        }
    }
    let unbommed = data.strip_prefix(BOM).unwrap_or(data);
    let Ok(text) = std::str::from_utf8(unbommed) else {
        return Ok(("binary", None, None));
    };
    // Python: `not text.isprintable() and _CONTROL.search(text, 0, 256)`; a control
    // character is never printable, so the search alone decides.
    let control = text
        .chars()
        .take(SCAN_FOR_CONTROL)
        .any(|c| matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f'));
    if control {
        return Ok(("binary", None, None));
    }
    Ok(("text", Some(Value::Str(text.into())), None))
}

/// Confluent Protobuf framing: message-index count 0, then a field tag of a known wire type.
fn looks_like_protobuf(rest: &[u8]) -> bool {
    if rest.len() < 2 || rest[0] != 0 {
        return false;
    }
    let tag = rest[1];
    tag >> 3 >= 1 && matches!(tag & 7, 0 | 1 | 2 | 5)
}

fn decode_framed(data: &[u8], check: bool) -> Result<Framed, ParseError> {
    if data.len() >= 5 && data[0] == 0 {
        let schema_id = u32::from_be_bytes([data[1], data[2], data[3], data[4]]);
        let rest = &data[5..];
        let body = strip(rest);
        if body.first().is_some_and(|&b| json_start(b)) {
            if let Ok((v, a)) = parse(body, check) {
                return Ok(Framed {
                    encoding: "json",
                    value: Some(v),
                    anomalies: a,
                    framing: "confluent",
                    schema_id: Some(schema_id),
                });
            }
        }
        let encoding = if looks_like_protobuf(rest) {
            "protobuf"
        } else {
            "avro"
        };
        return Ok(Framed {
            encoding,
            value: None,
            anomalies: None,
            framing: "confluent",
            schema_id: Some(schema_id),
        });
    }
    let (encoding, value, anomalies) = decode_bytes(data, check)?;
    Ok(Framed {
        encoding,
        value,
        anomalies,
        framing: "none",
        schema_id: None,
    })
}

/// UTF-8 without control bytes (tab, newline and carriage return allowed), as
/// `decoding._is_text`.
fn is_text(data: &[u8]) -> bool {
    !data
        .iter()
        .any(|&b| matches!(b, 0x00..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f | 0x7f))
        && std::str::from_utf8(data).is_ok()
}

/// A record key (`decoding.decode_key`): 4 or 8 bytes that are not text are a Kafka
/// Integer / Long serializer's big-endian integer (unless Confluent-framed JSON); a
/// Kafka Connect `{schema, payload}` key is unwrapped; a bare JSON number, boolean or
/// null stays text; other framing is dropped.
pub fn decode_key(key: Option<&[u8]>) -> (&'static str, Option<Value>) {
    let (encoding, value, _) = decode_key_parts(key);
    (encoding, value)
}

/// [`decode_key`] and the schema a Kafka Connect key declares
/// (`decoding.decode_key_parts`).
pub fn decode_key_parts(key: Option<&[u8]>) -> (&'static str, Option<Value>, Option<Value>) {
    let Some(key) = key else {
        return ("null", None, None);
    };
    let framed = decode_framed(key, false).ok();
    let framed_json = framed
        .as_ref()
        .is_some_and(|f| f.framing == "confluent" && f.encoding == "json");
    if !framed_json && !is_text(key) {
        if let Ok(b) = <[u8; 4]>::try_from(key) {
            return (
                "int32",
                Some(Value::Int(i128::from(i32::from_be_bytes(b)))),
                None,
            );
        }
        if let Ok(b) = <[u8; 8]>::try_from(key) {
            return (
                "int64",
                Some(Value::Int(i128::from(i64::from_be_bytes(b)))),
                None,
            );
        }
    }
    match framed {
        Some(f) if f.encoding == "json" && f.framing == "none" => match f.value {
            Some(v @ Value::Object(_))
                if v.as_object().is_some_and(|m| m.len() == 2)
                    && v.get("payload").is_some()
                    && v.get("schema").is_some_and(is_connect_schema) =>
            {
                let hint = v
                    .get("schema")
                    .map(|s| connect_to_json_schema(s, 0))
                    .filter(|h| !matches!(h, Value::Object(m) if m.is_empty()));
                ("json", Some(take_member(v, "payload")), hint)
            }
            Some(
                Value::Null | Value::Bool(_) | Value::Int(_) | Value::BigInt(_) | Value::Float(_),
            )
            | None => match std::str::from_utf8(key) {
                Ok(text) => ("text", Some(Value::Str(text.into())), None),
                Err(_) => ("binary", None, None),
            },
            v => ("json", v, None),
        },
        Some(f) => (f.encoding, f.value, None),
        // A broken container: the key's text as it is (BOM kept), else binary.
        None => match std::str::from_utf8(key) {
            Ok(text) => ("text", Some(Value::Str(text.into())), None),
            Err(_) => ("binary", None, None),
        },
    }
}

/// Python's `str.isspace` for one character (Unicode White_Space plus the
/// separators U+001C..U+001F, which Python counts and Rust's `is_whitespace` does not).
pub(crate) fn py_isspace(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\x1c'..='\x1f')
}

/// Header values as UTF-8 text, JSON when they hold an object or array, else null; a
/// repeated header keeps its first value (`decoding.decode_headers`).
pub fn decode_headers(headers: &[(String, Option<Vec<u8>>)]) -> Value {
    let mut out: Vec<(Text, Value)> = Vec::new();
    for (name, raw) in headers {
        if out.iter().any(|(k, _)| **k == **name) {
            continue;
        }
        let v = match raw.as_deref().map(std::str::from_utf8) {
            None | Some(Err(_)) => Value::Null,
            Some(Ok(text)) => {
                let stripped = text.trim_matches(py_isspace);
                let container = stripped.starts_with('{') || stripped.starts_with('[');
                match container.then(|| value::parse(stripped.as_bytes())) {
                    Some(Ok((v, _))) => v,
                    _ => Value::Str(text.into()),
                }
            }
        };
        out.push((name.as_str().into(), v));
    }
    Value::Object(out)
}

fn is_kind_value(v: &Value) -> Option<&str> {
    let s = v.as_str()?;
    // Bytes bound code points from above: count only when it may matter.
    let ok = !s.is_empty()
        && (s.len() <= MAX_KIND_VALUE_LENGTH || s.chars().count() <= MAX_KIND_VALUE_LENGTH);
    ok.then_some(s)
}

fn kind_from_payload(v: &Value) -> (Option<&str>, Option<&'static str>) {
    if let Value::Object(_) = v {
        for name in DISCRIMINATOR_FIELDS {
            if let Some(k) = v.get(name).and_then(is_kind_value) {
                return (Some(k), Some(name));
            }
        }
    }
    (None, None)
}

/// (header name, kind) of the first header [`HEADER_KIND_NAMES`] lists with a kind value.
fn kind_from_headers(headers: &Value) -> Option<(String, String)> {
    let members = headers.as_object()?;
    for wanted in HEADER_KIND_NAMES {
        for (name, v) in members {
            if name.is_ascii() && name.eq_ignore_ascii_case(wanted) {
                if let Some(k) = is_kind_value(v) {
                    return Some((name.to_string(), k.to_string()));
                }
            }
        }
    }
    None
}

fn is_debezium(v: &Value) -> bool {
    matches!(v, Value::Object(_))
        && v.get("op")
            .and_then(Value::as_str)
            .is_some_and(|op| DEBEZIUM_OPS.contains(&op))
        && v.get("before").is_some()
        && v.get("after").is_some()
}

fn is_structured_cloudevent(v: &Value, content_type: Option<&str>) -> bool {
    if !matches!(v, Value::Object(_)) {
        return false;
    }
    if content_type.is_some_and(|ct| ct.starts_with("application/cloudevents+json")) {
        return true;
    }
    v.get("specversion").and_then(Value::as_str).is_some()
        && v.get("type").and_then(Value::as_str).is_some()
        && v.get("source").is_some()
        && v.get("id").is_some()
}

fn is_connect_schema(schema: &Value) -> bool {
    matches!(schema, Value::Object(_))
        && schema.get("type").and_then(Value::as_str).is_some()
        && (schema.get("fields").is_some() || schema.get("optional").is_some())
}

fn connect_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "int8" | "int16" | "int32" | "int64" => "integer",
        "float" | "float32" | "float64" | "double" => "number",
        "boolean" => "boolean",
        "string" | "bytes" => "string",
        _ => return None,
    })
}

fn obj(members: Vec<(&str, Value)>) -> Value {
    Value::Object(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// Connect logical types: (schema name, the JSON type the JsonConverter writes, the
/// `x-logical-type` note), as `decoding._CONNECT_LOGICAL`.
const CONNECT_LOGICAL: [(&str, &str, &str); 4] = [
    (
        "org.apache.kafka.connect.data.Timestamp",
        "integer",
        "timestamp-millis",
    ),
    ("org.apache.kafka.connect.data.Date", "integer", "date"),
    (
        "org.apache.kafka.connect.data.Time",
        "integer",
        "time-millis",
    ),
    ("org.apache.kafka.connect.data.Decimal", "string", "decimal"),
];
const MAX_SCALE: i128 = 9999;

/// A Decimal's `parameters.scale`: 1 to 4 ASCII digits as text, or an integer 0 to
/// 9999 (`decoding._decimal_scale`).
fn decimal_scale(schema: &Value) -> Option<i128> {
    match schema.get("parameters")?.get("scale")? {
        Value::Int(i) if (0..=MAX_SCALE).contains(i) => Some(*i),
        Value::Str(t) if (1..=4).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) => {
            t.parse().ok()
        }
        _ => None,
    }
}

/// A Kafka Connect schema as a JSON Schema hint (`decoding.connect_to_json_schema`):
/// `optional` means nullable only (required is left to the payloads); a nullable schema
/// with keywords beside `type` is an `anyOf` with a bare null branch; logical types add
/// `x-logical-type` notes.
pub fn connect_to_json_schema(schema: &Value, depth: usize) -> Value {
    let kind = schema.get("type").and_then(Value::as_str);
    let mut out: Vec<(Text, Value)> = match kind {
        Some("struct") if depth < MAX_DEPTH => {
            let mut props: Vec<(Text, Value)> = Vec::new();
            if let Some(Value::Array(fields)) = schema.get("fields") {
                for f in fields {
                    let Some(name) = f.get("field").and_then(Value::as_str) else {
                        continue;
                    };
                    let sub = connect_to_json_schema(f, depth + 1);
                    // A repeated field name keeps its first position, its last schema.
                    match props.iter_mut().find(|(k, _)| **k == *name) {
                        Some(slot) => slot.1 = sub,
                        None => props.push((name.into(), sub)),
                    }
                }
            }
            vec![
                ("type".into(), Value::Str("object".into())),
                ("properties".into(), Value::Object(props)),
            ]
        }
        Some("array")
            if depth < MAX_DEPTH && matches!(schema.get("items"), Some(Value::Object(_))) =>
        {
            let items = schema
                .get("items")
                .map_or(Value::Null, |i| connect_to_json_schema(i, depth + 1));
            vec![
                ("type".into(), Value::Str("array".into())),
                ("items".into(), items),
            ]
        }
        Some("map" | "struct") => vec![("type".into(), Value::Str("object".into()))],
        Some(k) => match connect_type(k) {
            Some(t) => vec![("type".into(), Value::Str(t.into()))],
            None => return Value::Object(Vec::new()),
        },
        None => return Value::Object(Vec::new()),
    };
    let json_type = out[0].1.as_str().unwrap_or_default().to_owned();
    let name = schema.get("name").and_then(Value::as_str);
    if let Some((_, _, note)) = CONNECT_LOGICAL
        .iter()
        .find(|(n, t, _)| Some(*n) == name && *t == json_type)
    {
        out.push(("x-logical-type".into(), Value::Str((*note).into())));
        if *note == "decimal" {
            out.push(("contentEncoding".into(), Value::Str("base64".into())));
            if let Some(scale) = decimal_scale(schema) {
                out.push(("x-decimal-scale".into(), Value::Int(scale)));
            }
        }
    }
    if schema.get("optional").is_some_and(truthy) {
        if out.len() == 1 {
            let mut both = [json_type.as_str(), "null"];
            both.sort_unstable();
            out[0].1 = Value::Array(both.iter().map(|s| Value::Str((*s).into())).collect());
        } else {
            let null = obj(vec![("type", Value::Str("null".into()))]);
            return obj(vec![(
                "anyOf",
                Value::Array(vec![Value::Object(out), null]),
            )]);
        }
    }
    Value::Object(out)
}

fn content_type_of(encoding: &str, framing: &str) -> &'static str {
    if framing == "confluent" {
        return match encoding {
            "avro" => "application/vnd.confluent.avro",
            "protobuf" => "application/vnd.confluent.protobuf",
            _ => "application/json",
        };
    }
    match encoding {
        "json" => "application/json",
        "text" => "text/plain",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec<'a>(value: Option<&'a [u8]>, headers: &'a [(String, Option<Vec<u8>>)]) -> RecordRef<'a> {
        RecordRef {
            partition: 0,
            offset: 1,
            timestamp: None,
            key: None,
            value,
            headers,
        }
    }

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn tombstone_and_plain_json() {
        let d = decode(&rec(None, &[]));
        assert_eq!(
            (d.ok, d.encoding, d.content_type, d.size, d.hash),
            (true, "null", None, 0, 0)
        );
        let raw = br#"{"type":"A","n":1}"#;
        let d = decode(&rec(Some(raw), &[]));
        assert_eq!(d.kind.as_deref(), Some("A"));
        assert_eq!(d.kind_field.as_deref(), Some("type"));
        assert_eq!(d.hash, crc32fast::hash(raw));
        assert_eq!(d.content_type.as_deref(), Some("application/json"));
    }

    #[test]
    fn text_binary_and_undecodable() {
        assert_eq!(decode(&rec(Some(b"hello"), &[])).encoding, "text");
        assert_eq!(decode(&rec(Some(b"a\x01"), &[])).encoding, "binary");
        assert_eq!(decode(&rec(Some(b"\xff"), &[])).encoding, "binary");
        let d = decode(&rec(Some(b"{\"a\":NaN}"), &[]));
        assert_eq!(
            (d.ok, d.reason.as_deref()),
            (false, Some("nan-or-infinity"))
        );
        let d = decode(&rec(Some(b"\xef\xbb\xbf 12 "), &[]));
        assert_eq!(d.value, Some(Value::Int(12)));
    }

    #[test]
    fn framing() {
        let d = decode(&rec(Some(b"\x00\x00\x00\x00\x07{\"a\":1}"), &[]));
        assert_eq!(
            (d.framing, d.schema_id, d.encoding),
            ("confluent", Some(7), "json")
        );
        let d = decode(&rec(Some(b"\x00\x00\x00\x00\x07\x00\x08\x01"), &[]));
        assert_eq!(d.encoding, "protobuf");
        let d = decode(&rec(Some(b"\x00\x00\x00\x01\x00\x02"), &[]));
        assert_eq!(
            (d.encoding, d.content_type.as_deref()),
            ("avro", Some("application/vnd.confluent.avro"))
        );
    }

    #[test]
    fn envelopes() {
        let connect = br#"{"schema":{"type":"struct","fields":[{"field":"a","type":"int32"},{"field":"b","type":"string","optional":true}]},"payload":{"a":1,"op":"x"}}"#;
        let d = decode(&rec(Some(connect), &[]));
        assert_eq!(d.envelope, "kafka-connect");
        let hint = d.hint.unwrap();
        // Required comes from the payloads, not from `optional`.
        assert_eq!(hint.get("required"), None);
        let b = hint.get("properties").and_then(|p| p.get("b")).unwrap();
        assert_eq!(
            b.get("type"),
            Some(&Value::Array(vec![s("null"), s("string")]))
        );
        let logical = br#"{"schema":{"type":"struct","fields":[{"field":"t","type":"int64","name":"org.apache.kafka.connect.data.Timestamp","optional":true},{"field":"d","type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}]},"payload":{"t":1,"d":"AQ=="}}"#;
        let hint = decode(&rec(Some(logical), &[])).hint.unwrap();
        assert_eq!(
            crate::pyrepr::canonical_json(&hint),
            r#"{"properties":{"d":{"contentEncoding":"base64","type":"string","x-decimal-scale":2,"x-logical-type":"decimal"},"t":{"anyOf":[{"type":"integer","x-logical-type":"timestamp-millis"},{"type":"null"}]}},"type":"object"}"#
        );
        let dbz = br#"{"op":"c","before":null,"after":{"id":1}}"#;
        let d = decode(&rec(Some(dbz), &[]));
        assert_eq!((d.envelope, d.kind.as_deref()), ("debezium", Some("c")));
        let ce = br#"{"specversion":"1.0","type":"t.x","source":"s","id":"1","data":{"a":1}}"#;
        let d = decode(&rec(Some(ce), &[]));
        assert_eq!(
            (d.envelope, d.kind.as_deref()),
            ("cloudevents-structured", Some("t.x"))
        );
        assert_eq!(
            d.content_type.as_deref(),
            Some("application/cloudevents+json")
        );
        let headers = vec![
            ("ce_type".to_owned(), Some(b"t.y".to_vec())),
            ("ce_specversion".to_owned(), None),
            ("ce_type".to_owned(), Some(b"ignored".to_vec())),
        ];
        let d = decode(&rec(Some(b"{\"type\":\"z\"}"), &headers));
        assert_eq!(
            (d.envelope, d.kind.as_deref()),
            ("cloudevents-binary", Some("t.y"))
        );
        assert_eq!(d.headers.get("ce_type"), Some(&s("t.y")));
    }

    #[test]
    fn keys_and_headers() {
        assert_eq!(decode_key(Some(b"{bad")), ("text", Some(s("{bad"))));
        assert_eq!(decode_key(Some(b"\xff")), ("binary", None));
        assert_eq!(decode_key(Some(b"42")), ("text", Some(s("42"))));
        assert_eq!(decode_key(Some(b"\"42\"")), ("json", Some(s("42"))));
        assert_eq!(
            decode_key(Some(b"\x00\x00\x00\x2a")),
            ("int32", Some(Value::Int(42)))
        );
        assert_eq!(
            decode_key(Some(b"\xff\xff\xff\xff\xff\xff\xff\xfe")),
            ("int64", Some(Value::Int(-2)))
        );
        assert_eq!(decode_key(Some(b"1234")), ("text", Some(s("1234"))));
        assert_eq!(decode_key(Some(b"\x00\x00\x00\x00\x01")).0, "avro");
        assert_eq!(
            decode_key(Some(
                br#"{"schema":{"type":"string","optional":false},"payload":"B7"}"#
            )),
            ("json", Some(s("B7")))
        );
        let h = decode_headers(&[
            ("j".into(), Some(b"\x1c [1] ".to_vec())),
            ("b".into(), Some(vec![0xff])),
        ]);
        assert_eq!(h.get("j"), Some(&Value::Array(vec![Value::Int(1)])));
        assert_eq!(h.get("b"), Some(&Value::Null));
    }

    #[test]
    fn a_header_names_the_kind_when_the_payload_does_not() {
        let headers = vec![
            ("TYPE".to_string(), Some(b"Low".to_vec())),
            ("Event-Type".to_string(), Some(b"OrderPlaced".to_vec())),
        ];
        let d = decode(&rec(Some(br#"{"a": 1}"#), &headers));
        assert_eq!(d.kind.as_deref(), Some("OrderPlaced"));
        assert_eq!(d.kind_field.as_deref(), Some("header:Event-Type"));
        let d = decode(&rec(Some(br#"{"type": "P"}"#), &headers));
        assert_eq!(d.kind_field.as_deref(), Some("type"));
    }

    #[test]
    fn kind_length_counts_code_points() {
        let long = "é".repeat(100);
        let raw = format!("{{\"type\":\"{long}\"}}");
        assert_eq!(
            decode(&rec(Some(raw.as_bytes()), &[])).kind.as_deref(),
            Some(long.as_str())
        );
        let raw = format!("{{\"type\":\"{long}e\"}}");
        assert_eq!(decode(&rec(Some(raw.as_bytes()), &[])).kind, None);
    }
}
