//! The engine's Python classes: `Engine` (fold records, captures, consumer messages)
//! and `Topic` (one topic's observation: merge, `to_dict`/`from_dict`).
//!
//! The dict forms are the observation file's contract (format version 2), the same
//! keys as the Python reference's `TopicObservation.to_dict`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::avro::Schema;
use crate::capture::{CaptureReader, CaptureRecord, READ_ERROR_PREFIX};
use crate::check::{Example as CheckExample, Plan, TrafficCheck};
use crate::decode::{decode, Decoded, RecordRef};
use crate::framing::{Failed, Framing, Lookup, Writer, KEY, VALUE};
use crate::observe::{Example, GroupKey, Kind, Observations, Topic, RECORD_KIND_FIELD};
use crate::pyvalue::value_to_py;
use crate::stats::Shape;
use crate::value::Value;

/// Observation file format version (the dicts of `Topic.to_dict`).
pub const FORMAT_VERSION: u32 = 2;
/// Bad capture lines kept with their reason (all are counted).
const MAX_REPORTED_BAD_LINES: usize = 100;
/// A file whose first this-many non-blank lines are all bad is not a capture at all.
const NOT_A_CAPTURE_AFTER: usize = 10;

type Headers = Vec<(String, Option<Vec<u8>>)>;

/// Capture lines handed from the reading thread to the folding one at a time.
const LINE_BATCH: usize = 1024;

/// One capture line, read.
enum Line {
    Bad(u64, String),
    /// Reading the file failed after this line (the file ends there).
    Failed(u64, String),
    /// A record, and what it decodes to once a decoding stage has decoded it.
    Good(Box<(CaptureRecord, Option<Decoded>)>),
}

/// The Python object that answers for ids not registered (`FramedDecoder`'s
/// `core_writer(id)` and `core_decode(id, body)`), and the first error it raised.
struct PyLookup {
    source: Py<PyAny>,
    error: Option<PyErr>,
}

impl PyLookup {
    /// None: no writer schema; ("AVRO", texts), ("JSON", []), or any other kind
    /// (Protobuf) for the lookup to decode.
    fn writer_of(got: &Bound<'_, PyAny>) -> PyResult<(Writer, Option<String>)> {
        if got.is_none() {
            return Ok((Writer::Unresolved, None));
        }
        let (kind, texts, record): (String, Vec<String>, Option<String>) = got.extract()?;
        let writer = match kind.as_str() {
            "JSON" => Writer::Json,
            "AVRO" => {
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                match Schema::compile(&texts) {
                    Ok(schema) => Writer::Avro(Box::new(schema)),
                    // A schema the core does not read: its bodies go to the reference.
                    Err(_) => Writer::Lookup,
                }
            }
            _ => Writer::Lookup,
        };
        Ok((writer, record))
    }
}

impl Lookup for PyLookup {
    fn writer(&mut self, schema_id: u32) -> (Writer, Option<String>) {
        Python::attach(|py| {
            let got = self
                .source
                .bind(py)
                .call_method1("core_writer", (schema_id,))
                .and_then(|got| Self::writer_of(&got));
            got.unwrap_or_else(|e| {
                self.error.get_or_insert(e);
                (Writer::Unresolved, None)
            })
        })
    }

    fn decode(&mut self, schema_id: u32, body: &[u8]) -> Result<Option<Vec<u8>>, String> {
        Python::attach(|py| {
            let got = self
                .source
                .bind(py)
                .call_method1("core_decode", (schema_id, PyBytes::new(py, body)));
            let read = got.and_then(|got| {
                if got.is_none() {
                    Ok(Ok(None))
                } else if let Ok(text) = got.cast::<PyBytes>() {
                    Ok(Ok(Some(text.as_bytes().to_vec())))
                } else {
                    got.extract::<String>().map(Err)
                }
            });
            read.unwrap_or_else(|e| {
                self.error.get_or_insert(e);
                Err(format!("schema id {schema_id}: not decoded"))
            })
        })
    }
}

fn fold_one(
    obs: &mut Observations,
    check: Option<&mut TrafficCheck>,
    framing: Option<&mut Framing>,
    lookup: Option<&mut dyn Lookup>,
    topic: &str,
    record: &RecordRef,
) {
    let decoded = decode_one(framing, lookup, topic, record);
    absorb(obs, check, topic, record, &decoded);
}

