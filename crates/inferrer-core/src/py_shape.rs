//! `inferrer._core.Shape`: the Rust [`Shape`] seen from Python.
//!
//! Dicts cross the boundary as plain Python objects: [`value_to_py`] and
//! [`py_to_value`] convert between them and [`Value`], so the dict formats are defined
//! once, by `Shape::to_value` / `Node::to_value` (the same as `FieldNode.to_dict`).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::stats::{Node, Shape};
use crate::value::{self, Value};

/// A Python object for a [`Value`] (see [`crate::pyvalue::value_to_py`]).
pub fn value_to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(crate::pyvalue::value_to_py(py, v)?.unbind())
}

/// A [`Value`] for a Python object made of None, bool, int, float, str, list, tuple
/// and dicts with str keys. Integers get the parser's representation (i128 within
/// 64 bits, decimal text beyond).
pub fn py_to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        let int = match obj.extract::<i128>() {
            Ok(i) => crate::stats::Int::from_i128(i),
            Err(_) => {
                let text: String = obj.str()?.extract()?;
                crate::stats::Int::from_text(&text)
                    .ok_or_else(|| PyValueError::new_err("not an integer"))?
            }
        };
        return Ok(int.to_value());
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Str(s.to_str()?.into()));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list
            .iter()
            .map(|x| py_to_value(&x))
            .collect::<PyResult<_>>()
            .map(Value::Array);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return tuple
            .iter()
            .map(|x| py_to_value(&x))
            .collect::<PyResult<_>>()
            .map(Value::Array);
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut members = Vec::with_capacity(dict.len());
        for (k, item) in dict.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("dict keys must be str"))?;
            members.push((key.to_str()?.into(), py_to_value(&item)?));
        }
        return Ok(Value::Object(members));
    }
    Err(PyTypeError::new_err(format!(
        "not a JSON value: {}",
        obj.get_type().name()?
    )))
}

fn parse_json(raw: &[u8]) -> PyResult<Value> {
    value::parse(raw)
        .map(|(v, _)| v)
        .map_err(|e| PyValueError::new_err(format!("invalid JSON value: {}", e.reason())))
}

impl Shape {
    /// The `to_dict()` form as a Python dict.
    pub fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, &self.to_value())
    }

    /// A shape from its `to_dict()` form (the structure is derived, not read).
    pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Shape> {
        Shape::from_value(&py_to_value(obj)?).map_err(PyValueError::new_err)
    }
}

/// Statistics and structure of a stream of JSON values, folded in Rust.
#[pyclass(name = "Shape", module = "inferrer._core")]
#[derive(Default)]
pub struct PyShape {
    pub inner: Shape,
}

#[pymethods]
impl PyShape {
    #[new]
    fn new() -> Self {
        PyShape::default()
    }

    /// Add one message per JSON text; nothing is added when one of them is invalid.
    fn fold_json(&mut self, raws: Vec<Vec<u8>>) -> PyResult<()> {
        let values = raws
            .iter()
            .map(|raw| parse_json(raw))
            .collect::<PyResult<Vec<_>>>()?;
        for v in &values {
            self.inner.add(v);
        }
        Ok(())
    }

    /// Record a declared schema given as JSON text.
    fn add_hint_json(&mut self, raw: &Bound<'_, PyBytes>) -> PyResult<()> {
        let v = parse_json(raw.as_bytes())?;
        self.inner.add_hint(&v);
        Ok(())
    }

    fn merge(&mut self, other: PyRef<'_, PyShape>) {
        let other = other.inner.clone();
        self.inner.merge(&other);
    }

    #[getter]
    fn count(&self) -> u64 {
        self.inner.count
    }

    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// `FieldNode.to_dict()` of the root.
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, &self.inner.root.to_value())
    }

    /// genson's structure of the values, keys and anyOf branches sorted.
    fn structure(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, &self.inner.structure())
    }

    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.inner.to_py(py)
    }

    /// The declared schemas (canonical JSON texts, sorted).
    #[getter]
    fn hints(&self) -> Vec<String> {
        self.inner.hints.iter().cloned().collect()
    }

    /// One shape whose statistics are those of `nodes` (`stats()` dicts) merged: how
    /// sub-trees of several shapes (Debezium `before` and `after` rows) are combined.
    #[staticmethod]
    fn from_stats(nodes: &Bound<'_, PyList>) -> PyResult<PyShape> {
        let mut inner = Shape::new();
        for node in nodes.iter() {
            let node = Node::from_value(&py_to_value(&node)?).map_err(PyValueError::new_err)?;
            inner.root.merge(&node);
            inner.count += 1;
        }
        Ok(PyShape { inner })
    }

    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyAny>) -> PyResult<PyShape> {
        Ok(PyShape {
            inner: Shape::from_py(d)?,
        })
    }
}

/// The key families and id prefix of one object key, as the core reads them (the
/// tests compare them with `rules.key_families` / `rules.key_prefix`).
#[pyfunction]
fn key_families(key: &str) -> (Vec<&'static str>, Option<&str>) {
    (
        crate::formats::families_of(crate::formats::key_families(key)).collect(),
        crate::formats::key_prefix(key),
    )
}

/// The subset of `mask` (a bit set over the grammar's formats) that `value` matches,
/// by the patterns the fold uses (the tests compare it with `rules.match_formats`).
#[pyfunction]
fn match_formats(value: &str, mask: u32) -> u32 {
    crate::formats::match_formats(value, mask)
}

/// Add the `Shape` class, `key_families` and `match_formats` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyShape>()?;
    m.add_function(wrap_pyfunction!(key_families, m)?)?;
    m.add_function(wrap_pyfunction!(match_formats, m)?)
}
