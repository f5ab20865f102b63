//! The Python face of the core: the `inferrer._core` extension module.

use pyo3::prelude::*;

/// inferrer's compiled engine core.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MAX_DEPTH", crate::value::MAX_DEPTH)?;
    crate::py_shape::register(m)?;
    crate::py_decode::register(m)?;
    crate::py_engine::register(m)?;
    Ok(())
}