/// One record decoded: by its writer schema when it is framed and one is known.
fn decode_one(
    framing: Option<&mut Framing>,
    mut lookup: Option<&mut dyn Lookup>,
    topic: &str,
    record: &RecordRef,
) -> Decoded {
    let mut framing = framing;
    let mut decoded = match framing.as_deref_mut() {
        None => decode(record),
        Some(framing) => {
            let key = framing.body(
                topic,
                KEY,
                record.key,
                lookup.as_mut().map(|l| &mut **l as &mut dyn Lookup),
            );
            let value = framing.body(topic, VALUE, record.value, lookup);
            if key.is_none() && value.is_none() {
                decode(record)
            } else {
                decode(&RecordRef {
                    key: key.as_deref().or(record.key),
                    value: value.as_deref().or(record.value),
                    ..*record
                })
            }
        }
    };
    // The schema id is the discriminator: a framed message of a named record type is
    // of that kind, whatever its payload holds.
    if let (Some(framing), "confluent", Some(id)) = (&framing, decoded.framing, decoded.schema_id) {
        if let Some(name) = framing.record_type(id) {
            decoded.kind = Some(name.to_owned());
            decoded.kind_field = Some(RECORD_KIND_FIELD.to_owned());
        }
    }
    decoded
}

/// A decoded record counted in its topic's observation (and checked, for `diff`).
fn absorb(
    obs: &mut Observations,
    check: Option<&mut TrafficCheck>,
    topic: &str,
    record: &RecordRef,
    decoded: &Decoded,
) {
    if let Some(check) = check {
        check.observe(topic, decoded, i64::from(record.partition), record.offset);
    }
    obs.topic_mut(topic)
        .add(decoded, record.partition, record.offset, record.timestamp);
}

fn opt_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    if obj.is_none() {
        return Ok(None);
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Some(b.as_bytes().to_vec()));
    }
    if let Ok(s) = obj.extract::<String>() {
        return Ok(Some(s.into_bytes()));
    }
    Ok(Some(obj.extract::<Vec<u8>>()?))
}

fn headers_of(obj: &Bound<'_, PyAny>) -> PyResult<Headers> {
    let mut out = Headers::new();
    if obj.is_none() {
        return Ok(out);
    }
    for item in obj.try_iter()? {
        let item = item?;
        let name: String = item.get_item(0)?.str()?.extract()?;
        out.push((name, opt_bytes(&item.get_item(1)?)?));
    }
    Ok(out)
}

/// The engine: every topic's observation, folded from records as they come.
#[pyclass(module = "inferrer._core")]
pub struct Engine {
    obs: Observations,
    /// The drift check of a committed spec, when `diff` asked for one.
    check: Option<TrafficCheck>,
    /// Writer schemas of framed messages, when Python registered them.
    framing: Option<Framing>,
    /// Who answers for schema ids not registered, when Python gave one.
    lookup: Option<PyLookup>,
}

#[pymethods]
impl Engine {
    #[new]
    fn new() -> Self {
        Engine {
            obs: Observations::default(),
            check: None,
            framing: None,
            lookup: None,
        }
    }

