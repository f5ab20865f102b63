//! Avro binary datums (the body of a Confluent-framed message) decoded with their
//! writer schema, written as the JSON text the reference writes.
//!
//! The reference is the Python path (`inferrer.registry.schemas.avro_decoder`:
//! fastavro's `schemaless_reader`, then `to_json_bytes`: orjson with `OPT_UTC_Z`); this
//! module gives the same bytes for the same body, and the same failure for a body the
//! reference cannot read (the Python exception's class name, which is what the reason
//! names), so that examples (chosen by the hash of the framed JSON) and failure counts
//! agree. What it follows of fastavro, where fastavro differs from the Avro spec:
//! * `int` is read as a `long` (no 32-bit range check); a varint longer than 10 bytes
//!   keeps shifting, the shift count wrapping at 64 as x86 does;
//! * union and enum indexes count from the end when negative (Python list indexing);
//! * a boolean is true for any nonzero byte;
//! * logical types are looked up by (type, logicalType): timestamp-millis/micros (UTC,
//!   `Z`), local-timestamp-millis/micros (no zone), date, time-millis/micros, decimal
//!   (bytes or fixed: precision rounding half-even, then Python's `str(Decimal)`), uuid
//!   (string: Python's `uuid.UUID(text)` rules); any other pair is the plain type;
//! * a record or map that repeats a name keeps the first position and the last value
//!   (a Python dict);
//! * the JSON is orjson's: floats in its notation (NaN and infinities as null),
//!   strings escaping only `"`, `\` and control characters, bytes as base64, datetimes
//!   as ISO 8601 (`Z` for UTC, microseconds only when nonzero), and dates and times as
//!   Python's `isoformat` (the reference writes those itself: see `_json_default`).
//!
//! Where the reference has no bound this module sets one, so that a hostile body costs
//! little: nesting deeper than [`MAX_NESTING`] containers (orjson's own limit; the
//! reference stops there too), more than [`MAX_EMPTY_ITEMS`] items of a type that
//! takes no bytes (a 10-byte body may claim 2^62 nulls; fastavro would try to build
//! them), decimals of more than [`MAX_DECIMAL_BYTES`] bytes. A length is checked
//! against the bytes left before anything is allocated. Pure Rust, no panics.

use base64::Engine as _;
use rustc_hash::FxHashMap;
use serde_json::Value as J;

/// Containers (records, maps, arrays) one datum may nest: orjson writes 254 levels.
pub const MAX_NESTING: usize = 254;
/// Items of zero-width types (null, empty records, `fixed` of size 0) one datum may hold.
pub const MAX_EMPTY_ITEMS: u64 = 1 << 20;
/// Longest decimal (bytes or fixed) read; longer ones are counted as too large.
pub const MAX_DECIMAL_BYTES: usize = 4096;
/// Named types one schema (with its references) may define.
const MAX_NODES: usize = 100_000;
/// `date(1970, 1, 1).toordinal()`.
const DAYS_SHIFT: i64 = 719_163;
/// Microseconds from 0001-01-01T00:00:00 to the epoch, and to the end of 9999.
const MIN_MICROS: i128 = -62_135_596_800_000_000;
const MAX_MICROS: i128 = 253_402_300_799_999_999;

/// Why a body could not be read: the reference's exception class, or a bound of ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Eof,
    Index,
    Unicode,
    Overflow,
    Value,
    Key,
    TooDeep,
    TooManyEmpty,
    DecimalTooLong,
    Trailing,
}

impl Failure {
    /// The reason text, as `inferrer.registry.schemas` words it.
    pub fn reason(self) -> String {
        let class = match self {
            Failure::Eof => "EOFError",
            Failure::Index => "IndexError",
            Failure::Unicode => "UnicodeDecodeError",
            Failure::Overflow => "OverflowError",
            Failure::Value => "ValueError",
            Failure::Key => "KeyError",
            Failure::TooDeep => {
                return format!("the Avro datum nests deeper than {MAX_NESTING} levels")
            }
            Failure::TooManyEmpty => {
                return format!("the Avro datum claims more than {MAX_EMPTY_ITEMS} empty items")
            }
            Failure::DecimalTooLong => {
                return format!("an Avro decimal of more than {MAX_DECIMAL_BYTES} bytes")
            }
            Failure::Trailing => return "bytes left after the Avro datum".to_owned(),
        };
        format!("not Avro of its writer schema ({class})")
    }
}

#[derive(Clone, Debug)]
enum Node {
    Null,
    Boolean,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Fixed(usize),
    Enum(Vec<String>),
    Array(usize),
    Map(usize),
    Union(Vec<usize>),
    /// Fields as (JSON-escaped name, node); `unique` when no name repeats.
    Record {
        fields: Vec<(String, usize)>,
        unique: bool,
    },
    /// Microseconds per unit (1000 for millis), and whether the zone is UTC.
    Timestamp {
        scale: i128,
        utc: bool,
    },
    Date,
    /// Microseconds per unit (1000 for millis).
    Time(i64),
    /// precision (None: the schema has none, and every read fails as fastavro's
    /// `writer_schema["precision"]` does), scale, fixed size (None: bytes).
    Decimal {
        precision: Option<u64>,
        scale: u64,
        size: Option<usize>,
    },
    Uuid,
    /// A named type being compiled (replaced when done).
    Pending,
}

