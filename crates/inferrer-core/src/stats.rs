//! Per-field statistics and the schema structure of a stream of JSON values.
//!
//! The same state as the Python reference (`inferrer.inference.stats.FieldNode` fed by
//! `process_column_reference`, plus genson's `StructureBuilder`), folded one message at
//! a time instead of a column at a time. Every piece of state is a function of the
//! multiset of values seen, never of their order or of how they were split into batches
//! or shapes that were merged: counts, exact min/max, the format mask (AND over the
//! strings), the exact distinct sets up to [`DISTINCT_BOUND`] (strings with how often
//! each was seen: the enum rule needs it), then a K-minimum-values
//! sketch of CRC-32 hashes and the examples with the smallest (hash, tag, value).
//!
//! The structure is derived from the statistics rather than kept beside them: a node
//! knows how many record objects and maps it saw, and each child how many of its
//! parent's records had that key, which is all genson's schema says.

use std::cmp::Ordering;
use std::collections::BTreeSet;

// The exact distinct sets are probed once per value: FxHash is several times cheaper
// than SipHash here, and the sets' order never shows (they are sorted when written).
use rustc_hash::FxHashMap;
use rustc_hash::FxHashSet as HashSet;

use crate::formats::{self, ALL_FORMATS_MASK, ALL_KEY_FAMILIES, MAP_KEY_CLASSES};
use crate::pyrepr::{self, Tag};
use crate::value::{Text, Value};

/// Distinct values per type kept exactly; beyond that the count is estimated.
pub const DISTINCT_BOUND: usize = 1000;
pub const SKETCH_SIZE: usize = 256;
pub const EXAMPLES: usize = 3;

// ---- maps (the rule of `rules.decide_map`, with its documented thresholds) -------------

/// A map needs at least this many distinct keys at its path.
pub const MAP_MIN_KEYS: u64 = 20;
/// ... that many times more distinct keys than members in a mean occurrence ...
pub const MAP_WIDTH_RATIO: u64 = 4;
/// A key seen in at most this many occurrences of its path is rare.
pub const MAP_RARE_OCCURRENCES: u64 = 2;
/// At most this many JSON types besides null among the values (integer and number: one).
pub const MAP_MAX_VALUE_TYPES: u64 = 2;
/// More distinct keys than this: a map, its children folded into one value node.
pub const MAP_COLLAPSE_KEYS: usize = 1000;

/// Whether an object path is a map, from its key statistics (`rules.decide_map`).
pub fn decide_map(
    distinct: u64,
    occurrences: u64,
    members: u64,
    rare: u64,
    value_types: u64,
    families: u32,
) -> bool {
    if occurrences == 0 || distinct == 0 {
        return false;
    }
    if distinct > MAP_COLLAPSE_KEYS as u64 || families & formats::strong_key_families() != 0 {
        return true;
    }
    distinct >= MAP_MIN_KEYS
        && u128::from(distinct) * u128::from(occurrences)
            >= u128::from(MAP_WIDTH_RATIO) * u128::from(members)
        && value_types <= MAP_MAX_VALUE_TYPES
        && (2 * rare >= distinct || families != 0)
}

// ---- exact numbers ---------------------------------------------------------------------

/// An integer as the parser gives it: in the 64-bit range as an i128, beyond it as
/// normalized decimal text. Equal integers always have the same representation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Int {
    Small(i128),
    Big(Text),
}

const SMALL_MIN: i128 = i64::MIN as i128;
const SMALL_MAX: i128 = u64::MAX as i128;

impl Int {
    /// The representation the parser would give this value.
    pub fn from_i128(i: i128) -> Int {
        if (SMALL_MIN..=SMALL_MAX).contains(&i) {
            Int::Small(i)
        } else {
            Int::Big(i.to_string().into())
        }
    }

    /// From decimal text (Python's `str(int)`), normalized.
    pub fn from_text(text: &str) -> Option<Int> {
        if let Ok(i) = text.parse::<i128>() {
            return Some(Int::from_i128(i));
        }
        let (neg, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = digits.trim_start_matches('0');
        let mut s = String::new();
        if neg {
            s.push('-');
        }
        s.push_str(trimmed);
        Some(Int::Big(s.into()))
    }

    /// Python's `repr`.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Int::Small(i) => pyrepr::int_repr(*i).into(),
            Int::Big(t) => (&**t).into(),
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Int::Small(i) => Value::Int(*i),
            Int::Big(t) => Value::BigInt(t.clone()),
        }
    }

    fn hash(&self) -> u32 {
        match self {
            Int::Small(i) => pyrepr::stable_hash_int(*i),
            Int::Big(t) => pyrepr::stable_hash(Tag::Int, t),
        }
    }
}

/// Compare two integers given as normalized decimal text (`-` for negatives).
fn cmp_decimal(a: &str, b: &str) -> Ordering {
    match (a.strip_prefix('-'), b.strip_prefix('-')) {
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(x), Some(y)) => cmp_digits(y, x),
        (None, None) => cmp_digits(a, b),
    }
}

fn cmp_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for Int {
    fn cmp(&self, other: &Int) -> Ordering {
        match (self, other) {
            (Int::Small(a), Int::Small(b)) => a.cmp(b),
            _ => cmp_decimal(&self.text(), &other.text()),
        }
    }
}

