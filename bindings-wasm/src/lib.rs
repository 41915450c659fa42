//! WebAssembly bindings for pacekeeper (wasm-bindgen): the engine of the npm package
//! `pacekeeper-wasm`. A shell over `pacekeeper-bindings-common` exporting the same names with
//! the same shapes as the napi addon (`bindings-node/src/`, see `bindings-node/js/NATIVE.md`),
//! so the public API is the Node package's own JavaScript (`bindings-node/js/`) over either.
//!
//! Every error is thrown as an `Error` with `.code` set to the core's code; nothing panics (a
//! trap stays a `WebAssembly.RuntimeError`). No serde and no `core::fmt` in this module (the
//! size budget): structured values cross as flat numbers and NUL-joined strings.
//!
//! Built with `cargo build --target wasm32-unknown-unknown --release -p pacekeeper-wasm`, then
//! `wasm-bindgen` (targets nodejs, web, bundler), `scripts/wasm-snip.mjs` and `wasm-opt`; see
//! `make build-wasm`.
// `deny`, not `forbid`: the `#[wasm_bindgen]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use pacekeeper_bindings_common as codec;
use wasm_bindgen::prelude::*;

mod limiter;
mod pacer;

// A small, fast allocator (dlmalloc, the default, is ~7 KB larger).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(
    inline_js = "export function pkErr(c, m) { const e = new Error(m); e.code = c; return e }"
)]
extern "C" {
    #[wasm_bindgen(js_name = pkErr)]
    fn pk_err(code: &str, message: &str) -> JsValue;
}

type JsResult<T> = Result<T, JsValue>;

/// The core's result with its error as an `Error` with `.code` (as the napi addon throws it).
fn core<T>(r: pacekeeper::Result<T>) -> JsResult<T> {
    r.map_err(to_js)
}

/// Not inlined: one copy of the conversion, not one per export (the size budget).
#[inline(never)]
fn to_js(e: pacekeeper::Error) -> JsValue {
    pk_err(e.code.as_str(), &e.message)
}

/// The version of the WebAssembly module (the crate version, shared by every package).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// One vocabulary of the core or layout of the codec (`codec::vocabulary`).
#[wasm_bindgen]
pub fn vocabulary(name: &str) -> JsResult<String> {
    core(codec::vocabulary(name))
}

/// The core's defaults of one layout, flat (`codec::defaults`).
#[wasm_bindgen]
pub fn defaults(name: &str) -> JsResult<Vec<f64>> {
    core(codec::defaults(name))
}

/// A call that does nothing: measures the cost of crossing the boundary.
#[wasm_bindgen]
pub fn noop() {}

/// The key of a bearer token's budget (`pacekeeper::token_key`): the same in every runtime.
#[wasm_bindgen(js_name = tokenKey)]
pub fn token_key(token: &str) -> String {
    pacekeeper::token_key(token)
}

/// Parses a response (see the napi addon's `parseHeaders`).
#[wasm_bindgen(js_name = parseHeaders)]
pub fn parse_headers(
    status: u32,
    headers: &str,
    body: Option<String>,
    now: f64,
    max_wait_ms: f64,
    reset_mode: u32,
    out: &mut [f64],
) -> JsResult<Option<String>> {
    core(codec::reading::parse_into(
        status,
        headers,
        body.as_deref(),
        now,
        max_wait_ms,
        reset_mode,
        out,
    ))
}

/// A retry budget with the core's defaults filled in.
#[wasm_bindgen(js_name = retryBudget)]
pub fn retry_budget(flat: &[f64]) -> JsResult<Vec<f64>> {
    core(codec::backoff::budget_flat(flat))
}

/// A batching plan, flat (`codec::plan`).
#[wasm_bindgen]
pub fn plan(request: &[f64], now: f64) -> JsResult<Vec<f64>> {
    core(codec::plan::plan(request, now))
}

/// Plans again after `outcomes` of `previous` (all flat).
#[wasm_bindgen]
pub fn replan(request: &[f64], previous: &[f64], outcomes: &[f64], now: f64) -> JsResult<Vec<f64>> {
    core(codec::plan::replan(request, previous, outcomes, now))
}
