//! Node.js bindings for pacekeeper (napi-rs v3).
//!
//! `index.js` (the platform loader) and `index.d.ts` are generated from this file by
//! `napi build --platform`; never edit them by hand.
// `deny`, not `forbid`: the `#[napi]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use napi_derive::napi;

/// The version of the native addon (the crate version, shared by every package).
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every stable error code string an error's `.code` can take, e.g. `"invalid_limit"`.
#[napi]
pub fn error_codes() -> Vec<String> {
    pacekeeper::ErrorCode::ALL
        .iter()
        .map(|code| code.as_str().to_owned())
        .collect()
}
