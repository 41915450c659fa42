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

/// A call's failure: a coded error (the core's, the codec's or this module's), raised as a
/// `PacekeeperError`, or an exception Python raised on the way. `?` takes both.
#[derive(Debug)]
pub(crate) enum Failure {
    Coded(Error),
    Raised(PyErr),
}

pub(crate) type R<T> = Result<T, Failure>;

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Coded(e)
    }
}

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Self {
        Failure::Raised(e)
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        let e = match f {
            Failure::Raised(e) => return e,
            Failure::Coded(e) => e,
        };
        let (cell, name) = match e.code {
            ErrorCode::InvalidArgument => (&TYPE_ERROR, "PacekeeperTypeError"),
            _ => (&VALUE_ERROR, "PacekeeperError"),
        };
        Python::attach(|py| match cell.import(py, "pacekeeper._errors", name) {
            Ok(cls) => cls
                .call1((&e.message, e.code.as_str()))
                .map_or_else(|err| err, PyErr::from_value),
            Err(_) => PyTypeError::new_err(format!("{}: {}", e.code.as_str(), e.message)),
        })
    }
}

/// `invalid_argument`: a value of the wrong type or shape.
pub(crate) fn type_err(message: impl Into<String>) -> Failure {
    Error::new(ErrorCode::InvalidArgument, message).into()
}

/// `invalid_number`: a number out of its range.
pub(crate) fn number_err(message: impl Into<String>) -> Failure {
    Error::new(ErrorCode::InvalidNumber, message).into()
}

/// A mutable object (`RetryState`, `RetryBudget`) already borrowed by another thread's call.
pub(crate) fn in_use_err(what: &str) -> Failure {
    let m = format!("{what} is in use by another call (share one per logical call, or lock)");
    Error::new(ErrorCode::InvalidState, m).into()
}