    /// The first error the lookup raised, if any (the fold went on without it).
    fn lookup_error(&mut self) -> PyResult<()> {
        match self.lookup.as_mut().and_then(|l| l.error.take()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Fold records: objects with the attributes of `inferrer.records.Record`
    /// (topic, partition, offset, timestamp, key, value, headers).
    fn fold_records(&mut self, records: &Bound<'_, PyAny>) -> PyResult<u64> {
        let mut n = 0;
        for rec in records.try_iter()? {
            let rec = rec?;
            let topic: String = rec.getattr("topic")?.extract()?;
            let key = opt_bytes(&rec.getattr("key")?)?;
            let value = opt_bytes(&rec.getattr("value")?)?;
            let headers = headers_of(&rec.getattr("headers")?)?;
            fold_one(
                &mut self.obs,
                self.check.as_mut(),
                self.framing.as_mut(),
                self.lookup.as_mut().map(|l| l as &mut dyn Lookup),
                &topic,
                &RecordRef {
                    partition: rec.getattr("partition")?.extract()?,
                    offset: rec.getattr("offset")?.extract()?,
                    timestamp: rec.getattr("timestamp")?.extract()?,
                    key: key.as_deref(),
                    value: value.as_deref(),
                    headers: &headers,
                },
            );
            n += 1;
        }
        self.lookup_error()?;
        Ok(n)
    }

    /// Fold messages as a Kafka consumer returns them: objects with the methods
    /// topic(), partition(), offset(), timestamp() -> (type, ms), key(), value(),
    /// headers(). A timestamp of type 0 (not available) is unknown.
    fn fold_messages(&mut self, messages: &Bound<'_, PyList>) -> PyResult<u64> {
        let mut n = 0;
        let empty = Headers::new();
        for msg in messages.iter() {
            let topic_obj = msg.call_method0("topic")?;
            let topic = topic_obj.cast::<pyo3::types::PyString>()?.to_str()?;
            let (ts_type, ts): (i64, i64) = msg.call_method0("timestamp")?.extract()?;
            let key_obj = msg.call_method0("key")?;
            let value_obj = msg.call_method0("value")?;
            let headers_obj = msg.call_method0("headers")?;
            let headers = if headers_obj.is_none() {
                None
            } else {
                Some(headers_of(&headers_obj)?)
            };
            let key_bytes = key_obj.cast::<PyBytes>().ok();
            let value_bytes = value_obj.cast::<PyBytes>().ok();
            let key_owned = if key_bytes.is_none() {
                opt_bytes(&key_obj)?
            } else {
                None
            };
            let value_owned = if value_bytes.is_none() {
                opt_bytes(&value_obj)?
            } else {
                None
            };
            fold_one(
                &mut self.obs,
                self.check.as_mut(),
                self.framing.as_mut(),
                self.lookup.as_mut().map(|l| l as &mut dyn Lookup),
                topic,
                &RecordRef {
                    partition: msg.call_method0("partition")?.extract()?,
                    offset: msg.call_method0("offset")?.extract()?,
                    timestamp: if ts_type == 0 { None } else { Some(ts) },
                    key: key_bytes
                        .as_ref()
                        .map(|b| b.as_bytes())
                        .or(key_owned.as_deref()),
                    value: value_bytes
                        .as_ref()
                        .map(|b| b.as_bytes())
                        .or(value_owned.as_deref()),
                    headers: headers.as_ref().unwrap_or(&empty),
                },
            );
            n += 1;
        }
        self.lookup_error()?;
        Ok(n)
    }

    /// Fold every record of a capture file (kcat -C -J JSON Lines), streaming.
    ///
    /// Returns {"records", "bad", "bad_lines": [(line, reason)] (the first 100),
    /// "not_a_capture": (line, reason) or None}. `not_a_capture` is set when the first
    /// non-blank lines are all bad (10 of them, or the whole file): the file is not a
    /// capture, and the caller reports it rather than its records.
    fn fold_capture<'py>(&mut self, py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyDict>> {
        let file = File::open(path).map_err(|e| PyOSError::new_err(e.to_string()))?;
        let reader = CaptureReader::new(BufReader::with_capacity(1 << 20, file));
        let mut records = 0u64;
        let mut bad = 0u64;
        let mut bad_lines: Vec<(u64, String)> = Vec::new();
        let mut leading_bad: Vec<(u64, String)> = Vec::new();
        let mut seen_good = false;
        let mut not_a_capture: Option<(u64, String)> = None;
        let mut error: Option<(u64, String)> = None;
        py.detach(|| {
            // Stages on threads, in file order: one reads the lines (the capture's JSON);
            // without writer schemas to look up (pure decoding), a second decodes them;
            // this one folds them (and decodes them itself when the decoding may ask
            // Python for writer schemas). Spent batches go back to the decoding stage to
            // be freed there: a value is freed by the thread that made it (cross-thread
            // frees cost more than they save). Batches bound the memory.
            let pure = self.framing.is_none();
            std::thread::scope(|scope| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Line>>(4);
                scope.spawn(move || {
                    let mut batch = Vec::with_capacity(LINE_BATCH);
                    for (lineno, parsed) in reader {
                        batch.push(match parsed {
                            Err(reason) if reason.starts_with(READ_ERROR_PREFIX) => {
                                // "cannot read after line N: why": keep why.
                                let why = reason.split_once(": ").map_or("", |(_, w)| w);
                                Line::Failed(lineno as u64, why.to_string())
                            }
                            Err(reason) => Line::Bad(lineno as u64, reason),
                            Ok(rec) => Line::Good(Box::new((rec, None))),
                        });
                        if batch.len() >= LINE_BATCH
                            && tx
                                .send(std::mem::replace(
                                    &mut batch,
                                    Vec::with_capacity(LINE_BATCH),
                                ))
                                .is_err()
                        {
                            return; // the folding side stopped: not a capture
                        }
                    }
                    let _ = tx.send(batch);
                });
                let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Vec<Line>>();
                let rx = if pure {
                    let (decoded_tx, decoded_rx) = std::sync::mpsc::sync_channel::<Vec<Line>>(4);
                    scope.spawn(move || {
                        for mut batch in rx {
                            for line in &mut batch {
                                if let Line::Good(rd) = line {
                                    rd.1 = Some(decode(&rd.0.as_record()));
                                }
                            }
                            if decoded_tx.send(batch).is_err() {
                                return; // the folding side stopped
                            }
                            while let Ok(spent) = spent_rx.try_recv() {
                                drop(spent);
                            }
                        }
                        drop(decoded_tx);
                        for spent in spent_rx {
                            drop(spent);
                        }
                    });
                    decoded_rx
                } else {
                    rx
                };
                'lines: for batch in rx {
                    for line in &batch {
                        match line {
                            Line::Bad(lineno, reason) => {
                                bad += 1;
                                if bad_lines.len() < MAX_REPORTED_BAD_LINES {
                                    bad_lines.push((*lineno, reason.clone()));
                                }
                                if !seen_good {
                                    leading_bad.push((*lineno, reason.clone()));
                                    if leading_bad.len() >= NOT_A_CAPTURE_AFTER {
                                        not_a_capture = Some(leading_bad[0].clone());
                                        break 'lines;
                                    }
                                }
                            }
                            Line::Failed(lineno, why) => {
                                error = Some((*lineno, why.clone()));
                                break 'lines;
                            }
                            Line::Good(rd) => {
                                seen_good = true;
                                records += 1;
                                let (rec, decoded) = &**rd;
                                match decoded {
                                    Some(d) => absorb(
                                        &mut self.obs,
                                        self.check.as_mut(),
                                        &rec.topic,
                                        &rec.as_record(),
                                        d,
                                    ),
                                    None => fold_one(
                                        &mut self.obs,
                                        self.check.as_mut(),
                                        self.framing.as_mut(),
                                        self.lookup.as_mut().map(|l| l as &mut dyn Lookup),
                                        &rec.topic,
                                        &rec.as_record(),
                                    ),
                                }
                            }
                        }
                    }
                    if pure {
                        let _ = spent_tx.send(batch);
                    }
                }
                drop(spent_tx);
            });
        });
        self.lookup_error()?;
        if not_a_capture.is_none() && !seen_good && !leading_bad.is_empty() {
            not_a_capture = Some(leading_bad[0].clone());
        }
        let out = PyDict::new(py);
        out.set_item("records", records)?;
        out.set_item("bad", bad)?;
        out.set_item("bad_lines", bad_lines)?;
        out.set_item("not_a_capture", not_a_capture)?;
        out.set_item("error", error)?;
        Ok(out)
    }

    /// Decode framed keys and values from now on with these writer schemas, and count
    /// what the framed ones showed (`framed_use`): (schema id, "AVRO" or "JSON", the
    /// Avro schema's JSON texts: its references, dependencies first, then its own; the
    /// record type it names, or None). A framed message of an id that names a record
    /// type is of that kind (kind field `@record`).
    /// ValueError when an Avro schema is one the core does not read (the caller keeps
    /// the Python decoders, the reference, for that input).
    ///
    /// With `lookup` (an object with `core_writer(id)` and `core_decode(id, body)`,
    /// `inferrer.registry.framed.FramedDecoder`), an id not among `schemas` is asked for
    /// once, when its first message comes: `core_writer` answers ("AVRO", texts,
    /// record), ("JSON", [], record), ("PROTOBUF", [], record) or None (no writer
    /// schema), record being the type the schema names (or None); the bodies of
    /// Protobuf ids and of Avro schemas the core does not read go to `core_decode`
    /// (the datum's JSON text, None for a JSON body, or why it cannot be decoded).
    /// An error either raises is raised when the fold ends.
    #[pyo3(signature = (schemas, lookup=None))]
    fn set_framing(
        &mut self,
        schemas: Vec<(u32, String, Vec<String>, Option<String>)>,
        lookup: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let mut framing = Framing::default();
        for (schema_id, kind, texts, record) in schemas {
            if let Some(record) = record {
                framing.name(schema_id, record);
            }
            let writer = match kind.as_str() {
                "JSON" => Writer::Json,
                "AVRO" => {
                    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                    let schema = Schema::compile(&texts).map_err(|why| {
                        PyValueError::new_err(format!("schema id {schema_id}: {why}"))
                    })?;
                    Writer::Avro(Box::new(schema))
                }
                other => {
                    return Err(PyValueError::new_err(format!(
                        "schema id {schema_id}: the core does not read {other} bodies"
                    )))
                }
            };
            framing.register(schema_id, writer);
        }
        self.framing = Some(framing);
        self.lookup = lookup.map(|source| PyLookup {
            source,
            error: None,
        });
        Ok(())
    }

    /// What framed keys and values showed since `set_framing` (None before it):
    /// {"order": schema ids in first-seen order, "uses": [(topic, "key" or "value",
    /// ids [(id, n)], decoded [(id, n)], failures [(reason or unresolved id, n)])]},
    /// every list in first-seen order.
    fn framed_use<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(framing) = &self.framing else {
            return Ok(None);
        };
        let uses = PyList::empty(py);
        for (topic, part, use_) in framing.uses() {
            let failures = PyList::empty(py);
            for (failed, n) in &use_.failures {
                match failed {
                    Failed::Reason(reason) => failures.append((reason, n))?,
                    Failed::Unresolved(id) => failures.append((id, n))?,
                }
            }
            let part = if part == KEY { "key" } else { "value" };
            uses.append((topic, part, &use_.ids, &use_.decoded, failures))?;
        }
        let out = PyDict::new(py);
        out.set_item("order", &framing.order)?;
        out.set_item("uses", uses)?;
        Ok(Some(out))
    }

    /// Messages framed with these schema ids are of these kinds from now on (the record
    /// types they name), whoever decoded them: what `set_framing` does for the ids it
    /// is given, for records whose bodies Python decoded (the reference).
    fn set_record_types(&mut self, names: BTreeMap<u32, String>) {
        let framing = self.framing.get_or_insert_with(Framing::default);
        for (schema_id, record) in names {
            framing.name(schema_id, record);
        }
    }

    /// Check every message folded from now on against a committed spec: `plan` is
    /// the JSON text `inferrer.drift.traffic.core_plan` writes. ValueError when the
    /// core cannot check that spec (the caller then takes the reference path).
    fn set_check(&mut self, plan: &str) -> PyResult<()> {
        let plan = Plan::from_json(plan).map_err(|e| PyValueError::new_err(e.0))?;
        self.check = Some(TrafficCheck::new(plan));
        Ok(())
    }

    /// Take over `other`'s check (with everything it counted), to go on with it here.
    fn adopt_check(&mut self, other: &Bound<'_, Engine>) {
        if let Ok(mut other) = other.try_borrow_mut() {
            if let Some(check) = other.check.take() {
                self.check = Some(check);
            }
        }
    }

    /// What the check counted (see `inferrer.drift.traffic.CoreTraffic`); None
    /// without a check.
    fn check_results<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        match &self.check {
            Some(check) => Ok(Some(check_results(py, check)?)),
            None => Ok(None),
        }
    }

    /// Names of the topics seen, sorted.
    fn topics(&self) -> Vec<String> {
        self.obs.topics.keys().cloned().collect()
    }

    /// The highest partition seen per topic.
    fn highest_partitions(&self) -> BTreeMap<String, i32> {
        self.obs
            .topics
            .iter()
            .filter_map(|(name, t)| t.partitions.iter().next_back().map(|p| (name.clone(), *p)))
            .collect()
    }

    /// Remove and return a topic's observation (a new empty one if never seen).
    fn take(&mut self, topic: &str) -> PyTopic {
        PyTopic {
            inner: self
                .obs
                .topics
                .remove(topic)
                .unwrap_or_else(|| Topic::new(topic)),
        }
    }

    /// Messages folded so far, all topics.
    #[getter]
    fn messages(&self) -> u64 {
        self.obs.topics.values().map(|t| t.messages).sum()
    }
}

