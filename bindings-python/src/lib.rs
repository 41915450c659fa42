//! Python bindings for pacekeeper (PyO3), built by maturin into the private module
//! `pacekeeper._native`. The public API is the pure-Python package in `python/pacekeeper/`;
//! the type stub `python/pacekeeper/_native.pyi` must match this module (checked by stubtest).
//!
//! Conversion and error mapping only: every decision is the core's. Times are integer epoch
//! milliseconds; `now=None` reads the system clock here (the core never reads one).
// `deny`, not `forbid`: the `#[pymodule]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use pyo3::pymodule;

/// The private native module `pacekeeper._native`.
#[pymodule]
mod _native {
    use pacekeeper::backoff::{
        Backoff as CoreBackoff, BackoffPolicy, Decision as CoreDecision, Outcome,
        RetryBudget as CoreBudget, RetryState as CoreState,
    };
    use pacekeeper::bucket::{
        Limiter as CoreLimiter, LimiterConfig, LimiterState, Verdict as CoreVerdict,
    };
    use pacekeeper::headers::{
        parse, ParseOptions, Policy as CorePolicy, PolicyState as CorePolicyState,
        Reading as CoreReading, Rejection as CoreRejection, ResetMode,
    };
    use pacekeeper::plan::{
        plan as core_plan, replan as core_replan, Batch as CoreBatch, BatchOutcome,
        Plan as CorePlan, PlanRequest,
    };
    use pacekeeper::{Error, ErrorCode};
    use pyo3::exceptions::PyTypeError;
    use pyo3::prelude::*;
    use pyo3::pybacked::PyBackedStr;
    use pyo3::sync::PyOnceLock;
    use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
    use pyo3::IntoPyObjectExt;
    use serde::{de::DeserializeOwned, Serialize};
    use serde_json::{Map, Number, Value};
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    use std::sync::{Mutex, MutexGuard};

    // ---------------------------------------------------------------- errors

    static VALUE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static TYPE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

