//! The exported functions of the pacer (see [`crate::pacer`] and the README). `#[no_mangle]` is
//! what the `unsafe_code` lint flags here; all memory access goes through [`crate::mem`].

use crate::mem::read as bytes;
use crate::pacer::*;
use crate::{fail, finish, mem, non_neg, to_u32, Error};

/// Writes `rec` at `out_ptr` and returns its action code.
fn put(out_ptr: usize, rec: [i64; ACTION_FIELDS]) -> Result<i64, Error> {
    mem::write_i64s(out_ptr, &rec, "out")?;
    Ok(rec[0])
}

/// A ticket number from the host (0..=2^53 − 1; unknown ones are the core's `unknown_ticket`).
fn ticket_of(t: i64) -> Result<u64, Error> {
    non_neg("ticket", t)
}

/// Creates a pacer from the core's JSON configuration (`len` 0: the default configuration) and
/// returns its handle (≥ 1), or an error code (a bad configuration: the core's code; more than
/// [`MAX_PACERS`] live: `invalid_state`).
#[no_mangle]
pub extern "C" fn pk_pacer_new(config_ptr: usize, config_len: usize) -> i64 {
    finish(bytes(config_ptr, config_len, "config").and_then(|c| pacer_new(&c)))
}

/// Frees a pacer. Returns 0, or `invalid_argument` for a handle that is not live.
#[no_mangle]
pub extern "C" fn pk_pacer_free(handle: i64) -> i64 {
    finish(pacer_free(handle).map(|()| 0))
}

/// Starts a request of `cost` for the key (UTF-8 bytes) at `now_ms`. Writes the action record
/// at `out_ptr` and returns its action: go (0), wait (1) or never (2); or an error code.
#[no_mangle]
pub extern "C" fn pk_pacer_begin(
    handle: i64,
    key_ptr: usize,
    key_len: usize,
    cost: i32,
    now_ms: i64,
    out_ptr: usize,
) -> i64 {
    finish((|| {
        let key = bytes(key_ptr, key_len, "key")?;
        let key = key_of(&key)?;
        // A negative cost is invalid_number (as everywhere); the core checks 1..=MAX_COST.
        let cost = to_u32("cost", i64::from(cost))?;
        let now = non_neg("now_ms", now_ms)?;
        let s = with_pacer(handle, |p| p.begin(key, cost, now))?;
        put(out_ptr, step_record(&s))
    })())
}

/// Asks again for a waiting ticket (after wait or retry): go (0) or wait (1), or an error code.
#[no_mangle]
pub extern "C" fn pk_pacer_resume(handle: i64, ticket: i64, now_ms: i64, out_ptr: usize) -> i64 {
    finish((|| {
        let (ticket, now) = (ticket_of(ticket)?, non_neg("now_ms", now_ms)?);
        let s = with_pacer(handle, |p| p.resume(ticket, now))?;
        put(out_ptr, step_record(&s))
    })())
}

/// Reports how the ticket's request ended at `now_ms`: `status` 0 is a network error (headers
/// and body ignored); otherwise the raw header block and the body (length 0 = none) are parsed
/// with the pacer's parse options. Writes the action record and returns done (3), retry (4) or
/// give up (5), or an error code.
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
    out_ptr: usize,
) -> i64 {
    finish((|| {
        let (h, b) = if status == 0 {
            (Vec::new(), Vec::new())
        } else {
            (
                bytes(headers_ptr, headers_len, "headers")?,
                bytes(body_ptr, body_len, "body")?,
            )
        };
        // The output range is checked before the ticket moves, so a bad out_ptr loses nothing.
        mem::write_i64s(out_ptr, &[0; ACTION_FIELDS], "out")?;
        let (t, now) = (ticket_of(ticket)?, non_neg("now_ms", now_ms)?);
        let a = with_pacer(handle, |p| pacer_finish(p, t, status, &h, &b, now))?;
        put(out_ptr, after_record(t, &a))
    })())
}

/// Drops a ticket (a waiter leaves the queue; a request in flight stops counting). Returns 0 or
/// an error code (`unknown_ticket`).
#[no_mangle]
pub extern "C" fn pk_pacer_cancel(handle: i64, ticket: i64) -> i64 {
    let r = ticket_of(ticket).and_then(|t| with_pacer(handle, |p| p.cancel(t)));
    finish(r.map(|()| 0))
}

/// The limit learnt for a key: writes `[amount, period_ms, burst]` at `out_ptr` and returns 0,
/// or returns −1 when nothing is learnt (nothing written).
#[no_mangle]
pub extern "C" fn pk_pacer_learnt(
    handle: i64,
    key_ptr: usize,
    key_len: usize,
    out_ptr: usize,
) -> i64 {
    finish((|| {
        let key = bytes(key_ptr, key_len, "key")?;
        let key = key_of(&key)?;
        match with_pacer(handle, |p| Ok(p.learnt(key)))? {
            Some(l) => {
                let rec = [
                    i64::from(l.amount),
                    crate::out(l.period_ms),
                    i64::from(l.burst),
                ];
                mem::write_i64s(out_ptr, &rec, "out")?;
                Ok(0)
            }
            None => Ok(crate::PK_NONE),
        }
    })())
}

/// The number of open tickets (waiting or in flight) of a pacer, or an error code.
#[no_mangle]
pub extern "C" fn pk_pacer_open_tickets(handle: i64) -> i64 {
    finish(with_pacer(handle, |p| Ok(p.open_tickets() as i64)))
}

/// Copies a vocabulary's names (comma-joined, in order; the name is UTF-8 bytes) into `out_ptr`
/// (at most `cap` bytes) and returns the full length, or an error code for an unknown name.
#[no_mangle]
pub extern "C" fn pk_vocabulary(
    name_ptr: usize,
    name_len: usize,
    out_ptr: usize,
    cap: usize,
) -> i64 {
    match bytes(name_ptr, name_len, "name").and_then(|n| vocabulary(&String::from_utf8_lossy(&n))) {
        Ok(s) => crate::exports::copy_out(&s, out_ptr, cap),
        Err(e) => fail(e),
    }
}
