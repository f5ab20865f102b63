//! Drift checks of decoded messages against a committed spec, on the fold path.
//!
//! The Python reference is `inferrer.drift.traffic` (`match_message`, `_KindCheck`,
//! `_SchemaCheck._walk`): every decoded message is matched to a documented message
//! and walked alongside its schema once, counting what the schema does not expect.
//! This module is the same walk in the core, so `diff` reads each message once, at
//! the engine's speed, and keeps only bounded evidence:
//!
//! * counts per rule and field path, with the first offending message as example;
//! * the messages jsonschema must validate (done in Python, bounded): the first
//!   `max_validations` messages of a kind and the first message of each of its first
//!   `max_shapes` distinct shapes.
//!
//! "First" is by (partition, offset), never by arrival: a live sample whose partitions
//! arrive interleaved gives the same report as a capture read in order.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use regex::Regex;
use rustc_hash::FxHashMap;

use crate::decode::Decoded;
use crate::formats::{match_formats, FORMATS};
use crate::pyrepr::{canonical_json, float_repr};
use crate::value::{number_from_literal, Text, Value};

/// Array items walked per array (the reference's `MAX_ARRAY_ITEMS_WALKED`).
pub const MAX_ARRAY_ITEMS_WALKED: usize = 100;
/// Schema extensions read as a property's documented presence ratio.
const PRESENCE_KEYS: [&str; 2] = ["x-presence-ratio", "x-presence"];

/// (partition, offset): the order in which "first" is meant.
pub type Pos = (i64, i64);

/// Why a plan cannot be checked in the core (the caller then takes the reference path).
#[derive(Debug)]
pub struct PlanError(pub String);

// --- the plan: the committed spec, compiled ---------------------------------------

/// Additional properties of an object schema.
enum Extra {
    Schema(usize),
    Closed,
    Open,
}

/// One schema node, compiled. Every node is reached by one route, so its field path
/// and its pointer are fixed.
struct Node {
    /// Not an object, or an empty one: the walk stops here.
    empty: bool,
    /// `anyOf` then `oneOf` branches (taken only when the node has no `type`).
    unions: Vec<Vec<Branch>>,
    /// The walk's field path (`""` at the root) and the path counts are kept under
    /// (`"/"` at the root).
    fpath: Arc<str>,
    path: Arc<str>,
    pointer: Arc<str>,
    types: Option<Vec<String>>,
    /// `types` as a bit set over [`TYPE_NAMES`].
    type_mask: Option<u8>,
    /// Canonical JSON of the enum (or const) values, and the values themselves.
    enumeration: Option<(Vec<String>, Value)>,
    /// Index into FORMATS of a `format` inference knows (`Some(None)`: one it does not).
    format: Option<(String, Option<usize>)>,
    has_value_checks: bool,
    /// In schema order.
    properties: Vec<Property>,
    property_index: FxHashMap<Text, usize>,
    required: Vec<Box<str>>,
    patterns: Vec<(Regex, usize)>,
    extra: Extra,
    items: Option<usize>,
}

/// One branch of a union: the types it allows, and its node.
struct Branch {
    type_mask: Option<u8>,
    node: usize,
}

/// One documented property of an object schema.
struct Property {
    node: usize,
    path: Arc<str>,
    documented: Documented,
}

/// What the spec says of a property: its pointer, whether it is required, and its
/// documented presence ratio.
#[derive(Clone)]
pub struct Documented {
    pub pointer: Arc<str>,
    pub required: bool,
    pub hint: Option<f64>,
}

struct Compiler {
    nodes: Vec<Node>,
    base: String,
}

fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

/// JSON type names, in the bit order of a type mask.
const TYPE_NAMES: [&str; 7] = [
    "null", "boolean", "integer", "number", "string", "array", "object",
];
const INTEGER: u8 = 1 << 2;
const NUMBER: u8 = 1 << 3;

/// The bit set of the JSON types named (names that are no JSON type add nothing).
fn type_mask(types: Option<&[String]>) -> Option<u8> {
    types.map(|names| {
        names
            .iter()
            .filter_map(|n| TYPE_NAMES.iter().position(|t| t == n))
            .fold(0, |m, i| m | 1 << i)
    })
}

fn type_bit(v: &Value) -> u8 {
    1 << match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::BigInt(_) => 2,
        Value::Float(_) => 3,
        Value::Str(_) => 4,
        Value::Array(_) => 5,
        Value::Object(_) => 6,
    }
}

/// `_fits`: the value's type is allowed (an integer fits number, an integral float
/// fits integer).
fn fits_mask(allowed: Option<u8>, v: &Value) -> bool {
    let Some(mask) = allowed else {
        return true;
    };
    let bit = type_bit(v);
    mask & bit != 0
        || (bit == INTEGER && mask & NUMBER != 0)
        || (mask & INTEGER != 0 && matches!(v, Value::Float(f) if f.fract() == 0.0))
}

