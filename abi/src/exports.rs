//! The exported functions and the instance's table of pacers. `#[no_mangle]` is what the
//! `unsafe_code` lint flags here; these functions do no unsafe operation themselves (all memory
//! access goes through [`crate::mem`]).
//!
//! Times, tickets and costs come in as `i64` and go to the codec as host numbers (`as f64`):
//! every value in the codec's range (0..=2^53 − 1) converts exactly, and everything outside it
//! stays outside (negative, or rounded to 2^53 or more), so the codec's rule decides as it does
//! for napi and wasm-bindgen.

use crate::{header_pairs, mem, run, ABI_VERSION, LAST_ERROR, OUT_SLOTS, PK_NONE};
use pacekeeper::pacer::{Pacer, PacerConfig};
use pacekeeper::{Error, ErrorCode};
use pacekeeper_bindings_common::pacer::HostPacer;
use pacekeeper_bindings_common::{from_json, from_value, vocabulary, MAX_SAFE};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The most pacers live at once in one instance.
pub const MAX_PACERS: usize = 256;

/// The live pacers of this instance, and the next handle (never reused while it lives).
type Table = (i64, BTreeMap<i64, HostPacer>);

thread_local! {
    static PACERS: RefCell<Table> = const { RefCell::new((1, BTreeMap::new())) };
}

/// Runs `f` on the pacer `h`.
fn with_pacer<T>(h: i64, f: impl FnOnce(&mut HostPacer) -> Result<T, Error>) -> Result<T, Error> {
    PACERS.with(|t| f(t.borrow_mut().1.get_mut(&h).ok_or_else(|| no_pacer(h))?))
}

fn no_pacer(h: i64) -> Error {
    let m = format!("no live pacer with handle {h} (never created, or freed)");
    Error::new(ErrorCode::InvalidArgument, m)
}

/// Text in the host's buffer; not UTF-8 is the error `code`.
fn text(ptr: usize, len: usize, what: &str, code: ErrorCode) -> Result<String, Error> {
    String::from_utf8(mem::read(ptr, len, what)?)
        .map_err(|_| Error::new(code, format!("{what} must be valid UTF-8")))
}

/// The codec's number rule on every number of a JSON value (as Python applies it to its
/// objects): beyond 2^53 − 1 in magnitude is `invalid_number`, whatever the field's type (a
/// number beyond it converts to an `f64` beyond it).
fn safe_numbers(v: &Value, path: &str) -> Result<(), Error> {
    match v {
        Value::Number(n) if n.as_f64().is_some_and(|f| f.abs() > MAX_SAFE) => {
            let m = format!("{path} must be a safe integer, got {n}");
            Err(Error::new(ErrorCode::InvalidNumber, m))
        }
        Value::Array(a) => a.iter().try_for_each(|x| safe_numbers(x, path)),
        Value::Object(o) => o.iter().try_for_each(|(k, x)| safe_numbers(x, k)),
        _ => Ok(()),
    }
}

/// Copies at most `cap` bytes of `text` to `out`; its full length.
fn put_text(text: &str, out: usize, cap: usize) -> Result<i64, Error> {
    mem::write(out, &text.as_bytes()[..text.len().min(cap)], "out")?;
    Ok(text.len() as i64)
}

/// Runs `f` on the pacer `h` and writes its answer (the codec's [`OUT_SLOTS`] numbers) at
/// `out` as little-endian `f64`. `out` is checked first, so a bad one changes nothing.
fn answer(
    h: i64,
    out: usize,
    f: impl FnOnce(&mut HostPacer, &mut [f64]) -> Result<i64, Error>,
) -> i64 {
    run(|| {
        mem::check(out, OUT_SLOTS * 8, "out")?;
        let mut o = [f64::NAN; OUT_SLOTS];
        let code = with_pacer(h, |p| f(p, &mut o))?;
        let bytes: Vec<u8> = o.iter().flat_map(|v| v.to_le_bytes()).collect();
        mem::write(out, &bytes, "out")?;
        Ok(code)
    })
}

/// The ABI version (2).
#[no_mangle]
pub extern "C" fn pk_abi_version() -> i32 {
    ABI_VERSION
}

/// Allocates `len` zeroed bytes (1..=16 MiB, 8-aligned) and returns the address, or 0.
#[no_mangle]
pub extern "C" fn pk_alloc(len: usize) -> usize {
    mem::alloc(len)
}

/// Frees a buffer from [`pk_alloc`] with its length. Returns 0, or an error code for an
/// unknown buffer or a wrong length (nothing is freed then).
#[no_mangle]
pub extern "C" fn pk_free(ptr: usize, len: usize) -> i64 {
    run(|| mem::free(ptr, len).map(|()| 0))
}

/// Copies the last error's message (UTF-8, `code: message`) into `out` (at most `cap` bytes)
/// and returns its full length; 0 when there was none.
#[no_mangle]
pub extern "C" fn pk_last_error(out: usize, cap: usize) -> i64 {
    run(|| put_text(&LAST_ERROR.with(|l| l.borrow().clone()), out, cap))
}

/// Copies a vocabulary's names (the codec's `vocabulary`: the core's lists and the codec's
/// layouts, comma-joined in order) into `out` (at most `cap` bytes); the full length.
#[no_mangle]
pub extern "C" fn pk_vocabulary(name_ptr: usize, name_len: usize, out: usize, cap: usize) -> i64 {
    run(|| {
        let name = text(name_ptr, name_len, "name", ErrorCode::InvalidArgument)?;
        put_text(&vocabulary(&name)?, out, cap)
    })
}