/// A writer schema, compiled.
#[derive(Clone, Debug)]
pub struct Schema {
    nodes: Vec<Node>,
    root: usize,
    /// Minimum bytes a datum of each node takes (0: a zero-width type).
    width: Vec<u8>,
}

struct Compiler {
    nodes: Vec<Node>,
    named: FxHashMap<String, usize>,
}

fn full_name(name: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) if !name.contains('.') && !ns.is_empty() => format!("{ns}.{name}"),
        _ => name.to_owned(),
    }
}

fn int_attr(obj: &serde_json::Map<String, J>, key: &str) -> Result<Option<u64>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(J::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{key} is not a non-negative integer")),
        Some(_) => Err(format!("{key} is not an integer")),
    }
}

impl Compiler {
    fn push(&mut self, node: Node) -> Result<usize, String> {
        if self.nodes.len() >= MAX_NODES {
            return Err("the schema has too many types".into());
        }
        self.nodes.push(node);
        Ok(self.nodes.len() - 1)
    }

    fn primitive(name: &str) -> Option<Node> {
        Some(match name {
            "null" => Node::Null,
            "boolean" => Node::Boolean,
            "int" | "long" => Node::Long,
            "float" => Node::Float,
            "double" => Node::Double,
            "bytes" => Node::Bytes,
            "string" => Node::String,
            _ => return None,
        })
    }

    fn reference(&mut self, name: &str, ns: Option<&str>) -> Result<usize, String> {
        if let Some(node) = Self::primitive(name) {
            return self.push(node);
        }
        let qualified = full_name(name, ns);
        self.named
            .get(&qualified)
            .or_else(|| self.named.get(name))
            .copied()
            .ok_or_else(|| format!("unknown type {name}"))
    }

    fn compile(&mut self, schema: &J, ns: Option<&str>, depth: usize) -> Result<usize, String> {
        if depth > 2 * MAX_NESTING {
            return Err("the schema nests too deep".into());
        }
        match schema {
            J::String(name) => self.reference(name, ns),
            J::Array(branches) => {
                let mut out = Vec::with_capacity(branches.len());
                for b in branches {
                    out.push(self.compile(b, ns, depth + 1)?);
                }
                self.push(Node::Union(out))
            }
            J::Object(obj) => self.compile_object(obj, ns, depth),
            _ => Err("a schema that is not a name, a union or an object".into()),
        }
    }

    fn define(
        &mut self,
        obj: &serde_json::Map<String, J>,
        ns: Option<&str>,
    ) -> Result<(usize, Option<String>), String> {
        let Some(J::String(name)) = obj.get("name") else {
            return Err("a named type without a name".into());
        };
        let own_ns = match obj.get("namespace") {
            Some(J::String(s)) => Some(s.as_str()),
            Some(J::Null) | None => ns,
            Some(_) => return Err("a namespace that is not text".into()),
        };
        let full = full_name(name, own_ns);
        let inner_ns = full.rsplit_once('.').map(|(n, _)| n.to_owned());
        let index = self.push(Node::Pending)?;
        self.named.insert(full, index);
        Ok((index, inner_ns))
    }

    fn compile_object(
        &mut self,
        obj: &serde_json::Map<String, J>,
        ns: Option<&str>,
        depth: usize,
    ) -> Result<usize, String> {
        let kind = match obj.get("type") {
            Some(J::String(k)) => k.as_str(),
            Some(inner @ (J::Object(_) | J::Array(_))) if obj.len() == 1 => {
                return self.compile(inner, ns, depth + 1)
            }
            _ => return Err("a schema object without a type name".into()),
        };
        let logical = match obj.get("logicalType") {
            Some(J::String(l)) => Some(l.as_str()),
            _ => None,
        };
        match kind {
            "record" | "error" => {
                let (index, inner_ns) = self.define(obj, ns)?;
                let Some(J::Array(fields)) = obj.get("fields") else {
                    return Err("a record without fields".into());
                };
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    let (Some(J::String(name)), Some(t)) = (f.get("name"), f.get("type")) else {
                        return Err("a field without a name or type".into());
                    };
                    let node = self.compile(t, inner_ns.as_deref(), depth + 1)?;
                    out.push((json_string(name), node));
                }
                let mut names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                let unique = names.len() == out.len();
                self.nodes[index] = Node::Record {
                    fields: out,
                    unique,
                };
                Ok(index)
            }
            "enum" => {
                let (index, _) = self.define(obj, ns)?;
                let Some(J::Array(symbols)) = obj.get("symbols") else {
                    return Err("an enum without symbols".into());
                };
                let mut out = Vec::with_capacity(symbols.len());
                for s in symbols {
                    let J::String(s) = s else {
                        return Err("an enum symbol that is not text".into());
                    };
                    out.push(json_string(s));
                }
                self.nodes[index] = Node::Enum(out);
                Ok(index)
            }
            "fixed" => {
                let (index, _) = self.define(obj, ns)?;
                let size = int_attr(obj, "size")?.ok_or("a fixed without a size")?;
                let size = usize::try_from(size).map_err(|_| "a fixed too large")?;
                self.nodes[index] = if logical == Some("decimal") {
                    decimal(obj, Some(size))?
                } else {
                    Node::Fixed(size)
                };
                Ok(index)
            }
            "array" => {
                let items = obj.get("items").ok_or("an array without items")?;
                let node = self.compile(items, ns, depth + 1)?;
                self.push(Node::Array(node))
            }
            "map" => {
                let values = obj.get("values").ok_or("a map without values")?;
                let node = self.compile(values, ns, depth + 1)?;
                self.push(Node::Map(node))
            }
            primitive => {
                let Some(base) = Self::primitive(primitive) else {
                    // A named type given as {"type": "Name"}.
                    return self.reference(primitive, ns);
                };
                let node = match (primitive, logical) {
                    ("long", Some("timestamp-millis")) => Node::Timestamp {
                        scale: 1000,
                        utc: true,
                    },
                    ("long", Some("timestamp-micros")) => Node::Timestamp {
                        scale: 1,
                        utc: true,
                    },
                    ("long", Some("local-timestamp-millis")) => Node::Timestamp {
                        scale: 1000,
                        utc: false,
                    },
                    ("long", Some("local-timestamp-micros")) => Node::Timestamp {
                        scale: 1,
                        utc: false,
                    },
                    ("int", Some("date")) => Node::Date,
                    ("int", Some("time-millis")) => Node::Time(1000),
                    ("long", Some("time-micros")) => Node::Time(1),
                    ("bytes", Some("decimal")) => decimal(obj, None)?,
                    ("string", Some("uuid")) => Node::Uuid,
                    _ => base,
                };
                self.push(node)
            }
        }
    }
}