fn schema_types(node: &Value) -> Option<Vec<String>> {
    match node.get("type")? {
        Value::Str(s) => Some(vec![s.to_string()]),
        Value::Array(items) => Some(items.iter().map(py_str_lossy).collect()),
        _ => None,
    }
}

/// Python's `str(x)` of a scalar (containers by canonical JSON: they never match).
fn py_str_lossy(v: &Value) -> String {
    py_str(v).unwrap_or_else(|| canonical_json(v))
}

/// Python's `str(v)` of a scalar value; None for containers.
fn py_str(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Int(i) => i.to_string(),
        Value::BigInt(t) => t.to_string(),
        Value::Float(f) => float_repr(*f),
        Value::Str(s) => s.to_string(),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

fn presence_hint(node: &Value) -> Option<f64> {
    for key in PRESENCE_KEYS {
        match node.get(key) {
            Some(Value::Int(i)) => return Some(*i as f64),
            Some(Value::Float(f)) => return Some(*f),
            _ => {}
        }
    }
    None
}

/// `_enum_values`: the enum list, else `[const]`, else nothing.
fn enum_values(node: &Value) -> Option<Value> {
    if let Some(Value::Array(items)) = node.get("enum") {
        return Some(Value::Array(items.clone()));
    }
    node.get("const").map(|c| Value::Array(vec![c.clone()]))
}

impl Compiler {
    fn compile(&mut self, node: &Value, fpath: &str, spath: &str) -> Result<usize, PlanError> {
        let id = self.nodes.len();
        let path: Arc<str> = if fpath.is_empty() {
            "/".into()
        } else {
            fpath.into()
        };
        let pointer: Arc<str> = format!("{}{}", self.base, spath).into();
        self.nodes.push(Node {
            empty: true,
            unions: Vec::new(),
            fpath: fpath.into(),
            path,
            pointer,
            types: None,
            type_mask: None,
            enumeration: None,
            format: None,
            has_value_checks: false,
            properties: Vec::new(),
            property_index: FxHashMap::default(),
            required: Vec::new(),
            patterns: Vec::new(),
            extra: Extra::Open,
            items: None,
        });
        if node.as_object().is_none_or(|m| m.is_empty()) {
            return Ok(id);
        }
        let mut unions = Vec::new();
        if node.get("type").is_none() {
            for keyword in ["anyOf", "oneOf"] {
                if let Some(Value::Array(subs)) = node.get(keyword) {
                    let mut branches = Vec::new();
                    for (i, sub) in subs.iter().enumerate() {
                        if sub.as_object().is_some() {
                            let node =
                                self.compile(sub, fpath, &format!("{spath}/{keyword}/{i}"))?;
                            branches.push(Branch {
                                type_mask: type_mask(schema_types(sub).as_deref()),
                                node,
                            });
                        }
                    }
                    unions.push(branches);
                }
            }
        }
        let types = schema_types(node);
        let enumeration = enum_values(node).map(|v| {
            let keys = match &v {
                Value::Array(items) => items.iter().map(canonical_json).collect(),
                _ => Vec::new(),
            };
            (keys, v)
        });
        let format = match node.get("format") {
            Some(Value::Str(f)) => Some((f.to_string(), FORMATS.iter().position(|x| **x == **f))),
            _ => None,
        };
        let has_value_checks = node.get("enum").is_some()
            || node.get("const").is_some()
            || node.get("format").is_some();
        let required: Vec<Box<str>> = match node.get("required") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(Into::into))
                .collect(),
            _ => Vec::new(),
        };
        let mut properties = Vec::new();
        let mut property_index = FxHashMap::default();
        if let Some(Value::Object(props)) = node.get("properties") {
            for (name, sub) in props {
                let token = escape_token(name);
                let child_fpath = format!("{fpath}/{token}");
                let child_spath = format!("{spath}/properties/{token}");
                let child = self.compile(sub, &child_fpath, &child_spath)?;
                let is_required = required.iter().any(|r| **r == **name);
                property_index.insert(name.clone(), properties.len());
                properties.push(Property {
                    node: child,
                    path: Arc::from(child_fpath.as_str()),
                    documented: Documented {
                        pointer: Arc::from(format!("{}{}", self.base, child_spath).as_str()),
                        required: is_required,
                        hint: presence_hint(sub),
                    },
                });
            }
        }
        let mut patterns = Vec::new();
        if let Some(Value::Object(pats)) = node.get("patternProperties") {
            for (pattern, sub) in pats {
                let regex = Regex::new(pattern).map_err(|e| {
                    PlanError(format!(
                        "patternProperties {pattern:?} is not for the core: {e}"
                    ))
                })?;
                let child = self.compile(
                    sub,
                    &format!("{fpath}/{{}}"),
                    &format!("{spath}/patternProperties/{}", escape_token(pattern)),
                )?;
                patterns.push((regex, child));
            }
        }
        let extra = match node.get("additionalProperties") {
            Some(Value::Bool(false)) => Extra::Closed,
            Some(sub @ Value::Object(_)) => Extra::Schema(self.compile(
                sub,
                &format!("{fpath}/{{}}"),
                &format!("{spath}/additionalProperties"),
            )?),
            _ => Extra::Open,
        };
        let items = match node.get("items") {
            Some(sub @ Value::Object(_)) => {
                Some(self.compile(sub, &format!("{fpath}/*"), &format!("{spath}/items"))?)
            }
            _ => None,
        };
        let n = &mut self.nodes[id];
        n.empty = false;
        n.unions = unions;
        n.type_mask = type_mask(types.as_deref());
        n.types = types;
        n.enumeration = enumeration;
        n.format = format;
        n.has_value_checks = has_value_checks;
        n.properties = properties;
        n.property_index = property_index;
        n.required = required;
        n.patterns = patterns;
        n.extra = extra;
        n.items = items;
        Ok(id)
    }
}

