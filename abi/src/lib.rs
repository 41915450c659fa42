//! # pacekeeper-wasm-abi
//!
//! pacekeeper as a plain WebAssembly module with a small C-like ABI, for hosts without
//! wasm-bindgen glue (JMeter through Chicory): exported functions take and return `i32`/`i64`
//! numbers, and bytes (keys, the JSON configuration, raw header blocks) and answers travel
//! through buffers in linear memory that the host allocates with [`pk_alloc`]. No imports.
//!
//! Every function is a thin adapter over the core's pacer as the shared codec carries it
//! ([`HostPacer`](pacekeeper_bindings_common::pacer::HostPacer), the class napi and
//! wasm-bindgen export too): answers are the codec's flat layout ([`OUT_SLOTS`] little-endian
//! `f64`, NaN for none), and actions, reasons and errors are indexes into the core's
//! vocabularies, which [`pk_vocabulary`] exports. The contract is in this crate's `README.md`.
//!
//! Return codes (`i64`): a value ≥ 0 is a result (an action's index, a handle, a length, 0);
//! `-1` is "nothing" ([`pk_pacer_learnt`]); values ≤ −100 are errors, `-100 - i` for the core's
//! `ErrorCode::ALL[i]` (`-109` invalid_argument, `-110` invalid_number, ...), and
//! [`pk_last_error`] gives the message.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod mem;

#[allow(unsafe_code, clippy::too_many_arguments)]
mod exports;

pub use exports::*;
pub use pacekeeper_bindings_common::pacer::OUT_SLOTS;

use pacekeeper::{Error, ErrorCode};
use std::cell::RefCell;

/// The version of this ABI ([`pk_abi_version`]); bumped on any incompatible change.
pub const ABI_VERSION: i32 = 2;
/// "Nothing": no limit learnt ([`pk_pacer_learnt`]).
pub const PK_NONE: i64 = -1;
/// Errors are `PK_ERR_BASE - i` for `ErrorCode::ALL[i]`.
pub const PK_ERR_BASE: i64 = -100;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The return code of an error: `PK_ERR_BASE - index of its code in ErrorCode::ALL`.
pub fn error_return(code: ErrorCode) -> i64 {
    let i = ErrorCode::ALL.iter().position(|c| *c == code);
    PK_ERR_BASE - i.unwrap_or(ErrorCode::ALL.len()) as i64
}

/// An export's body run: its result, or its error's code (the message kept for
/// [`pk_last_error`]).
fn run(f: impl FnOnce() -> Result<i64, Error>) -> i64 {
    f().unwrap_or_else(|e| {
        LAST_ERROR.with(|l| *l.borrow_mut() = format!("{}: {}", e.code.as_str(), e.message));
        error_return(e.code)
    })
}

/// A raw header block — `Name: value` lines separated by `\n` or `\r\n`, as JMeter's
/// `SampleResult.getResponseHeaders()` returns, as text (invalid UTF-8 replaced, never an error)
/// — as (name, value) pairs. A status line (`HTTP/1.1 429 ...`), blank lines, lines without a
/// colon and names with blanks are skipped; names and values are trimmed.
pub fn header_pairs(block: &str) -> Vec<(&str, &str)> {
    block
        .split('\n')
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name = name.trim();
            let skip = name.is_empty() || name.contains(char::is_whitespace);
            (!skip && !name.starts_with("HTTP/")).then(|| (name, value.trim()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