fn decimal(obj: &serde_json::Map<String, J>, size: Option<usize>) -> Result<Node, String> {
    Ok(Node::Decimal {
        precision: int_attr(obj, "precision")?,
        scale: int_attr(obj, "scale")?.unwrap_or(0),
        size,
    })
}

impl Schema {
    /// Compile a writer schema: the JSON texts of its references (dependencies first),
    /// then its own. Err (why) for a schema this module does not read as fastavro
    /// does; the caller then keeps the reference path for it.
    pub fn compile(texts: &[&str]) -> Result<Schema, String> {
        let mut c = Compiler {
            nodes: Vec::new(),
            named: FxHashMap::default(),
        };
        let mut root = None;
        for text in texts {
            let parsed: J = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
            root = Some(c.compile(&parsed, None, 0)?);
        }
        let root = root.ok_or("no schema")?;
        if c.nodes.iter().any(|n| matches!(n, Node::Pending)) {
            return Err("a named type used before it is defined".into());
        }
        let width = widths(&c.nodes);
        Ok(Schema {
            nodes: c.nodes,
            root,
            width,
        })
    }

    /// The JSON text of one datum (`body`, all of it), or why it cannot be read.
    pub fn to_json(&self, body: &[u8], out: &mut Vec<u8>) -> Result<(), Failure> {
        let mut r = Reader {
            data: body,
            pos: 0,
            empty_items: 0,
        };
        self.write(self.root, &mut r, out, 0)?;
        if r.pos != body.len() {
            return Err(Failure::Trailing);
        }
        Ok(())
    }

