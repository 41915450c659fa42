//! `NativePacer`: the core pacer, one crossing per step (a shell over
//! `pacekeeper_bindings_common::pacer::HostPacer`; the napi addon exports the same class, so
//! `js/native.js` forwards it as it is). No shared-store mode here (the core's `store` feature
//! is off: about 60 KB): a `shared` configuration is `invalid_option`.

use crate::{core, JsResult};
use pacekeeper_bindings_common::pacer::HostPacer;
use wasm_bindgen::prelude::*;

/// The core's sans-IO pacer (see `bindings-node/src/pacer.rs` for the shapes).
#[wasm_bindgen(js_name = NativePacer)]
#[derive(Debug)]
pub struct WasmPacer {
    inner: HostPacer,
}

#[wasm_bindgen(js_class = NativePacer)]
impl WasmPacer {
    /// `config` is the flat form named by `vocabulary("pacerConfig")`; `seed` a decimal u64.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &[f64], seed: &str) -> JsResult<WasmPacer> {
        Ok(WasmPacer {
            inner: core(HostPacer::new(config, seed))?,
        })
    }

    /// `Pacer::begin`: the action's index in `steps`; `out` gets the rest.
    pub fn begin(&mut self, key: &str, cost: f64, now: f64, out: &mut [f64]) -> JsResult<u32> {
        core(self.inner.begin(key, cost, now, out))
    }

    /// `Pacer::resume`.
    pub fn resume(&mut self, ticket: f64, now: f64, out: &mut [f64]) -> JsResult<u32> {
        core(self.inner.resume(ticket, now, out))
    }

    /// `Pacer::cancel`.
    pub fn cancel(&mut self, ticket: f64) -> JsResult<()> {
        core(self.inner.cancel(ticket))
    }

    /// Parses the response and finishes `ticket` with it: the action's index in `afters`.
    pub fn finish(
        &mut self,
        ticket: f64,
        status: u32,
        headers: &str,
        body: Option<String>,
        now: f64,
        out: &mut [f64],
    ) -> JsResult<u32> {
        core(
            self.inner
                .finish(ticket, status, headers, body.as_deref(), now, out),
        )
    }

    /// Finishes `ticket` after a network error.
    #[wasm_bindgen(js_name = finishNetworkError)]
    pub fn finish_network_error(
        &mut self,
        ticket: f64,
        now: f64,
        out: &mut [f64],
    ) -> JsResult<u32> {
        core(self.inner.finish_network_error(ticket, now, out))
    }

    /// The learnt limit of `key` into `out`; false when none.
    pub fn learnt(&self, key: &str, out: &mut [f64]) -> JsResult<bool> {
        core(self.inner.learnt(key, out))
    }

    /// Requests of `key` in flight.
    #[wasm_bindgen(js_name = inFlight)]
    pub fn in_flight(&self, key: &str) -> u32 {
        self.inner.in_flight(key)
    }

    /// Open tickets.
    #[wasm_bindgen(getter, js_name = openTickets)]
    pub fn open_tickets(&self) -> u32 {
        self.inner.open_tickets()
    }

    /// Tokens left in the shared retry budget (NaN: none).
    #[wasm_bindgen(getter, js_name = budgetTokens)]
    pub fn budget_tokens(&self) -> f64 {
        self.inner.budget_tokens()
    }
}
