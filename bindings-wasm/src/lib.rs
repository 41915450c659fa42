//! WebAssembly bindings for pacekeeper (wasm-bindgen).
//!
//! Built with `cargo build --target wasm32-unknown-unknown --release -p pacekeeper-wasm`, then
//! `wasm-bindgen` (targets nodejs, web, bundler) and `wasm-opt`; see `make build-wasm`.
// `deny`, not `forbid`: the `#[wasm_bindgen]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use wasm_bindgen::prelude::*;

/// The version of the WebAssembly module (the crate version, shared by every package).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every stable error code string an error's `.code` can take, e.g. `"invalid_limit"`.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    pacekeeper::ErrorCode::ALL
        .iter()
        .map(|code| code.as_str().to_owned())
        .collect()
}