/// One topic's observation.
#[pyclass(name = "Topic", module = "inferrer._core")]
#[derive(Clone)]
pub struct PyTopic {
    pub inner: Topic,
}

#[pymethods]
impl PyTopic {
    #[new]
    fn new(topic: &str) -> Self {
        PyTopic {
            inner: Topic::new(topic),
        }
    }

    #[getter]
    fn topic(&self) -> &str {
        &self.inner.topic
    }

    #[getter]
    fn messages(&self) -> u64 {
        self.inner.messages
    }

    /// Whether the payload discriminator took more than `MAX_KINDS` values, so that its
    /// kinds were merged into one.
    #[getter]
    fn kind_limit_exceeded(&self) -> bool {
        self.inner.collapsed
    }

    /// Whether some values were framed Avro or Protobuf left undecoded (no writer schema).
    #[getter]
    fn framed_binary(&self) -> bool {
        ["avro", "protobuf"]
            .iter()
            .any(|e| self.inner.encodings.get(*e).is_some_and(|n| *n > 0))
    }

    /// Fold `other` (the same topic) into this one; `other` is unchanged.
    fn merge(&mut self, other: &PyTopic) -> PyResult<()> {
        if other.inner.topic != self.inner.topic {
            return Err(PyValueError::new_err(format!(
                "cannot merge observations of {:?} and {:?}",
                self.inner.topic, other.inner.topic
            )));
        }
        self.inner.merge(&other.inner);
        Ok(())
    }