    fn write(
        &self,
        node: usize,
        r: &mut Reader,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), Failure> {
        match &self.nodes[node] {
            Node::Null | Node::Pending => out.extend_from_slice(b"null"),
            Node::Boolean => {
                let b = r.byte().ok_or(Failure::Eof)?;
                out.extend_from_slice(if b != 0 { b"true" } else { b"false" });
            }
            Node::Long => {
                let n = r.long()?;
                write_int(out, i128::from(n));
            }
            Node::Float => {
                let b = r.take(4)?;
                let f = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                write_float(out, f64::from(f));
            }
            Node::Double => {
                let b = r.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                write_float(out, f64::from_le_bytes(a));
            }
            Node::Bytes => {
                let b = r.length_prefixed()?;
                write_base64(out, b);
            }
            Node::Fixed(size) => {
                let b = r.take(*size)?;
                write_base64(out, b);
            }
            Node::String => {
                let b = r.length_prefixed()?;
                let s = std::str::from_utf8(b).map_err(|_| Failure::Unicode)?;
                write_str(out, s);
            }
            Node::Uuid => {
                let b = r.length_prefixed()?;
                let s = std::str::from_utf8(b).map_err(|_| Failure::Unicode)?;
                let n = parse_uuid(s).ok_or(Failure::Value)?;
                write_uuid(out, n);
            }
            Node::Enum(symbols) => {
                let i = py_index(r.long()?, symbols.len()).ok_or(Failure::Index)?;
                out.extend_from_slice(symbols[i].as_bytes());
            }
            Node::Union(branches) => {
                let i = py_index(r.long()?, branches.len()).ok_or(Failure::Index)?;
                self.write(branches[i], r, out, depth)?;
            }
            Node::Record { fields, unique } => {
                let depth = enter(depth)?;
                if *unique {
                    out.push(b'{');
                    for (i, (name, field)) in fields.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(name.as_bytes());
                        out.push(b':');
                        self.write(*field, r, out, depth)?;
                    }
                    out.push(b'}');
                } else {
                    let mut members: Vec<(&[u8], Vec<u8>)> = Vec::new();
                    for (name, field) in fields {
                        let mut v = Vec::new();
                        self.write(*field, r, &mut v, depth)?;
                        set_member(&mut members, name.as_bytes(), v);
                    }
                    write_members(out, &members);
                }
            }
            Node::Array(items) => {
                let depth = enter(depth)?;
                out.push(b'[');
                let mut first = true;
                self.blocks(r, self.width[*items] == 0, |s, r| {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    s.write(*items, r, out, depth)
                })?;
                out.push(b']');
            }
            Node::Map(values) => {
                let depth = enter(depth)?;
                let start = out.len();
                out.push(b'{');
                // (key start, key end, value end) of each member written.
                let mut spans: Vec<(usize, usize, usize)> = Vec::new();
                let mut repeated = false;
                self.blocks(r, false, |s, r| {
                    if !spans.is_empty() {
                        out.push(b',');
                    }
                    let key = r.length_prefixed()?;
                    let key = std::str::from_utf8(key).map_err(|_| Failure::Unicode)?;
                    let k0 = out.len();
                    write_str(out, key);
                    let k1 = out.len();
                    if !repeated {
                        repeated = spans.iter().any(|&(a, b, _)| out[a..b] == out[k0..k1]);
                    }
                    out.push(b':');
                    s.write(*values, r, out, depth)?;
                    spans.push((k0, k1, out.len()));
                    Ok(())
                })?;
                out.push(b'}');
                if repeated {
                    let text = out.split_off(start);
                    let mut members: Vec<(&[u8], Vec<u8>)> = Vec::new();
                    for &(k0, k1, v1) in &spans {
                        let (k0, k1, v1) = (k0 - start, k1 - start, v1 - start);
                        set_member(&mut members, &text[k0..k1], text[k1 + 1..v1].to_vec());
                    }
                    write_members(out, &members);
                }
            }
            Node::Timestamp { scale, utc } => {
                let micros = i128::from(r.long()?) * scale;
                if !(MIN_MICROS..=MAX_MICROS).contains(&micros) {
                    return Err(Failure::Overflow);
                }
                write_datetime(out, micros - MIN_MICROS, *utc);
            }
            Node::Date => {
                let ordinal = i128::from(r.long()?) + i128::from(DAYS_SHIFT);
                if i32::try_from(ordinal).is_err() {
                    return Err(Failure::Overflow);
                }
                if !(1..=3_652_059).contains(&ordinal) {
                    return Err(Failure::Value);
                }
                out.push(b'"');
                write_date(out, ordinal as i64);
                out.push(b'"');
            }
            Node::Time(unit) => {
                let n = r.long()?;
                write_time(out, n, *unit)?;
            }
            Node::Decimal {
                precision,
                scale,
                size,
            } => {
                let b = match size {
                    Some(size) => r.take(*size)?,
                    None => r.length_prefixed()?,
                };
                let precision = precision.ok_or(Failure::Key)?;
                if b.len() > MAX_DECIMAL_BYTES {
                    return Err(Failure::DecimalTooLong);
                }
                write_decimal(out, b, precision, *scale);
            }
        }
        Ok(())
    }

    /// Read an array's or a map's blocks, calling `item` once per item.
    /// `empty`: whether an item may take no bytes (an array's zero-width items; a map's
    /// never do, each has a key).
    fn blocks<F>(&self, r: &mut Reader, empty: bool, mut item: F) -> Result<(), Failure>
    where
        F: FnMut(&Self, &mut Reader) -> Result<(), Failure>,
    {
        loop {
            let mut count = r.long()?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                count = count.wrapping_neg();
                r.long()?; // the block's size in bytes
            }
            if count > 0 && empty {
                r.empty_items = r.empty_items.saturating_add(count as u64);
                if r.empty_items > MAX_EMPTY_ITEMS {
                    return Err(Failure::TooManyEmpty);
                }
            }
            // Each item of a non-empty type takes a byte at least: a count past the
            // bytes left ends in Eof after that many bytes, never a long loop.
            for _ in 0..count.max(0) {
                item(self, r)?;
            }
        }
    }
}

/// Minimum byte widths of the nodes (0 or 1: only whether a type can take no bytes).
fn widths(nodes: &[Node]) -> Vec<u8> {
    let mut width = vec![1u8; nodes.len()];
    // Zero-width: null, fixed(0), records of zero-width fields (a fixed point).
    loop {
        let mut changed = false;
        for (i, node) in nodes.iter().enumerate() {
            let zero = match node {
                Node::Null | Node::Pending => true,
                Node::Fixed(0) => true,
                Node::Decimal { size: Some(0), .. } => true,
                Node::Record { fields, .. } => fields.iter().all(|(_, f)| width[*f] == 0),
                _ => false,
            };
            if zero && width[i] != 0 {
                width[i] = 0;
                changed = true;
            }
        }
        if !changed {
            return width;
        }
    }
}

fn enter(depth: usize) -> Result<usize, Failure> {
    if depth >= MAX_NESTING {
        Err(Failure::TooDeep)
    } else {
        Ok(depth + 1)
    }
}

/// Python's `seq[i]` index: negative counts from the end.
fn py_index(i: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let i = if i < 0 { i.checked_add(len)? } else { i };
    (0..len).contains(&i).then_some(i as usize)
}

