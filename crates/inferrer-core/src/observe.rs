//! Observations: decoded messages folded into per-topic, per-kind state.
//!
//! The same accounting as the Python reference (`TopicObservation.flush` and
//! `KindObservation.add_many` in `inferrer/inference/observation.py`), one message at
//! a time. Every piece of state is a function of the multiset of messages (counts,
//! sets, minima, the smallest hashes), so the order messages arrive in does not
//! matter, and [`Topic::merge`] is associative and commutative.

use std::collections::{BTreeMap, BTreeSet};

use crate::decode::Decoded;
use crate::formats::is_data_key;
use crate::pyrepr::canonical_json;
use crate::stats::Shape;
use crate::value::Value;

/// More distinct payload discriminator values than this on one topic: not a discriminator.
pub const MAX_KINDS: usize = 200;
/// Example messages kept per kind (the smallest value hashes).
pub const KIND_EXAMPLES: usize = 3;
/// Discriminator fields of envelopes (CloudEvents binary `ce_type`, Debezium `op`) and
/// the record type of a Confluent-framed message ([`RECORD_KIND_FIELD`]): they always
/// split a topic into kinds, whatever their number.
const ENVELOPE_FIELDS: [&str; 3] = ["ce_type", "op", RECORD_KIND_FIELD];
/// The kind field of a framed message whose schema id names a record (or message)
/// type: the schema id is the discriminator, the record type's full name the kind.
pub const RECORD_KIND_FIELD: &str = "@record";

/// Distinct shapes (shape groups) kept apart on one topic. Beyond this many two-level
/// shapes the groups become those of the top-level key sets alone (`shapes_coarse`);
/// beyond this many of those, the topic's messages without a discriminator are one
/// group (its shapes are not a few record classes but the combinations of many optional
/// fields, or a map's ever-new keys).
pub const MAX_SHAPES: usize = 256;
/// The group field of a shape group: messages without a discriminator whose payload is
/// an object, grouped by their shape ([`shape_signature`]).
pub const SHAPE_GROUP_FIELD: &str = "@shape";

/// (discriminator field, value); None for messages without a discriminator (and no
/// object payload, or once the shape groups were merged).
pub type GroupKey = Option<(String, String)>;

fn hash_keys<'a>(h: &mut crc32fast::Hasher, keys: impl Iterator<Item = &'a str>) {
    for k in keys {
        h.update(&(k.len() as u32).to_be_bytes());
        h.update(k.as_bytes());
    }
}

/// The signature of an object's shape: its top-level key set, CRC-32 of the sorted,
/// distinct keys, each preceded by its UTF-8 length (4 bytes, big-endian), as eight hex
/// digits; then, when some top-level value is an object (an envelope's `metadata`,
/// `data` or `payload`), a dot and the CRC-32 of each such key (sorted) with its own
/// key count (4 bytes, big-endian) and sorted, distinct keys, encoded the same way.
/// Kinds that differ only inside an envelope's data object have different signatures;
/// [`top_signature`] is the top-level part alone. An object with a key that is data
/// ([`is_data_key`]: an id, a code, a date: a map's key) counts as empty, so that maps
/// keyed by ids neither split a topic into a group per message nor leave their keys
/// in a group's field names.
pub fn shape_signature(v: &Value) -> Option<String> {
    let members = v.as_object()?;
    let keys: BTreeMap<&str, &Value> = members.iter().map(|(k, v)| (&**k, v)).collect();
    let mut h = crc32fast::Hasher::new();
    hash_keys(&mut h, keys.keys().copied());
    let top = h.finalize();
    let mut nested = crc32fast::Hasher::new();
    let mut any = false;
    for (k, child) in &keys {
        if let Some(inner) = child.as_object() {
            any = true;
            hash_keys(&mut nested, std::iter::once(*k));
            let mut sub: BTreeSet<&str> = inner.iter().map(|(k, _)| &**k).collect();
            if sub.iter().any(|k| is_data_key(k)) {
                sub.clear();
            }
            nested.update(&(sub.len() as u32).to_be_bytes());
            hash_keys(&mut nested, sub.into_iter());
        }
    }
    Some(if any {
        format!("{top:08x}.{:08x}", nested.finalize())
    } else {
        format!("{top:08x}")
    })
}

