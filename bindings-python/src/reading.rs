//! `parse_headers` and the reading it returns: `Reading`, `Policy`, `PolicyState`, `Rejection`.

use crate::convert::{
    dict_of, enum_of, enum_str, from_py, header_pairs, now_of, opt_safe, repr_of, to_str, to_u64,
};
use crate::errors::{core_err, error};
use pacekeeper::headers::{
    parse, ParseOptions, Policy as CorePolicy, PolicyState as CorePolicyState,
    Reading as CoreReading, Rejection as CoreRejection,
};
use pacekeeper::ErrorCode;
use pyo3::prelude::*;

/// Reads a response's rate-limit headers (and a Genesys 429 body) into a :class:`Reading`.
///
/// ``now`` is epoch ms (default: the system clock); ``max_wait_ms`` caps every wait.
#[pyfunction]
#[pyo3(
    signature = (status, headers, body=None, *, now=None, max_wait_ms=None, reset_mode=None),
    text_signature = "(status, headers, body=None, *, now=None, max_wait_ms=None, reset_mode='auto')"
)]
pub(crate) fn parse_headers(
    py: Python<'_>,
    status: &Bound<'_, PyAny>,
    headers: &Bound<'_, PyAny>,
    body: Option<&Bound<'_, PyAny>>,
    now: Option<&Bound<'_, PyAny>>,
    max_wait_ms: Option<&Bound<'_, PyAny>>,
    reset_mode: Option<&Bound<'_, PyAny>>,
) -> PyResult<Reading> {
    let status = u16::try_from(to_u64(status, "status")?).unwrap_or(0);
    let pairs = header_pairs(headers)?;
    let body = match body {
        Some(b) if !b.is_none() => Some(to_str(b, "body")?),
        _ => None,
    };
    let now = now_of(now)?;
    let mut opts = ParseOptions::default();
    if let Some(m) = opt_safe(max_wait_ms, "max_wait_ms")? {
        opts.max_wait_ms = m;
    }
    if let Some(mode) = reset_mode.filter(|m| !m.is_none()) {
        // The names are the core's (its serde names); an unknown one is an invalid option.
        opts.reset_mode = enum_of(mode, "reset_mode", ErrorCode::InvalidOption)?;
    }
    parse(status, &pairs, body.as_deref(), now, &opts)
        .map(|r| Reading { inner: r })
        .map_err(|e| core_err(py, e))
}

/// One response's rate-limit information (immutable). ``to_dict()`` is the core's JSON.
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    pub(crate) inner: CoreReading,
}

#[pymethods]
impl Reading {
    /// A reading from the dict ``to_dict()`` returns.
    #[staticmethod]
    fn from_dict(py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<Reading> {
        let inner: CoreReading = from_py(d, "reading")?;
        // TODO(vocab): the core's status range, restated until the core validates a Reading.
        if !(100..=599).contains(&inner.status) {
            return Err(error(
                py,
                ErrorCode::InvalidStatus,
                "status must be 100..=599",
            ));
        }
        Ok(Reading { inner })
    }
    /// The core's JSON shape, as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        dict_of(py, &self.inner)
    }
    #[getter]
    fn status(&self) -> u16 {
        self.inner.status
    }
    #[getter]
    fn throttled(&self) -> bool {
        self.inner.throttled
    }
    #[getter]
    fn retry_after_ms(&self) -> Option<u64> {
        self.inner.retry_after_ms
    }
    #[getter]
    fn retry_after_lenient(&self) -> bool {
        self.inner.retry_after_lenient
    }
    #[getter]
    fn limit(&self) -> Option<u64> {
        self.inner.limit
    }
    #[getter]
    fn remaining(&self) -> Option<u64> {
        self.inner.remaining
    }
    #[getter]
    fn reset_ms(&self) -> Option<u64> {
        self.inner.reset_ms
    }
    #[getter]
    fn window_ms(&self) -> Option<u64> {
        self.inner.window_ms
    }
    #[getter]
    fn source(&self) -> Option<String> {
        self.inner.source.as_ref().map(enum_str)
    }
    #[getter]
    fn policies(&self) -> Vec<Policy> {
        self.inner
            .policies
            .iter()
            .map(|p| Policy { inner: p.clone() })
            .collect()
    }
    #[getter]
    fn states(&self) -> Vec<PolicyState> {
        self.inner
            .states
            .iter()
            .map(|p| PolicyState { inner: p.clone() })
            .collect()
    }
    #[getter]
    fn wait_ms(&self) -> Option<u64> {
        self.inner.wait_ms
    }
    #[getter]
    fn wait_source(&self) -> Option<String> {
        self.inner.wait_source.as_ref().map(enum_str)
    }
    #[getter]
    fn date_skew_ms(&self) -> Option<i64> {
        self.inner.date_skew_ms
    }
    #[getter]
    fn capped(&self) -> bool {
        self.inner.capped
    }
    #[getter]
    fn rejected(&self) -> Vec<Rejection> {
        self.inner
            .rejected
            .iter()
            .map(|p| Rejection { inner: p.clone() })
            .collect()
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Reading>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }
    fn __repr__(&self) -> String {
        // The fields people look at first, in the core's names.
        const SHOWN: [&str; 7] = [
            "status",
            "throttled",
            "wait_ms",
            "wait_source",
            "limit",
            "remaining",
            "source",
        ];
        let mut v = serde_json::to_value(&self.inner).unwrap_or_default();
        if let serde_json::Value::Object(m) = &mut v {
            m.retain(|k, _| SHOWN.contains(&k.as_str()));
        }
        repr_of("Reading", &v)
    }
}

/// One ``RateLimit-Policy`` item (immutable).
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) inner: CorePolicy,
}

#[pymethods]
impl Policy {
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }
    #[getter]
    fn quota(&self) -> u64 {
        self.inner.quota
    }
    #[getter]
    fn quota_unit(&self) -> String {
        self.inner.quota_unit.clone()
    }
    #[getter]
    fn window_s(&self) -> Option<u64> {
        self.inner.window_s
    }
    #[getter]
    fn partition_key(&self) -> Option<String> {
        self.inner.partition_key.clone()
    }
    /// The core's JSON shape, as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        dict_of(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        repr_of("Policy", &self.inner)
    }
}

/// One ``RateLimit`` item (immutable).
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct PolicyState {
    pub(crate) inner: CorePolicyState,
}

#[pymethods]
impl PolicyState {
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }
    #[getter]
    fn remaining(&self) -> u64 {
        self.inner.remaining
    }
    #[getter]
    fn reset_s(&self) -> Option<u64> {
        self.inner.reset_s
    }
    #[getter]
    fn partition_key(&self) -> Option<String> {
        self.inner.partition_key.clone()
    }
    /// The core's JSON shape, as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        dict_of(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        repr_of("PolicyState", &self.inner)
    }
}

/// A header value that was rejected, with the reason (immutable).
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    pub(crate) inner: CoreRejection,
}

#[pymethods]
impl Rejection {
    #[getter]
    fn header(&self) -> String {
        self.inner.header.clone()
    }
    #[getter]
    fn value(&self) -> String {
        self.inner.value.clone()
    }
    #[getter]
    fn reason(&self) -> String {
        enum_str(&self.inner.reason)
    }
    /// The core's JSON shape, as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        dict_of(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        repr_of("Rejection", &self.inner)
    }
}
