//! `PacerCore` (the core's sans-IO [`pacekeeper::pacer::Pacer`]) and the `Step` / `After` it
//! answers with; the Python `Pacer` helper (`_runtime.py`) is a thin I/O loop over it. The GIL
//! is kept for every step (a decision costs less than releasing and re-taking it); the mutex is
//! never held across a call into Python, so threads cannot deadlock on it.

use crate::convert::{clock_or, cost_or_default, dict_opt, kwargs, py_text, to_u64, to_value};
use crate::convert::{Cost, Key, Now, Ticket};
use crate::errors::{type_err, R};
use crate::reading::outcome_of;
use pacekeeper::pacer::{After as CoreAfter, Pacer as CorePacer, PacerConfig, Step as CoreStep};
use pacekeeper::shared::{Reply, StoreError, StoreErrorKind};
use pacekeeper_bindings_common::pacer::store_reply;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};
use serde_json::json;

py_class!(
    /// The answer to :meth:`PacerCore.begin` / :meth:`PacerCore.resume` (immutable): ``action``
    /// is ``"go"`` (``ticket``), ``"wait"`` (``ticket``, ``until`` epoch ms: sleep, then
    /// ``resume``), ``"never"`` (``reason``, ``capacity``) or, in shared mode, ``"consult"``
    /// (``ticket``, ``keys``, ``args``: send ``EVALSHA shared_script_sha1() 2 *keys *args``,
    /// then :meth:`PacerCore.consulted`); fields of other actions are ``None``.
    frozen Step(
        CoreStep,
        /// A consult's two Redis keys (``None`` for other actions).
        #[pyo3(get, name = "keys")]
        Option<Vec<String>>,
        /// A consult's script arguments (``None`` for other actions).
        #[pyo3(get, name = "args")]
        Option<Vec<String>>
    ) eq show() |i| {
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
);

py_class!(
    /// The answer to :meth:`PacerCore.finish` (immutable): ``action`` is ``"done"``, ``"retry"``
    /// (``at`` epoch ms: sleep, then ``resume``; ``attempt``, ``reason``) or ``"give_up"``
    /// (``reason``, ``attempts``); fields of other actions are ``None``.
    frozen After(CoreAfter) eq show() |i| {
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
    }
);

/// A store's answer from Python: an error code (str), else the reply's integers. Anything but
/// six ints came from the server: ``store_bad_reply``, never a raised error (the codec's rule).
fn store_answer(r: &Bound<'_, PyAny>) -> R<Result<Reply, StoreError>> {
    if let Ok(s) = r.cast::<PyString>() {
        let kind: StoreErrorKind = py_text(s)?.parse()?;
        return Ok(store_reply(&[], kind.as_str())?);
    }
    if !(r.is_instance_of::<PyList>() || r.is_instance_of::<PyTuple>()) {
        let expected = "a store reply must be a list of ints or an error code string";
        return Err(type_err(expected));
    }
    // Not an int, or beyond 2^53 (NaN here): the codec's `store_bad_reply`.
    let int = |v: &Bound<'_, PyAny>| v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>();
    let num = |v: Bound<'_, PyAny>| int(&v).then(|| v.extract::<f64>().ok()).flatten();
    let vals = r.try_iter()?.map(|v| Ok(num(v?).unwrap_or(f64::NAN)));
    Ok(store_reply(&vals.collect::<PyResult<Vec<_>>>()?, "")?)
}

py_class!(
    /// The core's client policy as a sans-IO state machine, safe to share between threads.
    /// ``PacerCore(config=None, /, **fields)``: fields of the core's ``PacerConfig``
    /// (``limits``, ``preset``, ``learn``, ``backoff``, ``retry_budget``, ``seed``,
    /// ``probe_poll_ms``, ``max_window``, ``parse``), its defaults for the rest. ``to_dict()``
    /// keeps keys, lanes, open tickets, the retry budget's tokens, the ticket counter and the
    /// latest time seen.
    shared PacerCore(CorePacer, "pacer", |p| p.state())
    #[new]
    #[pyo3(signature = (config=None, /, **fields))]
    fn new(config: Option<&Bound<'_, PyAny>>, fields: Option<&Bound<'_, PyDict>>) -> R<Self> {
        Ok(CorePacer::new(kwargs(config, fields, "pacer config")?)?.into())
    }

    /// A pacer for the Genesys Cloud Platform API: the core's ``Preset::Genesys`` (300
    /// requests per minute per key, refined from ``inin-ratelimit-*``), plus ``fields``.
    #[staticmethod]
    #[pyo3(signature = (**fields))]
    fn genesys(fields: Option<&Bound<'_, PyDict>>) -> R<Self> {
        let mut config: PacerConfig = kwargs(None, fields, "pacer config")?;
        config.preset = config.preset.or(PacerConfig::genesys().preset);
        Ok(CorePacer::new(config)?.into())
    }

    /// Open tickets (waiting or in flight).
    #[getter]
    fn open_tickets(&self) -> usize {
        self.lock().open_tickets()
    }

    /// What the pacer knows of ``key`` (``floor``, ``quota_left``, ``quota_until``,
    /// ``in_flight``, ``window``, ...), or ``None``.
    fn lane(&self, py: Python<'_>, key: Key) -> R<Option<Py<PyAny>>> {
        dict_opt(py, self.lock().lane(&key.0).cloned())
    }

    /// The limit learnt for ``key`` (``{"amount", "period_ms", "burst"}``), or ``None``.
    fn learnt(&self, py: Python<'_>, key: Key) -> R<Option<Py<PyAny>>> {
        dict_opt(py, self.lock().learnt(&key.0))
    }

    /// The shared retry budget's state, or ``None`` without one.
    #[getter]
    fn retry_budget(&self, py: Python<'_>) -> R<Option<Py<PyAny>>> {
        dict_opt(py, self.lock().retry_budget().copied())
    }

    /// Starts a request of ``cost`` for ``key`` at ``now``.
    #[pyo3(signature = (key, cost=None, *, now=None))]
    fn begin(&self, key: Key, cost: Option<Cost>, now: Option<Now>) -> R<Step> {
        self.step(|p| p.begin(&key.0, cost_or_default(cost), clock_or(now)))
    }

    /// Asks again for a waiting ticket (after a ``wait`` step or a ``retry``).
    #[pyo3(signature = (ticket, *, now=None))]
    fn resume(&self, ticket: Ticket, now: Option<Now>) -> R<Step> {
        self.step(|p| p.resume(ticket.0, clock_or(now)))
    }

    /// The store's answer to a ``consult`` step at ``now``: the raw ``EVALSHA`` reply (a list
    /// of 6 ints) or an error code (``"store_unavailable"``, ``"store_timeout"``,
    /// ``"store_server"``, ``"store_bad_reply"``). A step again.
    #[pyo3(signature = (ticket, reply_or_error_code, *, now=None))]
    fn consulted(
        &self,
        ticket: Ticket,
        reply_or_error_code: &Bound<'_, PyAny>,
        now: Option<Now>,
    ) -> R<Step> {
        let reply = store_answer(reply_or_error_code)?;
        self.step(|p| p.consulted(ticket.0, reply, clock_or(now)))
    }

    /// The next call to send without waiting for its answer (a lease's release, a lockout, a
    /// learnt limit): ``{"keys": [k1, k2], "args": [...]}``, or ``None``.
    fn poll_store(&self, py: Python<'_>) -> R<Option<Py<PyAny>>> {
        let Some(c) = self.lock().poll_store() else {
            return Ok(None);
        };
        dict_opt(py, Some(json!({ "keys": c.keys()?, "args": c.args()? })))
    }

    /// The outcome of a call from :meth:`poll_store` (as for :meth:`consulted`).
    #[pyo3(signature = (reply_or_error_code, *, now=None))]
    fn store_done(&self, reply_or_error_code: &Bound<'_, PyAny>, now: Option<Now>) -> R<()> {
        let reply = store_answer(reply_or_error_code)?;
        self.lock().store_done(reply, clock_or(now));
        Ok(())
    }

    /// The next store event: ``{"event": "store_down", "policy", "peers"}``, ``{"event":
    /// "store_up", "down_for_us"}``, or ``None``.
    fn poll_event(&self, py: Python<'_>) -> R<Option<Py<PyAny>>> {
        dict_opt(py, self.lock().poll_event())
    }

    /// The processes counted sharing the budgets (used for a degraded share when the
    /// configured ``peers`` is 0).
    fn set_peers(&self, peers: &Bound<'_, PyAny>) -> R<()> {
        self.lock().set_peers(to_u64(peers, "peers")?);
        Ok(())
    }

    /// Whether the store is considered down.
    #[getter]
    fn store_down(&self) -> bool {
        self.lock().store_down()
    }

    /// Reports how a request in flight ended at ``now``: ``outcome`` is its :class:`Reading`,
    /// or ``None`` for a network error (no response).
    #[pyo3(signature = (ticket, outcome, *, now=None))]
    fn finish(&self, ticket: Ticket, outcome: &Bound<'_, PyAny>, now: Option<Now>) -> R<After> {
        let outcome = outcome_of(outcome, "outcome")?;
        Ok(After(self.lock().finish(ticket.0, &outcome, clock_or(now))?))
    }

    /// Drops a ticket the caller abandons (a waiter, or a request it aborted).
    fn cancel(&self, ticket: Ticket) -> R<()> {
        Ok(self.lock().cancel(ticket.0)?)
    }

    fn __repr__(&self) -> R<String> {
        let p = self.lock();
        let preset = p.config().preset.map(|x| x.as_str());
        let (limits, open) = (to_value(&p.config().limits)?, p.open_tickets());
        Ok(format!("PacerCore(limits={limits}, preset={preset:?}, open_tickets={open})"))
    }
);

impl PacerCore {
    /// `op` on the pacer, its step with the store call when it is a consult.
    fn step(&self, op: impl FnOnce(&mut CorePacer) -> pacekeeper::Result<CoreStep>) -> R<Step> {
        let mut p = self.lock();
        let inner = op(&mut p)?;
        let (mut keys, mut args) = (None, None);
        if let CoreStep::Consult { ticket } = inner {
            let c = p.store_call(ticket)?;
            (keys, args) = (Some(c.keys()?.to_vec()), Some(c.args()?));
        }
        Ok(Step(inner, keys, args))
    }
}
