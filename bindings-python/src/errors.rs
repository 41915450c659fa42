//! Error mapping: every error the native module raises is a `pacekeeper.PacekeeperError` (a
//! `ValueError`) with a stable `.code`, or its subclass `PacekeeperTypeError` (also a
//! `TypeError`) for `invalid_argument` (API.md).

use pacekeeper::{Error, ErrorCode};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static VALUE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TYPE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A `pacekeeper.PacekeeperError` (or `PacekeeperTypeError` for `invalid_argument`).
pub(crate) fn error(py: Python<'_>, code: ErrorCode, message: impl Into<String>) -> PyErr {
    let (cell, name) = if code == ErrorCode::InvalidArgument {
        (&TYPE_ERROR, "PacekeeperTypeError")
    } else {
        (&VALUE_ERROR, "PacekeeperError")
    };
    let message = message.into();
    match cell.import(py, "pacekeeper._errors", name) {
        Ok(cls) => match cls.call1((message, code.as_str())) {
            Ok(value) => PyErr::from_value(value),
            Err(e) => e,
        },
        Err(_) => PyTypeError::new_err(format!("{}: {message}", code.as_str())),
    }
}

pub(crate) fn core_err(py: Python<'_>, e: Error) -> PyErr {
    error(py, e.code, e.message)
}

pub(crate) fn type_err(py: Python<'_>, message: impl Into<String>) -> PyErr {
    error(py, ErrorCode::InvalidArgument, message)
}

pub(crate) fn number_err(py: Python<'_>, message: impl Into<String>) -> PyErr {
    error(py, ErrorCode::InvalidNumber, message)
}

/// A mutable object (`RetryState`, `RetryBudget`) already borrowed by another thread's call.
pub(crate) fn in_use_err(py: Python<'_>, what: &str) -> PyErr {
    error(
        py,
        ErrorCode::InvalidState,
        format!("{what} is in use by another call (share one per logical call, or lock)"),
    )
}
