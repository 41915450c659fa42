//! Node.js bindings for pacekeeper (napi-rs v3): a shell over `pacekeeper-bindings-common`. The
//! WebAssembly module (`bindings-wasm/src/`) exports the same names with the same shapes.
//!
//! `native.js` (the platform loader) and `native.d.ts` are generated from this file by
//! `napi build --platform --js native.js --dts native.d.ts`; never edit them by hand. The
//! public API is plain JavaScript in `js/` (see `js/NATIVE.md` for this interface). Every error
//! is thrown with `.code` set to a core error code; the JavaScript layer only picks the class
//! (TypeError for `invalid_argument`, RangeError otherwise). Nothing is parsed out of messages.
// `deny`, not `forbid`: the `#[napi]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;
use pacekeeper::ErrorCode;
use pacekeeper_bindings_common as codec;

mod limiter;
mod pacer;
pub use limiter::{bind_io, limiter_decide, limiter_decide_io, NativeBackoff, NativeLimiter};
pub use pacer::NativePacer;

/// The status of a thrown error: a core error code (JS `.code`).
#[derive(Debug)]
pub struct Code(ErrorCode);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

pub(crate) type Result<T> = napi::Result<T, Code>;

/// A caller's `Float64Array`, written in place (an alias so that napi reads it as a value).
pub(crate) type OutSlots<'a> = &'a mut [f64];

pub(crate) fn host(e: pacekeeper::Error) -> napi::Error<Code> {
    napi::Error::new(Code(e.code), e.message)
}

/// The version of the native addon (the crate version, shared by every package).
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// One vocabulary of the core or layout of the codec, its names joined by commas in order
/// (`codec::vocabulary`): enums cross as indexes into these lists, flat values in these layouts.
#[napi]
pub fn vocabulary(name: String) -> Result<String> {
    codec::vocabulary(&name).map_err(host)
}

/// The core's defaults of one layout, flat (`codec::defaults`).
#[napi]
pub fn defaults(name: String) -> Result<Vec<f64>> {
    codec::defaults(&name).map_err(host)
}

/// A call that does nothing: measures the cost of crossing the boundary.
#[napi]
pub fn noop() {}

/// The key of a bearer token's budget (`pacekeeper::token_key`): the same in every runtime.
#[napi]
pub fn token_key(token: String) -> String {
    pacekeeper::token_key(&token)
}

/// The shared-budget Lua script (`pacekeeper::shared::SCRIPT`), for `EVAL` after `NOSCRIPT`.
#[napi]
pub fn shared_script() -> &'static str {
    pacekeeper::shared::SCRIPT
}

/// The SHA1 of [`shared_script`] in lowercase hex, for `EVALSHA`.
#[napi]
pub fn shared_script_sha1() -> &'static str {
    pacekeeper::shared::script_sha1()
}

/// Parses a response: `headers` is `name LF value LF ...` (empty for none), `maxWaitMs` NaN for
/// the core's default, `resetMode` an index into `vocabulary("resetModes")`. Writes the
/// reading's scalars into `out` (`codec::write_reading`); returns the JSON of `{policies,
/// states, rejected}` when one of them is not empty, else null.
#[napi]
pub fn parse_headers(
    status: u32,
    headers: String,
    body: Option<String>,
    now: f64,
    max_wait_ms: f64,
    reset_mode: u32,
    #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
) -> Result<Option<String>> {
    codec::reading::parse_into(
        status,
        &headers,
        body.as_deref(),
        now,
        max_wait_ms,
        reset_mode,
        out,
    )
    .map_err(host)
}

/// A retry budget with the core's defaults filled in (`vocabulary("retryBudget")`; NaN: default).
#[napi]
pub fn retry_budget(flat: Float64Array) -> Result<Vec<f64>> {
    codec::backoff::budget_flat(&flat).map_err(host)
}

/// A batching plan for the flat `request` (`codec::plan`), flat.
#[napi]
pub fn plan(request: Float64Array, now: f64) -> Result<Vec<f64>> {
    codec::plan::plan(&request, now).map_err(host)
}

/// Plans again after `outcomes` of `previous` (all flat, `codec::plan`).
#[napi]
pub fn replan(
    request: Float64Array,
    previous: Float64Array,
    outcomes: Float64Array,
    now: f64,
) -> Result<Vec<f64>> {
    codec::plan::replan(&request, &previous, &outcomes, now).map_err(host)
}
