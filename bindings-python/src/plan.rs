//! `plan`, `replan` and the `Plan` of `Batch`es they return.

use crate::convert::{config_json, dict_of, from_json, from_py, now_of};
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
pub(crate) struct Plan {
    pub(crate) inner: CorePlan,
}

#[pymethods]
impl Plan {
    /// A plan from the dict ``to_dict()`` returns.
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyAny>) -> PyResult<Plan> {
        Ok(Plan {
            inner: from_py(d, "plan")?,
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