fn set_member<'a>(members: &mut Vec<(&'a [u8], Vec<u8>)>, name: &'a [u8], value: Vec<u8>) {
    match members.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = value,
        None => members.push((name, value)),
    }
}

fn write_members(out: &mut Vec<u8>, members: &[(&[u8], Vec<u8>)]) {
    out.push(b'{');
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name);
        out.push(b':');
        out.extend_from_slice(value);
    }
    out.push(b'}');
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    empty_items: u64,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// fastavro's `read_long`: EOFError with no byte at all, IndexError when a
    /// continued varint ends early.
    fn long(&mut self) -> Result<i64, Failure> {
        let mut b = self.byte().ok_or(Failure::Eof)?;
        let mut n = u64::from(b & 0x7f);
        let mut shift: u32 = 7;
        while b & 0x80 != 0 {
            b = self.byte().ok_or(Failure::Index)?;
            n |= u64::from(b & 0x7f).wrapping_shl(shift);
            shift = shift.wrapping_add(7);
        }
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Failure> {
        let end = self.pos.checked_add(n).ok_or(Failure::Eof)?;
        let got = self.data.get(self.pos..end).ok_or(Failure::Eof)?;
        self.pos = end;
        Ok(got)
    }

    fn length_prefixed(&mut self) -> Result<&'a [u8], Failure> {
        let n = self.long()?;
        let n = usize::try_from(n).map_err(|_| Failure::Eof)?;
        self.take(n)
    }
}

// ------------------------------------------------------------------ JSON, as orjson

fn zeros(out: &mut Vec<u8>, n: impl TryInto<usize>) {
    let n = n.try_into().unwrap_or(0);
    out.resize(out.len() + n, b'0');
}

fn write_int(out: &mut Vec<u8>, n: i128) {
    use std::io::Write;
    let _ = write!(out, "{n}");
}

/// A float as orjson writes it: the shortest digits that read back (ryu's), fixed
/// notation for decimal exponents -5..=15 (with `.0` when whole), else `d.ddde±x`;
/// NaN and infinities as null.
pub fn write_float(out: &mut Vec<u8>, f: f64) {
    if !f.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(f);
    let (negative, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    // ryu's text: digits with an optional '.', then an optional "e<exp>".
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    // value = 0.digits * 10^point
    let mut point = int_part.len() as i32 + exp;
    let lead = digits.len() - digits.trim_start_matches('0').len();
    if lead == digits.len() {
        digits = "0".into();
        point = 1;
    } else {
        digits.drain(..lead);
        point -= lead as i32;
    }
    let trimmed = digits.trim_end_matches('0').len().max(1);
    digits.truncate(trimmed);
    if negative {
        out.push(b'-');
    }
    let e10 = point - 1;
    if (-5..16).contains(&e10) {
        let n = digits.len() as i32;
        if point <= 0 {
            out.extend_from_slice(b"0.");
            zeros(out, -point);
            out.extend_from_slice(digits.as_bytes());
        } else if point >= n {
            out.extend_from_slice(digits.as_bytes());
            zeros(out, point - n);
            out.extend_from_slice(b".0");
        } else {
            let (a, b) = digits.split_at(point as usize);
            out.extend_from_slice(a.as_bytes());
            out.push(b'.');
            out.extend_from_slice(b.as_bytes());
        }
    } else {
        let (a, b) = digits.split_at(1);
        out.extend_from_slice(a.as_bytes());
        if !b.is_empty() {
            out.push(b'.');
            out.extend_from_slice(b.as_bytes());
        }
        use std::io::Write;
        let _ = write!(out, "e{}{}", if e10 < 0 { '-' } else { '+' }, e10.abs());
    }
}

/// A string as orjson escapes it: `"`, `\`, and control characters below 0x20 only.
fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn json_string(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_str(&mut out, s);
    String::from_utf8(out).unwrap_or_default()
}

fn write_base64(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + b.len().div_ceil(3) * 4, 0);
    let n = base64::engine::general_purpose::STANDARD
        .encode_slice(b, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + n);
    out.push(b'"');
}

fn push2(out: &mut Vec<u8>, n: i64) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