    fn copy(&self) -> PyTopic {
        self.clone()
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        topic_to_py(py, &self.inner)
    }

    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<PyTopic> {
        Ok(PyTopic {
            inner: topic_from_py(data)?,
        })
    }
}

/// Merge kinds given as dicts (`to_dict` of a kind) into one kind dict.
#[pyfunction]
fn merge_kinds<'py>(py: Python<'py>, kinds: &Bound<'py, PyList>) -> PyResult<Bound<'py, PyDict>> {
    let mut out = Kind::default();
    for k in kinds.iter() {
        out.merge(&kind_from_py(&k)?);
    }
    kind_to_py(py, &out)
}

fn counter_to_py<'py>(py: Python<'py>, c: &BTreeMap<String, u64>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in c {
        d.set_item(k, v)?;
    }
    Ok(d)
}

fn kind_to_py<'py>(py: Python<'py>, k: &Kind) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("count", k.count)?;
    d.set_item("payload", k.payload.to_py(py)?)?;
    d.set_item("headers", k.headers.to_py(py)?)?;
    d.set_item("first_timestamp", k.first_timestamp)?;
    d.set_item("last_timestamp", k.last_timestamp)?;
    let examples = PyList::empty(py);
    for (h, text, p, o) in &k.examples {
        examples.append(PyList::new(
            py,
            [
                h.into_pyobject(py)?.into_any(),
                text.into_pyobject(py)?.into_any(),
                p.into_pyobject(py)?.into_any(),
                o.into_pyobject(py)?.into_any(),
            ],
        )?)?;
    }
    d.set_item("examples", examples)?;
    Ok(d)
}

