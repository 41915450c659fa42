//! `Backoff`, `RetryState`, `RetryBudget` and the `Decision` they lead to.

use crate::convert::{
    clock_ms, config_json, dict_of, from_json, now_of, opt_safe, opt_u64, random_u64, repr_of,
    to_safe, to_u64,
};
use crate::errors::{core_err, in_use_err, type_err};
use crate::reading::outcome_of;
use pacekeeper::backoff::{
    Backoff as CoreBackoff, BackoffPolicy, Decision as CoreDecision, RetryBudget as CoreBudget,
    RetryState as CoreState, MAX_ATTEMPTS,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Map, Value};

/// The progress of one logical call (mutated by :meth:`Backoff.decide`).
#[pyclass(module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct RetryState {
    pub(crate) inner: CoreState,
}

py_getters!(RetryState [repr] |i| {
    attempts: u32,
    started_at: u64,
    seed: u64,
    prev_delay_ms: u64,
    last_hint_ms: Option<u64>,
    short_hints: u32,
}
    #[new]
    #[pyo3(signature = (started_at=None, seed=None))]
    fn new(
        started_at: Option<&Bound<'_, PyAny>>,
        seed: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let started_at = opt_safe(started_at, "started_at")?.unwrap_or_else(clock_ms);
        let seed = opt_u64(seed, "seed")?.unwrap_or_else(random_u64);
        Ok(RetryState {
            inner: CoreState::new(started_at, seed),
        })
    }
);

/// A retry budget shared across calls (mutated by :meth:`Backoff.decide`).
#[pyclass(module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct RetryBudget {
    pub(crate) inner: CoreBudget,
}

py_getters!(RetryBudget [repr] |i| {
    capacity: u32,
    tokens: u32,
    retry_cost: u32,
    network_cost: u32,
    success_refund: u32,
}
    #[new]
    #[pyo3(signature = (**fields))]
    fn new(py: Python<'_>, fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let v = match fields {
            Some(f) => config_json(f.as_any())?,
            None => Value::Object(Map::new()),
        };
        // Names, types and defaults are the core's; validated by `Backoff.decide`, as in the core.
        Ok(RetryBudget {
            inner: from_json(py, v, "retry budget")?,
        })
    }
);

/// What to do after an attempt (immutable): ``decision`` is ``"done"``, ``"retry"``
/// (``at`` epoch ms, ``delay_ms``, ``attempt``, ``reason``) or ``"give_up"`` (``reason``,
/// ``attempts``); fields of other decisions are ``None``.
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub(crate) inner: CoreDecision,
}

py_getters!(Decision [eq, repr] |i| {
    at: Option<u64> = if let CoreDecision::Retry { at, .. } = *i { Some(at) } else { None },
    delay_ms: Option<u64> = if let CoreDecision::Retry { delay_ms, .. } = *i { Some(delay_ms) } else { None },
    attempt: Option<u32> = if let CoreDecision::Retry { attempt, .. } = *i { Some(attempt) } else { None },
    attempts: Option<u32> = if let CoreDecision::GiveUp { attempts, .. } = *i { Some(attempts) } else { None },
    reason: Option<&'static str> = match *i {
        CoreDecision::Retry { reason, .. } => Some(reason.as_str()),
        CoreDecision::GiveUp { reason, .. } => Some(reason.as_str()),
        CoreDecision::Done => None,
    },
}
    /// The core's name of the decision (its serde tag).
    #[getter]
    fn decision(&self) -> &'static str {
        let kind = match self.inner {
            CoreDecision::Done => 0,
            CoreDecision::Retry { .. } => 1,
            CoreDecision::GiveUp { .. } => 2,
        };
        pacekeeper::vocab::DECISIONS[kind]
    }
);

/// A validated backoff policy: ``Backoff(**policy)`` with fields of the core's ``BackoffPolicy``
/// (``base_ms``, ``multiplier``, ``cap_ms``, ``jitter``, ``max_attempts``, ``deadline_ms``,
/// ``retry_statuses``, ``retry_network_errors``, ``hint_spread_percent``, ``max_wait_ms``); its
/// defaults for the rest (``Backoff().policy``).
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug)]
pub(crate) struct Backoff {
    pub(crate) inner: CoreBackoff,
}

#[pymethods]
impl Backoff {
    #[new]
    #[pyo3(signature = (**policy))]
    fn new(py: Python<'_>, policy: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let v = match policy {
            Some(p) => config_json(p.as_any())?,
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
        state: &Bound<'_, PyAny>,
        reading: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        budget: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let outcome = outcome_of(reading, "reading")?;
        let state = state
            .cast::<RetryState>()
            .map_err(|_| type_err(py, "state must be a RetryState"))?;
        let now = now_of(now)?;
        let mut st = state
            .try_borrow_mut()
            .map_err(|_| in_use_err(py, "this RetryState"))?;
        let r = match budget {
            Some(b) if !b.is_none() => {
                let b = b
                    .cast::<RetryBudget>()
                    .map_err(|_| type_err(py, "budget must be a RetryBudget"))?;
                let mut b = b
                    .try_borrow_mut()
                    .map_err(|_| in_use_err(py, "this RetryBudget"))?;
                self.inner
                    .decide(&mut st.inner, &outcome, now, Some(&mut b.inner))
            }
            _ => self.inner.decide(&mut st.inner, &outcome, now, None),
        };
        r.map(|inner| Decision { inner })
            .map_err(|e| core_err(py, e))
    }

    /// The delay before retry ``n`` (n ≥ 1) given the previous delay, for ``seed``.
    /// The GIL is released for an ``n`` beyond the core's attempt limit.
    fn delay_ms(
        &self,
        py: Python<'_>,
        n: &Bound<'_, PyAny>,
        prev_ms: &Bound<'_, PyAny>,
        seed: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let n = u32::try_from(to_u64(n, "n")?).unwrap_or(u32::MAX);
        let (prev_ms, seed) = (to_safe(prev_ms, "prev_ms")?, to_u64(seed, "seed")?);
        let policy = self.inner.policy();
        if n > MAX_ATTEMPTS {
            Ok(py.detach(|| policy.delay_ms(n, prev_ms, seed)))
        } else {
            Ok(policy.delay_ms(n, prev_ms, seed))
        }
    }

    /// The first ``n`` delays for ``seed`` (``n`` at most the core's attempt limit, 1,000:
    /// beyond it ``invalid_number``).
    fn schedule(
        &self,
        py: Python<'_>,
        seed: &Bound<'_, PyAny>,
        n: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<u64>> {
        let seed = to_u64(seed, "seed")?;
        let n = u32::try_from(to_u64(n, "n")?).unwrap_or(u32::MAX);
        self.inner
            .policy()
            .schedule(seed, n)
            .map_err(|e| core_err(py, e))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(py, "Backoff", self.inner.policy())
    }
}
