//! `PacerCore` (the core's sans-IO [`pacekeeper::pacer::Pacer`]) and the `Step` / `After`
//! it answers with. The Python `Pacer` helper (`_runtime.py`) is a thin I/O loop over it.
//!
//! The GIL is kept for every step: a decision takes well under a microsecond to a few
//! microseconds, less than releasing and re-taking the GIL costs; the inner mutex is never held
//! across a call into Python, so threads cannot deadlock on it. Only `to_dict` (whose cost grows
//! with the number of keys and tickets) serialises outside the GIL.

use crate::convert::{
    config_json, cost_of, dict_of, from_json, json_to_py, key_str, lock, now_of, persisted,
    py_text, to_u64, to_value, unpersist,
};
use crate::errors::{core_err, type_err};
use crate::reading::outcome_of;
use pacekeeper::pacer::{
    After as CoreAfter, Pacer as CorePacer, PacerConfig, Step as CoreStep, StoreCall,
};
use pacekeeper::shared::fallback::Event;
use pacekeeper::shared::{Reply as StoreReply, StoreError, StoreErrorKind};
use pacekeeper_bindings_common::pacer::store_reply;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Value};
use std::sync::Mutex;

/// The answer to :meth:`PacerCore.begin` / :meth:`PacerCore.resume` (immutable): ``action``
/// is ``"go"`` (``ticket``), ``"wait"`` (``ticket``, ``until`` epoch ms: sleep, then
/// ``resume``), ``"never"`` (``reason``, ``capacity``) or, in shared mode, ``"consult"``
/// (``ticket``, ``keys``, ``args``: send ``EVALSHA shared_script_sha1() 2 *keys *args``, then
/// :meth:`PacerCore.consulted`); fields of other actions are ``None``.
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) inner: CoreStep,
    /// A consult's store call: its keys and arguments.
    pub(crate) call: Option<(Vec<String>, Vec<String>)>,
}

py_getters!(Step [eq, repr] |i| {
    /// The core's name of the action (its serde tag).
    action: &'static str = i.action(),
    ticket: Option<u64> = match *i {
        CoreStep::Go { ticket } | CoreStep::Wait { ticket, .. } | CoreStep::Consult { ticket } => Some(ticket),
        CoreStep::Never { .. } => None,
    },
    until: Option<u64> = if let CoreStep::Wait { until, .. } = *i { Some(until) } else { None },
    reason: Option<&'static str> = if let CoreStep::Never { reason, .. } = *i { Some(reason.as_str()) } else { None },
    capacity: Option<u32> = if let CoreStep::Never { capacity, .. } = *i { Some(capacity) } else { None },
}
    /// A consult's two Redis keys (``None`` for other actions).
    #[getter]
    fn keys(&self) -> Option<Vec<String>> {
        self.call.as_ref().map(|c| c.0.clone())
    }
    /// A consult's script arguments (``None`` for other actions).
    #[getter]
    fn args(&self) -> Option<Vec<String>> {
        self.call.as_ref().map(|c| c.1.clone())
    }
);

/// The answer to :meth:`PacerCore.finish` (immutable): ``action`` is ``"done"``, ``"retry"``
/// (``at`` epoch ms: sleep, then ``resume``; ``attempt``, ``reason``) or ``"give_up"``
/// (``reason``, ``attempts``); fields of other actions are ``None``.
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug, Clone)]
pub(crate) struct After {
    pub(crate) inner: CoreAfter,
}

py_getters!(After [eq, repr] |i| {
    /// The core's name of the action (its serde tag).
    action: &'static str = i.action(),
    at: Option<u64> = if let CoreAfter::Retry { at, .. } = *i { Some(at) } else { None },
    attempt: Option<u32> = if let CoreAfter::Retry { attempt, .. } = *i { Some(attempt) } else { None },
    attempts: Option<u32> = if let CoreAfter::GiveUp { attempts, .. } = *i { Some(attempts) } else { None },
    reason: Option<&'static str> = match *i {
        CoreAfter::Retry { reason, .. } => Some(reason.as_str()),
        CoreAfter::GiveUp { reason, .. } => Some(reason.as_str()),
        CoreAfter::Done => None,
    },
});

