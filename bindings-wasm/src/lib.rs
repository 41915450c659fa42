//! WebAssembly bindings for pacekeeper (wasm-bindgen): the engine of the npm package
//! `pacekeeper-wasm`, the engine interface `native_api!` of `pacekeeper-bindings-common` (the
//! napi addon expands the same; see `js/NATIVE.md`) without the shared-store mode
//! (the core's `store` feature is off: about 60 KB; a `shared` pacer configuration is
//! `invalid_option`). Every error is thrown as an `Error` with `.code` set to the core's code;
//! nothing panics (a trap stays a `WebAssembly.RuntimeError`). Built by `make build-wasm`.
// `deny`, not `forbid`: the `#[wasm_bindgen]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use wasm_bindgen::prelude::*;

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

type Result<T> = core::result::Result<T, JsValue>;

/// The core's error as an `Error` with `.code` (as the napi addon throws it). Not inlined: one
/// copy of the conversion, not one per export (the size budget).
#[inline(never)]
fn host(e: pacekeeper::Error) -> JsValue {
    pk_err(e.code.as_str(), &e.message)
}

pacekeeper_bindings_common::native_api!(wasm_bindgen, out = [] [&mut [f64]],
    opt = [Vec<f64>], u64s = [Vec<u64>] [Vec<u64>], str = [&str]);
