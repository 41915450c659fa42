//! Python bindings for pacekeeper (PyO3), built by maturin into the private module
//! `pacekeeper._native`. The public API is the pure-Python package in `python/pacekeeper/`;
//! the type stub `python/pacekeeper/_native.pyi` must match this module (checked by stubtest).
//!
//! Conversion and error mapping only: every decision, name, default and rule is the core's.
//! Times are integer epoch milliseconds; `now=None` reads the system clock here (the core never
//! reads one). By concern: `errors` (codes and exception classes), `convert` (argument types,
//! text, the JSON bridge), `getters` (`py_class!`), then one module per part of the API.
// `deny`, not `forbid`: the `#[pymodule]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

#[macro_use]
mod getters;
mod backoff;
mod convert;
mod errors;
mod limiter;
mod pacer;
mod plan;
mod reading;

/// The private native module `pacekeeper._native`.
#[pyo3::pymodule]
mod _native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::{
        backoff::{Backoff, Decision, RetryBudget, RetryState},
        limiter::{Limiter, Verdict},
        pacer::{After, PacerCore, Step},
        plan::{plan, replan, Batch, Plan},
        reading::{parse_headers, Policy, PolicyState, Reading, Rejection},
    };

    /// A request's cost when none is given (the core's ``DEFAULT_COST``).
    #[pymodule_export]
    const DEFAULT_COST: u32 = pacekeeper::bucket::DEFAULT_COST;

    /// The lowest HTTP status the core reads (``MIN_STATUS..=MAX_STATUS``).
    #[pymodule_export]
    const MIN_STATUS: u16 = pacekeeper::headers::MIN_STATUS;

    /// The highest HTTP status the core reads.
    #[pymodule_export]
    const MAX_STATUS: u16 = pacekeeper::headers::MAX_STATUS;

    /// The version of the native module (the crate version, shared by every package).
    #[pyfunction]
    fn version() -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// Every stable error code string an error's ``code`` can take, e.g. ``"invalid_limit"``.
    #[pyfunction]
    fn error_codes() -> Vec<&'static str> {
        pacekeeper::vocab::ERROR_CODES.to_vec()
    }

    /// The key of a bearer token's budget (``token:`` and a 64-bit FNV-1a hash, never the
    /// token itself): the same in every runtime, so Node and Python processes share a budget.
    #[pyfunction]
    fn token_key(token: &Bound<'_, PyAny>) -> crate::errors::R<String> {
        let token = crate::convert::str_arg(token, "token")?;
        Ok(pacekeeper::token_key(&token))
    }

    /// The shared-budget Lua script (for ``EVAL`` after a ``NOSCRIPT`` error).
    #[pyfunction]
    fn shared_script() -> &'static str {
        pacekeeper::shared::SCRIPT
    }

    /// The SHA1 of :func:`shared_script` in lowercase hex (for ``EVALSHA``).
    #[pyfunction]
    fn shared_script_sha1() -> &'static str {
        pacekeeper::shared::script_sha1()
    }

    /// The current time as integer epoch milliseconds (the system clock).
    #[pyfunction]
    fn now_ms() -> u64 {
        crate::convert::clock_ms()
    }
}
