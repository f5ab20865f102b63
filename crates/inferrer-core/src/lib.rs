//! inferrer's engine room: untrusted Kafka message bytes in, mergeable observations out.
//!
//! Modules, in the order data flows through them:
//! * [`capture`] — capture files (kcat -C -J JSON Lines) read into records;
//! * [`avro`], [`framing`] — Confluent-framed Avro bodies decoded with writer schemas
//!   registered from Python, into the framed JSON the decoder reads;
//! * [`value`] — JSON parsed by serde_json into [`value::Value`], with the facts the
//!   decoder reports (duplicate names, integers beyond 64 bits, depth);
//! * [`decode`] — one record's key, value and headers decoded (framings, envelopes,
//!   discriminators);
//! * [`formats`], [`stats`] — per-field statistics of a stream of values, and the
//!   schema structure derived from them;
//! * [`observe`] — decoded messages folded into per-topic, per-kind observations;
//! * [`pyrepr`] — Python-compatible text (float repr, canonical JSON, stable hashes).
//!
//! The Python extension module `inferrer._core` is [`python`], with the classes in
//! [`py_engine`], [`py_shape`] and [`py_decode`].

pub mod avro;
pub mod capture;
pub mod check;
pub mod decode;
pub mod formats;
pub mod framing;
pub mod observe;
pub mod py_decode;
pub mod py_engine;
pub mod py_shape;
pub mod pyrepr;
pub mod python;
pub mod pyvalue;
pub mod stats;
pub mod value;

/// The core allocates many small strings and vectors per message (a parsed value's
/// members); mimalloc serves them about twice as fast as the system allocator here.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
