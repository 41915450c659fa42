//! `Backoff`, `RetryState`, `RetryBudget` and the `Decision` they lead to.

use crate::convert::{clock_ms, clock_or, dict_of, kwargs, opt_safe, random_u64};
use crate::convert::{repr_of, to_safe, to_u64, Now, Seed};
use crate::errors::{type_err, R};
use crate::reading::outcome_of;
use pacekeeper::backoff::{Backoff as CoreBackoff, Decision as CoreDecision, MAX_ATTEMPTS};
use pacekeeper::backoff::{RetryBudget as CoreBudget, RetryState as CoreState};
use pacekeeper::{Error, ErrorCode};
use pyo3::prelude::*;
use pyo3::types::PyDict;

py_class!(
    /// The progress of one logical call (mutated by :meth:`Backoff.decide`).
    mutable RetryState(CoreState) show() |i| {
        attempts: u32,
        started_at: u64,
        seed: u64,
        prev_delay_ms: u64,
        last_hint_ms: Option<u64>,
        short_hints: u32,
    }
    #[new]
    #[pyo3(signature = (started_at=None, seed=None))]
    fn new(started_at: Option<&Bound<'_, PyAny>>, seed: Option<Seed>) -> R<Self> {
        let started_at = opt_safe(started_at, "started_at")?.unwrap_or_else(clock_ms);
        Ok(RetryState(CoreState::new(started_at, seed.map_or_else(random_u64, |s| s.0))))
    }
);

py_class!(
    /// A retry budget shared across calls (mutated by :meth:`Backoff.decide`).
    mutable RetryBudget(CoreBudget) show() |i| {
        capacity: u32,
        tokens: u32,
        retry_cost: u32,
        network_cost: u32,
        success_refund: u32,
    }
    #[new]
    #[pyo3(signature = (**fields))]
    fn new(fields: Option<&Bound<'_, PyDict>>) -> R<Self> {
        // Names, types and defaults are the core's; validated by `Backoff.decide`, as in the core.
        Ok(RetryBudget(kwargs(None, fields, "retry budget")?))
    }
);

py_class!(
    /// What to do after an attempt (immutable): ``decision`` is ``"done"``, ``"retry"``
    /// (``at`` epoch ms, ``delay_ms``, ``attempt``, ``reason``) or ``"give_up"`` (``reason``,
    /// ``attempts``); fields of other decisions are ``None``.
    frozen Decision(CoreDecision) eq show() |i| {
        /// The core's name of the decision (its serde tag).
        decision: &'static str = i.decision(),
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
);

/// A validated backoff policy: ``Backoff(**policy)`` with fields of the core's ``BackoffPolicy``
/// (``base_ms``, ``multiplier``, ``cap_ms``, ``jitter``, ``max_attempts``, ``deadline_ms``,
/// ``retry_statuses``, ``retry_network_errors``, ``hint_spread_percent``, ``max_wait_ms``); its
/// defaults for the rest (``Backoff().policy``).
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug)]
pub(crate) struct Backoff(CoreBackoff);

/// `n`, a count saturated to 32 bits (the core names it when it is too large).
fn count(n: &Bound<'_, PyAny>) -> R<u32> {
    Ok(u32::try_from(to_u64(n, "n")?).unwrap_or(u32::MAX))
}

/// A mutable native argument `name`, a `T`, borrowed for one call (`invalid_state` while
/// another call holds it).
fn borrow<'py, T>(obj: &Bound<'py, PyAny>, name: &str) -> R<PyRefMut<'py, T>>
where
    T: pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::False>,
{
    let wrong = |_| type_err(format!("{name} must be a {}", T::NAME));
    let obj = obj.cast::<T>().map_err(wrong)?;
    obj.try_borrow_mut().map_err(|_| {
        let m = "is in use by another call (share one per logical call, or lock)";
        Error::new(ErrorCode::InvalidState, format!("this {} {m}", T::NAME)).into()
    })
}

#[pymethods]
impl Backoff {
    #[new]
    #[pyo3(signature = (**policy))]
    fn new(policy: Option<&Bound<'_, PyDict>>) -> R<Self> {
        let policy = kwargs(None, policy, "backoff policy")?;
        Ok(Backoff(CoreBackoff::new(policy)?))
    }

    /// The policy as a dict.
    #[getter]
    fn policy(&self, py: Python<'_>) -> R<Py<PyAny>> {
        dict_of(py, self.0.policy())
    }

    /// Decides what follows an attempt that ended at ``now`` with ``reading`` (``None``:
    /// a network error), updating ``state`` and ``budget``.
    #[pyo3(signature = (state, reading, *, now=None, budget=None))]
    fn decide(
        &self,
        state: &Bound<'_, PyAny>,
        reading: &Bound<'_, PyAny>,
        now: Option<Now>,
        budget: Option<&Bound<'_, PyAny>>,
    ) -> R<Decision> {
        let outcome = outcome_of(reading, "reading")?;
        let mut st = borrow::<RetryState>(state, "state")?;
        let b = budget.map(|b| borrow::<RetryBudget>(b, "budget"));
        let mut b = b.transpose()?;
        let budget = b.as_deref_mut().map(|b| &mut b.0);
        let now = clock_or(now);
        Ok(Decision(self.0.decide(&mut st.0, &outcome, now, budget)?))
    }

    /// The delay before retry ``n`` (n ≥ 1) given the previous delay, for ``seed``.
    /// The GIL is released for an ``n`` beyond the core's attempt limit.
    fn delay_ms(
        &self,
        py: Python<'_>,
        n: &Bound<'_, PyAny>,
        prev_ms: &Bound<'_, PyAny>,
        seed: Seed,
    ) -> R<u64> {
        let (n, prev_ms, policy) = (count(n)?, to_safe(prev_ms, "prev_ms")?, self.0.policy());
        let delay = || policy.delay_ms(n, prev_ms, seed.0);
        let long = n > MAX_ATTEMPTS;
        Ok(if long { py.detach(delay) } else { delay() })
    }

    /// The first ``n`` delays for ``seed`` (``n`` at most the core's attempt limit, 1,000:
    /// beyond it ``invalid_number``).
    fn schedule(&self, seed: Seed, n: &Bound<'_, PyAny>) -> R<Vec<u64>> {
        Ok(self.0.policy().schedule(seed.0, count(n)?)?)
    }

    fn __repr__(&self, py: Python<'_>) -> R<String> {
        repr_of(py, "Backoff", self.0.policy(), &[])
    }
}