/// Proleptic Gregorian (year, month, day) of a day ordinal (1 = 0001-01-01).
fn civil(ordinal: i64) -> (i64, i64, i64) {
    // Days from 0000-03-01 (Howard Hinnant's algorithm, shifted to ordinals).
    let z = ordinal + 305;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn write_date(out: &mut Vec<u8>, ordinal: i64) {
    let (y, m, d) = civil(ordinal);
    push2(out, y / 100);
    push2(out, y % 100);
    out.push(b'-');
    push2(out, m);
    out.push(b'-');
    push2(out, d);
}

fn write_clock(out: &mut Vec<u8>, h: i64, m: i64, s: i64, micro: i64) {
    push2(out, h);
    out.push(b':');
    push2(out, m);
    out.push(b':');
    push2(out, s);
    if micro != 0 {
        use std::io::Write;
        let _ = write!(out, ".{micro:06}");
    }
}

/// `micros` since 0001-01-01T00:00:00.
fn write_datetime(out: &mut Vec<u8>, micros: i128, utc: bool) {
    let micros = micros as i64; // in range: checked by the caller
    let day = micros.div_euclid(86_400_000_000);
    let rest = micros.rem_euclid(86_400_000_000);
    out.push(b'"');
    write_date(out, day + 1);
    out.push(b'T');
    let secs = rest / 1_000_000;
    write_clock(
        out,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        rest % 1_000_000,
    );
    if utc {
        out.push(b'Z');
    }
    out.push(b'"');
}

/// fastavro's time readers: `int(n / per_hour)` (truncated), the minutes and seconds
/// modulo 60 and the fraction modulo a second (Python's modulo), then `time(...)`:
/// OverflowError for an hour past a C int, ValueError outside 0..23.
fn write_time(out: &mut Vec<u8>, n: i64, unit: i64) -> Result<(), Failure> {
    let per_second = 1_000_000 / unit;
    let n = i128::from(n);
    let h = (n as f64 / (3600 * per_second) as f64).trunc();
    if !(f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&h) {
        return Err(Failure::Overflow);
    }
    if !(0.0..=23.0).contains(&h) {
        return Err(Failure::Value);
    }
    let per_second = i128::from(per_second);
    let m = (n / (60 * per_second)).rem_euclid(60);
    let s = (n / per_second).rem_euclid(60);
    let fraction = n.rem_euclid(per_second) * i128::from(unit);
    out.push(b'"');
    write_clock(out, h as i64, m as i64, s as i64, fraction as i64);
    out.push(b'"');
    Ok(())
}

/// The first code point of each run of ten non-ASCII decimal digits (Unicode 14.0,
/// Python 3.11's `unicodedata`): `int()` reads them as 0..9.
const DECIMAL_ZEROS: [u32; 65] = [
    0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6,
    0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50,
    0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// What `int()` makes of a character before parsing: ASCII as it is, non-ASCII
/// whitespace a space, a non-ASCII decimal digit its ASCII digit; None for the rest.
fn int_ascii(c: char) -> Option<u8> {
    if c.is_ascii() {
        return Some(c as u8);
    }
    if crate::decode::py_isspace(c) {
        return Some(b' ');
    }
    let code = u32::from(c);
    let i = DECIMAL_ZEROS.partition_point(|&z| z <= code);
    let zero = DECIMAL_ZEROS.get(i.checked_sub(1)?)?;
    let digit = code - zero;
    (digit < 10).then_some(b'0' + digit as u8)
}

/// Python's `uuid.UUID(text).int`: "urn:" and "uuid:" dropped, braces stripped from
/// both ends, hyphens dropped; 32 characters left, read as `int(text, 16)` (which
/// allows surrounding whitespace, a `+`, a `0x` prefix, single underscores between
/// digits, and non-ASCII decimal digits).
fn parse_uuid(s: &str) -> Option<u128> {
    let s = s.replace("urn:", "").replace("uuid:", "");
    let s = s.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    if s.chars().count() != 32 {
        return None;
    }
    let ascii: Vec<u8> = s.chars().map(int_ascii).collect::<Option<_>>()?;
    // int() strips ASCII whitespace only (not the separators 0x1c..0x1f).
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = ascii.iter().position(|b| !space(b)).unwrap_or(ascii.len());
    let end = ascii
        .iter()
        .rposition(|b| !space(b))
        .map_or(start, |i| i + 1);
    let t = &ascii[start..end];
    let t = t.strip_prefix(b"+").unwrap_or(t);
    let t = t
        .strip_prefix(b"0x")
        .or_else(|| t.strip_prefix(b"0X"))
        .map_or(t, |rest| rest.strip_prefix(b"_").unwrap_or(rest));
    if t.is_empty() || t.starts_with(b"_") || t.ends_with(b"_") || t.windows(2).any(|w| w == b"__")
    {
        return None;
    }
    let mut n: u128 = 0;
    for &b in t {
        if b == b'_' {
            continue;
        }
        let d = char::from(b).to_digit(16)?;
        n = n.checked_mul(16)?.checked_add(u128::from(d))?;
    }
    Some(n)
}

fn write_uuid(out: &mut Vec<u8>, n: u128) {
    let hex = format!("{n:032x}");
    out.push(b'"');
    for (i, part) in [0..8, 8..12, 12..16, 16..20, 20..32]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push(b'-');
        }
        out.extend_from_slice(&hex.as_bytes()[part]);
    }
    out.push(b'"');
}

