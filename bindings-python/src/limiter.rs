//! `Limiter` and the `Verdict` it answers with.

use crate::convert::{
    config_json, cost_of, dict_of, from_json, key_str, lock, now_of, opt_safe, persisted, tag_of,
    to_safe, unpersist, Flag,
};
use crate::errors::{core_err, type_err};
use crate::reading::Reading;
use pacekeeper::bucket::{
    Limiter as CoreLimiter, LimiterConfig, LimiterState, Verdict as CoreVerdict,
};
use pyo3::prelude::*;
use pyo3::types::PyBool;
use serde_json::{Map, Value};
use std::sync::{Mutex, OnceLock};

/// The answer to a check or a reservation (immutable): ``decision`` is ``"allow"``
/// (``remaining``), ``"wait"`` (``until`` epoch ms, ``wait_ms``) or ``"never"``
/// (``cost``, ``capacity``); fields of other decisions are ``None``.
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub(crate) inner: CoreVerdict,
}

py_getters!(Verdict [eq] |i| {
    /// True for ``"allow"``.
    allowed: bool = matches!(i, CoreVerdict::Allow { .. }),
    remaining: Option<u64> = if let CoreVerdict::Allow { remaining } = *i { remaining } else { None },
    until: Option<u64> = if let CoreVerdict::Wait { until, .. } = *i { Some(until) } else { None },
    wait_ms: Option<u64> = if let CoreVerdict::Wait { wait_ms, .. } = *i { Some(wait_ms) } else { None },
    cost: Option<u32> = if let CoreVerdict::Never { cost, .. } = *i { Some(cost) } else { None },
    capacity: Option<u32> = if let CoreVerdict::Never { capacity, .. } = *i { Some(capacity) } else { None },
}
    /// The core's name of the verdict (its serde tag), computed once per kind.
    #[getter]
    fn decision(&self) -> &'static str {
        static NAMES: [OnceLock<String>; 3] = [const { OnceLock::new() }; 3];
        let kind = match self.inner {
            CoreVerdict::Allow { .. } => 0,
            CoreVerdict::Wait { .. } => 1,
            CoreVerdict::Never { .. } => 2,
        };
        NAMES[kind].get_or_init(|| tag_of(&self.inner, "decision"))
    }
    fn __bool__(&self) -> bool {
        self.allowed()
    }
    fn __repr__(&self) -> String {
        let fields = match self.inner {
            CoreVerdict::Allow { remaining } => format!("remaining={remaining:?}"),
            CoreVerdict::Wait { until, wait_ms } => format!("until={until}, wait_ms={wait_ms}"),
            CoreVerdict::Never { cost, capacity } => format!("cost={cost}, capacity={capacity}"),
        };
        format!("Verdict(decision={:?}, {fields})", self.decision())
    }
);

fn config_of(
    py: Python<'_>,
    limits: Option<&Bound<'_, PyAny>>,
    learn: bool,
    adaptive: Option<&Bound<'_, PyAny>>,
    max_in_flight: Option<&Bound<'_, PyAny>>,
) -> PyResult<LimiterConfig> {
    let lv = match limits {
        Some(l) if !l.is_none() => config_json(l)?,
        _ => Value::Array(Vec::new()),
    };
    if !lv.is_array() {
        return Err(type_err(py, "limits must be a list of limits"));
    }
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
                config_json(a)?
            };
            m.insert("adaptive".into(), av);
        }
        _ => {}
    }
    if let Some(n) = opt_safe(max_in_flight, "max_in_flight")? {
        m.insert("max_in_flight".into(), Value::from(n));
    }
    // Validated by `Limiter::new`, the core's.
    from_json(py, Value::Object(m), "limiter config")
}

/// A keyed GCRA limiter, safe to share between threads. Times are epoch ms.
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug)]
pub(crate) struct Limiter {
    pub(crate) inner: Mutex<CoreLimiter>,
}

impl Limiter {
    /// `op` (check, peek or reserve) on Python's arguments.
    fn decide(
        &self,
        key: &Bound<'_, PyAny>,
        cost: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
        op: impl FnOnce(&mut CoreLimiter, &str, u32, u64) -> pacekeeper::Result<CoreVerdict>,
    ) -> PyResult<Verdict> {
        let (k, cost, now) = (key_str(key)?, cost_of(cost)?, now_of(now)?);
        let r = op(&mut lock(&self.inner), &k, cost, now);
        r.map(|inner| Verdict { inner })
            .map_err(|e| core_err(key.py(), e))
    }
}

#[pymethods]
impl Limiter {
    #[new]
    #[pyo3(
        signature = (limits=None, *, learn=Flag(true), adaptive=None, max_in_flight=None),
        text_signature = "(limits=None, *, learn=True, adaptive=None, max_in_flight=None)"
    )]
    fn new(
        py: Python<'_>,
        limits: Option<&Bound<'_, PyAny>>,
        learn: Flag,
        adaptive: Option<&Bound<'_, PyAny>>,
        max_in_flight: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config = config_of(py, limits, learn.0, adaptive, max_in_flight)?;
        let inner = CoreLimiter::new(config).map_err(|e| core_err(py, e))?;
        Ok(Limiter {
            inner: Mutex::new(inner),
        })
    }

    /// A limiter from ``to_dict()``'s ``{"config": ..., "state": ...}``.
    #[staticmethod]
    fn from_dict(py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<Limiter> {
        let (config, state) = unpersist(d)?;
        let empty = || Value::Object(Map::new());
        let config: LimiterConfig = from_json(py, config.unwrap_or_else(empty), "limiter config")?;
        let state: LimiterState = from_json(py, state.unwrap_or_else(empty), "limiter state")?;
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
        persisted(py, &config, &state)
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
        self.decide(key, cost, now, CoreLimiter::check)
    }

    /// Like ``check`` but takes nothing.
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn peek(
        &self,
        key: &Bound<'_, PyAny>,
        cost: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Verdict> {
        self.decide(key, cost, now, |l, k, c, n| l.peek(k, c, n))
    }

    /// Books the earliest slot: ``allow`` to go now, or ``wait`` with the booked ``until``.
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn reserve(
        &self,
        key: &Bound<'_, PyAny>,
        cost: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Verdict> {
        self.decide(key, cost, now, CoreLimiter::reserve)
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
        let (k, until) = (key_str(key)?, to_safe(until, "until")?);
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