/// The places of a message a schema describes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Place {
    Payload,
    Key,
    Headers,
}

impl Place {
    pub fn name(self) -> &'static str {
        match self {
            Place::Payload => "payload",
            Place::Key => "key",
            Place::Headers => "headers",
        }
    }
}

struct SpecMessage {
    key: String,
    id: String,
    name: Option<String>,
    discriminator: Option<String>,
    discriminator_value: Option<String>,
    /// The compiled schema of each place the message documents.
    places: Vec<(Place, Arc<Schema>)>,
}

/// One compiled schema of a place, with its own node arena.
struct Schema {
    nodes: Vec<Node>,
}

struct Channel {
    messages: Vec<SpecMessage>,
}

/// The committed spec as the check reads it, plus its bounds.
pub struct Plan {
    channels: FxHashMap<String, Channel>,
    max_validations: usize,
    max_shapes: usize,
    max_enum_values: usize,
}

fn opt_string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// serde_json's value as the core's (numbers kept exact).
fn from_serde(v: serde_json::Value) -> Result<Value, PlanError> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => {
            number_from_literal(&n.to_string())
                .ok_or_else(|| PlanError(format!("number {n} out of range")))?
                .0
        }
        serde_json::Value::String(s) => Value::Str(s.into()),
        serde_json::Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(from_serde)
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(k, v)| Ok((Text::from(k), from_serde(v)?)))
                .collect::<Result<_, PlanError>>()?,
        ),
    })
}

impl Plan {
    /// Compile a plan from its JSON text:
    /// `{"channels": {address: [{"key", "id", "name", "discriminator",
    /// "discriminator_value", "payload": [schema, pointer] | null, "key_schema": ...,
    /// "headers": ...}]}, "max_validations", "max_shapes", "max_enum_values"}`.
    pub fn from_json(text: &str) -> Result<Plan, PlanError> {
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| PlanError(format!("plan: {e}")))?;
        let plan = from_serde(raw)?;
        let bound = |name: &str| -> Result<usize, PlanError> {
            match plan.get(name) {
                Some(Value::Int(i)) if *i >= 0 => Ok(usize::try_from(*i).unwrap_or(usize::MAX)),
                _ => Err(PlanError(format!("plan: {name} missing"))),
            }
        };
        let mut channels = FxHashMap::default();
        if let Some(Value::Object(chans)) = plan.get("channels") {
            for (address, messages) in chans {
                let mut out = Vec::new();
                for m in messages.as_array().unwrap_or(&[]) {
                    let mut places = Vec::new();
                    for (place, field) in [
                        (Place::Payload, "payload"),
                        (Place::Key, "key_schema"),
                        (Place::Headers, "headers"),
                    ] {
                        if let Some(Value::Array(pair)) = m.get(field) {
                            if let [schema, Value::Str(pointer)] = pair.as_slice() {
                                let mut c = Compiler {
                                    nodes: Vec::new(),
                                    base: pointer.to_string(),
                                };
                                c.compile(schema, "", "")?;
                                places.push((place, Arc::new(Schema { nodes: c.nodes })));
                            }
                        }
                    }
                    out.push(SpecMessage {
                        key: opt_string(m.get("key")).unwrap_or_default(),
                        id: opt_string(m.get("id")).unwrap_or_default(),
                        name: opt_string(m.get("name")),
                        discriminator: opt_string(m.get("discriminator")),
                        discriminator_value: opt_string(m.get("discriminator_value")),
                        places,
                    });
                }
                channels.insert(address.to_string(), Channel { messages: out });
            }
        }
        Ok(Plan {
            channels,
            max_validations: bound("max_validations")?,
            max_shapes: bound("max_shapes")?,
            max_enum_values: bound("max_enum_values")?,
        })
    }
}

