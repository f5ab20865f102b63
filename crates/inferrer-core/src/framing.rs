//! Confluent-framed keys and values decoded with writer schemas registered from
//! Python, and what was seen of them: `inferrer.registry.framed.FramedDecoder.body`,
//! step for step, without Python per message.
//!
//! A framed Avro body whose schema id is registered becomes framed JSON (`0x00`, the
//! id, the datum as the JSON text the reference writes), which the decoder then reads
//! like any framed JSON message; a JSON Schema id passes unchanged. Per topic and per
//! key or value, the counts follow the reference's: the ids seen, the ones decoded, and
//! the failures, in first-seen order. An id not registered is counted as unresolved
//! (when its body is not JSON): Python names the reason, which it alone knows.
//!
//! With a [`Lookup`] (a registry behind, or live sampling), an id not registered yet is
//! asked for once, when its first message comes: the answer is registered and that
//! message is read with it, so no message is set aside or folded twice. Ids whose
//! bodies the core does not read (Protobuf, an Avro schema it refuses) are decoded by
//! the lookup, one body at a time, and counted here like the others.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use crate::avro::Schema;

/// How the bodies of one schema id are read.
#[derive(Clone, Debug)]
pub enum Writer {
    Avro(Box<Schema>),
    /// JSON Schema: the body is JSON already.
    Json,
    /// Bodies the lookup decodes (Protobuf; Avro the core does not read).
    Lookup,
    /// No writer schema could be had: counted as unresolved, named by Python.
    Unresolved,
}

/// Where writer schemas of ids not registered come from (Python, once per id), and the
/// decoder of the bodies the core does not read.
pub trait Lookup {
    /// The writer of an id met for the first time, and the record type it names.
    fn writer(&mut self, schema_id: u32) -> (Writer, Option<String>);
    /// A body (after the 5 framing bytes) of a [`Writer::Lookup`] id: the datum's JSON
    /// text, None to read the body as it is (JSON), or why it cannot be decoded.
    fn decode(&mut self, schema_id: u32, body: &[u8]) -> Result<Option<Vec<u8>>, String>;
}

/// Why framed messages were not decoded: a reason, or an id Python must name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failed {
    Reason(String),
    Unresolved(u32),
}

/// What one topic's keys or values carried (`framed.PartUse`), in first-seen order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PartUse {
    pub ids: Vec<(u32, u64)>,
    pub decoded: Vec<(u32, u64)>,
    pub failures: Vec<(Failed, u64)>,
}

fn bump<K: PartialEq>(counts: &mut Vec<(K, u64)>, key: K) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 += 1,
        None => counts.push((key, 1)),
    }
}

/// Key (0) or value (1).
pub const KEY: usize = 0;
pub const VALUE: usize = 1;

/// Registered writer schemas and what each topic's framed messages showed.
#[derive(Clone, Debug, Default)]
pub struct Framing {
    writers: FxHashMap<u32, Writer>,
    /// Per topic: [keys, values].
    uses: FxHashMap<String, [PartUse; 2]>,
    /// Topics in first-seen order (so that the report is deterministic).
    topics: Vec<String>,
    /// Schema ids in first-seen order, all topics and parts.
    pub order: Vec<u32>,
    /// The record (or message) type each schema id names: the kind of its messages.
    record_types: FxHashMap<u32, String>,
}

impl Framing {
    pub fn register(&mut self, schema_id: u32, writer: Writer) {
        self.writers.insert(schema_id, writer);
    }

    /// Messages framed with `schema_id` are of the kind `record` (the record type it
    /// names), whoever decoded their bodies.
    pub fn name(&mut self, schema_id: u32, record: String) {
        self.record_types.insert(schema_id, record);
    }

    /// The record type a schema id names, when it names one.
    pub fn record_type(&self, schema_id: u32) -> Option<&str> {
        self.record_types.get(&schema_id).map(String::as_str)
    }