/// A configuration from a dict and keyword fields (the keywords win). Names, types and
/// defaults are the core's (`PacerConfig`'s serde); only a limit's default burst is filled.
fn config_of(
    py: Python<'_>,
    config: Option<&Bound<'_, PyAny>>,
    fields: Option<&Bound<'_, PyDict>>,
) -> PyResult<PacerConfig> {
    let mut m = match config {
        Some(c) if !c.is_none() => match config_json(c)? {
            Value::Object(m) => m,
            _ => return Err(type_err(py, "config must be a dict")),
        },
        _ => Map::new(),
    };
    if let Some(f) = fields {
        if let Value::Object(fm) = config_json(f.as_any())? {
            m.extend(fm);
        }
    }
    from_json(py, Value::Object(m), "pacer config")
}

/// The core's client policy as a sans-IO state machine, safe to share between threads.
/// ``PacerCore(config=None, /, **fields)``: fields of the core's ``PacerConfig``
/// (``limits``, ``preset``, ``learn``, ``backoff``, ``retry_budget``, ``seed``,
/// ``probe_poll_ms``, ``max_window``, ``parse``), its defaults for the rest.
#[pyclass(frozen, module = "pacekeeper._native")]
#[derive(Debug)]
pub(crate) struct PacerCore {
    pub(crate) inner: Mutex<CorePacer>,
}

impl PacerCore {
    fn build(py: Python<'_>, config: PacerConfig) -> PyResult<Self> {
        let inner = CorePacer::new(config).map_err(|e| core_err(py, e))?;
        Ok(PacerCore {
            inner: Mutex::new(inner),
        })
    }
}

fn ticket_of(t: &Bound<'_, PyAny>) -> PyResult<u64> {
    to_u64(t, "ticket")
}

fn call_parts(c: &StoreCall) -> pacekeeper::Result<(Vec<String>, Vec<String>)> {
    Ok((c.keys()?.to_vec(), c.args()?))
}

/// A step, with its store call when it is a consult.
fn step_of(p: &CorePacer, inner: CoreStep) -> pacekeeper::Result<Step> {
    let call = match inner {
        CoreStep::Consult { ticket } => Some(call_parts(&p.store_call(ticket)?)?),
        _ => None,
    };
    Ok(Step { inner, call })
}

/// A store's answer from Python: an error code (str), else the reply's integers. Anything but
/// six ints came from the server: ``store_bad_reply``, never a raised error (the codec's rule).
fn store_answer(r: &Bound<'_, PyAny>) -> PyResult<core::result::Result<StoreReply, StoreError>> {
    let py = r.py();
    if let Ok(s) = r.cast::<PyString>() {
        let kind: StoreErrorKind = py_text(s)?.parse().map_err(|e| core_err(py, e))?;
        return store_reply(&[], kind.as_str()).map_err(|e| core_err(py, e));
    }
    if !(r.is_instance_of::<PyList>() || r.is_instance_of::<PyTuple>()) {
        let m = "a store reply must be a list of ints or an error code string";
        return Err(type_err(py, m));
    }
    let mut vals = Vec::with_capacity(6);
    for item in r.try_iter()? {
        let item = item?;
        let int = item.is_instance_of::<PyInt>() && !item.is_instance_of::<PyBool>();
        // Not an int, or beyond 2^53: the codec's `store_bad_reply`.
        vals.push(
            int.then(|| item.extract::<f64>().ok())
                .flatten()
                .unwrap_or(f64::NAN),
        );
    }
    store_reply(&vals, "").map_err(|e| core_err(py, e))
}