/// The value of a message's discriminator: a top-level field, or a JSON pointer
/// (`/metadata/type`) for one nested in a record.
fn discriminator_at<'a>(v: &'a Value, field: &str) -> Option<&'a Value> {
    let Some(pointer) = field.strip_prefix('/') else {
        return v.get(field);
    };
    let mut node = v;
    for token in pointer.split('/') {
        node = node.get(&token.replace("~1", "/").replace("~0", "~"))?;
    }
    Some(node)
}

/// `match_message`: the index of the documented message a decoded one belongs to.
fn match_message(ch: &Channel, kind: Option<&str>, value: Option<&Value>) -> Option<usize> {
    let messages = &ch.messages;
    if let Some(k) = kind {
        if let Some(i) = messages.iter().position(|m| m.key == k) {
            return Some(i);
        }
        if let Some(i) = messages.iter().position(|m| {
            m.name.as_deref() == Some(k) || m.id == k || m.discriminator_value.as_deref() == Some(k)
        }) {
            return Some(i);
        }
    }
    if let Some(v @ Value::Object(_)) = value {
        for (i, m) in messages.iter().enumerate() {
            if let (Some(d), Some(dv)) = (&m.discriminator, &m.discriminator_value) {
                if let Some(found) = discriminator_at(v, d) {
                    if py_str(found).as_deref() == Some(dv.as_str()) {
                        return Some(i);
                    }
                }
            }
        }
    }
    if messages.len() == 1 && (messages[0].discriminator_value.is_none() || kind.is_none()) {
        return Some(0);
    }
    None
}

// --- the walk -----------------------------------------------------------------------

/// A message's place value, shared by every count that takes it as its example.
#[derive(Clone)]
pub struct Example {
    pub pos: Pos,
    pub value: Arc<Value>,
}

/// The example of the message being walked, made once, when first needed.
struct Current<'a> {
    pos: Pos,
    value: &'a Value,
    shared: Option<Arc<Value>>,
}

impl Current<'_> {
    fn example(&mut self) -> Example {
        let value = self
            .shared
            .get_or_insert_with(|| Arc::new(self.value.clone()))
            .clone();
        Example {
            pos: self.pos,
            value,
        }
    }
}

#[derive(Default)]
pub struct Counts {
    pub count: u64,
    /// Type names, format names or canonical enum values, counted.
    pub values: BTreeMap<String, u64>,
    pub example: Option<Example>,
    pub pointer: Arc<str>,
}