    /// A `pacekeeper.PacekeeperError` (or `PacekeeperTypeError` for `invalid_argument`).
    fn error(py: Python<'_>, code: ErrorCode, message: impl Into<String>) -> PyErr {
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

    fn core_err(py: Python<'_>, e: Error) -> PyErr {
        error(py, e.code, e.message)
    }

    fn type_err(py: Python<'_>, message: impl Into<String>) -> PyErr {
        error(py, ErrorCode::InvalidArgument, message)
    }

    fn number_err(py: Python<'_>, message: impl Into<String>) -> PyErr {
        error(py, ErrorCode::InvalidNumber, message)
    }

    // ---------------------------------------------------------------- numbers and clock

    /// The system clock, epoch ms (the only clock read in the package's native half).
    fn clock_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// A non-negative integer (an `int`, or a `float` holding an exact integer). `bool` is not a
    /// number here.
    fn to_u64(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u64> {
        let py = obj.py();
        if let Ok(i) = obj.cast_exact::<PyInt>() {
            return i.extract::<u64>().map_err(|_| {
                number_err(
                    py,
                    format!("{name} must be an integer in 0..=2^64-1, got {i}"),
                )
            });
        }
        if obj.is_instance_of::<PyBool>() {
            return Err(type_err(py, format!("{name} must be an int, got a bool")));
        }
        if let Ok(i) = obj.cast::<PyInt>() {
            return i.extract::<u64>().map_err(|_| {
                number_err(
                    py,
                    format!("{name} must be an integer in 0..=2^64-1, got {i}"),
                )
            });
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            let v = f.value();
            #[allow(clippy::cast_precision_loss)]
            let max = u64::MAX as f64;
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < max {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                return Ok(v as u64);
            }
            return Err(number_err(
                py,
                format!("{name} must be a finite non-negative integer, got {v}"),
            ));
        }
        Err(type_err(
            py,
            format!(
                "{name} must be an int, got {}",
                obj.get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ),
        ))
    }

    fn opt_u64(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<u64>> {
        match obj {
            None => Ok(None),
            Some(o) if o.is_none() => Ok(None),
            Some(o) => to_u64(o, name).map(Some),
        }
    }

    /// `now`, defaulting to the system clock.
    fn now_of(now: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
        Ok(opt_u64(now, "now")?.unwrap_or_else(clock_ms))
    }

    fn cost_of(cost: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
        Ok(opt_u64(cost, "cost")?.map_or(1, |c| u32::try_from(c).unwrap_or(u32::MAX)))
    }

    fn to_str(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(s.to_cow()?.into_owned());
        }
        if let Ok(b) = obj.cast::<PyBytes>() {
            // Header bytes are ISO-8859-1 on the wire.
            return Ok(b.as_bytes().iter().map(|&c| char::from(c)).collect());
        }
        Err(type_err(obj.py(), format!("{name} must be a str")))
    }

    // ---------------------------------------------------------------- JSON bridge (non-hot paths)

    /// A Python value as JSON: dicts, lists, tuples, str, int, float, bool, None, and any object
    /// with a `to_dict()` method.
    fn to_json(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
        let py = obj.py();
        if depth > 32 {
            return Err(type_err(py, "input nested too deeply"));
        }
        if obj.is_none() {
            return Ok(Value::Null);
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(Value::Bool(b.is_true()));
        }
        if let Ok(i) = obj.cast::<PyInt>() {
            if let Ok(u) = i.extract::<u64>() {
                return Ok(Value::from(u));
            }
            if let Ok(s) = i.extract::<i64>() {
                return Ok(Value::from(s));
            }
            return Err(number_err(py, format!("integer out of range: {i}")));
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            let v = f.value();
            if !v.is_finite() {
                return Err(number_err(py, format!("not a finite number: {v}")));
            }
            #[allow(clippy::cast_precision_loss)]
            if v.fract() == 0.0 && v >= 0.0 && v < u64::MAX as f64 {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                return Ok(Value::from(v as u64));
            }
            return Ok(Number::from_f64(v).map_or(Value::Null, Value::Number));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Value::String(s.to_cow()?.into_owned()));
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            let mut m = Map::new();
            for (k, v) in d.iter() {
                let k = k
                    .cast::<PyString>()
                    .map_err(|_| type_err(py, "dict keys must be str"))?
                    .to_cow()?
                    .into_owned();
                m.insert(k, to_json(&v, depth + 1)?);
            }
            return Ok(Value::Object(m));
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            let mut a = Vec::new();
            for v in obj.try_iter()? {
                a.push(to_json(&v?, depth + 1)?);
            }
            return Ok(Value::Array(a));
        }
        if let Ok(to_dict) = obj.getattr("to_dict") {
            return to_json(&to_dict.call0()?, depth + 1);
        }
        if obj.hasattr("keys")? && obj.hasattr("__getitem__")? {
            let d = PyDict::new(py);
            for k in obj.call_method0("keys")?.try_iter()? {
                let k = k?;
                d.set_item(&k, obj.get_item(&k)?)?;
            }
            return to_json(d.as_any(), depth + 1);
        }
        Err(type_err(
            py,
            format!(
                "cannot convert a {} (expected dict, list, str, int, float, bool or None)",
                obj.get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ),
        ))
    }

    /// JSON to the core's type, mapping serde errors to codes.
    fn from_json<T: DeserializeOwned>(py: Python<'_>, v: Value, what: &str) -> PyResult<T> {
        serde_json::from_value(v).map_err(|e| {
            let m = e.to_string();
            if m.contains("invalid value: integer") || m.contains("invalid type: floating point") {
                number_err(py, format!("{what}: {m}"))
            } else {
                type_err(py, format!("{what}: {m}"))
            }
        })
    }

    fn json_to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
        Ok(match v {
            Value::Null => py.None(),
            Value::Bool(b) => b.into_py_any(py)?,
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    u.into_py_any(py)?
                } else if let Some(i) = n.as_i64() {
                    i.into_py_any(py)?
                } else {
                    n.as_f64().unwrap_or(f64::NAN).into_py_any(py)?
                }
            }
            Value::String(s) => s.into_py_any(py)?,
            Value::Array(a) => {
                let items = a
                    .iter()
                    .map(|x| json_to_py(py, x))
                    .collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, items)?.into_py_any(py)?
            }
            Value::Object(m) => {
                let d = PyDict::new(py);
                for (k, x) in m {
                    d.set_item(k, json_to_py(py, x)?)?;
                }
                d.into_py_any(py)?
            }
        })
    }

    fn dict_of<T: Serialize>(py: Python<'_>, t: &T) -> PyResult<Py<PyAny>> {
        let v = serde_json::to_value(t).map_err(|e| type_err(py, e.to_string()))?;
        json_to_py(py, &v)
    }

    fn enum_str<T: Serialize>(t: &T) -> String {
        match serde_json::to_value(t) {
            Ok(Value::String(s)) => s,
            _ => String::new(),
        }
    }

    fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A default seed from the OS random source (`getrandom`); should the OS refuse, std's
    /// randomly keyed hasher over the clock, which is still unpredictable across processes.
    fn random_u64() -> u64 {
        getrandom::u64().unwrap_or_else(|_| RandomState::new().hash_one(clock_ms()))
    }

    // ---------------------------------------------------------------- module functions

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

    /// The current time as integer epoch milliseconds (the system clock).
    #[pyfunction]
    fn now_ms() -> u64 {
        clock_ms()
    }

    /// Header pairs from a list of ``(name, value)`` pairs, a ``dict`` or any object with
    /// ``multi_items()`` (httpx) or ``items()`` (requests, urllib3, ``email.message.Message``).
    fn header_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
        let py = headers.py();
        let mut out = Vec::new();
        let pair = |item: Bound<'_, PyAny>, out: &mut Vec<(String, String)>| -> PyResult<()> {
            if let Ok(t) = item.cast::<PyTuple>() {
                if t.len() == 2 {
                    out.push((
                        to_str(&t.get_item(0)?, "header name")?,
                        to_str(&t.get_item(1)?, "header value")?,
                    ));
                    return Ok(());
                }
            } else if let Ok(l) = item.cast::<PyList>() {
                if l.len() == 2 {
                    out.push((
                        to_str(&l.get_item(0)?, "header name")?,
                        to_str(&l.get_item(1)?, "header value")?,
                    ));
                    return Ok(());
                }
            }
            Err(type_err(py, "headers must be (name, value) pairs"))
        };
        if headers.is_none() {
            return Ok(out);
        }
        if let Ok(d) = headers.cast::<PyDict>() {
            for (k, v) in d.iter() {
                let name = to_str(&k, "header name")?;
                if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
                    for x in v.try_iter()? {
                        out.push((name.clone(), to_str(&x?, "header value")?));
                    }
                } else {
                    out.push((name, to_str(&v, "header value")?));
                }
            }
            return Ok(out);
        }
        if headers.is_instance_of::<PyList>() || headers.is_instance_of::<PyTuple>() {
            for item in headers.try_iter()? {
                pair(item?, &mut out)?;
            }
            return Ok(out);
        }
        if headers.is_instance_of::<PyString>() || headers.is_instance_of::<PyBytes>() {
            return Err(type_err(
                py,
                "headers must be a mapping or (name, value) pairs",
            ));
        }
        let items = if headers.hasattr("multi_items")? {
            headers.call_method0("multi_items")?
        } else if headers.hasattr("items")? {
            headers.call_method0("items")?
        } else {
            return Err(type_err(
                py,
                "headers must be a mapping, an object with items(), or (name, value) pairs",
            ));
        };
        for item in items.try_iter()? {
            pair(item?, &mut out)?;
        }
        Ok(out)
    }

    fn reset_mode_of(py: Python<'_>, s: &str) -> PyResult<ResetMode> {
        Ok(match s {
            "auto" => ResetMode::Auto,
            "epoch_seconds" => ResetMode::EpochSeconds,
            "epoch_millis" => ResetMode::EpochMillis,
            "delta_seconds" => ResetMode::DeltaSeconds,
            other => {
                return Err(error(
                    py,
                    ErrorCode::InvalidOption,
                    format!(
                        "reset_mode must be auto, epoch_seconds, epoch_millis or delta_seconds, got {other:?}"
                    ),
                ))
            }
        })
    }

    /// Reads a response's rate-limit headers (and a Genesys 429 body) into a :class:`Reading`.
    ///
    /// ``now`` is epoch ms (default: the system clock); ``max_wait_ms`` caps every wait.
    #[pyfunction]
    #[pyo3(signature = (status, headers, body=None, *, now=None, max_wait_ms=None, reset_mode="auto"))]
    fn parse_headers(
        py: Python<'_>,
        status: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
        max_wait_ms: Option<&Bound<'_, PyAny>>,
        reset_mode: &str,
    ) -> PyResult<Reading> {
        let status = u16::try_from(to_u64(status, "status")?).unwrap_or(0);
        let pairs = header_pairs(headers)?;
        let body = match body {
            Some(b) if !b.is_none() => Some(to_str(b, "body")?),
            _ => None,
        };
        let now = now_of(now)?;
        let mut opts = ParseOptions::default();
        if let Some(m) = opt_u64(max_wait_ms, "max_wait_ms")? {
            opts.max_wait_ms = m;
        }
        opts.reset_mode = reset_mode_of(py, reset_mode)?;
        parse(status, &pairs, body.as_deref(), now, &opts)
            .map(|r| Reading { inner: r })
            .map_err(|e| core_err(py, e))
    }

    // ---------------------------------------------------------------- Reading

    /// One response's rate-limit information (immutable). ``to_dict()`` is the core's JSON.
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct Reading {
        inner: CoreReading,
    }

    #[pymethods]
    impl Reading {
        /// A reading from the dict ``to_dict()`` returns.
        #[staticmethod]
        fn from_dict(py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<Reading> {
            let inner: CoreReading = from_json(py, to_json(d, 0)?, "reading")?;
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
            format!(
                "Reading(status={}, throttled={}, wait_ms={:?}, limit={:?}, remaining={:?}, source={:?})",
                self.inner.status,
                self.inner.throttled,
                self.inner.wait_ms,
                self.inner.limit,
                self.inner.remaining,
                self.source()
            )
        }
    }

    /// One ``RateLimit-Policy`` item (immutable).
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct Policy {
        inner: CorePolicy,
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
            format!("Policy({:?})", self.inner)
        }
    }

    /// One ``RateLimit`` item (immutable).
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct PolicyState {
        inner: CorePolicyState,
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
            format!("PolicyState({:?})", self.inner)
        }
    }

    /// A header value that was rejected, with the reason (immutable).
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct Rejection {
        inner: CoreRejection,
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
            format!("Rejection({:?})", self.inner)
        }
    }

    // ---------------------------------------------------------------- Limiter

    /// The answer to a check or a reservation (immutable): ``decision`` is ``"allow"``
    /// (``remaining``), ``"wait"`` (``until`` epoch ms, ``wait_ms``) or ``"never"``
    /// (``cost``, ``capacity``); fields of other decisions are ``None``.
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct Verdict {
        inner: CoreVerdict,
    }

    #[pymethods]
    impl Verdict {
        #[getter]
        fn decision(&self) -> &'static str {
            match self.inner {
                CoreVerdict::Allow { .. } => "allow",
                CoreVerdict::Wait { .. } => "wait",
                CoreVerdict::Never { .. } => "never",
            }
        }
        /// True for ``"allow"``.
        #[getter]
        fn allowed(&self) -> bool {
            matches!(self.inner, CoreVerdict::Allow { .. })
        }
        #[getter]
        fn remaining(&self) -> Option<u64> {
            match self.inner {
                CoreVerdict::Allow { remaining } => remaining,
                _ => None,
            }
        }
        #[getter]
        fn until(&self) -> Option<u64> {
            match self.inner {
                CoreVerdict::Wait { until, .. } => Some(until),
                _ => None,
            }
        }
        #[getter]
        fn wait_ms(&self) -> Option<u64> {
            match self.inner {
                CoreVerdict::Wait { wait_ms, .. } => Some(wait_ms),
                _ => None,
            }
        }
        #[getter]
        fn cost(&self) -> Option<u32> {
            match self.inner {
                CoreVerdict::Never { cost, .. } => Some(cost),
                _ => None,
            }
        }
        #[getter]
        fn capacity(&self) -> Option<u32> {
            match self.inner {
                CoreVerdict::Never { capacity, .. } => Some(capacity),
                _ => None,
            }
        }
        /// The core's JSON shape, as a dict.
        fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            dict_of(py, &self.inner)
        }
        fn __bool__(&self) -> bool {
            self.allowed()
        }
        fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
            other
                .cast::<Verdict>()
                .is_ok_and(|o| o.get().inner == self.inner)
        }
        fn __repr__(&self) -> String {
            match self.inner {
                CoreVerdict::Allow { remaining } => {
                    format!("Verdict(decision='allow', remaining={remaining:?})")
                }
                CoreVerdict::Wait { until, wait_ms } => {
                    format!("Verdict(decision='wait', until={until}, wait_ms={wait_ms})")
                }
                CoreVerdict::Never { cost, capacity } => {
                    format!("Verdict(decision='never', cost={cost}, capacity={capacity})")
                }
            }
        }
    }

    /// Fills the default ``burst`` (= ``amount``) of each limit in a JSON list.
    fn default_bursts(v: &mut Value) {
        if let Value::Array(a) = v {
            for l in a {
                if let Value::Object(m) = l {
                    if !m.contains_key("burst") {
                        if let Some(a) = m.get("amount").cloned() {
                            m.insert("burst".into(), a);
                        }
                    }
                }
            }
        }
    }

    fn config_of(
        py: Python<'_>,
        limits: Option<&Bound<'_, PyAny>>,
        learn: bool,
        adaptive: Option<&Bound<'_, PyAny>>,
        max_in_flight: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<LimiterConfig> {
        let mut lv = match limits {
            Some(l) if !l.is_none() => to_json(l, 0)?,
            _ => Value::Array(Vec::new()),
        };
        if !lv.is_array() {
            return Err(type_err(py, "limits must be a list of limits"));
        }
        default_bursts(&mut lv);
        let mut m = Map::new();
        m.insert("limits".into(), lv);
        m.insert("learn".into(), Value::Bool(learn));
        match adaptive {
            Some(a) if !a.is_none() => {
                let av = if a.is_instance_of::<PyBool>() {
                    if a.is_truthy()? {
                        Value::Object(Map::new())
                    } else {
                        Value::Null
                    }
                } else {
                    to_json(a, 0)?
                };
                m.insert("adaptive".into(), av);
            }
            _ => {}
        }
        if let Some(n) = opt_u64(max_in_flight, "max_in_flight")? {
            m.insert(
                "max_in_flight".into(),
                Value::from(u32::try_from(n).map_err(|_| {
                    error(py, ErrorCode::InvalidLimit, "max_in_flight is too large")
                })?),
            );
        }
        let config: LimiterConfig = from_json(py, Value::Object(m), "limiter config")?;
        config.validate().map_err(|e| core_err(py, e))?;
        Ok(config)
    }

    /// A keyed GCRA limiter, safe to share between threads. Times are epoch ms.
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug)]
    struct Limiter {
        inner: Mutex<CoreLimiter>,
    }

    /// The key's UTF-8 text, borrowed from Python (no copy on Python 3.10+ builds).
    fn key_str(key: &Bound<'_, PyAny>) -> PyResult<PyBackedStr> {
        match key.cast::<PyString>() {
            Ok(s) => PyBackedStr::try_from(s.clone()),
            Err(_) => Err(type_err(key.py(), "key must be a str")),
        }
    }

    #[pymethods]
    impl Limiter {
        #[new]
        #[pyo3(signature = (limits=None, *, learn=true, adaptive=None, max_in_flight=None))]
        fn new(
            py: Python<'_>,
            limits: Option<&Bound<'_, PyAny>>,
            learn: bool,
            adaptive: Option<&Bound<'_, PyAny>>,
            max_in_flight: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<Self> {
            let config = config_of(py, limits, learn, adaptive, max_in_flight)?;
            let inner = CoreLimiter::new(config).map_err(|e| core_err(py, e))?;
            Ok(Limiter {
                inner: Mutex::new(inner),
            })
        }

        /// A limiter from ``to_dict()``'s ``{"config": ..., "state": ...}``.
        #[staticmethod]
        fn from_dict(py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<Limiter> {
            let v = to_json(d, 0)?;
            let Value::Object(mut m) = v else {
                return Err(type_err(py, "from_dict takes a dict"));
            };
            let mut cv = m.remove("config").unwrap_or(Value::Object(Map::new()));
            if let Value::Object(c) = &mut cv {
                if let Some(l) = c.get_mut("limits") {
                    default_bursts(l);
                }
            }
            let config: LimiterConfig = from_json(py, cv, "limiter config")?;
            let state: LimiterState = from_json(
                py,
                m.remove("state").unwrap_or(Value::Object(Map::new())),
                "limiter state",
            )?;
            let inner = CoreLimiter::from_state(config, state).map_err(|e| core_err(py, e))?;
            Ok(Limiter {
                inner: Mutex::new(inner),
            })
        }

        /// ``{"config": ..., "state": {key: key_state}}``: plain data for ``from_dict``.
        fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            let (config, state) = {
                let l = lock(&self.inner);
                (l.config().clone(), l.state().clone())
            };
            let mut m = Map::new();
            m.insert(
                "config".into(),
                serde_json::to_value(config).map_err(|e| type_err(py, e.to_string()))?,
            );
            m.insert(
                "state".into(),
                serde_json::to_value(state).map_err(|e| type_err(py, e.to_string()))?,
            );
            json_to_py(py, &Value::Object(m))
        }

        /// The configuration as a dict.
        #[getter]
        fn config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            let c = lock(&self.inner).config().clone();
            dict_of(py, &c)
        }

        /// Asks to send a request of ``cost`` for ``key`` at ``now``; on ``allow`` the tokens
        /// are taken, on ``wait`` nothing is (ask again at ``until``).
        #[pyo3(signature = (key, cost=None, *, now=None))]
        fn check(
            &self,
            key: &Bound<'_, PyAny>,
            cost: Option<&Bound<'_, PyAny>>,
            now: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<Verdict> {
            let (k, cost, now) = (key_str(key)?, cost_of(cost)?, now_of(now)?);
            let r = lock(&self.inner).check(&k, cost, now);
            r.map(|inner| Verdict { inner })
                .map_err(|e| core_err(key.py(), e))
        }

        /// Like ``check`` but takes nothing.
        #[pyo3(signature = (key, cost=None, *, now=None))]
        fn peek(
            &self,
            key: &Bound<'_, PyAny>,
            cost: Option<&Bound<'_, PyAny>>,
            now: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<Verdict> {
            let (k, cost, now) = (key_str(key)?, cost_of(cost)?, now_of(now)?);
            let r = lock(&self.inner).peek(&k, cost, now);
            r.map(|inner| Verdict { inner })
                .map_err(|e| core_err(key.py(), e))
        }

        /// Books the earliest slot: ``allow`` to go now, or ``wait`` with the booked ``until``.
        #[pyo3(signature = (key, cost=None, *, now=None))]
        fn reserve(
            &self,
            key: &Bound<'_, PyAny>,
            cost: Option<&Bound<'_, PyAny>>,
            now: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<Verdict> {
            let (k, cost, now) = (key_str(key)?, cost_of(cost)?, now_of(now)?);
            let r = lock(&self.inner).reserve(&k, cost, now);
            r.map(|inner| Verdict { inner })
                .map_err(|e| core_err(key.py(), e))
        }

        /// Re-synchronises ``key`` from a response's :class:`Reading`, received at ``now``.
        #[pyo3(signature = (key, reading, *, now=None))]
        fn observe(
            &self,
            key: &Bound<'_, PyAny>,
            reading: &Bound<'_, PyAny>,
            now: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<()> {
            let py = key.py();
            let k = key_str(key)?;
            let reading = reading
                .cast::<Reading>()
                .map_err(|_| type_err(py, "reading must be a Reading from parse_headers()"))?;
            let now = now_of(now)?;
            let r = lock(&self.inner).observe(&k, &reading.get().inner, now);
            r.map_err(|e| core_err(py, e))
        }

        /// Holds every request for ``key`` until ``until`` (epoch ms), as a 429 does.
        fn block_until(&self, key: &Bound<'_, PyAny>, until: &Bound<'_, PyAny>) -> PyResult<()> {
            let (k, until) = (key_str(key)?, to_u64(until, "until")?);
            let r = lock(&self.inner).block_until(&k, until);
            r.map_err(|e| core_err(key.py(), e))
        }

        /// Takes an in-flight slot; ``False`` when ``max_in_flight`` are taken.
        fn acquire(&self, key: &Bound<'_, PyAny>) -> PyResult<bool> {
            let k = key_str(key)?;
            let r = lock(&self.inner).acquire(&k);
            r.map_err(|e| core_err(key.py(), e))
        }

        /// Gives back an in-flight slot; returns how many stay in flight.
        fn release(&self, key: &Bound<'_, PyAny>) -> PyResult<u32> {
            let k = key_str(key)?;
            let r = lock(&self.inner).release(&k);
            r.map_err(|e| core_err(key.py(), e))
        }

        /// Drops keys that hold nothing at ``now``; returns how many were dropped.
        #[pyo3(signature = (*, now=None))]
        fn prune(&self, now: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
            let now = now_of(now)?;
            Ok(lock(&self.inner).prune(now))
        }

        fn __len__(&self) -> usize {
            lock(&self.inner).len()
        }

        fn __repr__(&self) -> String {
            let l = lock(&self.inner);
            format!("Limiter(limits={:?}, keys={})", l.config().limits, l.len())
        }
    }

    // ---------------------------------------------------------------- Backoff

    /// The progress of one logical call (mutated by :meth:`Backoff.decide`).
    #[pyclass(module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct RetryState {
        inner: CoreState,
    }

    #[pymethods]
    impl RetryState {
        #[new]
        #[pyo3(signature = (started_at=None, seed=None))]
        fn new(
            started_at: Option<&Bound<'_, PyAny>>,
            seed: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<Self> {
            let started_at = opt_u64(started_at, "started_at")?.unwrap_or_else(clock_ms);
            let seed = opt_u64(seed, "seed")?.unwrap_or_else(random_u64);
            Ok(RetryState {
                inner: CoreState::new(started_at, seed),
            })
        }
        #[getter]
        fn attempts(&self) -> u32 {
            self.inner.attempts
        }
        #[getter]
        fn started_at(&self) -> u64 {
            self.inner.started_at
        }
        #[getter]
        fn seed(&self) -> u64 {
            self.inner.seed
        }
        #[getter]
        fn prev_delay_ms(&self) -> u64 {
            self.inner.prev_delay_ms
        }
        #[getter]
        fn last_hint_ms(&self) -> Option<u64> {
            self.inner.last_hint_ms
        }
        #[getter]
        fn short_hints(&self) -> u32 {
            self.inner.short_hints
        }
        /// The core's JSON shape, as a dict.
        fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            dict_of(py, &self.inner)
        }
        fn __repr__(&self) -> String {
            format!("RetryState({:?})", self.inner)
        }
    }

    /// A retry budget shared across calls (mutated by :meth:`Backoff.decide`).
    #[pyclass(module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct RetryBudget {
        inner: CoreBudget,
    }

    #[pymethods]
    impl RetryBudget {
        #[new]
        #[pyo3(signature = (*, capacity=None, tokens=None, retry_cost=None, network_cost=None, success_refund=None))]
        fn new(
            py: Python<'_>,
            capacity: Option<&Bound<'_, PyAny>>,
            tokens: Option<&Bound<'_, PyAny>>,
            retry_cost: Option<&Bound<'_, PyAny>>,
            network_cost: Option<&Bound<'_, PyAny>>,
            success_refund: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<Self> {
            let d = CoreBudget::default();
            let u32_of = |o: Option<&Bound<'_, PyAny>>, name: &str, def: u32| -> PyResult<u32> {
                match opt_u64(o, name)? {
                    None => Ok(def),
                    Some(v) => u32::try_from(v)
                        .map_err(|_| number_err(py, format!("{name} must fit in 32 bits"))),
                }
            };
            let capacity = u32_of(capacity, "capacity", d.capacity)?;
            let inner = CoreBudget {
                capacity,
                tokens: u32_of(tokens, "tokens", capacity)?,
                retry_cost: u32_of(retry_cost, "retry_cost", d.retry_cost)?,
                network_cost: u32_of(network_cost, "network_cost", d.network_cost)?,
                success_refund: u32_of(success_refund, "success_refund", d.success_refund)?,
            };
            // Validated by `Backoff.decide`, as in the core.
            Ok(RetryBudget { inner })
        }
        #[getter]
        fn capacity(&self) -> u32 {
            self.inner.capacity
        }
        #[getter]
        fn tokens(&self) -> u32 {
            self.inner.tokens
        }
        #[getter]
        fn retry_cost(&self) -> u32 {
            self.inner.retry_cost
        }
        #[getter]
        fn network_cost(&self) -> u32 {
            self.inner.network_cost
        }
        #[getter]
        fn success_refund(&self) -> u32 {
            self.inner.success_refund
        }
        /// The core's JSON shape, as a dict.
        fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            dict_of(py, &self.inner)
        }
        fn __repr__(&self) -> String {
            format!("RetryBudget({:?})", self.inner)
        }
    }

    /// What to do after an attempt (immutable): ``decision`` is ``"done"``, ``"retry"``
    /// (``at`` epoch ms, ``delay_ms``, ``attempt``, ``reason``) or ``"give_up"`` (``reason``,
    /// ``attempts``); fields of other decisions are ``None``.
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct Decision {
        inner: CoreDecision,
    }

    #[pymethods]
    impl Decision {
        #[getter]
        fn decision(&self) -> &'static str {
            match self.inner {
                CoreDecision::Done => "done",
                CoreDecision::Retry { .. } => "retry",
                CoreDecision::GiveUp { .. } => "give_up",
            }
        }
        #[getter]
        fn at(&self) -> Option<u64> {
            match self.inner {
                CoreDecision::Retry { at, .. } => Some(at),
                _ => None,
            }
        }
        #[getter]
        fn delay_ms(&self) -> Option<u64> {
            match self.inner {
                CoreDecision::Retry { delay_ms, .. } => Some(delay_ms),
                _ => None,
            }
        }
        #[getter]
        fn attempt(&self) -> Option<u32> {
            match self.inner {
                CoreDecision::Retry { attempt, .. } => Some(attempt),
                _ => None,
            }
        }
        #[getter]
        fn attempts(&self) -> Option<u32> {
            match self.inner {
                CoreDecision::GiveUp { attempts, .. } => Some(attempts),
                _ => None,
            }
        }
        #[getter]
        fn reason(&self) -> Option<String> {
            match &self.inner {
                CoreDecision::Retry { reason, .. } => Some(enum_str(reason)),
                CoreDecision::GiveUp { reason, .. } => Some(enum_str(reason)),
                CoreDecision::Done => None,
            }
        }
        /// The core's JSON shape, as a dict.
        fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            dict_of(py, &self.inner)
        }
        fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
            other
                .cast::<Decision>()
                .is_ok_and(|o| o.get().inner == self.inner)
        }
        fn __repr__(&self) -> String {
            format!("Decision({:?})", self.inner)
        }
    }

    /// A validated backoff policy: ``Backoff(base_ms=500, multiplier=2.0, cap_ms=60000,
    /// jitter="full", max_attempts=8, deadline_ms=None, retry_statuses=[429, 502, 503, 504],
    /// retry_network_errors=True, hint_spread_percent=10, max_wait_ms=21600000)``.
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug)]
    struct Backoff {
        inner: CoreBackoff,
    }

    #[pymethods]
    impl Backoff {
        #[new]
        #[pyo3(signature = (**policy))]
        fn new(py: Python<'_>, policy: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
            let v = match policy {
                Some(p) => to_json(p.as_any(), 0)?,
                None => Value::Object(Map::new()),
            };
            let policy: BackoffPolicy = from_json(py, v, "backoff policy")?;
            let inner = CoreBackoff::new(policy).map_err(|e| core_err(py, e))?;
            Ok(Backoff { inner })
        }

        /// The policy as a dict.
        #[getter]
        fn policy(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            dict_of(py, self.inner.policy())
        }

        /// Decides what follows an attempt that ended at ``now`` with ``reading`` (``None``:
        /// a network error), updating ``state`` and ``budget``.
        #[pyo3(signature = (state, reading, *, now=None, budget=None))]
        fn decide(
            &self,
            py: Python<'_>,
            state: &Bound<'_, RetryState>,
            reading: &Bound<'_, PyAny>,
            now: Option<&Bound<'_, PyAny>>,
            budget: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<Decision> {
            let outcome = if reading.is_none() {
                Outcome::NetworkError
            } else {
                let r = reading.cast::<Reading>().map_err(|_| {
                    type_err(py, "reading must be a Reading from parse_headers() or None")
                })?;
                Outcome::Response {
                    reading: r.get().inner.clone(),
                }
            };
            let now = now_of(now)?;
            let mut st = state.try_borrow_mut()?;
            let r = match budget {
                Some(b) if !b.is_none() => {
                    let b = b
                        .cast::<RetryBudget>()
                        .map_err(|_| type_err(py, "budget must be a RetryBudget"))?;
                    let mut b = b.try_borrow_mut()?;
                    self.inner
                        .decide(&mut st.inner, &outcome, now, Some(&mut b.inner))
                }
                _ => self.inner.decide(&mut st.inner, &outcome, now, None),
            };
            r.map(|inner| Decision { inner })
                .map_err(|e| core_err(py, e))
        }

        /// The delay before retry ``n`` (n ≥ 1) given the previous delay, for ``seed``.
        fn delay_ms(
            &self,
            n: &Bound<'_, PyAny>,
            prev_ms: &Bound<'_, PyAny>,
            seed: &Bound<'_, PyAny>,
        ) -> PyResult<u64> {
            let n = u32::try_from(to_u64(n, "n")?).unwrap_or(u32::MAX);
            Ok(self
                .inner
                .policy()
                .delay_ms(n, to_u64(prev_ms, "prev_ms")?, to_u64(seed, "seed")?))
        }

        /// The first ``n`` delays for ``seed``.
        fn schedule(
            &self,
            py: Python<'_>,
            seed: &Bound<'_, PyAny>,
            n: &Bound<'_, PyAny>,
        ) -> PyResult<Vec<u64>> {
            let seed = to_u64(seed, "seed")?;
            let n = to_u64(n, "n")?;
            let n = u32::try_from(n)
                .ok()
                .filter(|&n| n <= pacekeeper::backoff::MAX_ATTEMPTS * 10)
                .ok_or_else(|| number_err(py, "n must be at most 10000"))?;
            Ok(self.inner.policy().schedule(seed, n))
        }

        fn __repr__(&self) -> String {
            format!("Backoff({:?})", self.inner.policy())
        }
    }

    // ---------------------------------------------------------------- plans

    /// One batch of a plan (immutable): records ``start..end``, sent no earlier than ``send_at``.
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct Batch {
        inner: CoreBatch,
    }

    #[pymethods]
    impl Batch {
        #[getter]
        fn index(&self) -> u64 {
            self.inner.index
        }
        #[getter]
        fn start(&self) -> u64 {
            self.inner.start
        }
        #[getter]
        fn end(&self) -> u64 {
            self.inner.end
        }
        #[getter]
        fn bytes(&self) -> u64 {
            self.inner.bytes
        }
        #[getter]
        fn send_at(&self) -> u64 {
            self.inner.send_at
        }
        /// The core's JSON shape, as a dict.
        fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            dict_of(py, &self.inner)
        }
        fn __repr__(&self) -> String {
            format!(
                "Batch(index={}, start={}, end={}, bytes={}, send_at={})",
                self.inner.index,
                self.inner.start,
                self.inner.end,
                self.inner.bytes,
                self.inner.send_at
            )
        }
    }

    /// An ordered batching plan (immutable).
    #[pyclass(frozen, module = "pacekeeper._native")]
    #[derive(Debug, Clone)]
    struct Plan {
        inner: CorePlan,
    }

    #[pymethods]
    impl Plan {
        /// A plan from the dict ``to_dict()`` returns.
        #[staticmethod]
        fn from_dict(py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<Plan> {
            Ok(Plan {
                inner: from_json(py, to_json(d, 0)?, "plan")?,
            })
        }
        #[getter]
        fn batches(&self) -> Vec<Batch> {
            self.inner
                .batches
                .iter()
                .map(|b| Batch { inner: *b })
                .collect()
        }
        #[getter]
        fn start(&self) -> u64 {
            self.inner.start
        }
        #[getter]
        fn finish_at(&self) -> u64 {
            self.inner.finish_at
        }
        #[getter]
        fn duration_ms(&self) -> u64 {
            self.inner.duration_ms
        }
        /// The core's JSON shape, as a dict.
        fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            dict_of(py, &self.inner)
        }
        fn __len__(&self) -> usize {
            self.inner.batches.len()
        }
        fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
            other
                .cast::<Plan>()
                .is_ok_and(|o| o.get().inner == self.inner)
        }
        fn __repr__(&self) -> String {
            format!(
                "Plan(batches={}, start={}, finish_at={}, duration_ms={})",
                self.inner.batches.len(),
                self.inner.start,
                self.inner.finish_at,
                self.inner.duration_ms
            )
        }
    }

    fn request_of(py: Python<'_>, request: &Bound<'_, PyAny>) -> PyResult<PlanRequest> {
        let mut v = to_json(request, 0)?;
        let Value::Object(m) = &mut v else {
            return Err(type_err(py, "request must be a dict"));
        };
        if let Some(l) = m.get_mut("limits") {
            default_bursts(l);
        }
        from_json(py, v, "plan request")
    }

    /// Splits records into batches and gives each the earliest send time the limits allow.
    /// The GIL is released while planning.
    #[pyfunction]
    #[pyo3(signature = (request, *, now=None))]
    fn plan(
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Plan> {
        let req = request_of(py, request)?;
        let now = now_of(now)?;
        py.detach(|| core_plan(&req, now))
            .map(|inner| Plan { inner })
            .map_err(|e| core_err(py, e))
    }

    /// Plans again what did not succeed, keeping what did and honouring the servers' retry
    /// times. ``outcomes`` are dicts ``{"status": "done" | "failed" | "throttled", "index": n,
    /// "retry_at": ms}``. The GIL is released while planning.
    #[pyfunction]
    #[pyo3(signature = (request, previous, outcomes, *, now=None))]
    fn replan(
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        previous: &Bound<'_, PyAny>,
        outcomes: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Plan> {
        let req = request_of(py, request)?;
        let prev: CorePlan = match previous.cast::<Plan>() {
            Ok(p) => p.get().inner.clone(),
            Err(_) => from_json(py, to_json(previous, 0)?, "previous plan")?,
        };
        let outcomes: Vec<BatchOutcome> = from_json(py, to_json(outcomes, 0)?, "outcomes")?;
        let now = now_of(now)?;
        py.detach(|| core_replan(&req, &prev, &outcomes, now))
            .map(|inner| Plan { inner })
            .map_err(|e| core_err(py, e))
    }
}