#[pymethods]
impl PacerCore {
    #[new]
    #[pyo3(signature = (config=None, /, **fields))]
    fn new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyAny>>,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let config = config_of(py, config, fields)?;
        Self::build(py, config)
    }

    /// A pacer for the Genesys Cloud Platform API: the core's ``Preset::Genesys`` (300
    /// requests per minute per key, refined from ``inin-ratelimit-*``), plus ``fields``.
    #[staticmethod]
    #[pyo3(signature = (**fields))]
    fn genesys(py: Python<'_>, fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut config = config_of(py, None, fields)?;
        if config.preset.is_none() {
            config.preset = PacerConfig::genesys().preset;
        }
        Self::build(py, config)
    }

    /// A pacer from ``to_dict()``'s ``{"config": ..., "state": ...}``.
    #[staticmethod]
    fn from_dict(py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<PacerCore> {
        let (cv, sv) = unpersist(d)?;
        let cv = cv.unwrap_or_else(|| Value::Object(Map::new()));
        let config = config_of(py, Some(&json_to_py(py, &cv)?.into_bound(py)), None)?;
        let inner = match sv {
            Some(sv) => CorePacer::from_state(config, from_json(py, sv, "pacer state")?),
            None => CorePacer::new(config),
        };
        Ok(PacerCore {
            inner: Mutex::new(inner.map_err(|e| core_err(py, e))?),
        })
    }

    /// ``{"config": ..., "state": ...}``: plain data for ``from_dict`` (keys, lanes, open
    /// tickets, the retry budget's tokens, the ticket counter, the latest time seen).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let (config, state) = {
            let p = lock(&self.inner);
            (p.config().clone(), p.state())
        };
        persisted(py, &config, &state)
    }

    /// The configuration as a dict (every default filled in).
    #[getter]
    fn config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let c = lock(&self.inner).config().clone();
        dict_of(py, &c)
    }

    /// Open tickets (waiting or in flight).
    #[getter]
    fn open_tickets(&self) -> usize {
        lock(&self.inner).open_tickets()
    }

    /// What the pacer knows of ``key`` (``floor``, ``quota_left``, ``quota_until``,
    /// ``in_flight``, ``window``, ...), or ``None``.
    fn lane(&self, key: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        let k = key_str(key)?;
        let lane = lock(&self.inner).lane(&k).cloned();
        lane.map(|l| dict_of(key.py(), &l)).transpose()
    }

    /// The limit learnt for ``key`` (``{"amount", "period_ms", "burst"}``), or ``None``.
    fn learnt(&self, key: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        let k = key_str(key)?;
        let l = lock(&self.inner).learnt(&k);
        l.map(|l| dict_of(key.py(), &l)).transpose()
    }

    /// The shared retry budget's state, or ``None`` without one.
    #[getter]
    fn retry_budget(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let b = lock(&self.inner).retry_budget().copied();
        b.map(|b| dict_of(py, &b)).transpose()
    }

    /// Starts a request of ``cost`` for ``key`` at ``now``.
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn begin(
        &self,
        key: &Bound<'_, PyAny>,
        cost: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Step> {
        let (k, cost, now) = (key_str(key)?, cost_of(cost)?, now_of(now)?);
        let mut p = lock(&self.inner);
        let r = p.begin(&k, cost, now).and_then(|s| step_of(&p, s));
        r.map_err(|e| core_err(key.py(), e))
    }

    /// Asks again for a waiting ticket (after a ``wait`` step or a ``retry``).
    #[pyo3(signature = (ticket, *, now=None))]
    fn resume(&self, ticket: &Bound<'_, PyAny>, now: Option<&Bound<'_, PyAny>>) -> PyResult<Step> {
        let (t, now) = (ticket_of(ticket)?, now_of(now)?);
        let mut p = lock(&self.inner);
        let r = p.resume(t, now).and_then(|s| step_of(&p, s));
        r.map_err(|e| core_err(ticket.py(), e))
    }

    /// The store's answer to a ``consult`` step at ``now``: the raw ``EVALSHA`` reply (a list
    /// of 6 ints) or an error code (``"store_unavailable"``, ``"store_timeout"``,
    /// ``"store_server"``, ``"store_bad_reply"``). A step again.
    #[pyo3(signature = (ticket, reply_or_error_code, *, now=None))]
    fn consulted(
        &self,
        ticket: &Bound<'_, PyAny>,
        reply_or_error_code: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Step> {
        let py = ticket.py();
        let t = ticket_of(ticket)?;
        let reply = store_answer(reply_or_error_code)?;
        let now = now_of(now)?;
        let mut p = lock(&self.inner);
        let r = p.consulted(t, reply, now).and_then(|s| step_of(&p, s));
        r.map_err(|e| core_err(py, e))
    }

    /// The next call to send without waiting for its answer (a lease's release, a lockout, a
    /// learnt limit): ``{"keys": [k1, k2], "args": [...]}``, or ``None``.
    fn poll_store(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let c = lock(&self.inner).poll_store();
        let Some(c) = c else {
            return Ok(None);
        };
        let (keys, args) = call_parts(&c).map_err(|e| core_err(py, e))?;
        let d = PyDict::new(py);
        d.set_item("keys", keys)?;
        d.set_item("args", args)?;
        Ok(Some(d.into_any().unbind()))
    }

    /// The outcome of a call from :meth:`poll_store` (as for :meth:`consulted`).
    #[pyo3(signature = (reply_or_error_code, *, now=None))]
    fn store_done(
        &self,
        reply_or_error_code: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let reply = store_answer(reply_or_error_code)?;
        let now = now_of(now)?;
        lock(&self.inner).store_done(reply, now);
        Ok(())
    }

    /// The next store event: ``{"event": "store_down", "policy", "peers"}``, ``{"event":
    /// "store_up", "down_for_us"}``, or ``None``.
    fn poll_event(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let e = lock(&self.inner).poll_event();
        let Some(e) = e else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        match e {
            Event::StoreDown { policy, peers } => {
                d.set_item("event", "store_down")?;
                d.set_item("policy", policy.as_str())?;
                d.set_item("peers", peers)?;
            }
            Event::StoreUp { down_for_us } => {
                d.set_item("event", "store_up")?;
                d.set_item("down_for_us", down_for_us)?;
            }
        }
        Ok(Some(d.into_any().unbind()))
    }

    /// The processes counted sharing the budgets (used for a degraded share when the
    /// configured ``peers`` is 0).
    fn set_peers(&self, peers: &Bound<'_, PyAny>) -> PyResult<()> {
        let n = to_u64(peers, "peers")?;
        lock(&self.inner).set_peers(n);
        Ok(())
    }

    /// Whether the store is considered down.
    #[getter]
    fn store_down(&self) -> bool {
        lock(&self.inner).store_down()
    }

    /// Reports how a request in flight ended at ``now``: ``outcome`` is its :class:`Reading`,
    /// or ``None`` for a network error (no response).
    #[pyo3(signature = (ticket, outcome, *, now=None))]
    fn finish(
        &self,
        ticket: &Bound<'_, PyAny>,
        outcome: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<After> {
        let py = ticket.py();
        let t = ticket_of(ticket)?;
        let outcome = outcome_of(outcome, "outcome")?;
        let now = now_of(now)?;
        let r = lock(&self.inner).finish(t, &outcome, now);
        r.map(|inner| After { inner }).map_err(|e| core_err(py, e))
    }

    /// Drops a ticket the caller abandons (a waiter, or a request it aborted).
    fn cancel(&self, ticket: &Bound<'_, PyAny>) -> PyResult<()> {
        let t = ticket_of(ticket)?;
        let r = lock(&self.inner).cancel(t);
        r.map_err(|e| core_err(ticket.py(), e))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let p = lock(&self.inner);
        let v = to_value(py, &p.config().limits)?;
        Ok(format!(
            "PacerCore(limits={}, preset={:?}, open_tickets={})",
            v,
            p.config().preset.map(|x| x.as_str()),
            p.open_tickets()
        ))
    }
}