/// The top-level part of a shape signature.
pub fn top_signature(signature: &str) -> &str {
    signature.split('.').next().unwrap_or(signature)
}

fn is_shape_group(g: &GroupKey) -> bool {
    matches!(g, Some((f, _)) if f == SHAPE_GROUP_FIELD)
}

fn is_payload_group(g: &GroupKey) -> bool {
    matches!(g, Some((f, _)) if f != SHAPE_GROUP_FIELD && !ENVELOPE_FIELDS.contains(&f.as_str()))
}

fn is_decoded(encoding: &str) -> bool {
    encoding == "json" || encoding == "text"
}

/// A key has a value also when read as Kafka Integer / Long serializer bytes.
fn is_decoded_key(encoding: &str) -> bool {
    is_decoded(encoding) || encoding == "int32" || encoding == "int64"
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// One example message: (value hash, canonical JSON, partition, offset); ordered as
/// the tuple, so the smallest hashes come first and ties go to the lowest position.
pub type Example = (u32, String, i32, i64);

/// Everything seen for one event kind on one topic.
#[derive(Clone, Debug, Default)]
pub struct Kind {
    pub count: u64,
    pub payload: Shape,
    pub headers: Shape,
    pub first_timestamp: Option<i64>,
    pub last_timestamp: Option<i64>,
    pub examples: Vec<Example>,
}

impl Kind {
    fn add(&mut self, d: &Decoded, partition: i32, offset: i64, timestamp: Option<i64>) {
        self.count += 1;
        if is_decoded(d.encoding) {
            match &d.value {
                Some(v) => self.payload.add(v),
                None => self.payload.add(&Value::Null),
            }
        }
        if let Some(hint) = &d.hint {
            self.payload.add_hint(hint);
        }
        self.headers.add(&d.headers);
        self.first_timestamp = min_opt(self.first_timestamp, timestamp);
        self.last_timestamp = max_opt(self.last_timestamp, timestamp);
        if !is_decoded(d.encoding) {
            return;
        }
        let full = self.examples.len() >= KIND_EXAMPLES;
        if full && d.hash > self.examples[self.examples.len() - 1].0 {
            return; // the common case once examples are chosen
        }
        let text = match &d.value {
            Some(v) => canonical_json(v),
            None => "null".to_string(),
        };
        self.add_example((d.hash, text, partition, offset));
    }

    /// Keep the smallest (hash, text) entries, each at its lowest position.
    fn add_example(&mut self, entry: Example) {
        let ex = &mut self.examples;
        if let Some(same) = ex.iter_mut().find(|e| e.0 == entry.0 && e.1 == entry.1) {
            if (entry.2, entry.3) < (same.2, same.3) {
                *same = entry;
            }
            return;
        }
        ex.push(entry);
        ex.sort();
        ex.truncate(KIND_EXAMPLES);
    }

    pub fn merge(&mut self, other: &Kind) {
        self.count += other.count;
        self.payload.merge(&other.payload);
        self.headers.merge(&other.headers);
        self.first_timestamp = min_opt(self.first_timestamp, other.first_timestamp);
        self.last_timestamp = max_opt(self.last_timestamp, other.last_timestamp);
        for e in &other.examples {
            self.add_example(e.clone());
        }
    }
}

/// The mutable, mergeable observation of one topic.
#[derive(Clone, Debug, Default)]
pub struct Topic {
    pub topic: String,
    pub messages: u64,
    pub tombstones: u64,
    pub undecodable: BTreeMap<String, u64>,
    pub anomalies: BTreeMap<String, u64>,
    pub encodings: BTreeMap<String, u64>,
    pub key_encodings: BTreeMap<String, u64>,
    pub content_types: BTreeMap<String, u64>,
    pub envelopes: BTreeMap<String, u64>,
    pub framings: BTreeMap<String, u64>,
    pub schema_ids: BTreeSet<u32>,
    pub partitions: BTreeSet<i32>,
    pub first_timestamp: Option<i64>,
    pub last_timestamp: Option<i64>,
    pub timestamped: u64,
    pub key: Shape,
    pub headers: Shape,
    pub collapsed: bool,
    /// True once more than [`MAX_SHAPES`] two-level shapes were seen: shape groups are
    /// keyed by the top-level key set alone ([`top_signature`]).
    pub shapes_coarse: bool,
    /// True once more than [`MAX_SHAPES`] shape groups were seen: they are one group.
    pub shapes_collapsed: bool,
    pub groups: BTreeMap<GroupKey, Kind>,
}

fn bump(counter: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    match counter.get_mut(key) {
        Some(c) => *c += n,
        None => {
            counter.insert(key.to_string(), n);
        }
    }
}

fn merge_counter(mine: &mut BTreeMap<String, u64>, theirs: &BTreeMap<String, u64>) {
    for (k, n) in theirs {
        bump(mine, k, *n);
    }
}

impl Topic {
    pub fn new(topic: &str) -> Self {
        Topic {
            topic: topic.to_string(),
            ..Default::default()
        }
    }

    /// Fold one decoded message of this topic.
    pub fn add(&mut self, d: &Decoded, partition: i32, offset: i64, timestamp: Option<i64>) {
        self.messages += 1;
        self.partitions.insert(partition);
        if timestamp.is_some() {
            self.timestamped += 1;
        }
        self.first_timestamp = min_opt(self.first_timestamp, timestamp);
        self.last_timestamp = max_opt(self.last_timestamp, timestamp);
        bump(&mut self.key_encodings, d.key_encoding, 1);
        if let Some(ct) = &d.content_type {
            bump(&mut self.content_types, ct, 1);
        }
        let usable = d.ok && d.encoding != "null";
        if !d.ok {
            bump(
                &mut self.undecodable,
                d.reason.as_deref().unwrap_or("unknown"),
                1,
            );
        } else {
            if let Some(reason) = &d.reason {
                for anomaly in reason.split(',') {
                    bump(&mut self.anomalies, anomaly, 1);
                }
            }
            bump(&mut self.framings, d.framing, 1);
            if d.encoding == "null" {
                self.tombstones += 1;
            } else {
                bump(&mut self.encodings, d.encoding, 1);
                bump(&mut self.envelopes, d.envelope, 1);
            }
        }
        if is_decoded_key(d.key_encoding) {
            match &d.key {
                Some(k) => self.key.add(k),
                None => self.key.add(&Value::Null),
            }
        }
        if let Some(hint) = &d.key_hint {
            self.key.add_hint(hint);
        }
        self.headers.add(&d.headers);
        if let Some(id) = d.schema_id {
            self.schema_ids.insert(id);
        }
        if !usable {
            return;
        }
        // Once the shape groups are one group, a message without a discriminator goes
        // to it (the None group) whatever its shape: no signature to compute.
        let signature = match (&d.kind_field, &d.kind, &d.value) {
            (None, _, Some(v)) | (_, None, Some(v)) if !self.shapes_collapsed => shape_signature(v),
            _ => None,
        };
        let (field, kind) = match &signature {
            Some(sig) => (Some(SHAPE_GROUP_FIELD), Some(sig.as_str())),
            None => (d.kind_field.as_deref(), d.kind.as_deref()),
        };
        let mut g = self.group_key(field, kind);
        if !self.groups.contains_key(&g) {
            self.groups.insert(g.clone(), Kind::default());
            self.maybe_collapse();
            g = self.group_key(field, kind);
        }
        self.groups
            .get_mut(&g)
            .expect("the group was just made")
            .add(d, partition, offset, timestamp);
    }

    fn group_key(&self, field: Option<&str>, kind: Option<&str>) -> GroupKey {
        match (field, kind) {
            (Some(f), Some(k)) => {
                if f == SHAPE_GROUP_FIELD {
                    if self.shapes_collapsed {
                        return None;
                    }
                    let sig = if self.shapes_coarse {
                        top_signature(k)
                    } else {
                        k
                    };
                    return Some((f.to_string(), sig.to_string()));
                }
                if self.collapsed && !ENVELOPE_FIELDS.contains(&f) {
                    None
                } else {
                    Some((f.to_string(), k.to_string()))
                }
            }
            _ => None,
        }
    }

    fn shape_groups(&self) -> Vec<GroupKey> {
        self.groups
            .keys()
            .filter(|g| is_shape_group(g))
            .cloned()
            .collect()
    }

    fn maybe_collapse(&mut self) {
        let mut shape_groups = self.shape_groups();
        if !self.shapes_collapsed && (self.shapes_coarse || shape_groups.len() > MAX_SHAPES) {
            self.shapes_coarse = true;
            self.coarsen(shape_groups);
            shape_groups = self.shape_groups();
        }
        if self.shapes_collapsed || shape_groups.len() > MAX_SHAPES {
            self.shapes_collapsed = true;
            self.merge_into_none(shape_groups);
        }
        let payload_groups: Vec<GroupKey> = self
            .groups
            .keys()
            .filter(|g| is_payload_group(g))
            .cloned()
            .collect();
        if !self.collapsed && payload_groups.len() <= MAX_KINDS {
            return;
        }
        self.collapsed = true;
        self.merge_into_none(payload_groups);
    }

    /// Shape groups keyed by their top-level signature alone (two-level groups of one
    /// top-level key set merged).
    fn coarsen(&mut self, groups: Vec<GroupKey>) {
        for g in groups {
            let target = self.group_key(
                g.as_ref().map(|(f, _)| f.as_str()),
                g.as_ref().map(|(_, v)| v.as_str()),
            );
            if target == g {
                continue;
            }
            if let Some(kind) = self.groups.remove(&g) {
                match self.groups.get_mut(&target) {
                    Some(mine) => mine.merge(&kind),
                    None => {
                        self.groups.insert(target, kind);
                    }
                }
            }
        }
    }

    fn merge_into_none(&mut self, groups: Vec<GroupKey>) {
        for g in groups {
            if let Some(kind) = self.groups.remove(&g) {
                match self.groups.get_mut(&None) {
                    Some(target) => target.merge(&kind),
                    None => {
                        self.groups.insert(None, kind);
                    }
                }
            }
        }
    }

    /// Fold `other` (the same topic) into this observation.
    pub fn merge(&mut self, other: &Topic) {
        self.messages += other.messages;
        self.tombstones += other.tombstones;
        self.timestamped += other.timestamped;
        merge_counter(&mut self.undecodable, &other.undecodable);
        merge_counter(&mut self.anomalies, &other.anomalies);
        merge_counter(&mut self.encodings, &other.encodings);
        merge_counter(&mut self.key_encodings, &other.key_encodings);
        merge_counter(&mut self.content_types, &other.content_types);
        merge_counter(&mut self.envelopes, &other.envelopes);
        merge_counter(&mut self.framings, &other.framings);
        self.schema_ids.extend(other.schema_ids.iter().copied());
        self.partitions.extend(other.partitions.iter().copied());
        self.first_timestamp = min_opt(self.first_timestamp, other.first_timestamp);
        self.last_timestamp = max_opt(self.last_timestamp, other.last_timestamp);
        self.key.merge(&other.key);
        self.headers.merge(&other.headers);
        self.collapsed = self.collapsed || other.collapsed;
        self.shapes_collapsed = self.shapes_collapsed || other.shapes_collapsed;
        self.shapes_coarse = self.shapes_coarse || other.shapes_coarse;
        for (g, kind) in &other.groups {
            // A collapsed side's payload kinds land in the None group.
            let target = self.group_key(
                g.as_ref().map(|(f, _)| f.as_str()),
                g.as_ref().map(|(_, v)| v.as_str()),
            );
            match self.groups.get_mut(&target) {
                Some(mine) => mine.merge(kind),
                None => {
                    self.groups.insert(target, kind.clone());
                }
            }
        }
        self.maybe_collapse();
    }
}

/// Every topic's observation, keyed by topic name.
#[derive(Clone, Debug, Default)]
pub struct Observations {
    pub topics: BTreeMap<String, Topic>,
}

impl Observations {
    pub fn topic_mut(&mut self, name: &str) -> &mut Topic {
        if !self.topics.contains_key(name) {
            self.topics.insert(name.to_string(), Topic::new(name));
        }
        self.topics.get_mut(name).expect("just inserted")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, RecordRef};
    use crate::value::parse;

    fn sig(raw: &str) -> String {
        shape_signature(&parse(raw.as_bytes()).expect("JSON").0).expect("an object")
    }

    fn topic_of(values: &[String]) -> Topic {
        let mut t = Topic::new("t");
        for (i, v) in values.iter().enumerate() {
            let r = RecordRef {
                partition: 0,
                offset: i as i64,
                timestamp: None,
                key: None,
                value: Some(v.as_bytes()),
                headers: &[],
            };
            t.add(&decode(&r), 0, i as i64, None);
        }
        t
    }

    fn shape_keys(t: &Topic) -> Vec<String> {
        t.groups
            .keys()
            .filter_map(|g| g.as_ref().map(|(_, v)| v.clone()))
            .collect()
    }

    #[test]
    fn signatures_tell_records_apart_inside_an_envelope() {
        let a = sig(r#"{"meta":{"t":"A"},"data":{"x":1,"y":2}}"#);
        let b = sig(r#"{"meta":{"t":"B"},"data":{"z":1}}"#);
        let flat = sig(r#"{"meta":1,"data":2}"#);
        assert_ne!(a, b);
        assert_eq!(top_signature(&a), top_signature(&b));
        assert_eq!(top_signature(&a), flat);
        assert!(!flat.contains('.'));
        // Key order and values change nothing; a map keyed by ids counts as empty.
        assert_eq!(a, sig(r#"{"data":{"y":0,"x":"s"},"meta":{"t":"C"}}"#));
        assert_eq!(
            sig(r#"{"m":{"2b9d4e1f-0c1a-4d5e-8f00-0123456789ab":1}}"#),
            sig(r#"{"m":{"user_123456":1}}"#)
        );
        assert_ne!(sig(r#"{"m":{"a":1}}"#), sig(r#"{"m":{"b":1}}"#));
    }

    #[test]
    fn two_level_shapes_become_top_level_ones_then_one_group() {
        // MAX_SHAPES + 1 record shapes of one top-level shape: the groups are those of
        // the top-level shapes alone.
        let nested: Vec<String> = (0..=MAX_SHAPES)
            .map(|i| format!(r#"{{"meta":{{"t":"A"}},"data":{{"f{i}":1}}}}"#))
            .collect();
        let t = topic_of(&nested);
        assert!(t.shapes_coarse && !t.shapes_collapsed);
        assert_eq!(shape_keys(&t), vec![sig(r#"{"meta":1,"data":1}"#)]);
        // The same in two halves merged, either way round.
        let (left, right) = nested.split_at(nested.len() / 2);
        let (mut ab, b) = (topic_of(left), topic_of(right));
        assert!(!ab.shapes_coarse);
        let mut ba = b.clone();
        ab.merge(&b);
        ba.merge(&topic_of(left));
        assert_eq!(shape_keys(&ab), shape_keys(&t));
        assert_eq!(shape_keys(&ba), shape_keys(&t));
        let only: GroupKey = Some((SHAPE_GROUP_FIELD.into(), sig(r#"{"meta":1,"data":1}"#)));
        assert_eq!(ab.groups[&only].count, MAX_SHAPES as u64 + 1);
        // More top-level shapes than MAX_SHAPES: one group.
        let flat: Vec<String> = (0..=MAX_SHAPES)
            .map(|i| format!(r#"{{"k{i}":1}}"#))
            .collect();
        let t = topic_of(&flat);
        assert!(t.shapes_collapsed);
        assert_eq!(t.groups.keys().cloned().collect::<Vec<_>>(), vec![None]);
    }
}
