//! `NativePacer`: the core pacer, one crossing per step (a shell over
//! `pacekeeper_bindings_common::pacer::HostPacer`; the WebAssembly module exports the same class).

use crate::{host, OutSlots, Result};
use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;
use pacekeeper_bindings_common::pacer::HostPacer;

/// The core's sans-IO pacer. `config` is the flat form named by `vocabulary("pacerConfig")`
/// (NaN: the core's default), `seed` a decimal u64 (empty: 0). Steps return their action's
/// index (`vocabulary("steps")` / `vocabulary("afters")`) and write `ticket, until|at,
/// attempt|attempts|capacity, reason` into `out`.
#[napi]
#[derive(Debug)]
pub struct NativePacer {
    inner: HostPacer,
}

#[napi]
impl NativePacer {
    #[napi(constructor)]
    pub fn new(config: Float64Array, seed: String) -> Result<Self> {
        Ok(NativePacer {
            inner: HostPacer::new(&config, &seed).map_err(host)?,
        })
    }

    /// `Pacer::begin`.
    #[napi]
    pub fn begin(
        &mut self,
        key: String,
        cost: f64,
        now: f64,
        #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
    ) -> Result<u32> {
        self.inner.begin(&key, cost, now, out).map_err(host)
    }

    /// `Pacer::resume`.
    #[napi]
    pub fn resume(
        &mut self,
        ticket: f64,
        now: f64,
        #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
    ) -> Result<u32> {
        self.inner.resume(ticket, now, out).map_err(host)
    }

    /// `Pacer::cancel`.
    #[napi]
    pub fn cancel(&mut self, ticket: f64) -> Result<()> {
        self.inner.cancel(ticket).map_err(host)
    }

    /// Parses the response (`headers` as `name LF value ...`) and finishes `ticket` with it.
    #[napi]
    pub fn finish(
        &mut self,
        ticket: f64,
        status: u32,
        headers: String,
        body: Option<String>,
        now: f64,
        #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
    ) -> Result<u32> {
        self.inner
            .finish(ticket, status, &headers, body.as_deref(), now, out)
            .map_err(host)
    }

    /// Finishes `ticket` after a network error.
    #[napi]
    pub fn finish_network_error(
        &mut self,
        ticket: f64,
        now: f64,
        #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
    ) -> Result<u32> {
        self.inner
            .finish_network_error(ticket, now, out)
            .map_err(host)
    }

    /// The learnt limit of `key` into `out` (`amount, periodMs, burst`); false when none.
    #[napi]
    pub fn learnt(
        &self,
        key: String,
        #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
    ) -> Result<bool> {
        self.inner.learnt(&key, out).map_err(host)
    }

    /// Requests of `key` in flight.
    #[napi]
    pub fn in_flight(&self, key: String) -> u32 {
        self.inner.in_flight(&key)
    }

    /// Open tickets (waiting or in flight).
    #[napi(getter)]
    pub fn open_tickets(&self) -> u32 {
        self.inner.open_tickets()
    }

    /// Tokens left in the shared retry budget (NaN: none).
    #[napi(getter)]
    pub fn budget_tokens(&self) -> f64 {
        self.inner.budget_tokens()
    }

    /// The store call of a ticket that got `consult`: `<L>:<key1><key2><args joined by ','>`,
    /// `L` each key's length in UTF-16 units (`codec::pacer::store_call_text`).
    #[napi]
    pub fn store_call(&self, ticket: f64) -> Result<String> {
        self.inner.store_call(ticket).map_err(host)
    }

    /// The store's reply to a consult (its six integers, or empty with `errorCode`, a name of
    /// `vocabulary("storeErrors")`): the step's action index, the rest in `out`.
    #[napi]
    pub fn consulted(
        &mut self,
        ticket: f64,
        reply: Float64Array,
        error_code: String,
        now: f64,
        #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
    ) -> Result<u32> {
        self.inner
            .consulted(ticket, &reply, &error_code, now, out)
            .map_err(host)
    }

    /// The next fire-and-forget store call (as `storeCall`), or `''`.
    #[napi]
    pub fn poll_store(&mut self) -> Result<String> {
        self.inner.poll_store().map_err(host)
    }

    /// The outcome of a polled call (as for `consulted`).
    #[napi]
    pub fn store_done(&mut self, reply: Float64Array, error_code: String, now: f64) -> Result<()> {
        self.inner
            .store_done(&reply, &error_code, now)
            .map_err(host)
    }

    /// The next store event: `store_down,<policy>,<peers>`, `store_up,<downForUs>` or `''`.
    #[napi]
    pub fn poll_event(&mut self) -> String {
        self.inner.poll_event()
    }
}
