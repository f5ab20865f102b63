//! Python functions over the decoder and the capture reader, for the differential
//! tests against the Python references (`decoding.decode_parts`, `capture.decode_line`,
//! `registry.schemas.avro_decoder`).

use crate::capture::{CaptureReader, CaptureRecord};
use crate::decode::{decode, RecordRef};
use crate::pyvalue::value_to_py;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use pyo3::BoundObject;

fn opt_bytes<'py>(py: Python<'py>, b: Option<&[u8]>) -> Bound<'py, PyAny> {
    match b {
        Some(b) => PyBytes::new(py, b).into_any(),
        None => py.None().into_bound(py),
    }
}

fn opt<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: Option<T>) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Some(v) => Ok(v
            .into_pyobject(py)
            .map_err(Into::into)?
            .into_any()
            .into_bound()),
        None => Ok(py.None().into_bound(py)),
    }
}

/// The 19-field `Parts` tuple of `decoding.decode_parts` for one record.
#[pyfunction]
#[pyo3(signature = (partition, offset, timestamp, key, value, headers))]
fn decode_record<'py>(
    py: Python<'py>,
    partition: i32,
    offset: i64,
    timestamp: Option<i64>,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
) -> PyResult<Bound<'py, PyTuple>> {
    let r = RecordRef {
        partition,
        offset,
        timestamp,
        key: key.as_deref(),
        value: value.as_deref(),
        headers: &headers,
    };
    let d = decode(&r);
    let none = || py.None().into_bound(py);
    let items: Vec<Bound<'py, PyAny>> = vec![
        partition.into_pyobject(py)?.into_any(),
        offset.into_pyobject(py)?.into_any(),
        opt(py, timestamp)?,
        d.ok.into_pyobject(py)?.to_owned().into_any(),
        opt(py, d.reason.as_deref())?,
        match &d.value {
            Some(v) => value_to_py(py, v)?,
            None => none(),
        },
        match &d.key {
            Some(v) => value_to_py(py, v)?,
            None => none(),
        },
        d.key_encoding.into_pyobject(py)?.into_any(),
        value_to_py(py, &d.headers)?,
        d.encoding.into_pyobject(py)?.into_any(),
        opt(py, d.content_type.as_deref())?,
        d.envelope.into_pyobject(py)?.into_any(),
        d.framing.into_pyobject(py)?.into_any(),
        opt(py, d.schema_id)?,
        opt(py, d.kind.as_deref())?,
        opt(py, d.kind_field.as_deref())?,
        d.size.into_pyobject(py)?.into_any(),
        d.hash.into_pyobject(py)?.into_any(),
        match &d.hint {
            Some(v) => value_to_py(py, v)?,
            None => none(),
        },
        match &d.key_hint {
            Some(v) => value_to_py(py, v)?,
            None => none(),
        },
    ];
    PyTuple::new(py, items)
}

fn record_tuple<'py>(py: Python<'py>, r: &CaptureRecord) -> PyResult<Bound<'py, PyTuple>> {
    let headers: Vec<Bound<'py, PyTuple>> = r
        .headers
        .iter()
        .map(|(name, v)| {
            PyTuple::new(
                py,
                [
                    name.into_pyobject(py)?.into_any(),
                    opt_bytes(py, v.as_deref()),
                ],
            )
        })
        .collect::<PyResult<_>>()?;
    let items: Vec<Bound<'py, PyAny>> = vec![
        r.topic.as_str().into_pyobject(py)?.into_any(),
        r.partition.into_pyobject(py)?.into_any(),
        r.offset.into_pyobject(py)?.into_any(),
        opt(py, r.timestamp)?,
        opt_bytes(py, r.key.as_deref()),
        opt_bytes(py, r.value.as_deref()),
        PyTuple::new(py, headers)?.into_any(),
    ];
    PyTuple::new(py, items)
}

/// The lines of a capture file: `(line_no, (topic, partition, offset, timestamp, key,
/// value, headers) or None, bad-line reason or None)`, blank lines skipped.
#[pyfunction]
fn read_capture_bytes<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for (line_no, result) in CaptureReader::new(data) {
        let item = match result {
            Ok(r) => (
                line_no,
                record_tuple(py, &r)?.into_any(),
                py.None().into_bound(py),
            ),
            Err(reason) => (
                line_no,
                py.None().into_bound(py),
                reason.into_pyobject(py)?.into_any(),
            ),
        };
        out.append(item)?;
    }
    Ok(out)
}

/// Add the functions to the extension module.
/// One Avro body read with a writer schema (its JSON texts, references first), as the
/// framing does: (the datum's JSON text, None) or (None, the failure's reason).
/// ValueError when the core does not read the schema.
#[pyfunction]
fn avro_json<'py>(
    py: Python<'py>,
    texts: Vec<String>,
    body: &[u8],
) -> PyResult<(Option<Bound<'py, PyBytes>>, Option<String>)> {
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let schema = crate::avro::Schema::compile(&texts).map_err(PyValueError::new_err)?;
    let mut out = Vec::new();
    Ok(match schema.to_json(body, &mut out) {
        Ok(()) => (Some(PyBytes::new(py, &out)), None),
        Err(why) => (None, Some(why.reason())),
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_record, m)?)?;
    m.add_function(wrap_pyfunction!(avro_json, m)?)?;
    m.add_function(wrap_pyfunction!(read_capture_bytes, m)?)?;
    // The kind names the decoder looks for, so the reference's lists are tested equal.
    m.add(
        "DISCRIMINATOR_FIELDS",
        crate::decode::DISCRIMINATOR_FIELDS.to_vec(),
    )?;
    m.add(
        "HEADER_KIND_NAMES",
        crate::decode::HEADER_KIND_NAMES.to_vec(),
    )?;
    Ok(())
}