    /// The framed JSON to decode in place of `data`, or None to decode `data` as is
    /// (`FramedDecoder.body`); counts what it saw under `topic` and `part`.
    pub fn body(
        &mut self,
        topic: &str,
        part: usize,
        data: Option<&[u8]>,
        lookup: Option<&mut dyn Lookup>,
    ) -> Option<Vec<u8>> {
        let data = data?;
        if data.len() < 5 || data[0] != 0 {
            return None;
        }
        let schema_id = u32::from_be_bytes([data[1], data[2], data[3], data[4]]);
        if !self.uses.contains_key(topic) {
            self.uses.insert(topic.to_owned(), Default::default());
            self.topics.push(topic.to_owned());
        }
        let use_ = &mut self.uses.get_mut(topic)?[part];
        if !use_.ids.iter().any(|(id, _)| *id == schema_id) && !self.order.contains(&schema_id) {
            self.order.push(schema_id);
        }
        bump(&mut use_.ids, schema_id);
        let mut lookup = lookup;
        if let (Entry::Vacant(slot), Some(lookup)) =
            (self.writers.entry(schema_id), lookup.as_deref_mut())
        {
            let (writer, record) = lookup.writer(schema_id);
            slot.insert(writer);
            if let Some(record) = record {
                self.record_types.insert(schema_id, record);
            }
        }
        match self.writers.get(&schema_id) {
            None | Some(Writer::Unresolved) => {
                // A framed JSON body is read as JSON whatever its schema: not a failure.
                if !matches!(data.get(5), Some(b'{' | b'[')) {
                    bump(&mut use_.failures, Failed::Unresolved(schema_id));
                }
                None
            }
            Some(Writer::Json) => {
                bump(&mut use_.decoded, schema_id);
                None
            }
            Some(Writer::Lookup) => {
                let decoded = match lookup {
                    Some(lookup) => lookup.decode(schema_id, &data[5..]),
                    None => Err(format!("schema id {schema_id}: not decoded")),
                };
                match decoded {
                    Ok(None) => {
                        bump(&mut use_.decoded, schema_id);
                        None
                    }
                    Ok(Some(text)) => {
                        bump(&mut use_.decoded, schema_id);
                        let mut out = Vec::with_capacity(text.len() + 5);
                        out.extend_from_slice(&data[..5]);
                        out.extend_from_slice(&text);
                        Some(out)
                    }
                    Err(reason) => {
                        bump(&mut use_.failures, Failed::Reason(reason));
                        None
                    }
                }
            }
            Some(Writer::Avro(schema)) => {
                let mut out = Vec::with_capacity(data.len() * 2 + 16);
                out.extend_from_slice(&data[..5]);
                match schema.to_json(&data[5..], &mut out) {
                    Ok(()) => {
                        bump(&mut use_.decoded, schema_id);
                        Some(out)
                    }
                    Err(why) => {
                        let reason = format!("schema id {schema_id}: {}", why.reason());
                        bump(&mut use_.failures, Failed::Reason(reason));
                        None
                    }
                }
            }
        }
    }

