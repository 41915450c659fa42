//! `Limiter` and the `Verdict` it answers with.

use crate::convert::{clock_or, config, cost_or_default as cost_or, native, to_safe};
use crate::convert::{Cost, Key, Now};
use crate::errors::R;
use crate::reading::Reading;
use pacekeeper::bucket::{Limiter as CoreLimiter, Verdict as CoreVerdict};
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyBool, PyDict};

py_class!(
    /// The answer to a check or a reservation (immutable): ``decision`` is ``"allow"``
    /// (``remaining``), ``"wait"`` (``until`` epoch ms, ``wait_ms``) or ``"never"``
    /// (``cost``, ``capacity``); fields of other decisions are ``None``.
    frozen Verdict(CoreVerdict) eq show(decision, remaining, until, wait_ms, cost, capacity) |i| {
        /// The core's name of the verdict (its serde tag).
        decision: &'static str = i.decision(),
        /// True for ``"allow"``.
        allowed: bool = matches!(i, CoreVerdict::Allow { .. }),
        remaining: Option<u64> = if let CoreVerdict::Allow { remaining } = *i { remaining } else { None },
        until: Option<u64> = if let CoreVerdict::Wait { until, .. } = *i { Some(until) } else { None },
        wait_ms: Option<u64> = if let CoreVerdict::Wait { wait_ms, .. } = *i { Some(wait_ms) } else { None },
        cost: Option<u32> = if let CoreVerdict::Never { cost, .. } = *i { Some(cost) } else { None },
        capacity: Option<u32> = if let CoreVerdict::Never { capacity, .. } = *i { Some(capacity) } else { None },
    }
    fn __bool__(&self) -> bool {
        self.allowed()
    }
);

py_class!(
    /// A keyed GCRA limiter, safe to share between threads. Times are epoch ms.
    shared Limiter(CoreLimiter, "limiter", |l| l.state().clone())
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
        let names = ["limits", "learn", "adaptive", "max_in_flight"];
        let given = names.into_iter().zip([limits, learn, adaptive, max_in_flight]);
        let d = given.filter_map(|(k, v)| Some((k, v?))).into_py_dict(py)?;
        // `adaptive=True`: the core's default adaptive rate; `False`: none.
        if let Some(a) = adaptive.filter(|a| a.is_instance_of::<PyBool>()) {
            d.set_item("adaptive", a.is_truthy()?.then(|| PyDict::new(py)))?;
        }
        Ok(CoreLimiter::new(config(d.as_any(), "limiter config")?)?.into())
    }

    /// Asks to send a request of ``cost`` for ``key`` at ``now``; on ``allow`` the tokens
    /// are taken, on ``wait`` nothing is (ask again at ``until``).
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn check(&self, key: Key, cost: Option<Cost>, now: Option<Now>) -> R<Verdict> {
        Ok(Verdict(self.lock().check(&key.0, cost_or(cost), clock_or(now))?))
    }

    /// Like ``check`` but takes nothing.
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn peek(&self, key: Key, cost: Option<Cost>, now: Option<Now>) -> R<Verdict> {
        Ok(Verdict(self.lock().peek(&key.0, cost_or(cost), clock_or(now))?))
    }

    /// Books the earliest slot: ``allow`` to go now, or ``wait`` with the booked ``until``.
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn reserve(&self, key: Key, cost: Option<Cost>, now: Option<Now>) -> R<Verdict> {
        Ok(Verdict(self.lock().reserve(&key.0, cost_or(cost), clock_or(now))?))
    }

    /// Re-synchronises ``key`` from a response's :class:`Reading`, received at ``now``.
    #[pyo3(signature = (key, reading, *, now=None))]
    fn observe(&self, key: Key, reading: &Bound<'_, PyAny>, now: Option<Now>) -> R<()> {
        let reading = native::<Reading>(reading, "reading", "a Reading from parse_headers()")?;
        Ok(self.lock().observe(&key.0, &reading.get().0, clock_or(now))?)
    }

    /// Holds every request for ``key`` until ``until`` (epoch ms), as a 429 does.
    fn block_until(&self, key: Key, until: &Bound<'_, PyAny>) -> R<()> {
        Ok(self.lock().block_until(&key.0, to_safe(until, "until")?)?)
    }

    /// Takes an in-flight slot; ``False`` when ``max_in_flight`` are taken.
    fn acquire(&self, key: Key) -> R<bool> {
        Ok(self.lock().acquire(&key.0)?)
    }

    /// Gives back an in-flight slot; returns how many stay in flight.
    fn release(&self, key: Key) -> R<u32> {
        Ok(self.lock().release(&key.0)?)
    }

    /// Drops keys that hold nothing at ``now``; returns how many were dropped.
    #[pyo3(signature = (*, now=None))]
    fn prune(&self, now: Option<Now>) -> usize {
        self.lock().prune(clock_or(now))
    }

    fn __len__(&self) -> usize {
        self.lock().len()
    }

    fn __repr__(&self) -> String {
        let l = self.lock();
        format!("Limiter(limits={:?}, keys={})", l.config().limits, l.len())
    }
);