fn topic_to_py<'py>(py: Python<'py>, t: &Topic) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("version", FORMAT_VERSION)?;
    d.set_item("topic", &t.topic)?;
    d.set_item("messages", t.messages)?;
    d.set_item("tombstones", t.tombstones)?;
    d.set_item("undecodable", counter_to_py(py, &t.undecodable)?)?;
    d.set_item("anomalies", counter_to_py(py, &t.anomalies)?)?;
    d.set_item("encodings", counter_to_py(py, &t.encodings)?)?;
    d.set_item("key_encodings", counter_to_py(py, &t.key_encodings)?)?;
    d.set_item("content_types", counter_to_py(py, &t.content_types)?)?;
    d.set_item("envelopes", counter_to_py(py, &t.envelopes)?)?;
    d.set_item("framings", counter_to_py(py, &t.framings)?)?;
    d.set_item("schema_ids", t.schema_ids.iter().collect::<Vec<_>>())?;
    d.set_item("partitions", t.partitions.iter().collect::<Vec<_>>())?;
    d.set_item("first_timestamp", t.first_timestamp)?;
    d.set_item("last_timestamp", t.last_timestamp)?;
    d.set_item("timestamped", t.timestamped)?;
    d.set_item("key", t.key.to_py(py)?)?;
    d.set_item("headers", t.headers.to_py(py)?)?;
    d.set_item("collapsed", t.collapsed)?;
    d.set_item("shapes_collapsed", t.shapes_collapsed)?;
    d.set_item("shapes_coarse", t.shapes_coarse)?;
    let kinds = PyList::empty(py);
    // Sorted as the reference sorts: the None group as ("", "").
    let mut groups: Vec<(&GroupKey, &Kind)> = t.groups.iter().collect();
    groups.sort_by(|a, b| sort_key(a.0).cmp(&sort_key(b.0)));
    for (g, k) in groups {
        let entry = PyDict::new(py);
        entry.set_item("field", g.as_ref().map(|(f, _)| f))?;
        entry.set_item("value", g.as_ref().map(|(_, v)| v))?;
        entry.set_item("observation", kind_to_py(py, k)?)?;
        kinds.append(entry)?;
    }
    d.set_item("kinds", kinds)?;
    Ok(d)
}