/// Creates a pacer from the core's JSON configuration (`PacerConfig`; length 0: the default)
/// and returns its handle (≥ 1), or an error code (a bad configuration: the core's code; more
/// than [`MAX_PACERS`] live: `invalid_state`).
#[no_mangle]
pub extern "C" fn pk_pacer_new(config_ptr: usize, config_len: usize) -> i64 {
    run(|| {
        let json = text(config_ptr, config_len, "config", ErrorCode::InvalidArgument)?;
        let config: PacerConfig = match json.as_str() {
            "" => PacerConfig::default(),
            json => {
                let v: Value = from_json("config", json)?;
                safe_numbers(&v, "config")?;
                from_value("config", v)?
            }
        };
        if config.shared.is_some() {
            let m = "config.shared: the JMeter module paces in memory only (no store)";
            return Err(Error::new(ErrorCode::InvalidOption, m));
        }
        let pacer = Pacer::new(config).map(|core| HostPacer { core })?;
        PACERS.with(|t| {
            let (next, live) = &mut *t.borrow_mut();
            if live.len() >= MAX_PACERS {
                let m = format!("at most {MAX_PACERS} pacers live in one instance: free one first");
                return Err(Error::new(ErrorCode::InvalidState, m));
            }
            live.insert(*next, pacer);
            *next += 1;
            Ok(*next - 1)
        })
    })
}

/// Frees a pacer; its handle is dead from then on. Returns 0, or `invalid_argument`.
#[no_mangle]
pub extern "C" fn pk_pacer_free(handle: i64) -> i64 {
    run(|| {
        let freed = PACERS.with(|t| t.borrow_mut().1.remove(&handle));
        freed.map(|_| 0).ok_or_else(|| no_pacer(handle))
    })
}

/// Starts a request of `cost` for the key (UTF-8, else `invalid_key`) at `now_ms`: the step's
/// index in the vocabulary `steps` (go, wait, never), its slots at `out`.
#[no_mangle]
pub extern "C" fn pk_pacer_begin(
    handle: i64,
    key_ptr: usize,
    key_len: usize,
    cost: i64,
    now_ms: i64,
    out: usize,
) -> i64 {
    answer(handle, out, |p, o| {
        let key = text(key_ptr, key_len, "key", ErrorCode::InvalidKey)?;
        p.begin(&key, cost as f64, now_ms as f64, o).map(i64::from)
    })
}

/// Asks again for a waiting ticket (after wait or retry): go or wait, as [`pk_pacer_begin`].
#[no_mangle]
pub extern "C" fn pk_pacer_resume(handle: i64, ticket: i64, now_ms: i64, out: usize) -> i64 {
    answer(handle, out, |p, o| {
        p.resume(ticket as f64, now_ms as f64, o).map(i64::from)
    })
}

/// Reports how the ticket's request ended at `now_ms`: `status` 0 is a network error (headers
/// and body ignored); otherwise the raw header block and the body (length 0: none) are parsed
/// with the pacer's parse options. The answer's index in the vocabulary `afters` (done, retry,
/// give_up), its slots at `out`.
#[no_mangle]
pub extern "C" fn pk_pacer_finish(
    handle: i64,
    ticket: i64,
    status: i32,
    headers_ptr: usize,
    headers_len: usize,
    body_ptr: usize,
    body_len: usize,
    now_ms: i64,
    out: usize,
) -> i64 {
    answer(handle, out, |p, o| {
        let (t, now) = (ticket as f64, now_ms as f64);
        if status == 0 {
            return p.finish_network_error(t, now, o).map(i64::from);
        }
        let block = mem::read(headers_ptr, headers_len, "headers")?;
        let block = String::from_utf8_lossy(&block);
        let body = mem::read(body_ptr, body_len, "body")?;
        let body = (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned());
        // A negative status meets the core's status rule as one out of range.
        let status = u32::try_from(status).unwrap_or(u32::MAX);
        p.finish(t, status, &header_pairs(&block), body.as_deref(), now, o)
            .map(i64::from)
    })
}

/// Drops a ticket (a waiter leaves the queue; a request in flight stops counting). Returns 0 or
/// an error code (`unknown_ticket`).
#[no_mangle]
pub extern "C" fn pk_pacer_cancel(handle: i64, ticket: i64) -> i64 {
    run(|| with_pacer(handle, |p| p.cancel(ticket as f64)).map(|()| 0))
}

/// The limit learnt for a key: 0 with `amount, period_ms, burst` in the slots at `out`, or −1
/// when nothing is learnt.
#[no_mangle]
pub extern "C" fn pk_pacer_learnt(handle: i64, key_ptr: usize, key_len: usize, out: usize) -> i64 {
    answer(handle, out, |p, o| {
        let key = text(key_ptr, key_len, "key", ErrorCode::InvalidKey)?;
        Ok(if p.learnt(&key, o)? { 0 } else { PK_NONE })
    })
}

/// The number of open tickets (waiting or in flight) of a pacer, or an error code.
#[no_mangle]
pub extern "C" fn pk_pacer_open_tickets(handle: i64) -> i64 {
    run(|| with_pacer(handle, |p| Ok(p.core.open_tickets() as i64)))
}