    /// Every (topic, part, use) seen, topics in first-seen order, keys before values,
    /// parts with no framed message left out.
    pub fn uses(&self) -> Vec<(&str, usize, &PartUse)> {
        let mut out = Vec::new();
        for topic in &self.topics {
            if let Some(parts) = self.uses.get(topic) {
                for (part, use_) in parts.iter().enumerate() {
                    if !use_.ids.is_empty() {
                        out.push((topic.as_str(), part, use_));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing() -> Framing {
        let mut f = Framing::default();
        let schema = Schema::compile(&[
            r#"{"type":"record","name":"R","fields":[{"name":"n","type":"int"}]}"#,
        ])
        .expect("schema");
        f.register(1, Writer::Avro(Box::new(schema)));
        f.register(2, Writer::Json);
        f
    }

    #[test]
    fn avro_becomes_framed_json_and_is_counted() {
        let mut f = framing();
        let got = f.body("t", VALUE, Some(b"\x00\x00\x00\x00\x01\x04"), None);
        assert_eq!(got.as_deref(), Some(&b"\x00\x00\x00\x00\x01{\"n\":2}"[..]));
        assert_eq!(
            f.body("t", VALUE, Some(b"\x00\x00\x00\x00\x01"), None),
            None
        );
        assert_eq!(
            f.body("t", VALUE, Some(b"\x00\x00\x00\x00\x02{}"), None),
            None
        );
        assert_eq!(
            f.body("t", KEY, Some(b"\x00\x00\x00\x00\x07\x01"), None),
            None
        );
        assert_eq!(
            f.body("t", KEY, Some(b"\x00\x00\x00\x00\x07[1]"), None),
            None
        );
        assert_eq!(f.body("t", KEY, Some(b"plain"), None), None);
        let uses = f.uses();
        assert_eq!(uses.len(), 2);
        let (_, part, keys) = uses[0];
        assert_eq!(part, KEY);
        assert_eq!(keys.ids, vec![(7, 2)]);
        assert_eq!(keys.failures, vec![(Failed::Unresolved(7), 1)]);
        let (_, _, values) = uses[1];
        assert_eq!(values.ids, vec![(1, 2), (2, 1)]);
        assert_eq!(values.decoded, vec![(1, 1), (2, 1)]);
        let eof = "schema id 1: not Avro of its writer schema (EOFError)".to_owned();
        assert_eq!(values.failures, vec![(Failed::Reason(eof), 1)]);
        assert_eq!(f.order, vec![1, 2, 7]);
    }

    /// Answers from a table, and says how often it was asked.
    struct Table {
        asked: Vec<u32>,
        decoded: u32,
    }

    impl Lookup for Table {
        fn writer(&mut self, schema_id: u32) -> (Writer, Option<String>) {
            self.asked.push(schema_id);
            let writer = match schema_id {
                1 => Writer::Avro(Box::new(
                    Schema::compile(&[
                        r#"{"type":"record","name":"R","fields":[{"name":"n","type":"int"}]}"#,
                    ])
                    .expect("schema"),
                )),
                3 => Writer::Lookup,
                _ => Writer::Unresolved,
            };
            (writer, (schema_id == 1).then(|| "R".to_owned()))
        }

        fn decode(&mut self, _schema_id: u32, body: &[u8]) -> Result<Option<Vec<u8>>, String> {
            self.decoded += 1;
            match body {
                b"ok" => Ok(Some(b"{\"ok\":true}".to_vec())),
                b"json" => Ok(None),
                _ => Err("schema id 3: broken".to_owned()),
            }
        }
    }

    #[test]
    fn ids_not_registered_are_asked_for_once_and_their_first_message_is_read() {
        let mut f = Framing::default();
        let mut table = Table {
            asked: Vec::new(),
            decoded: 0,
        };
        let one = Some(&b"\x00\x00\x00\x00\x01\x04"[..]);
        for _ in 0..2 {
            let got = f.body("t", VALUE, one, Some(&mut table));
            assert_eq!(got.as_deref(), Some(&b"\x00\x00\x00\x00\x01{\"n\":2}"[..]));
        }
        let got = f.body(
            "t",
            VALUE,
            Some(b"\x00\x00\x00\x00\x03ok"),
            Some(&mut table),
        );
        assert_eq!(
            got.as_deref(),
            Some(&b"\x00\x00\x00\x00\x03{\"ok\":true}"[..])
        );
        let json = Some(&b"\x00\x00\x00\x00\x03json"[..]);
        assert_eq!(f.body("t", VALUE, json, Some(&mut table)), None);
        let bad = Some(&b"\x00\x00\x00\x00\x03bad"[..]);
        assert_eq!(f.body("t", VALUE, bad, Some(&mut table)), None);
        for _ in 0..2 {
            let nine = Some(&b"\x00\x00\x00\x00\x09\x01"[..]);
            assert_eq!(f.body("t", KEY, nine, Some(&mut table)), None);
        }
        assert_eq!(table.asked, vec![1, 3, 9]);
        assert_eq!((f.record_type(1), f.record_type(3)), (Some("R"), None));
        assert_eq!(table.decoded, 3);
        let uses = f.uses();
        let (_, _, keys) = uses[0];
        assert_eq!(keys.failures, vec![(Failed::Unresolved(9), 2)]);
        let (_, _, values) = uses[1];
        assert_eq!(values.ids, vec![(1, 2), (3, 3)]);
        assert_eq!(values.decoded, vec![(1, 2), (3, 2)]);
        let broken = Failed::Reason("schema id 3: broken".to_owned());
        assert_eq!(values.failures, vec![(broken, 1)]);
    }
}