fn sort_key(g: &GroupKey) -> (&str, &str) {
    match g {
        None => ("", ""),
        Some((f, v)) => (f.as_str(), v.as_str()),
    }
}

fn counter_from_py(obj: &Bound<'_, PyAny>) -> PyResult<BTreeMap<String, u64>> {
    obj.extract()
}

fn kind_from_py(d: &Bound<'_, PyAny>) -> PyResult<Kind> {
    let mut examples: Vec<Example> = Vec::new();
    for e in d.get_item("examples")?.try_iter()? {
        let e = e?;
        examples.push((
            e.get_item(0)?.extract()?,
            e.get_item(1)?.extract()?,
            e.get_item(2)?.extract()?,
            e.get_item(3)?.extract()?,
        ));
    }
    Ok(Kind {
        count: d.get_item("count")?.extract()?,
        payload: Shape::from_py(&d.get_item("payload")?)?,
        headers: Shape::from_py(&d.get_item("headers")?)?,
        first_timestamp: d.get_item("first_timestamp")?.extract()?,
        last_timestamp: d.get_item("last_timestamp")?.extract()?,
        examples,
    })
}

fn topic_from_py(d: &Bound<'_, PyAny>) -> PyResult<Topic> {
    let version: Option<u32> = d.get_item("version").ok().and_then(|v| v.extract().ok());
    let topic: String = d.get_item("topic")?.extract()?;
    if version != Some(FORMAT_VERSION) {
        return Err(PyValueError::new_err(format!(
            "observation of topic {topic:?} has format version {version:?}; expected {FORMAT_VERSION}"
        )));
    }
    let mut groups = BTreeMap::new();
    for entry in d.get_item("kinds")?.try_iter()? {
        let entry = entry?;
        let field: Option<String> = entry.get_item("field")?.extract()?;
        let value: Option<String> = entry.get_item("value")?.extract()?;
        let g = match (field, value) {
            (Some(f), Some(v)) => Some((f, v)),
            _ => None,
        };
        groups.insert(g, kind_from_py(&entry.get_item("observation")?)?);
    }
    Ok(Topic {
        topic,
        messages: d.get_item("messages")?.extract()?,
        tombstones: d.get_item("tombstones")?.extract()?,
        undecodable: counter_from_py(&d.get_item("undecodable")?)?,
        anomalies: counter_from_py(&d.get_item("anomalies")?)?,
        encodings: counter_from_py(&d.get_item("encodings")?)?,
        key_encodings: counter_from_py(&d.get_item("key_encodings")?)?,
        content_types: counter_from_py(&d.get_item("content_types")?)?,
        envelopes: counter_from_py(&d.get_item("envelopes")?)?,
        framings: counter_from_py(&d.get_item("framings")?)?,
        schema_ids: d
            .get_item("schema_ids")?
            .extract::<Vec<u32>>()?
            .into_iter()
            .collect(),
        partitions: d
            .get_item("partitions")?
            .extract::<Vec<i32>>()?
            .into_iter()
            .collect(),
        first_timestamp: d.get_item("first_timestamp")?.extract()?,
        last_timestamp: d.get_item("last_timestamp")?.extract()?,
        timestamped: d.get_item("timestamped")?.extract()?,
        key: Shape::from_py(&d.get_item("key")?)?,
        headers: Shape::from_py(&d.get_item("headers")?)?,
        collapsed: d.get_item("collapsed")?.extract()?,
        // Files saved before shape groups existed hold none (all in the None group).
        shapes_collapsed: match d.get_item("shapes_collapsed") {
            Ok(v) => v.extract()?,
            Err(_) => false,
        },
        // Files saved before two-level shapes: their groups are top-level ones.
        shapes_coarse: match d.get_item("shapes_coarse") {
            Ok(v) => v.extract()?,
            Err(_) => true,
        },
        groups,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<PyTopic>()?;
    m.add_function(wrap_pyfunction!(merge_kinds, m)?)?;
    m.add("FORMAT_VERSION", FORMAT_VERSION)?;
    Ok(())
}

/// Python objects of shared example values, each converted once.
struct Converted<'py> {
    py: Python<'py>,
    done: std::collections::HashMap<*const Value, Bound<'py, PyAny>>,
}

impl<'py> Converted<'py> {
    fn value(&mut self, v: &std::sync::Arc<Value>) -> PyResult<Bound<'py, PyAny>> {
        let key = std::sync::Arc::as_ptr(v);
        if let Some(done) = self.done.get(&key) {
            return Ok(done.clone());
        }
        let obj = value_to_py(self.py, v)?;
        self.done.insert(key, obj.clone());
        Ok(obj)
    }

    /// (partition, offset, value) of an example; None when there is none.
    fn example(&mut self, ex: Option<&CheckExample>) -> PyResult<Bound<'py, PyAny>> {
        match ex {
            None => Ok(self.py.None().into_bound(self.py)),
            Some(ex) => Ok((ex.pos.0, ex.pos.1, self.value(&ex.value)?)
                .into_pyobject(self.py)?
                .into_any()),
        }
    }
}

