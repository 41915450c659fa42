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

/// A call's failure: an exception Python raised on the way, or a coded error (the core's, the
/// codec's or this module's) raised as a `PacekeeperError`. `?` takes both.
#[derive(Debug)]
pub(crate) struct Failure(PyErr);

pub(crate) type R<T> = Result<T, Failure>;

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Self {
        Failure(e)
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        f.0
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let (cell, name) = match e.code {
            ErrorCode::InvalidArgument => (&TYPE_ERROR, "PacekeeperTypeError"),
            _ => (&VALUE_ERROR, "PacekeeperError"),
        };
        let err = Python::attach(|py| match cell.import(py, "pacekeeper._errors", name) {
            Ok(cls) => PyErr::from_type(cls.clone(), (e.message, e.code.as_str())),
            Err(_) => PyTypeError::new_err(format!("{}: {}", e.code.as_str(), e.message)),
        });
        Failure(err)
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
