//! # pacekeeper-wasm-abi
//!
//! pacekeeper as a plain WebAssembly module with a small C-like ABI: exported functions take and
//! return `i32`/`i64` numbers, and bytes and fixed records of little-endian `i64` travel through
//! buffers in linear memory that the host allocates with [`pk_alloc`]. No wasm-bindgen glue, no
//! WASI, no imports: any WebAssembly runtime can call it, e.g. Chicory inside JMeter.
//!
//! The full contract (signatures, records, memory ownership, return codes) is in this crate's
//! `README.md`. Every function is a thin adapter over the pure core (`pacekeeper`):
//! [`pacekeeper::headers::parse`], [`pacekeeper::backoff::Backoff::decide`] and a single-key
//! [`pacekeeper::bucket::Limiter`] restored from plain numbers. Being pure, the bucket state can
//! live in the host (a Java `AtomicLong`) and be advanced with a compare-and-set loop.
//!
//! Return codes (`i64`): a value ≥ 0 is a result (a wait or a delay in ms, a length); `-1`
//! means "nothing" (no wait / done); `-2..=-6` are decisions (never, give-up reasons); values
//! ≤ −100 are errors, `-100 - i` for the core's `ErrorCode::ALL[i]`
//! (`-109` invalid_argument, `-110` invalid_number, ...). [`pk_last_error`] gives the message.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod bucket;
pub mod mem;
mod pacer;
mod records;

pub use bucket::*;
pub use pacer::*;
pub use records::*;

use pacekeeper::{Error, ErrorCode};
use std::cell::RefCell;

/// The version of this ABI ([`pk_abi_version`]); bumped on any incompatible change.
pub const ABI_VERSION: i32 = 1;

/// "Nothing": no wait in the reading ([`pk_parse`]), or the attempt succeeded ([`pk_decide`]).
pub const PK_NONE: i64 = -1;
/// Bucket: the cost exceeds the burst and can never be admitted.
pub const PK_NEVER: i64 = -2;
/// Give up: the status is not retryable.
pub const PK_GIVE_UP_NOT_RETRYABLE: i64 = -2;
/// Give up: `max_attempts` were made.
pub const PK_GIVE_UP_MAX_ATTEMPTS: i64 = -3;
/// Give up: the next attempt would fall after the deadline.
pub const PK_GIVE_UP_DEADLINE: i64 = -4;
/// Give up: the retry budget is spent (not produced by this ABI, which keeps no budget).
pub const PK_GIVE_UP_RETRY_BUDGET: i64 = -5;
/// Give up: the server asks for a longer wait than `max_wait_ms`.
pub const PK_GIVE_UP_WAIT_TOO_LONG: i64 = -6;
/// Errors are `PK_ERR_BASE - i` for `ErrorCode::ALL[i]`.
pub const PK_ERR_BASE: i64 = -100;

/// Number of i64 fields in a reading record ([`pk_read`]).
pub const READING_FIELDS: usize = 13;
/// Number of i64 fields in a policy record ([`pk_policy_default`]).
pub const POLICY_FIELDS: usize = 16;
/// Number of i64 fields in a retry-state record ([`pk_state_init`]).
pub const STATE_FIELDS: usize = 8;
/// Number of i64 fields written by the bucket functions.
pub const BUCKET_OUT_FIELDS: usize = 3;
/// Retry statuses a policy record holds (fields 9..=15).
pub const POLICY_STATUSES: usize = 7;

/// "None" for `date_skew_ms` in a reading record (the skew itself may be negative).
pub const SKEW_NONE: i64 = i64::MIN;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The return code of an error: `PK_ERR_BASE - index of its code in ErrorCode::ALL`.
pub fn error_return(code: ErrorCode) -> i64 {
    let i = ErrorCode::ALL
        .iter()
        .position(|c| *c == code)
        .unwrap_or(ErrorCode::ALL.len());
    PK_ERR_BASE - i as i64
}

/// The error code of a return value ≤ [`PK_ERR_BASE`], if it is one.
pub fn error_code_of(ret: i64) -> Option<ErrorCode> {
    let i = PK_ERR_BASE.checked_sub(ret)?;
    usize::try_from(i)
        .ok()
        .and_then(|i| ErrorCode::ALL.get(i).copied())
}

fn fail(e: Error) -> i64 {
    let ret = error_return(e.code);
    LAST_ERROR.with(|l| *l.borrow_mut() = format!("{}: {}", e.code.as_str(), e.message));
    ret
}

fn finish(r: Result<i64, Error>) -> i64 {
    r.unwrap_or_else(fail)
}

fn invalid_number(what: &str, v: i64) -> Error {
    Error::new(
        ErrorCode::InvalidNumber,
        format!("{what} must be a non-negative integer, got {v}"),
    )
}

/// A time, duration or count: the codec's rule (0..=2^53 − 1, as in every other binding).
fn non_neg(what: &str, v: i64) -> Result<u64, Error> {
    pacekeeper_bindings_common::uint_i64(v, what)
}

/// 0 or 1 (else `invalid_number`).
fn flag(what: &str, v: i64) -> Result<bool, Error> {
    match v {
        0 | 1 => Ok(v == 1),
        _ => Err(invalid_number(what, v)),
    }
}

fn to_u32(what: &str, v: i64) -> Result<u32, Error> {
    u32::try_from(v).map_err(|_| invalid_number(what, v))
}

/// A saturating u64 → i64 for outputs (values above i64::MAX never occur in practice).
fn out(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn opt(v: Option<u64>) -> i64 {
    v.map_or(-1, out)
}

#[allow(unsafe_code, clippy::too_many_arguments)]
mod exports;

pub use exports::*;

#[allow(unsafe_code, clippy::too_many_arguments)]
mod pacer_exports;

pub use pacer_exports::*;

#[cfg(test)]
mod tests;
