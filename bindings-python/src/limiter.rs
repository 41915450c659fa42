//! `Limiter` and the `Verdict` it answers with.

use crate::convert::{
    clock_or, config, cost_or_default, dict_of, lock, native, persisted, to_safe, unpersist, Cost,
    Key, Now,
};
use crate::errors::R;
use crate::reading::Reading;
use pacekeeper::bucket::{Limiter as CoreLimiter, Verdict as CoreVerdict};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict};
use std::sync::Mutex;

py_class!(
    /// The answer to a check or a reservation (immutable): ``decision`` is ``"allow"``
    /// (``remaining``), ``"wait"`` (``until`` epoch ms, ``wait_ms``) or ``"never"``
    /// (``cost``, ``capacity``); fields of other decisions are ``None``.
    frozen Verdict(CoreVerdict) [eq, show(decision, remaining, until, wait_ms, cost, capacity)] |i| {
        /// True for ``"allow"``.
        allowed: bool = matches!(i, CoreVerdict::Allow { .. }),
        remaining: Option<u64> = if let CoreVerdict::Allow { remaining } = *i { remaining } else { None },
        until: Option<u64> = if let CoreVerdict::Wait { until, .. } = *i { Some(until) } else { None },
        wait_ms: Option<u64> = if let CoreVerdict::Wait { wait_ms, .. } = *i { Some(wait_ms) } else { None },
        cost: Option<u32> = if let CoreVerdict::Never { cost, .. } = *i { Some(cost) } else { None },
        capacity: Option<u32> = if let CoreVerdict::Never { capacity, .. } = *i { Some(capacity) } else { None },
    }
    /// The core's name of the verdict (its serde tag).
    #[getter]
    fn decision(&self) -> &'static str {
        self.inner.decision()
    }
    fn __bool__(&self) -> bool {
        self.allowed()
    }
);

/// A keyed GCRA limiter, safe to share between threads. Times are epoch ms.
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug)]
pub(crate) struct Limiter {
    pub(crate) inner: Mutex<CoreLimiter>,
}

impl Limiter {
    fn decide(
        &self,
        op: impl FnOnce(&mut CoreLimiter) -> pacekeeper::Result<CoreVerdict>,
    ) -> R<Verdict> {
        let inner = op(&mut lock(&self.inner))?;
        Ok(Verdict { inner })
    }
}

#[pymethods]
impl Limiter {
    #[new]
    #[pyo3(
        signature = (limits=None, *, learn=None, adaptive=None, max_in_flight=None),
        text_signature = "(limits=None, *, learn=True, adaptive=None, max_in_flight=None)"
    )]
    fn new(
        py: Python<'_>,
        limits: Option<&Bound<'_, PyAny>>,
        learn: Option<&Bound<'_, PyAny>>,
        adaptive: Option<&Bound<'_, PyAny>>,
        max_in_flight: Option<&Bound<'_, PyAny>>,
    ) -> R<Self> {
        // The arguments given as one config for the core's serde: its names, defaults and rules.
        let d = PyDict::new(py);
        let given = [
            ("limits", limits),
            ("learn", learn),
            ("adaptive", adaptive),
            ("max_in_flight", max_in_flight),
        ];
        for (name, v) in given {
            if let Some(v) = v {
                d.set_item(name, v)?;
            }
        }
        // `adaptive=True`: the core's default adaptive rate; `False`: none.
        if let Some(a) = adaptive.filter(|a| a.is_instance_of::<PyBool>()) {
            d.set_item("adaptive", a.is_truthy()?.then(|| PyDict::new(py)))?;
        }
        let inner = Mutex::new(CoreLimiter::new(config(d.as_any(), "limiter config")?)?);
        Ok(Limiter { inner })
    }

    /// A limiter from ``to_dict()``'s ``{"config": ..., "state": ...}``.
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyAny>) -> R<Limiter> {
        let (config, state) = unpersist(d, "limiter")?;
        let inner = match state {
            Some(state) => CoreLimiter::from_state(config, state)?,
            None => CoreLimiter::new(config)?,
        };
        Ok(Limiter {
            inner: Mutex::new(inner),
        })
    }

    /// ``{"config": ..., "state": {key: key_state}}``: plain data for ``from_dict``.
    fn to_dict(&self, py: Python<'_>) -> R<Py<PyAny>> {
        let (config, state) = {
            let l = lock(&self.inner);
            (l.config().clone(), l.state().clone())
        };
        persisted(py, &config, &state)
    }

    /// The configuration as a dict.
    #[getter]
    fn config(&self, py: Python<'_>) -> R<Py<PyAny>> {
        let c = lock(&self.inner).config().clone();
        dict_of(py, &c)
    }

    /// Asks to send a request of ``cost`` for ``key`` at ``now``; on ``allow`` the tokens
    /// are taken, on ``wait`` nothing is (ask again at ``until``).
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn check(&self, key: Key, cost: Option<Cost>, now: Option<Now>) -> R<Verdict> {
        self.decide(|l| l.check(&key.0, cost_or_default(cost), clock_or(now)))
    }

    /// Like ``check`` but takes nothing.
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn peek(&self, key: Key, cost: Option<Cost>, now: Option<Now>) -> R<Verdict> {
        self.decide(|l| l.peek(&key.0, cost_or_default(cost), clock_or(now)))
    }

    /// Books the earliest slot: ``allow`` to go now, or ``wait`` with the booked ``until``.
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn reserve(&self, key: Key, cost: Option<Cost>, now: Option<Now>) -> R<Verdict> {
        self.decide(|l| l.reserve(&key.0, cost_or_default(cost), clock_or(now)))
    }

    /// Re-synchronises ``key`` from a response's :class:`Reading`, received at ``now``.
    #[pyo3(signature = (key, reading, *, now=None))]
    fn observe(&self, key: Key, reading: &Bound<'_, PyAny>, now: Option<Now>) -> R<()> {
        let expected = "a Reading from parse_headers()";
        let reading = native::<Reading>(reading, "reading", expected)?.get();
        Ok(lock(&self.inner).observe(&key.0, &reading.inner, clock_or(now))?)
    }

    /// Holds every request for ``key`` until ``until`` (epoch ms), as a 429 does.
    fn block_until(&self, key: Key, until: &Bound<'_, PyAny>) -> R<()> {
        let until = to_safe(until, "until")?;
        Ok(lock(&self.inner).block_until(&key.0, until)?)
    }

    /// Takes an in-flight slot; ``False`` when ``max_in_flight`` are taken.
    fn acquire(&self, key: Key) -> R<bool> {
        Ok(lock(&self.inner).acquire(&key.0)?)
    }

    /// Gives back an in-flight slot; returns how many stay in flight.
    fn release(&self, key: Key) -> R<u32> {
        Ok(lock(&self.inner).release(&key.0)?)
    }

    /// Drops keys that hold nothing at ``now``; returns how many were dropped.
    #[pyo3(signature = (*, now=None))]
    fn prune(&self, now: Option<Now>) -> usize {
        lock(&self.inner).prune(clock_or(now))
    }

    fn __len__(&self) -> usize {
        lock(&self.inner).len()
    }

    fn __repr__(&self) -> String {
        let l = lock(&self.inner);
        format!("Limiter(limits={:?}, keys={})", l.config().limits, l.len())
    }
}
