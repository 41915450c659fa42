//! `plan`, `replan` and the `Plan` of `Batch`es they return.

use crate::convert::{config_json, from_json, from_py, now_of};
use crate::errors::{core_err, type_err};
use pacekeeper::plan::{
    plan as core_plan, replan as core_replan, Batch as CoreBatch, BatchOutcome, Plan as CorePlan,
    PlanRequest,
};
use pyo3::prelude::*;

/// One batch of a plan (immutable): records ``start..end``, sent no earlier than ``send_at``.
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    pub(crate) inner: CoreBatch,
}

py_getters!(Batch [] |i| { index: u64, start: u64, end: u64, bytes: u64, send_at: u64 }
    fn __repr__(&self) -> String {
        let b = &self.inner;
        let (i, s, e, n, at) = (b.index, b.start, b.end, b.bytes, b.send_at);
        format!("Batch(index={i}, start={s}, end={e}, bytes={n}, send_at={at})")
    }
);

/// An ordered batching plan (immutable).
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) inner: CorePlan,
}

py_getters!(Plan [eq] |i| {
    batches: Vec<Batch> = i.batches.iter().map(|b| Batch { inner: *b }).collect(),
    start: u64,
    finish_at: u64,
    duration_ms: u64,
}
    /// A plan from the dict ``to_dict()`` returns.
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyAny>) -> PyResult<Plan> {
        Ok(Plan {
            inner: from_py(d, "plan")?,
        })
    }
    fn __len__(&self) -> usize {
        self.inner.batches.len()
    }
    fn __repr__(&self) -> String {
        let p = &self.inner;
        format!(
            "Plan(batches={}, start={}, finish_at={}, duration_ms={})",
            p.batches.len(),
            p.start,
            p.finish_at,
            p.duration_ms
        )
    }
);

fn request_of(py: Python<'_>, request: &Bound<'_, PyAny>) -> PyResult<PlanRequest> {
    let v = config_json(request)?;
    if !v.is_object() {
        return Err(type_err(py, "request must be a dict"));
    }
    from_json(py, v, "plan request")
}

/// Splits records into batches and gives each the earliest send time the limits allow.
/// The GIL is released while planning.
#[pyfunction]
#[pyo3(signature = (request, *, now=None))]
pub(crate) fn plan(
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
pub(crate) fn replan(
    py: Python<'_>,
    request: &Bound<'_, PyAny>,
    previous: &Bound<'_, PyAny>,
    outcomes: &Bound<'_, PyAny>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<Plan> {
    let req = request_of(py, request)?;
    let prev: CorePlan = match previous.cast::<Plan>() {
        Ok(p) => p.get().inner.clone(),
        Err(_) => from_py(previous, "previous plan")?,
    };
    let outcomes: Vec<BatchOutcome> = from_py(outcomes, "outcomes")?;
    let now = now_of(now)?;
    py.detach(|| core_replan(&req, &prev, &outcomes, now))
        .map(|inner| Plan { inner })
        .map_err(|e| core_err(py, e))
}