fn counter<'py, K: AsRef<str>>(
    py: Python<'py>,
    items: impl Iterator<Item = (K, u64)>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut sorted: Vec<(K, u64)> = items.collect();
    sorted.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    let out = PyDict::new(py);
    for (k, c) in sorted {
        out.set_item(k.as_ref(), c)?;
    }
    Ok(out)
}

fn check_results<'py>(py: Python<'py>, check: &TrafficCheck) -> PyResult<Bound<'py, PyDict>> {
    let mut conv = Converted {
        py,
        done: std::collections::HashMap::new(),
    };
    let kinds = PyList::empty(py);
    for ((topic, key), kc) in &check.kinds {
        let places = PyDict::new(py);
        for (place, pc) in &kc.places {
            let st = PyDict::new(py);
            let bp = pc.by_path();
            st.set_item("n", pc.n)?;
            st.set_item(
                "present",
                counter(py, bp.present.iter().map(|(k, c)| (k, *c)))?,
            )?;
            st.set_item(
                "opportunities",
                counter(py, bp.opportunities.iter().map(|(k, c)| (k, *c)))?,
            )?;
            st.set_item(
                "format_checked",
                counter(py, bp.format_checked.iter().map(|(k, c)| (k, *c)))?,
            )?;
            let documented = PyDict::new(py);
            for (path, seen) in &bp.documented {
                let d = &seen.what;
                documented.set_item(&**path, (&*d.pointer, d.required, d.hint))?;
            }
            st.set_item("documented", documented)?;
            let ok_types = PyDict::new(py);
            for (path, types) in &bp.ok_types {
                ok_types.set_item(&**path, types.iter().copied().collect::<Vec<_>>())?;
            }
            st.set_item("ok_types", ok_types)?;
            let allowed = PyDict::new(py);
            for (path, seen) in &bp.allowed {
                allowed.set_item(&**path, seen.what.clone())?;
            }
            st.set_item("allowed", allowed)?;
            let enums = PyDict::new(py);
            for (path, seen) in &bp.enums {
                enums.set_item(&**path, value_to_py(py, &seen.what)?)?;
            }
            st.set_item("enums", enums)?;
            let checks = PyList::empty(py);
            let mut keys: Vec<_> = pc.checks.iter().collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            for ((rule, path), counts) in keys {
                checks.append((
                    *rule,
                    &**path,
                    counts.count,
                    counter(py, counts.values.iter().map(|(k, c)| (k, *c)))?,
                    conv.example(counts.example.as_ref())?,
                    &*counts.pointer,
                ))?;
            }
            st.set_item("checks", checks)?;
            let evidence = PyList::empty(py);
            for ex in pc.evidence() {
                evidence.append(conv.example(Some(&ex))?)?;
            }
            st.set_item("evidence", evidence)?;
            places.set_item(place.name(), st)?;
        }
        kinds.append((topic, key, kc.count, places))?;
    }
    let unknown = PyList::empty(py);
    for ((topic, kind), t) in &check.unknown {
        unknown.append((topic, kind, t.count, conv.example(t.example.as_ref())?))?;
    }
    let undecodable = PyList::empty(py);
    for (topic, t) in &check.undecodable {
        let pos = t.example.as_ref().map(|e| e.pos);
        undecodable.append((
            topic,
            t.count,
            counter(py, t.reasons.iter().map(|(k, c)| (k, *c)))?,
            pos,
        ))?;
    }
    let out = PyDict::new(py);
    out.set_item("kinds", kinds)?;
    out.set_item("unknown", unknown)?;
    out.set_item("undecodable", undecodable)?;
    Ok(out)
}