/// The decimal digits of a big-endian magnitude.
fn magnitude_digits(bytes: &[u8]) -> String {
    // Little-endian base-10^9 limbs, multiplied by 256 and added to per byte.
    let mut limbs: Vec<u64> = Vec::new();
    for &b in bytes {
        let mut carry = u64::from(b);
        for limb in &mut limbs {
            let v = *limb * 256 + carry;
            *limb = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
    }
    let Some((top, rest)) = limbs.split_last() else {
        return "0".into();
    };
    let mut s = top.to_string();
    for limb in rest.iter().rev() {
        s.push_str(&format!("{limb:09}"));
    }
    s
}

/// fastavro's `read_decimal`: the two's-complement integer, made a Decimal in a
/// context of `precision` digits (rounding half-even), then `scaleb(-scale)`, written
/// as Python's `str(Decimal)`.
fn write_decimal(out: &mut Vec<u8>, bytes: &[u8], precision: u64, scale: u64) {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let magnitude: Vec<u8> = if negative {
        // Two's complement: invert and add one.
        let mut m: Vec<u8> = bytes.iter().map(|b| !b).collect();
        for b in m.iter_mut().rev() {
            let (v, overflow) = b.overflowing_add(1);
            *b = v;
            if !overflow {
                break;
            }
        }
        m
    } else {
        bytes.to_vec()
    };
    let mut digits = magnitude_digits(&magnitude).into_bytes();
    let mut exp: i128 = 0;
    let precision = usize::try_from(precision).unwrap_or(usize::MAX).max(1);
    if digits.len() > precision {
        let dropped = digits.len() - precision;
        let first_dropped = digits[precision];
        let rest_nonzero = digits[precision + 1..].iter().any(|&d| d != b'0');
        let last_odd = (digits[precision - 1] - b'0') % 2 == 1;
        digits.truncate(precision);
        exp += dropped as i128;
        let up = first_dropped > b'5' || (first_dropped == b'5' && (rest_nonzero || last_odd));
        if up {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, b'1');
                    break;
                }
                i -= 1;
                if digits[i] == b'9' {
                    digits[i] = b'0';
                } else {
                    digits[i] += 1;
                    break;
                }
            }
            if digits.len() > precision {
                digits.pop();
                exp += 1;
            }
        }
    }
    exp -= i128::from(scale);
    out.push(b'"');
    if negative {
        out.push(b'-');
    }
    let n = digits.len() as i128;
    let left = exp + n;
    let dot = if exp <= 0 && left > -6 { left } else { 1 };
    if dot <= 0 {
        out.extend_from_slice(b"0.");
        zeros(out, -dot);
        out.extend_from_slice(&digits);
    } else if dot >= n {
        out.extend_from_slice(&digits);
        zeros(out, dot - n);
    } else {
        out.extend_from_slice(&digits[..dot as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[dot as usize..]);
    }
    if left != dot {
        use std::io::Write;
        let _ = write!(out, "E{:+}", left - dot);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(schema: &str, body: &[u8]) -> Result<String, Failure> {
        let s = Schema::compile(&[schema]).expect("schema");
        let mut out = Vec::new();
        s.to_json(body, &mut out)?;
        Ok(String::from_utf8(out).expect("utf-8"))
    }

    #[test]
    fn primitives_and_varints() {
        assert_eq!(json(r#""long""#, b"\x01"), Ok("-1".into()));
        assert_eq!(
            json(r#""int""#, b"\xff\xff\xff\xff\x7f"),
            Ok("-17179869184".into())
        );
        let mut eleven = vec![0x80u8; 10];
        eleven.push(1); // the 11th byte's shift (70) wraps to 6, as in fastavro
        assert_eq!(json(r#""long""#, &eleven), Ok("32".into()));
        assert_eq!(json(r#""boolean""#, b"\x02"), Ok("true".into()));
        assert_eq!(json(r#""int""#, b""), Err(Failure::Eof));
        assert_eq!(json(r#""int""#, b"\x80"), Err(Failure::Index));
        assert_eq!(json(r#""int""#, b"\x02\x00"), Err(Failure::Trailing));
        assert_eq!(json(r#""string""#, b"\x04\xff\xfe"), Err(Failure::Unicode));
        assert_eq!(json(r#""string""#, b"\x01ab"), Err(Failure::Eof));
        let huge = b"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f";
        assert_eq!(json(r#""bytes""#, huge), Err(Failure::Eof));
        assert_eq!(json(r#""bytes""#, b"\x04\x00\xff"), Ok("\"AP8=\"".into()));
        assert_eq!(
            json(r#""string""#, b"\x06a\"\x01"),
            Ok(r#""a\"\u0001""#.into())
        );
    }

    #[test]
    fn floats_as_orjson() {
        let cases: [(f64, &str); 14] = [
            (1e16, "1e+16"),
            (1e-7, "1e-7"),
            (0.1, "0.1"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (1.2345678901234568e20, "1.2345678901234568e+20"),
            (5e-324, "5e-324"),
            (1e15, "1000000000000000.0"),
            (-0.0, "-0.0"),
            (1e-5, "0.00001"),
            (1e-6, "1e-6"),
            (9.999999747378752e-6, "9.999999747378752e-6"),
            (12345678.9, "12345678.9"),
            (f64::NAN, "null"),
        ];
        for (f, want) in cases {
            let mut out = Vec::new();
            write_float(&mut out, f);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{f}");
        }
    }

    #[test]
    fn unions_enums_and_containers() {
        let u = r#"["null","string","int"]"#;
        assert_eq!(json(u, b"\x01\x02"), Ok("1".into()));
        assert_eq!(json(u, b"\x06"), Err(Failure::Index));
        let e = r#"{"type":"enum","name":"E","symbols":["A","B"]}"#;
        assert_eq!(json(e, b"\x01"), Ok("\"B\"".into()));
        let a = r#"{"type":"array","items":"int"}"#;
        assert_eq!(json(a, b"\x03\x04\x02\x04\x00"), Ok("[1,2]".into()));
        assert_eq!(
            json(a, b"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f"),
            Err(Failure::Eof)
        );
        let nulls = r#"{"type":"array","items":"null"}"#;
        assert_eq!(json(nulls, b"\x06\x00"), Ok("[null,null,null]".into()));
        assert_eq!(
            json(nulls, b"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f"),
            Err(Failure::TooManyEmpty)
        );
        let m = r#"{"type":"map","values":"int"}"#;
        assert_eq!(
            json(m, b"\x04\x02a\x02\x02b\x04\x02\x02a\x06\x00"),
            Ok(r#"{"a":3,"b":2}"#.into())
        );
        let d = r#"{"type":"record","name":"D","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"},{"name":"a","type":"int"}]}"#;
        assert_eq!(json(d, b"\x02\x04\x06"), Ok(r#"{"a":3,"b":2}"#.into()));
    }

    #[test]
    fn recursion_is_bounded() {
        let list = r#"{"type":"record","name":"L","fields":[{"name":"n","type":["null","L"]}]}"#;
        let mut body = vec![2u8; MAX_NESTING - 1];
        body.push(0);
        assert!(json(list, &body).is_ok());
        let mut body = vec![2u8; MAX_NESTING];
        body.push(0);
        assert_eq!(json(list, &body), Err(Failure::TooDeep));
    }

    #[test]
    fn logical_types() {
        let ts = r#"{"type":"long","logicalType":"timestamp-millis"}"#;
        assert_eq!(json(ts, b"\x00"), Ok("\"1970-01-01T00:00:00Z\"".into()));
        assert_eq!(
            json(ts, b"\x01"),
            Ok("\"1969-12-31T23:59:59.999000Z\"".into())
        );
        assert_eq!(
            json(ts, b"\xfe\xff\xff\xff\xff\xff\x7f"),
            Err(Failure::Overflow)
        );
        let local = r#"{"type":"long","logicalType":"local-timestamp-micros"}"#;
        assert_eq!(
            json(local, b"\x8e\xda\x96\x01"),
            Ok("\"1970-01-01T00:00:01.234567\"".into())
        );
        let date = r#"{"type":"int","logicalType":"date"}"#;
        assert_eq!(json(date, b"\xf0\xa8\x02"), Ok("\"2022-01-08\"".into()));
        assert_eq!(json(date, b"\xfb\xe3\x57"), Ok("\"0001-03-02\"".into()));
        assert_eq!(json(date, b"\xfe\xff\xff\xff\x0f"), Err(Failure::Overflow));
        let time = r#"{"type":"int","logicalType":"time-millis"}"#;
        assert_eq!(
            json(time, b"\xf8\xbb\xc6\x03"),
            Ok("\"01:02:03.004000\"".into())
        );
        assert_eq!(json(time, b"\x01"), Ok("\"00:00:00.999000\"".into()));
        assert_eq!(json(time, b"\xfe\xff\xff\xff\x0f"), Err(Failure::Value));
        let dec = |p: u32, s: u32| {
            format!(r#"{{"type":"bytes","logicalType":"decimal","precision":{p},"scale":{s}}}"#)
        };
        assert_eq!(json(&dec(12, 2), b"\x04\xfb2"), Ok("\"-12.30\"".into()));
        assert_eq!(json(&dec(1, 0), b"\x02\x7f"), Ok("\"1E+2\"".into()));
        assert_eq!(json(&dec(5, 1), b"\x00"), Ok("\"0.0\"".into()));
        assert_eq!(json(&dec(2, 0), b"\x04\x03\xe7"), Ok("\"1.0E+3\"".into()));
        let no_precision = r#"{"type":"bytes","logicalType":"decimal"}"#;
        assert_eq!(json(no_precision, b"\x02\x7f"), Err(Failure::Key));
        let uuid = r#"{"type":"string","logicalType":"uuid"}"#;
        let urn = b"\x52urn:uuid:00000000000000000000000000000001";
        assert_eq!(
            json(uuid, urn),
            Ok("\"00000000-0000-0000-0000-000000000001\"".into())
        );
        assert_eq!(json(uuid, b"\x02a"), Err(Failure::Value));
        let separators = b"\x48\x1f0000000-0000-0000-0000-00000000000\x1f";
        assert_eq!(json(uuid, separators), Err(Failure::Value));
        let arabic = "\u{661}0000000-0000-0000-0000-00000000000\u{2003}";
        let mut body = vec![2 * arabic.len() as u8];
        body.extend_from_slice(arabic.as_bytes());
        assert_eq!(
            json(uuid, &body),
            Ok("\"01000000-0000-0000-0000-000000000000\"".into())
        );
        let plus = b"\x40+0000000000000000000000000000000";
        assert_eq!(
            json(uuid, plus),
            Ok("\"00000000-0000-0000-0000-000000000000\"".into())
        );
    }

    #[test]
    fn named_types_and_namespaces() {
        let dep = r#"{"type":"fixed","name":"Id","namespace":"a.b","size":2}"#;
        let main = r#"{"type":"record","name":"R","namespace":"a.b","fields":[{"name":"id","type":"Id"},{"name":"again","type":"a.b.Id"}]}"#;
        let s = Schema::compile(&[dep, main]).expect("schema");
        let mut out = Vec::new();
        s.to_json(b"\x00\x01\x02\x03", &mut out).expect("datum");
        assert_eq!(out, br#"{"id":"AAE=","again":"AgM="}"#);
        assert!(Schema::compile(&[
            r#"{"type":"record","name":"R","fields":[{"name":"x","type":"Nope"}]}"#
        ])
        .is_err());
    }
}