impl PartialOrd for Int {
    fn partial_cmp(&self, other: &Int) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The exact decimal text of an integral float (any magnitude).
fn integral_float_text(f: f64) -> String {
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let mut mantissa = bits & ((1u64 << 52) - 1);
    if exp != 0 {
        mantissa |= 1 << 52;
    }
    // f = mantissa × 2^(exp - 1075); integral floats this large have a non-negative shift.
    let shift = exp - 1075;
    if shift < 0 {
        return format!("{}", f as i128);
    }
    // Base 10^9 limbs, least significant first, doubled `shift` times.
    const BASE: u64 = 1_000_000_000;
    let mut limbs = vec![
        mantissa % BASE,
        (mantissa / BASE) % BASE,
        mantissa / BASE / BASE,
    ];
    for _ in 0..shift {
        let mut carry = 0;
        for limb in limbs.iter_mut() {
            let v = *limb * 2 + carry;
            *limb = v % BASE;
            carry = v / BASE;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    while limbs.len() > 1 && limbs[limbs.len() - 1] == 0 {
        limbs.pop();
    }
    let mut s = String::new();
    if f < 0.0 {
        s.push('-');
    }
    s.push_str(&limbs[limbs.len() - 1].to_string());
    for limb in limbs.iter().rev().skip(1) {
        s.push_str(&format!("{limb:09}"));
    }
    s
}

/// Python's comparison of an int with a float: exact, whatever the magnitudes.
fn cmp_int_float(i: &Int, f: f64) -> Ordering {
    if f.fract() != 0.0 {
        // A float with a fraction is below 2^52 in magnitude: compare with its floor.
        let floor = Int::Small(f.floor() as i128);
        return if *i <= floor {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    if f.abs() < 1e38 {
        return i.cmp(&Int::Small(f as i128));
    }
    cmp_decimal(&i.text(), &integral_float_text(f))
}

/// A number as min/max keep it.
#[derive(Clone, Debug, PartialEq)]
pub enum Num {
    Int(Int),
    Float(f64),
}

impl Num {
    /// Exact numeric order (ints and floats as Python compares them).
    pub fn cmp_exact(&self, other: &Num) -> Ordering {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a.cmp(b),
            (Num::Float(a), Num::Float(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (Num::Int(a), Num::Float(b)) => cmp_int_float(a, *b),
            (Num::Float(a), Num::Int(b)) => cmp_int_float(b, *a).reverse(),
        }
    }

    /// Whether `self` replaces `current` as the extreme in direction `want`: strictly
    /// beyond it, or equal to it as an int where it is a float (so that of an int and a
    /// float of one value the int is kept, whatever the order they came in).
    fn beats(&self, current: &Num, want: Ordering) -> bool {
        match self.cmp_exact(current) {
            Ordering::Equal => matches!((self, current), (Num::Int(_), Num::Float(_))),
            o => o == want,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Num::Int(i) => i.to_value(),
            Num::Float(f) => Value::Float(*f),
        }
    }
}

/// Whether `n` becomes the new extreme over `current` in direction `want`.
fn replaces(current: &Option<Num>, n: &Num, want: Ordering) -> bool {
    match current {
        None => true,
        Some(m) => n.beats(m, want),
    }
}

// ---- distinct values ---------------------------------------------------------------------

/// A sketch example: a distinct value with its type tag.
#[derive(Clone, Debug)]
pub enum Example {
    Float(f64),
    Int(Int),
    Str(Text),
}

impl Example {
    pub fn tag(&self) -> Tag {
        match self {
            Example::Float(_) => Tag::Float,
            Example::Int(_) => Tag::Int,
            Example::Str(_) => Tag::Str,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Example::Float(f) => Value::Float(*f),
            Example::Int(i) => i.to_value(),
            Example::Str(s) => Value::Str(s.clone()),
        }
    }
}

impl Ord for Example {
    /// By tag, then natively within a tag: strings by code point, numbers numerically.
    fn cmp(&self, other: &Example) -> Ordering {
        match (self, other) {
            (Example::Float(a), Example::Float(b)) => a.total_cmp(b),
            (Example::Int(a), Example::Int(b)) => a.cmp(b),
            (Example::Str(a), Example::Str(b)) => a.cmp(b),
            _ => self.tag().cmp(&other.tag()),
        }
    }
}

impl PartialOrd for Example {
    fn partial_cmp(&self, other: &Example) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Example {
    fn eq(&self, other: &Example) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Example {}

#[derive(Clone, Debug)]
enum Distinct {
    Exact {
        /// Distinct strings and how often each was seen (the enum rule needs both).
        strs: FxHashMap<Text, u64>,
        ints: HashSet<Int>,
        /// Bits of the floats (-0.0 already made 0.0).
        floats: HashSet<u64>,
    },
    Sketch {
        /// The smallest distinct hashes, ascending, at most SKETCH_SIZE.
        hashes: Vec<u32>,
        /// The smallest (hash, value) pairs, ascending, at most EXAMPLES.
        examples: Vec<(u32, Example)>,
    },
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::Exact {
            strs: FxHashMap::default(),
            ints: HashSet::default(),
            floats: HashSet::default(),
        }
    }
}

fn sketch_add_hash(hashes: &mut Vec<u32>, h: u32) {
    if let Err(i) = hashes.binary_search(&h) {
        if i < SKETCH_SIZE {
            hashes.insert(i, h);
            hashes.truncate(SKETCH_SIZE);
        }
    }
}

fn sketch_add_example(examples: &mut Vec<(u32, Example)>, h: u32, make: impl FnOnce() -> Example) {
    if examples.len() >= EXAMPLES && h > examples[EXAMPLES - 1].0 {
        return;
    }
    let entry = (h, make());
    if let Err(i) = examples.binary_search(&entry) {
        if i < EXAMPLES {
            examples.insert(i, entry);
            examples.truncate(EXAMPLES);
        }
    }
}

/// Add one distinct value to a sketch. A hash at or above a full sketch's largest can
/// be neither in the sketch nor an example (examples have hashes among the 3 smallest).
fn sketch_add(
    hashes: &mut Vec<u32>,
    examples: &mut Vec<(u32, Example)>,
    h: u32,
    make: impl FnOnce() -> Example,
) {
    if hashes.len() >= SKETCH_SIZE && h >= hashes[hashes.len() - 1] {
        return;
    }
    sketch_add_hash(hashes, h);
    sketch_add_example(examples, h, make);
}

// ---- nodes --------------------------------------------------------------------------------

const NULL: usize = 0;
const TRUE: usize = 1;
const FALSE: usize = 2;
const INT: usize = 3;
const FLOAT: usize = 4;
const STR: usize = 5;
const OBJ: usize = 6;
const ARR: usize = 7;

/// Statistics of the values at one path, and the nodes below it (`FieldNode`).
#[derive(Clone, Debug)]
pub struct Node {
    pub name: Option<Text>,
    /// Messages in which this node got at least one value.
    pub present: u64,
    /// The last message that counted in `present` (0: none since creation or merge).
    stamp: u64,
    /// Values by type: null, true, false, int, float, str, object, array.
    pub counts: [u64; 8],
    pub min_num: Option<Num>,
    pub max_num: Option<Num>,
    /// String lengths in code points, when strings were seen.
    pub len: Option<(u64, u64)>,
    /// Bit set over [`formats::FORMATS`]: the formats every string matched.
    pub mask: u32,
    distinct: Distinct,
    /// Objects taken as records (named properties) and as maps.
    pub records: u64,
    pub maps: u64,
    /// On a collapsed path: the key families (over [`MAP_KEY_CLASSES`]) of every key.
    pub key_families: u32,
    /// On a collapsed path: the id prefix every key shares, `""` when they do not
    /// (None: no key yet).
    pub key_prefix: Option<Text>,
    /// Message stamp of `pairs` and `map_ids` (see [`Node::add`]).
    pair_stamp: u64,
    /// The (message, key) pairs of message `pair_stamp` that reached this node.
    pairs: HashSet<u64>,
    /// On a collapsed path: the pair id of each key in the current occurrence context.
    map_ids: FxHashMap<Text, u64>,
    map_ids_stamp: (u64, u64),
    /// Records of the parent that had this node's key.
    pub in_records: u64,
    /// Record properties by name (hashed: looked up once per member of every record;
    /// [`Node::sorted_children`] gives them in name order for output).
    pub children: FxHashMap<Text, Node>,
    pub items: Option<Box<Node>>,
    pub values: Option<Box<Node>>,
}

impl Default for Node {
    fn default() -> Self {
        Node {
            name: None,
            present: 0,
            stamp: 0,
            counts: [0; 8],
            min_num: None,
            max_num: None,
            len: None,
            mask: ALL_FORMATS_MASK,
            distinct: Distinct::default(),
            records: 0,
            maps: 0,
            key_families: ALL_KEY_FAMILIES,
            key_prefix: None,
            pair_stamp: 0,
            pairs: HashSet::default(),
            map_ids: FxHashMap::default(),
            map_ids_stamp: (0, 0),
            in_records: 0,
            children: FxHashMap::default(),
            items: None,
            values: None,
        }
    }
}

impl Node {
    pub fn new(name: Option<&str>) -> Node {
        Node {
            name: name.map(Into::into),
            ..Node::default()
        }
    }

    /// The children in name order (code point order, as Python sorts names).
    pub fn sorted_children(&self) -> Vec<(&str, &Node)> {
        let mut out: Vec<(&str, &Node)> = self.children.iter().map(|(k, c)| (&**k, c)).collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn update_num(&mut self, n: Num) {
        if replaces(&self.min_num, &n, Ordering::Less) {
            self.min_num = Some(n.clone());
        }
        if replaces(&self.max_num, &n, Ordering::Greater) {
            self.max_num = Some(n);
        }
    }

    fn update_len(&mut self, lo: u64, hi: u64) {
        self.len = Some(match self.len {
            None => (lo, hi),
            Some((a, b)) => (a.min(lo), b.max(hi)),
        });
    }

    /// Leave exact sets for the sketch: the same state as adding every distinct value to
    /// an empty sketch.
    fn start_sketch(&mut self) {
        if matches!(self.distinct, Distinct::Sketch { .. }) {
            return;
        }
        let Distinct::Exact { strs, ints, floats } = std::mem::take(&mut self.distinct) else {
            return;
        };
        let mut entries: Vec<(u32, Example)> =
            Vec::with_capacity(strs.len() + ints.len() + floats.len());
        entries.extend(
            strs.into_keys()
                .map(|s| (pyrepr::stable_hash_str(&s), Example::Str(s))),
        );
        entries.extend(ints.into_iter().map(|i| (i.hash(), Example::Int(i))));
        entries.extend(floats.into_iter().map(|b| {
            let f = f64::from_bits(b);
            (pyrepr::stable_hash_float(f), Example::Float(f))
        }));
        entries.sort_unstable();
        let mut hashes: Vec<u32> = entries.iter().map(|e| e.0).collect();
        hashes.dedup();
        hashes.truncate(SKETCH_SIZE);
        entries.truncate(EXAMPLES);
        self.distinct = Distinct::Sketch {
            hashes,
            examples: entries,
        };
    }

    fn add_str(&mut self, s: &str) {
        let n = s.chars().count() as u64;
        self.update_len(n, n);
        match &mut self.distinct {
            Distinct::Exact { strs, .. } => {
                if let Some(n) = strs.get_mut(s) {
                    *n += 1;
                    return; // checked against the formats when first seen
                }
                strs.insert(s.into(), 1);
                let over = strs.len() > DISTINCT_BOUND;
                if self.mask != 0 {
                    self.mask = formats::match_formats(s, self.mask);
                }
                if over {
                    self.start_sketch();
                }
            }
            Distinct::Sketch { hashes, examples } => {
                if self.mask != 0 {
                    self.mask = formats::match_formats(s, self.mask);
                }
                let h = pyrepr::stable_hash_str(s);
                sketch_add(hashes, examples, h, || Example::Str(s.into()));
            }
        }
    }

    fn add_int(&mut self, i: Int) {
        self.update_num(Num::Int(i.clone()));
        match &mut self.distinct {
            Distinct::Exact { ints, .. } => {
                if ints.insert(i) && ints.len() > DISTINCT_BOUND {
                    self.start_sketch();
                }
            }
            Distinct::Sketch { hashes, examples } => {
                let h = i.hash();
                sketch_add(hashes, examples, h, || Example::Int(i));
            }
        }
    }

    fn add_float(&mut self, f: f64) {
        let f = f + 0.0; // -0.0 counts as 0.0
        self.update_num(Num::Float(f));
        match &mut self.distinct {
            Distinct::Exact { floats, .. } => {
                if floats.insert(f.to_bits()) && floats.len() > DISTINCT_BOUND {
                    self.start_sketch();
                }
            }
            Distinct::Sketch { hashes, examples } => {
                let h = pyrepr::stable_hash_float(f);
                sketch_add(hashes, examples, h, || Example::Float(f));
            }
        }
    }

    /// Add one value of message `seq` (messages numbered from 1).
    pub fn add(&mut self, v: &Value, seq: u64, fresh: &mut u64) {
        self.add_in(v, seq, 0, fresh);
    }

    /// `present` counts messages, and below a collapsed map (message, key) pairs, as
    /// the children the map replaced counted messages per key: `pair` is 0 outside
    /// collapsed maps, else the id of the pair (fresh ids, unique per shape).
    fn add_in(&mut self, v: &Value, seq: u64, pair: u64, fresh: &mut u64) {
        if self.stamp != seq {
            self.stamp = seq;
            if pair == 0 {
                self.present += 1;
            }
        }
        if pair != 0 {
            if self.pair_stamp != seq {
                self.pair_stamp = seq;
                self.pairs.clear();
            }
            if self.pairs.insert(pair) {
                self.present += 1;
            }
        }
        match v {
            Value::Null => self.counts[NULL] += 1,
            Value::Bool(true) => self.counts[TRUE] += 1,
            Value::Bool(false) => self.counts[FALSE] += 1,
            Value::Int(i) => {
                self.counts[INT] += 1;
                self.add_int(Int::from_i128(*i));
            }
            Value::BigInt(t) => {
                self.counts[INT] += 1;
                self.add_int(Int::Big(t.clone()));
            }
            Value::Float(f) => {
                self.counts[FLOAT] += 1;
                self.add_float(*f);
            }
            Value::Str(s) => {
                self.counts[STR] += 1;
                self.add_str(s);
            }
            Value::Array(items) => {
                self.counts[ARR] += 1;
                if !items.is_empty() {
                    let node = self.items.get_or_insert_with(Box::default);
                    for item in items {
                        node.add_in(item, seq, pair, fresh);
                    }
                }
            }
            Value::Object(members) => {
                self.counts[OBJ] += 1;
                if self.maps == 0 && self.children.len() + members.len() > MAP_COLLAPSE_KEYS {
                    let new = members
                        .iter()
                        .filter(|(k, _)| !self.children.contains_key(&**k))
                        .count();
                    if self.children.len() + new > MAP_COLLAPSE_KEYS {
                        self.counts[OBJ] -= 1;
                        self.collapse();
                        self.counts[OBJ] += 1;
                    }
                }
                if self.maps > 0 {
                    self.maps += 1;
                    if self.map_ids_stamp != (seq, pair) {
                        self.map_ids_stamp = (seq, pair);
                        self.map_ids.clear();
                    }
                    for (k, item) in members {
                        self.add_map_key(formats::key_families(k), formats::key_prefix(k));
                        let id = match self.map_ids.get(&**k) {
                            Some(&id) => id,
                            None => {
                                *fresh += 1;
                                self.map_ids.insert(k.clone(), *fresh);
                                *fresh
                            }
                        };
                        self.values
                            .get_or_insert_with(Box::default)
                            .add_in(item, seq, id, fresh);
                    }
                } else {
                    self.records += 1;
                    for (k, item) in members {
                        let child = match self.children.get_mut(&**k) {
                            Some(c) => c,
                            None => self
                                .children
                                .entry(k.clone())
                                .or_insert_with(|| Node::new(Some(k))),
                        };
                        child.in_records += 1;
                        child.add_in(item, seq, pair, fresh);
                    }
                }
            }
        }
    }

    /// Fold the families and id prefix of some keys into a collapsed path's (`""`: keys
    /// without one common prefix).
    fn add_map_key(&mut self, families: u32, prefix: Option<&str>) {
        self.key_families &= families;
        let prefix = prefix.unwrap_or("");
        match &self.key_prefix {
            None => self.key_prefix = Some(prefix.into()),
            Some(p) if **p != *prefix && !p.is_empty() => self.key_prefix = Some("".into()),
            _ => {}
        }
    }

    /// Whether the path's children were folded into one value node (a map).
    pub fn collapsed(&self) -> bool {
        self.maps > 0
    }

    /// Fold the children into one value node (`FieldNode.collapse`): the same state,
    /// whatever the moment, as folding every member as a map value.
    fn collapse(&mut self) {
        if self.collapsed() {
            return;
        }
        let children = std::mem::take(&mut self.children);
        let mut names: Vec<&Text> = children.keys().collect();
        names.sort_unstable();
        let values = self.values.get_or_insert_with(Box::default);
        for k in &names {
            values.merge(&children[*k]);
        }
        values.in_records = 0;
        for k in names {
            self.add_map_key(formats::key_families(k), formats::key_prefix(k));
        }
        self.maps = self.counts[OBJ];
        self.records = 0;
    }

    /// The key families every key of this path belongs to.
    pub fn map_families(&self) -> u32 {
        if self.collapsed() {
            return self.key_families;
        }
        self.children
            .keys()
            .fold(ALL_KEY_FAMILIES, |m, k| m & formats::key_families(k))
    }

    /// The id prefix every key shares, or `""` (`FieldNode.map_prefix`).
    pub fn map_prefix(&self) -> Text {
        if self.collapsed() {
            return self.key_prefix.clone().unwrap_or_default();
        }
        let mut common: Option<Option<&str>> = None;
        for k in self.children.keys() {
            let p = formats::key_prefix(k);
            match common {
                None => common = Some(p),
                Some(c) if c != p => return "".into(),
                _ => {}
            }
        }
        common.flatten().unwrap_or("").into()
    }

    /// Whether this object path is a map (`FieldNode.is_map`).
    pub fn is_map(&self) -> bool {
        if self.collapsed() {
            return true;
        }
        if self.records == 0 || self.children.is_empty() {
            return false;
        }
        let (mut rare, mut members, mut types) = (0u64, 0u64, 0u8);
        for child in self.children.values() {
            members += child.in_records;
            if child.in_records <= MAP_RARE_OCCURRENCES {
                rare += 1;
            }
            let c = &child.counts;
            let bits = [
                c[TRUE] + c[FALSE],
                c[INT] + c[FLOAT],
                c[STR],
                c[OBJ],
                c[ARR],
            ];
            for (i, n) in bits.iter().enumerate() {
                if *n > 0 {
                    types |= 1 << i;
                }
            }
        }
        decide_map(
            self.children.len() as u64,
            self.records,
            members,
            rare,
            u64::from(types.count_ones()),
            self.map_families(),
        )
    }

    /// The children merged (the values of a map that did not collapse).
    fn merged_children(&self) -> Node {
        let mut merged = Node::default();
        for (_, child) in self.sorted_children() {
            merged.merge(child);
        }
        merged.in_records = 0;
        merged
    }

    /// Fold `other` into this node (`FieldNode.merge`).
    pub fn merge(&mut self, other: &Node) {
        self.present += other.present;
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        if let Some(n) = &other.min_num {
            if replaces(&self.min_num, n, Ordering::Less) {
                self.min_num = Some(n.clone());
            }
        }
        if let Some(n) = &other.max_num {
            if replaces(&self.max_num, n, Ordering::Greater) {
                self.max_num = Some(n.clone());
            }
        }
        if let Some((lo, hi)) = other.len {
            self.update_len(lo, hi);
        }
        self.mask &= other.mask;
        self.in_records += other.in_records;
        self.merge_distinct(&other.distinct);
        let over = || {
            let new = other
                .children
                .keys()
                .filter(|k| !self.children.contains_key(*k))
                .count();
            self.children.len() + new > MAP_COLLAPSE_KEYS
        };
        if self.collapsed() || other.collapsed() || over() {
            // Counts are already summed: collapse what this node had, then fold in.
            self.collapse();
            if other.collapsed() {
                if let Some(p) = &other.key_prefix {
                    self.add_map_key(other.key_families, Some(p));
                    if p.is_empty() {
                        self.key_prefix = Some("".into());
                    }
                } else {
                    self.key_families &= other.key_families;
                }
                if let Some(values) = &other.values {
                    self.values.get_or_insert_with(Box::default).merge(values);
                }
            } else {
                for (k, child) in other.sorted_children() {
                    self.add_map_key(formats::key_families(k), formats::key_prefix(k));
                    self.values.get_or_insert_with(Box::default).merge(child);
                }
            }
            if let Some(values) = &mut self.values {
                values.in_records = 0;
            }
            self.maps = self.counts[OBJ];
            self.records = 0;
        } else {
            self.records += other.records;
            for (k, child) in &other.children {
                self.children
                    .entry(k.clone())
                    .or_insert_with(|| Node::new(Some(k)))
                    .merge(child);
            }
        }
        if let Some(items) = &other.items {
            self.items.get_or_insert_with(Box::default).merge(items);
        }
    }

    fn merge_distinct(&mut self, other: &Distinct) {
        if let (
            Distinct::Exact { strs, ints, floats },
            Distinct::Exact {
                strs: s2,
                ints: i2,
                floats: f2,
            },
        ) = (&mut self.distinct, other)
        {
            for (k, n) in s2 {
                *strs.entry(k.clone()).or_insert(0) += n;
            }
            ints.extend(i2.iter().cloned());
            floats.extend(f2.iter().copied());
            if strs.len().max(ints.len()).max(floats.len()) > DISTINCT_BOUND {
                self.start_sketch();
            }
            return;
        }
        self.start_sketch();
        let Distinct::Sketch { hashes, examples } = &mut self.distinct else {
            unreachable!("start_sketch leaves a sketch");
        };
        match other {
            Distinct::Exact { strs, ints, floats } => {
                for s in strs.keys() {
                    sketch_add(hashes, examples, pyrepr::stable_hash_str(s), || {
                        Example::Str(s.clone())
                    });
                }
                for i in ints {
                    sketch_add(hashes, examples, i.hash(), || Example::Int(i.clone()));
                }
                for &b in floats {
                    let f = f64::from_bits(b);
                    sketch_add(hashes, examples, pyrepr::stable_hash_float(f), || {
                        Example::Float(f)
                    });
                }
            }
            Distinct::Sketch {
                hashes: h2,
                examples: e2,
            } => {
                for &h in h2 {
                    sketch_add_hash(hashes, h);
                }
                for (h, e) in e2 {
                    sketch_add_example(examples, *h, || e.clone());
                }
            }
        }
    }

    /// The genson structure of the values seen here (`StructureBuilder.to_schema()`
    /// after `sort_structure`): `{}` when nothing was seen.
    pub fn structure(&self) -> Value {
        let c = &self.counts;
        let mut types: Vec<&str> = Vec::new();
        let mut parts: Vec<Value> = Vec::new();
        if c[ARR] > 0 {
            match &self.items {
                // genson merges a part that is only a type into the type list.
                None => types.push("array"),
                Some(items) => parts.push(object(vec![
                    ("items", items.structure()),
                    ("type", s("array")),
                ])),
            }
        }
        if c[TRUE] + c[FALSE] > 0 {
            types.push("boolean");
        }
        if c[FLOAT] > 0 {
            types.push("number");
        } else if c[INT] > 0 {
            types.push("integer");
        }
        if c[NULL] > 0 {
            types.push("null");
        }
        if c[STR] > 0 {
            types.push("string");
        }
        types.sort_unstable();
        let is_map = c[OBJ] > 0 && self.is_map();
        if is_map {
            let merged;
            let values = if self.collapsed() {
                self.values.as_deref()
            } else {
                merged = self.merged_children();
                Some(&merged)
            };
            let families = self.map_families();
            let mut fields = vec![(
                "additionalProperties",
                values.map_or(Value::Object(vec![]), Node::structure),
            )];
            fields.push(("type", s("object")));
            fields.push((
                "x-map-keys",
                Value::Array(formats::families_of(families).map(s).collect()),
            ));
            let prefix = self.map_prefix();
            if !prefix.is_empty() && formats::has_id_family(families) {
                fields.push(("x-map-prefix", Value::Str(prefix)));
            }
            parts.push(object(fields));
        } else if self.records > 0 {
            let required: Vec<Value> = self
                .sorted_children()
                .into_iter()
                .filter(|(_, child)| child.in_records == self.records)
                .map(|(k, _)| Value::Str(k.into()))
                .collect();
            let mut fields = Vec::new();
            if !self.children.is_empty() {
                let props = self
                    .sorted_children()
                    .into_iter()
                    .map(|(k, child)| (k.into(), child.structure()))
                    .collect();
                fields.push(("properties", Value::Object(props)));
            }
            fields.push(("required", Value::Array(required)));
            fields.push(("type", s("object")));
            parts.push(object(fields));
        }
        if !types.is_empty() {
            let t = if types.len() == 1 {
                s(types[0])
            } else {
                Value::Array(types.into_iter().map(s).collect())
            };
            parts.push(object(vec![("type", t)]));
        }
        match parts.len() {
            0 => Value::Object(vec![]),
            1 => parts.pop().expect("one part"),
            _ => {
                let mut keyed: Vec<(String, Value)> = parts
                    .into_iter()
                    .map(|p| (pyrepr::canonical_json(&p), p))
                    .collect();
                keyed.sort_by(|a, b| a.0.cmp(&b.0));
                object(vec![(
                    "anyOf",
                    Value::Array(keyed.into_iter().map(|(_, p)| p).collect()),
                )])
            }
        }
    }

    /// `FieldNode.to_dict()`, as a [`Value`] (keys in a fixed order).
    pub fn to_value(&self) -> Value {
        let mut out: Vec<(Text, Value)> = Vec::new();
        let mut put = |k: &str, v: Value| out.push((k.into(), v));
        put("present", uint(self.present));
        put(
            "counts",
            Value::Array(self.counts.iter().map(|&n| uint(n)).collect()),
        );
        put(
            "num",
            match (&self.min_num, &self.max_num) {
                (Some(lo), Some(hi)) => Value::Array(vec![lo.to_value(), hi.to_value()]),
                _ => Value::Null,
            },
        );
        put(
            "len",
            match self.len {
                Some((lo, hi)) => Value::Array(vec![uint(lo), uint(hi)]),
                None => Value::Null,
            },
        );
        put("mask", uint(u64::from(self.mask)));
        if let Some(name) = &self.name {
            put("name", Value::Str(name.clone()));
        }
        match &self.distinct {
            Distinct::Exact { strs, ints, floats } => {
                let mut s: Vec<(&Text, &u64)> = strs.iter().collect();
                s.sort_unstable();
                put(
                    "strs",
                    Value::Array(s.iter().map(|(x, _)| Value::Str((*x).clone())).collect()),
                );
                put(
                    "str_counts",
                    Value::Array(s.iter().map(|(_, &n)| uint(n)).collect()),
                );
                let mut i: Vec<&Int> = ints.iter().collect();
                i.sort_unstable();
                put(
                    "ints",
                    Value::Array(i.into_iter().map(Int::to_value).collect()),
                );
                let mut f: Vec<f64> = floats.iter().map(|&b| f64::from_bits(b)).collect();
                f.sort_unstable_by(f64::total_cmp);
                put(
                    "floats",
                    Value::Array(f.into_iter().map(Value::Float).collect()),
                );
            }
            Distinct::Sketch { hashes, examples } => {
                put(
                    "sketch",
                    Value::Array(hashes.iter().map(|&h| uint(u64::from(h))).collect()),
                );
                put(
                    "sketch_examples",
                    Value::Array(
                        examples
                            .iter()
                            .map(|(h, e)| {
                                Value::Array(vec![
                                    uint(u64::from(*h)),
                                    s(e.tag().letter()),
                                    e.to_value(),
                                ])
                            })
                            .collect(),
                    ),
                );
            }
        }
        if !self.children.is_empty() {
            put(
                "children",
                Value::Object(
                    self.sorted_children()
                        .into_iter()
                        .map(|(k, c)| (k.into(), c.to_value()))
                        .collect(),
                ),
            );
        }
        if let Some(items) = &self.items {
            put("items", items.to_value());
        }
        if let Some(values) = &self.values {
            put("values", values.to_value());
        }
        put("records", uint(self.records));
        put("maps", uint(self.maps));
        let families = if self.collapsed() {
            formats::families_of(self.key_families).map(s).collect()
        } else {
            vec![]
        };
        put("map_keys", Value::Array(families));
        put("in_records", uint(self.in_records));
        if self.collapsed() {
            put(
                "key_prefix",
                Value::Str(self.key_prefix.clone().unwrap_or_default()),
            );
        }
        Value::Object(out)
    }

    /// The inverse of [`Node::to_value`] (`FieldNode.from_dict`). `maps` and `map_keys`
    /// may be missing (dicts written before they existed: no maps).
    pub fn from_value(v: &Value) -> Result<Node, String> {
        let mut node = Node::new(opt(v, "name").and_then(Value::as_str));
        node.present = get_u64(v, "present")?;
        let counts = array(field(v, "counts")?, "counts")?;
        if counts.len() != 8 {
            return Err("counts: 8 numbers expected".into());
        }
        for (slot, c) in node.counts.iter_mut().zip(counts) {
            *slot = as_u64(c, "counts")?;
        }
        if let Some(num) = opt(v, "num").filter(|n| !matches!(n, Value::Null)) {
            let pair = array(num, "num")?;
            if pair.len() != 2 {
                return Err("num: a pair expected".into());
            }
            node.min_num = Some(as_num(&pair[0])?);
            node.max_num = Some(as_num(&pair[1])?);
        }
        if let Some(len) = opt(v, "len").filter(|n| !matches!(n, Value::Null)) {
            let pair = array(len, "len")?;
            if pair.len() != 2 {
                return Err("len: a pair expected".into());
            }
            node.len = Some((as_u64(&pair[0], "len")?, as_u64(&pair[1], "len")?));
        }
        node.mask = u32::try_from(get_u64(v, "mask")?).map_err(|_| "mask out of range")?;
        if let Some(sketch) = opt(v, "sketch") {
            let mut hashes = Vec::new();
            for h in array(sketch, "sketch")? {
                hashes.push(as_u32(h)?);
            }
            let mut examples = Vec::new();
            for e in array(field(v, "sketch_examples")?, "sketch_examples")? {
                let e = array(e, "sketch example")?;
                if e.len() != 3 {
                    return Err("sketch example: [hash, tag, value] expected".into());
                }
                let h = as_u32(&e[0])?;
                let example = match (e[1].as_str().and_then(Tag::from_letter), &e[2]) {
                    (Some(Tag::Str), Value::Str(s)) => Example::Str(s.clone()),
                    (Some(Tag::Int), x) => Example::Int(as_int(x)?),
                    (Some(Tag::Float), x) => Example::Float(as_float(x)?),
                    _ => return Err("sketch example: bad tag or value".into()),
                };
                examples.push((h, example));
            }
            node.distinct = Distinct::Sketch { hashes, examples };
        } else {
            let names = array(field(v, "strs")?, "strs")?;
            // Dicts written before counts were kept read each string as seen once.
            let counts = match opt(v, "str_counts") {
                Some(c) => array(c, "str_counts")?,
                None => &[],
            };
            if !counts.is_empty() && counts.len() != names.len() {
                return Err("str_counts: one count per string expected".into());
            }
            let mut strs = FxHashMap::default();
            for (i, x) in names.iter().enumerate() {
                let n = match counts.get(i) {
                    Some(c) => as_u64(c, "str_counts")?,
                    None => 1,
                };
                let name: Text = x.as_str().ok_or("strs: strings expected")?.into();
                *strs.entry(name).or_insert(0) += n;
            }
            let mut ints = HashSet::default();
            for x in array(field(v, "ints")?, "ints")? {
                ints.insert(as_int(x)?);
            }
            let mut floats = HashSet::default();
            for x in array(field(v, "floats")?, "floats")? {
                floats.insert((as_float(x)? + 0.0).to_bits());
            }
            node.distinct = Distinct::Exact { strs, ints, floats };
        }
        if let Some(children) = opt(v, "children") {
            let members = children.as_object().ok_or("children: an object expected")?;
            for (k, c) in members {
                let mut child = Node::from_value(c)?;
                child.name = Some(k.clone());
                child.in_records = child.total();
                node.children.insert(k.clone(), child);
            }
        }
        if let Some(items) = opt(v, "items") {
            node.items = Some(Box::new(Node::from_value(items)?));
        }
        if let Some(values) = opt(v, "values") {
            node.values = Some(Box::new(Node::from_value(values)?));
        }
        node.maps = opt(v, "maps").map_or(Ok(0), |x| as_u64(x, "maps"))?;
        // Every object is a record or a map, and a property gets one value from each
        // record that has its key: both counts follow from the others, and are derived
        // here so that dicts written without them (or by code that adds objects by
        // count) read right.
        node.records = node.counts[OBJ].saturating_sub(node.maps);
        if node.name.is_some() {
            node.in_records = node.total();
        }
        if node.maps > 0 {
            node.key_families = 0;
            if let Some(keys) = opt(v, "map_keys") {
                for k in array(keys, "map_keys")? {
                    let name = k.as_str().ok_or("map_keys: strings expected")?;
                    let i = MAP_KEY_CLASSES
                        .iter()
                        .position(|c| *c == name)
                        .ok_or_else(|| format!("map_keys: unknown class {name}"))?;
                    node.key_families |= 1 << i;
                }
            }
            let prefix = opt(v, "key_prefix").and_then(Value::as_str).unwrap_or("");
            node.key_prefix = Some(prefix.into());
        }
        Ok(node)
    }
}

fn s(text: &str) -> Value {
    Value::Str(text.into())
}

fn uint(n: u64) -> Value {
    Value::Int(i128::from(n))
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn opt<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key)
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value, String> {
    v.get(key).ok_or_else(|| format!("missing {key:?}"))
}

fn array<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], String> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(format!("{what}: a list expected")),
    }
}

fn as_u64(v: &Value, what: &str) -> Result<u64, String> {
    match v {
        Value::Int(i) => u64::try_from(*i).map_err(|_| format!("{what}: out of range")),
        _ => Err(format!("{what}: a non-negative int expected")),
    }
}

fn get_u64(v: &Value, key: &str) -> Result<u64, String> {
    as_u64(field(v, key)?, key)
}

fn as_u32(v: &Value) -> Result<u32, String> {
    u32::try_from(as_u64(v, "hash")?).map_err(|_| "hash out of range".into())
}

fn as_int(v: &Value) -> Result<Int, String> {
    match v {
        Value::Int(i) => Ok(Int::from_i128(*i)),
        Value::BigInt(t) => Int::from_text(t).ok_or_else(|| "bad integer".into()),
        _ => Err("an int expected".into()),
    }
}

fn as_float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Float(f) => Ok(*f),
        // Python's float(x) of an int (from_dict calls float on each).
        Value::Int(i) => Ok(*i as f64),
        _ => Err("a float expected".into()),
    }
}

fn as_num(v: &Value) -> Result<Num, String> {
    match v {
        Value::Float(f) => Ok(Num::Float(*f)),
        _ => as_int(v).map(Num::Int),
    }
}

// ---- shapes -------------------------------------------------------------------------------

/// Statistics and structure of one stream of JSON values (the data of a
/// `ShapeObservation`), plus the declared schemas (hints) seen with it.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// Values (messages) added.
    pub count: u64,
    pub root: Node,
    /// Canonical JSON of each declared schema.
    pub hints: BTreeSet<String>,
    /// The message number stamped on the nodes a message reaches (for `present`).
    seq: u64,
    /// The last (message, key) pair id given out below collapsed maps.
    fresh: u64,
}

/// Pair ids start here, far above any message number.
const FRESH_BASE: u64 = 1 << 62;

impl Shape {
    pub fn new() -> Shape {
        Shape::default()
    }

    /// Add one message's value.
    pub fn add(&mut self, v: &Value) {
        self.count += 1;
        self.seq += 1;
        if self.fresh < FRESH_BASE {
            self.fresh = FRESH_BASE;
        }
        self.root.add(v, self.seq, &mut self.fresh);
    }

    /// Record a declared schema (once per distinct schema).
    pub fn add_hint(&mut self, hint: &Value) {
        self.hints.insert(pyrepr::canonical_json(hint));
    }

    /// Fold `other` in: associative and commutative (the statistics are a function of
    /// the multiset of values; hints a set).
    pub fn merge(&mut self, other: &Shape) {
        self.count += other.count;
        self.root.merge(&other.root);
        self.hints.extend(other.hints.iter().cloned());
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.hints.is_empty()
    }

    /// The genson structure of the values (hints are not merged into it).
    pub fn structure(&self) -> Value {
        if self.count == 0 {
            return Value::Object(vec![]);
        }
        self.root.structure()
    }

    /// `{"count", "structure", "stats", "hints"}` (hints sorted).
    pub fn to_value(&self) -> Value {
        object(vec![
            ("count", uint(self.count)),
            ("structure", self.structure()),
            ("stats", self.root.to_value()),
            (
                "hints",
                Value::Array(self.hints.iter().map(|h| s(h)).collect()),
            ),
        ])
    }

    /// The inverse of [`Shape::to_value`]; the structure is derived, so it is not read.
    pub fn from_value(v: &Value) -> Result<Shape, String> {
        let mut shape = Shape {
            count: get_u64(v, "count")?,
            root: Node::from_value(field(v, "stats")?)?,
            ..Shape::default()
        };
        for h in array(field(v, "hints")?, "hints")? {
            shape
                .hints
                .insert(h.as_str().ok_or("hints: strings expected")?.to_string());
        }
        Ok(shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse;

    fn fold(messages: &[&str]) -> Shape {
        let mut shape = Shape::new();
        for m in messages {
            shape.add(&parse(m.as_bytes()).unwrap().0);
        }
        shape
    }

    fn json(v: &Value) -> String {
        pyrepr::canonical_json(v)
    }

    #[test]
    fn exact_int_float_order() {
        let big = Int::from_text("100000000000000000000").unwrap();
        assert_eq!(cmp_int_float(&big, 1e20), Ordering::Equal);
        assert_eq!(cmp_int_float(&big, 1.5), Ordering::Greater);
        assert_eq!(cmp_int_float(&Int::Small(2), 1.5), Ordering::Greater);
        assert_eq!(cmp_int_float(&Int::Small(1), 1.5), Ordering::Less);
        assert_eq!(cmp_int_float(&Int::Small(-2), -1.5), Ordering::Less);
        assert_eq!(
            cmp_int_float(&Int::Small(9007199254740993), 9007199254740992.0),
            Ordering::Greater
        );
        assert_eq!(integral_float_text(1e300).len(), 301);
        assert_eq!(
            integral_float_text(-2f64.powi(200)),
            format!(
                "-{}",
                "1606938044258990275541962092341162602522202993782792835301376"
            )
        );
        let neg_big = Int::from_text("-100000000000000000000").unwrap();
        assert!(neg_big < Int::Small(i64::MIN as i128));
        assert!(Int::from_text("18446744073709551616").unwrap() > Int::Small(u64::MAX as i128));
    }

    #[test]
    fn ties_keep_the_int_and_zero_is_positive() {
        let a = fold(&["1.0", "1", "-0.0"]);
        let b = fold(&["-0.0", "1", "1.0"]);
        assert_eq!(json(&a.to_value()), json(&b.to_value()));
        assert_eq!(a.root.max_num, Some(Num::Int(Int::Small(1))));
        assert_eq!(a.root.min_num, Some(Num::Float(0.0)));
        assert!(a
            .root
            .min_num
            .as_ref()
            .is_some_and(|n| matches!(n, Num::Float(f) if f.is_sign_positive())));
    }

    #[test]
    fn structure_like_genson() {
        let shape = fold(&[
            r#"{"a":1,"b":[],"m":{"USD":1}}"#,
            r#"{"a":2.5,"b":[{"x":null}],"c":"s","m":{"EUR":true}}"#,
        ]);
        assert_eq!(
            json(&shape.structure()),
            r#"{"properties":{"a":{"type":"number"},"b":{"items":{"properties":{"x":{"type":"null"}},"required":["x"],"type":"object"},"type":"array"},"c":{"type":"string"},"m":{"additionalProperties":{"type":["boolean","integer"]},"type":"object","x-map-keys":["code","header"]}},"required":["a","b","m"],"type":"object"}"#
        );
        let mixed = fold(&["[]", "1", "{}", "null"]);
        assert_eq!(
            json(&mixed.structure()),
            r#"{"anyOf":[{"required":[],"type":"object"},{"type":["array","integer","null"]}]}"#
        );
        assert_eq!(json(&Shape::new().structure()), "{}");
    }

    fn ids_message(i: usize, keys: usize) -> String {
        let members: Vec<String> = (0..keys)
            .map(|j| format!(r#""WH-{:05}":{{"q":{j}}}"#, i * keys + j))
            .collect();
        format!(r#"{{"stock":{{{}}},"n":{i}}}"#, members.join(","))
    }

    #[test]
    fn ever_new_keys_collapse_whatever_the_order() {
        let messages: Vec<String> = (0..700).map(|i| ids_message(i, 2)).collect();
        let refs: Vec<&str> = messages.iter().map(String::as_str).collect();
        let whole = fold(&refs);
        let stock = &whole.root.children["stock"];
        assert!(stock.collapsed());
        assert!(stock.children.is_empty());
        assert_eq!(stock.values.as_ref().unwrap().present, 1400);
        let mut reversed = refs.clone();
        reversed.reverse();
        let mut parts = fold(&reversed[..300]);
        parts.merge(&fold(&reversed[300..]));
        assert_eq!(json(&whole.to_value()), json(&parts.to_value()));
        assert!(json(&whole.structure()).contains(r#""x-map-prefix":"WH-""#));
        let back = Shape::from_value(&whole.to_value()).unwrap();
        assert_eq!(json(&back.to_value()), json(&whole.to_value()));
    }

    #[test]
    fn maps_by_key_statistics() {
        // 30 ever-new keys, two per occurrence: a map before any collapse.
        let few: Vec<String> = (0..15).map(|i| ids_message(i, 2)).collect();
        let refs: Vec<&str> = few.iter().map(String::as_str).collect();
        let shape = fold(&refs);
        assert!(shape.root.children["stock"].is_map());
        assert!(!shape.root.is_map());
        // 40 optional fields present about half the time: a record.
        let wide: Vec<String> = (0..60)
            .map(|i| {
                let members: Vec<String> = (0..40)
                    .filter(|j| (i * 7 + j * 3) % 2 == 0)
                    .map(|j| format!(r#""field{j}":1"#))
                    .collect();
                format!("{{{}}}", members.join(","))
            })
            .collect();
        let refs: Vec<&str> = wide.iter().map(String::as_str).collect();
        assert!(!fold(&refs).root.is_map());
        assert!(decide_map(30, 15, 30, 30, 1, 0));
        assert!(!decide_map(30, 15, 30, 0, 1, 0));
        assert!(!decide_map(40, 60, 1200, 0, 1, 0));
        assert!(decide_map(2, 1, 2, 2, 1, formats::strong_key_families()));
    }

    #[test]
    fn present_counts_messages() {
        let shape = fold(&[r#"[{"a":1},{"a":2}]"#, "[]", r#"[{"a":3}]"#]);
        let items = shape.root.items.as_ref().unwrap();
        assert_eq!(shape.root.present, 3);
        assert_eq!(items.present, 2);
        assert_eq!(items.children["a"].present, 2);
        assert_eq!(items.children["a"].in_records, 3);
    }

    #[test]
    fn sketch_is_order_and_split_independent() {
        let values: Vec<String> = (0..2500).map(|i| format!("\"v{i}\"")).collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let whole = fold(&refs);
        let mut reversed: Vec<&str> = refs.clone();
        reversed.reverse();
        let mut parts = fold(&reversed[..700]);
        parts.merge(&fold(&reversed[700..1900]));
        parts.merge(&fold(&reversed[1900..]));
        assert_eq!(json(&whole.to_value()), json(&parts.to_value()));
        let Distinct::Sketch { hashes, examples } = &whole.root.distinct else {
            panic!("a sketch expected");
        };
        assert_eq!(hashes.len(), SKETCH_SIZE);
        assert_eq!(examples.len(), EXAMPLES);
        let back = Shape::from_value(&whole.to_value()).unwrap();
        assert_eq!(json(&back.to_value()), json(&whole.to_value()));
    }

    #[test]
    fn formats_mask_and_round_trip() {
        let shape = fold(&[
            r#""2024-01-01""#,
            r#""2024-01-02""#,
            "18446744073709551616",
            "1e300",
        ]);
        assert_eq!(shape.root.mask, 1);
        let v = shape.to_value();
        let back = Shape::from_value(&v).unwrap();
        assert_eq!(json(&back.to_value()), json(&v));
        assert!(
            json(&v).contains("\"num\":[1e+300,18446744073709551616]")
                || json(&v).contains("\"num\":[18446744073709551616,1e+300]")
        );
    }
}
