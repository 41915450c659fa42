//! Python bindings for pacekeeper (PyO3), built by maturin into the private module
//! `pacekeeper._native`. The public API is the pure-Python package in `python/pacekeeper/`;
//! the type stub `python/pacekeeper/_native.pyi` must match this module (checked by stubtest).
// `deny`, not `forbid`: the `#[pymodule]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use pyo3::pymodule;

/// The private native module `pacekeeper._native`.
#[pymodule]
mod _native {
    use pyo3::prelude::*;

    /// The version of the native module (the crate version, shared by every package).
    #[pyfunction]
    fn version() -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// Every stable error code string an error's ``code`` can take, e.g. ``"invalid_limit"``.
    #[pyfunction]
    fn error_codes() -> Vec<&'static str> {
        pacekeeper::ErrorCode::ALL
            .iter()
            .map(|code| code.as_str())
            .collect()
    }
}