/// The reference's `_SchemaCheck`: the counts of one place of one documented message.
pub struct PlaceCheck {
    schema: Arc<Schema>,
    pub n: u64,
    /// Counts per schema node (index as in the schema's arena), summed up by field path
    /// in [`PlaceCheck::by_path`]: the walk itself hashes no path.
    nodes: Vec<NodeCounts>,
    /// Visits so far: with the position, orders "first" within one message.
    visits: u64,
    pub checks: FxHashMap<(&'static str, Arc<str>), Counts>,
    /// The first `max_validations` messages: a max-heap on position.
    first: BinaryHeap<(Pos, HeapValue)>,
    /// The first message of each of the first `max_shapes` shapes.
    shapes: HashMap<u64, Example>,
    shape_order: BTreeSet<(Pos, u64)>,
}

/// What the first message, by position, found at a path.
pub struct Seen<T> {
    pub pos: Pos,
    pub what: T,
}

/// (position, visit): the first of two visits of one path.
type When = (Pos, u64);

fn earlier(slot: &mut Option<When>, when: When) {
    if slot.is_none_or(|s| when < s) {
        *slot = Some(when);
    }
}

/// The counts of one schema node.
#[derive(Default, Clone)]
struct NodeCounts {
    present: u64,
    ok_types: u8,
    allowed_seen: Option<When>,
    enum_seen: Option<When>,
    format_checked: u64,
    /// Per property of the node: (opportunities, first seen).
    properties: Vec<(u64, Option<When>)>,
}

/// A place's counts by field path, as the reference keys them.
#[derive(Default)]
pub struct ByPath {
    pub present: BTreeMap<Arc<str>, u64>,
    pub opportunities: BTreeMap<Arc<str>, u64>,
    /// Documented property path → what the schema says of it. This and the next maps
    /// hold, per path, what the first message (by position) to reach it found there
    /// (union branches may say different things of one path).
    pub documented: BTreeMap<Arc<str>, Seen<Documented>>,
    pub ok_types: BTreeMap<Arc<str>, BTreeSet<&'static str>>,
    pub allowed: BTreeMap<Arc<str>, Seen<Option<Vec<String>>>>,
    pub format_checked: BTreeMap<Arc<str>, u64>,
    pub enums: BTreeMap<Arc<str>, Seen<Value>>,
}

fn keep_first<T>(map: &mut BTreeMap<Arc<str>, (When, T)>, path: &Arc<str>, when: When, what: T) {
    match map.get_mut(path) {
        Some((w, _)) if *w <= when => {}
        Some(slot) => *slot = (when, what),
        None => {
            map.insert(path.clone(), (when, what));
        }
    }
}

fn seen_map<T>(map: BTreeMap<Arc<str>, (When, T)>) -> BTreeMap<Arc<str>, Seen<T>> {
    map.into_iter()
        .map(|(k, ((pos, _), what))| (k, Seen { pos, what }))
        .collect()
}

/// A heap entry's value (ordered by position only).
struct HeapValue(Arc<Value>);

impl PartialEq for HeapValue {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for HeapValue {}
impl PartialOrd for HeapValue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapValue {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) | Value::BigInt(_) => "integer",
        Value::Float(_) => "number",
        Value::Str(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The reference's `shape_of`, hashed: keys in order, array lengths (the first 100
/// items) and JSON types, integral floats apart; never values.
fn hash_shape(v: &Value, h: &mut impl Hasher) {
    match v {
        Value::Object(members) => {
            h.write_u8(b'{');
            h.write_usize(members.len());
            for (k, item) in members {
                k.hash(h);
                hash_shape(item, h);
            }
        }
        Value::Array(items) => {
            h.write_u8(b'[');
            let walked = &items[..items.len().min(MAX_ARRAY_ITEMS_WALKED)];
            h.write_usize(walked.len());
            for item in walked {
                hash_shape(item, h);
            }
        }
        Value::Float(f) if f.fract() == 0.0 => h.write_u8(b'I'),
        other => json_type(other).hash(h),
    }
}

/// Count `key` among at most `most` values: the smallest keys win, so which values
/// are kept (and their counts, always complete) does not depend on message order.
fn keep_value(values: &mut BTreeMap<String, u64>, key: String, most: usize) {
    if let Some(c) = values.get_mut(&key) {
        *c += 1;
        return;
    }
    if values.len() >= most {
        match values.last_key_value() {
            Some((largest, _)) if key < *largest => {
                values.pop_last();
            }
            _ => return,
        }
    }
    values.insert(key, 1);
}

impl PlaceCheck {
    fn new(schema: Arc<Schema>) -> Self {
        let nodes = schema
            .nodes
            .iter()
            .map(|n| NodeCounts {
                properties: vec![(0, None); n.properties.len()],
                ..NodeCounts::default()
            })
            .collect();
        PlaceCheck {
            schema,
            n: 0,
            nodes,
            visits: 0,
            checks: FxHashMap::default(),
            first: BinaryHeap::new(),
            shapes: HashMap::new(),
            shape_order: BTreeSet::new(),
        }
    }

    fn observe(&mut self, value: &Value, pos: Pos, plan: &Plan) {
        self.n += 1;
        let mut current = Current {
            pos,
            value,
            shared: None,
        };
        // Validation evidence: the first messages, and the first of each shape.
        if plan.max_validations > 0
            && (self.first.len() < plan.max_validations
                || self.first.peek().is_some_and(|(top, _)| pos < *top))
        {
            let ex = current.example();
            self.first.push((pos, HeapValue(ex.value)));
            if self.first.len() > plan.max_validations {
                self.first.pop();
            }
        }
        if plan.max_shapes > 0 {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            hash_shape(value, &mut h);
            let shape = h.finish();
            let keep = match self.shapes.get(&shape) {
                Some(seen) => pos < seen.pos,
                None => {
                    self.shapes.len() < plan.max_shapes
                        || self.shape_order.last().is_some_and(|(top, _)| pos < *top)
                }
            };
            if keep {
                if let Some(old) = self.shapes.insert(shape, current.example()) {
                    self.shape_order.remove(&(old.pos, shape));
                }
                self.shape_order.insert((pos, shape));
                if self.shapes.len() > plan.max_shapes {
                    if let Some((_, evicted)) = self.shape_order.pop_last() {
                        self.shapes.remove(&evicted);
                    }
                }
            }
        }
        let schema = self.schema.clone();
        self.walk(&schema.nodes, value, 0, &mut current, plan);
    }

    fn hit(
        &mut self,
        rule: &'static str,
        path: &Arc<str>,
        pointer: &Arc<str>,
        current: &mut Current<'_>,
        type_name: Option<&str>,
    ) -> &mut Counts {
        let counts = self
            .checks
            .entry((rule, path.clone()))
            .or_insert_with(|| Counts {
                pointer: pointer.clone(),
                ..Counts::default()
            });
        counts.count += 1;
        if let Some(t) = type_name {
            *counts.values.entry(t.to_string()).or_insert(0) += 1;
        }
        if counts.example.as_ref().is_none_or(|e| current.pos < e.pos) {
            counts.example = Some(current.example());
            counts.pointer = pointer.clone();
        }
        counts
    }

    fn walk(
        &mut self,
        nodes: &[Node],
        value: &Value,
        id: usize,
        cur: &mut Current<'_>,
        plan: &Plan,
    ) {
        let node = &nodes[id];
        if node.empty {
            return;
        }
        for branches in &node.unions {
            if let Some(b) = branches.iter().find(|b| fits_mask(b.type_mask, value)) {
                self.walk(nodes, value, b.node, cur, plan);
                return;
            }
        }
        let path = &node.path;
        self.visits += 1;
        let when = (cur.pos, self.visits);
        let counts = &mut self.nodes[id];
        counts.present += 1;
        earlier(&mut counts.allowed_seen, when);
        if let Value::Null = value {
            let null_in_enum = node
                .enumeration
                .as_ref()
                .is_some_and(|(keys, _)| keys.iter().any(|k| k == "null"));
            if node.type_mask.is_some_and(|m| m & 1 == 0) && !null_in_enum {
                self.hit("null-appearing", path, &node.pointer, cur, None);
            }
            return;
        }
        if !fits_mask(node.type_mask, value) {
            self.hit(
                "type-mismatch",
                path,
                &node.pointer,
                cur,
                Some(json_type(value)),
            );
            return;
        }
        counts.ok_types |= type_bit(value);
        if node.has_value_checks {
            self.check_value(id, node, value, cur, when, plan);
        }
        match value {
            Value::Object(members) => self.walk_object(nodes, id, members, cur, when, plan),
            Value::Array(items) => {
                if let Some(child) = node.items {
                    for item in items.iter().take(MAX_ARRAY_ITEMS_WALKED) {
                        self.walk(nodes, item, child, cur, plan);
                    }
                }
            }
            _ => {}
        }
    }

    fn check_value(
        &mut self,
        id: usize,
        node: &Node,
        value: &Value,
        cur: &mut Current<'_>,
        when: When,
        plan: &Plan,
    ) {
        let path = &node.path;
        if let Some((keys, _)) = &node.enumeration {
            let key = canonical_json(value);
            if !keys.contains(&key) {
                earlier(&mut self.nodes[id].enum_seen, when);
                let max = plan.max_enum_values;
                let counts = self.hit("enum-value-new", path, &node.pointer, cur, None);
                keep_value(&mut counts.values, key, max);
            }
        }
        if let (Some((name, Some(index))), Value::Str(s)) = (&node.format, value) {
            self.nodes[id].format_checked += 1;
            if match_formats(s, 1 << index) == 0 {
                self.hit("format-violation", path, &node.pointer, cur, Some(name));
            }
        }
    }

    fn walk_object(
        &mut self,
        nodes: &[Node],
        id: usize,
        members: &[(Text, Value)],
        cur: &mut Current<'_>,
        when: When,
        plan: &Plan,
    ) {
        let node = &nodes[id];
        // Members in the value's order (the reference walks the documented ones in the
        // schema's order first: no path is reached by two of them, so no count differs).
        let n_props = node.properties.len();
        let mut small_seen: u64 = 0;
        let mut big_seen: Vec<bool> = if n_props > 64 {
            vec![false; n_props]
        } else {
            Vec::new()
        };
        for (name, v) in members {
            if let Some(&i) = node.property_index.get(name) {
                if n_props > 64 {
                    big_seen[i] = true;
                } else {
                    small_seen |= 1 << i;
                }
                self.walk(nodes, v, node.properties[i].node, cur, plan);
                continue;
            }
            if let Some((_, child)) = node.patterns.iter().find(|(re, _)| re.is_match(name)) {
                self.walk(nodes, v, *child, cur, plan);
                continue;
            }
            match node.extra {
                Extra::Schema(child) => self.walk(nodes, v, child, cur, plan),
                Extra::Closed | Extra::Open => {
                    let token = escape_token(name);
                    let path: Arc<str> = format!("{}/{token}", node.fpath).into();
                    let pointer: Arc<str> = format!("{}/properties/{token}", node.pointer).into();
                    let rule = if matches!(node.extra, Extra::Closed) {
                        "property-new-closed-model"
                    } else {
                        "property-new"
                    };
                    self.hit(rule, &path, &pointer, cur, Some(json_type(v)));
                }
            }
        }
        for (i, prop) in node.properties.iter().enumerate() {
            let slot = &mut self.nodes[id].properties[i];
            slot.0 += 1;
            earlier(&mut slot.1, when);
            let present = if n_props > 64 {
                big_seen[i]
            } else {
                small_seen & 1 << i != 0
            };
            if !present && prop.documented.required {
                let pointer = &prop.documented.pointer;
                self.hit("required-missing", &prop.path, pointer, cur, None);
            }
        }
    }

    /// The counts by field path (several schema nodes may share one: union branches).
    pub fn by_path(&self) -> ByPath {
        let mut out = ByPath::default();
        let mut documented = BTreeMap::new();
        let mut allowed = BTreeMap::new();
        let mut enums = BTreeMap::new();
        for (node, c) in self.schema.nodes.iter().zip(&self.nodes) {
            for (prop, (opportunities, seen)) in node.properties.iter().zip(&c.properties) {
                if *opportunities > 0 {
                    *out.opportunities.entry(prop.path.clone()).or_insert(0) += opportunities;
                }
                if let Some(when) = seen {
                    keep_first(&mut documented, &prop.path, *when, prop.documented.clone());
                }
            }
            if c.present > 0 {
                *out.present.entry(node.path.clone()).or_insert(0) += c.present;
            }
            if c.format_checked > 0 {
                *out.format_checked.entry(node.path.clone()).or_insert(0) += c.format_checked;
            }
            if c.ok_types != 0 {
                let types = out.ok_types.entry(node.path.clone()).or_default();
                for (i, name) in TYPE_NAMES.iter().enumerate() {
                    if c.ok_types & 1 << i != 0 {
                        types.insert(name);
                    }
                }
            }
            if let Some(when) = c.allowed_seen {
                keep_first(&mut allowed, &node.path, when, node.types.clone());
            }
            if let (Some(when), Some((_, values))) = (c.enum_seen, &node.enumeration) {
                keep_first(&mut enums, &node.path, when, values.clone());
            }
        }
        out.documented = seen_map(documented);
        out.allowed = seen_map(allowed);
        out.enums = seen_map(enums);
        out
    }

    /// The validation evidence, in position order, each message once.
    pub fn evidence(&self) -> Vec<Example> {
        let mut all: Vec<Example> = self
            .first
            .iter()
            .map(|(pos, v)| Example {
                pos: *pos,
                value: v.0.clone(),
            })
            .chain(self.shapes.values().cloned())
            .collect();
        all.sort_by_key(|e| e.pos);
        // A message in both sets is one validation (the same shared value).
        let mut seen = std::collections::HashSet::new();
        all.retain(|e| seen.insert(Arc::as_ptr(&e.value)));
        all
    }
}

/// A documented message's checks, by place.
pub struct KindCheck {
    pub count: u64,
    pub places: BTreeMap<Place, PlaceCheck>,
}

/// Messages counted with their first example, and reasons.
#[derive(Default)]
pub struct Tally {
    pub count: u64,
    pub example: Option<Example>,
    pub reasons: BTreeMap<String, u64>,
}

/// The whole check: the plan and everything counted so far.
pub struct TrafficCheck {
    plan: Plan,
    /// (topic, documented message key) → checks.
    pub kinds: BTreeMap<(String, String), KindCheck>,
    pub unknown: BTreeMap<(String, String), Tally>,
    pub undecodable: BTreeMap<String, Tally>,
}

const NULL: Value = Value::Null;

fn tally_example(t: &mut Tally, pos: Pos, value: Option<&Value>) {
    if t.example.as_ref().is_none_or(|e| pos < e.pos) {
        t.example = Some(Example {
            pos,
            value: Arc::new(value.cloned().unwrap_or(Value::Null)),
        });
    }
}

impl TrafficCheck {
    pub fn new(plan: Plan) -> Self {
        TrafficCheck {
            plan,
            kinds: BTreeMap::new(),
            unknown: BTreeMap::new(),
            undecodable: BTreeMap::new(),
        }
    }

    /// Check one decoded message of `topic` (the reference's `compare_traffic` loop).
    pub fn observe(&mut self, topic: &str, d: &Decoded, partition: i64, offset: i64) {
        let Some(channel) = self.plan.channels.get(topic) else {
            return;
        };
        let pos = (partition, offset);
        if !d.ok {
            let t = self.undecodable.entry(topic.to_string()).or_default();
            t.count += 1;
            let reason = d.reason.clone().filter(|r| !r.is_empty());
            *t.reasons
                .entry(reason.unwrap_or_else(|| "undecodable".into()))
                .or_insert(0) += 1;
            tally_example(t, pos, None);
            return;
        }
        // Python's None: no value, or a JSON null.
        let value = d.value.as_ref().filter(|v| !matches!(v, Value::Null));
        if d.encoding == "null" && value.is_none() {
            return; // a tombstone
        }
        let Some(index) = match_message(channel, d.kind.as_deref(), value) else {
            let kind = d
                .kind
                .clone()
                .filter(|k| !k.is_empty())
                .unwrap_or_else(|| "(unnamed)".into());
            let t = self.unknown.entry((topic.to_string(), kind)).or_default();
            t.count += 1;
            tally_example(t, pos, value);
            return;
        };
        let sm = &channel.messages[index];
        let check = self
            .kinds
            .entry((topic.to_string(), sm.key.clone()))
            .or_insert_with(|| KindCheck {
                count: 0,
                places: BTreeMap::new(),
            });
        check.count += 1;
        let key = d.key.as_ref().filter(|v| !matches!(v, Value::Null));
        for (place, schema) in &sm.places {
            let place_value = match place {
                // Bytes left undecoded (binary, or framed Avro/Protobuf without their
                // writer schema) say nothing of the payload (`traffic.UNREAD_ENCODINGS`).
                Place::Payload if !matches!(d.encoding, "binary" | "avro" | "protobuf") => {
                    value.unwrap_or(&NULL)
                }
                Place::Key => match key {
                    Some(k) if d.key_encoding != "binary" => k,
                    _ => continue,
                },
                Place::Headers => &d.headers,
                Place::Payload => continue,
            };
            check
                .places
                .entry(*place)
                .or_insert_with(|| PlaceCheck::new(schema.clone()))
                .observe(place_value, pos, &self.plan);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, RecordRef};

    fn plan(schema: &str) -> Plan {
        let text = format!(
            r#"{{"channels": {{"t": [{{"key": "K", "id": "K", "name": "K",
            "discriminator": null, "discriminator_value": null,
            "payload": [{schema}, "/p"], "key_schema": null, "headers": null}}]}},
            "max_validations": 2, "max_shapes": 10, "max_enum_values": 20}}"#
        );
        Plan::from_json(&text).unwrap()
    }

    fn run(check: &mut TrafficCheck, messages: &[(i64, &str)]) {
        for (offset, text) in messages {
            let headers = Vec::new();
            let d = decode(&RecordRef {
                partition: 0,
                offset: *offset,
                timestamp: None,
                key: None,
                value: Some(text.as_bytes()),
                headers: &headers,
            });
            check.observe("t", &d, 0, *offset);
        }
    }

    #[test]
    fn counts_new_properties_missing_required_and_type_changes() {
        let schema = r#"{"type": "object", "required": ["a"],
            "properties": {"a": {"type": "integer"}, "s": {"enum": ["X", "Y"]}}}"#;
        let mut check = TrafficCheck::new(plan(schema));
        run(
            &mut check,
            &[
                (5, r#"{"a": 1, "s": "X"}"#),
                (3, r#"{"a": "one", "b": true}"#),
                (4, r#"{"s": "Z", "b": false}"#),
            ],
        );
        let place = &check.kinds[&("t".to_string(), "K".to_string())].places[&Place::Payload];
        let get = |rule: &'static str, path: &str| &place.checks[&(rule, Arc::from(path))];
        let new = get("property-new", "/b");
        assert_eq!(new.count, 2);
        assert_eq!(new.example.as_ref().unwrap().pos, (0, 3));
        assert_eq!(get("required-missing", "/a").count, 1);
        assert_eq!(get("type-mismatch", "/a").values["string"], 1);
        assert_eq!(get("enum-value-new", "/s").values["\"Z\""], 1);
        assert_eq!(place.n, 3);
        // Validation evidence: the first two by offset, plus each shape's first.
        let offsets: Vec<i64> = place.evidence().iter().map(|e| e.pos.1).collect();
        assert_eq!(offsets, vec![3, 4, 5]);
    }

    #[test]
    fn a_pattern_the_core_cannot_compile_refuses_the_plan() {
        let text = r#"{"channels": {"t": [{"key": "K", "id": "K",
            "payload": [{"patternProperties": {"(?=x)": {}}}, "/p"]}]},
            "max_validations": 1, "max_shapes": 1, "max_enum_values": 1}"#;
        assert!(Plan::from_json(text).is_err());
    }
}
