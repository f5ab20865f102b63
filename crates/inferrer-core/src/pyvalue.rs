//! Decoded values as Python objects: dict, list, str, int, float, bool, None.

use crate::value::Value;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// The Python object of a decoded value. Objects keep their member order; integers
/// beyond 64 bits go through Python's `int(text)` (exact, any size).
pub fn value_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        // Int holds [-2**63, 2**64-1]: an i64 or a u64 converts without 128-bit support.
        Value::Int(i) => match i64::try_from(*i) {
            Ok(small) => small.into_pyobject(py)?.into_any(),
            Err(_) => (*i as u64).into_pyobject(py)?.into_any(),
        },
        Value::BigInt(text) => py.import("builtins")?.getattr("int")?.call1((&**text,))?,
        Value::Float(f) => f.into_pyobject(py)?.into_any(),
        Value::Str(s) => (&**s).into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(members) => {
            let dict = PyDict::new(py);
            for (k, item) in members {
                dict.set_item(&**k, value_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}
