//! inferrer's engine room: untrusted Kafka message bytes in, mergeable observations out.
//!
//! Modules, in the order data flows through them:
//! * [`value`] — JSON parsed by serde_json into [`value::Value`], with the facts the
//!   decoder reports (duplicate names, integers beyond 64 bits, depth).
//!
//! The Python extension module `inferrer._core` is [`python`].

pub mod capture;
pub mod decode;
pub mod py_decode;
pub mod python;
pub mod pyvalue;
pub mod value;
