//! `plan`, `replan` and the `Plan` of `Batch`es they return.

use crate::convert::{clock_or, config, data, Now};
use crate::errors::R;
use pacekeeper::plan::{plan as core_plan, replan as core_replan, BatchOutcome, PlanRequest};
use pacekeeper::plan::{Batch as CoreBatch, Plan as CorePlan};
use pyo3::prelude::*;

py_class!(
    /// One batch of a plan (immutable): records ``start..end``, sent no earlier than ``send_at``.
    frozen Batch(CoreBatch) show(index, start, end, bytes, send_at) |i| {
        index: u64, start: u64, end: u64, bytes: u64, send_at: u64
    }
);

py_class!(
    /// An ordered batching plan (immutable).
    frozen Plan(CorePlan) eq |i| {
        batches: Vec<Batch> = i.batches.iter().copied().map(Batch).collect(),
        start: u64,
        finish_at: u64,
        duration_ms: u64,
    }
    /// A plan from the dict ``to_dict()`` returns.
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyAny>) -> R<Plan> {
        Ok(Plan(data(d, "plan")?))
    }
    fn __len__(&self) -> usize {
        self.0.batches.len()
    }
    fn __repr__(&self) -> String {
        let (p, n) = (&self.0, self.0.batches.len());
        let (start, finish_at, duration_ms) = (p.start, p.finish_at, p.duration_ms);
        format!("Plan(batches={n}, start={start}, finish_at={finish_at}, duration_ms={duration_ms})")
    }
);

/// Splits records into batches and gives each the earliest send time the limits allow.
/// The GIL is released while planning.
#[pyfunction]
#[pyo3(signature = (request, *, now=None))]
pub(crate) fn plan(py: Python<'_>, request: &Bound<'_, PyAny>, now: Option<Now>) -> R<Plan> {
    let req: PlanRequest = config(request, "plan request")?;
    Ok(Plan(py.detach(|| core_plan(&req, clock_or(now)))?))
}

/// Plans again what did not succeed, keeping what did and honouring the servers' retry
/// times. ``outcomes`` are dicts ``{"status": "done" | "failed" | "throttled", "index": n,
/// "retry_at": ms}``. The GIL is released while planning.
#[pyfunction]
#[pyo3(signature = (request, previous, outcomes, *, now=None))]
pub(crate) fn replan(
    py: Python<'_>,
    request: &Bound<'_, PyAny>,
    previous: &Bound<'_, PyAny>,
    outcomes: &Bound<'_, PyAny>,
    now: Option<Now>,
) -> R<Plan> {
    let req: PlanRequest = config(request, "plan request")?;
    let prev: CorePlan = match previous.cast::<Plan>() {
        Ok(p) => p.get().0.clone(),
        Err(_) => data(previous, "previous plan")?,
    };
    let outcomes: Vec<BatchOutcome> = data(outcomes, "outcomes")?;
    let now = clock_or(now);
    let plan = py.detach(|| core_replan(&req, &prev, &outcomes, now))?;
    Ok(Plan(plan))
}
