//! The exported functions of the stateless API. `#[no_mangle]` is what the `unsafe_code` lint
//! flags here; these functions do no unsafe operation themselves (all memory access goes
//! through [`crate::mem`]).

use super::*;
use crate::mem::read as bytes;
use pacekeeper::backoff::{Backoff, BackoffPolicy, Decision, Outcome, RetryState};
use pacekeeper::headers::Reading;

/// The ABI version (1).
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
    finish(mem::free(ptr, len).map(|()| 0))
}

/// Copies the last error's message (UTF-8, `code: message`) into `out_ptr` (at most `cap`
/// bytes) and returns its full length; 0 when there was none.
#[no_mangle]
pub extern "C" fn pk_last_error(out_ptr: usize, cap: usize) -> i64 {
    // A failed copy leaves the message in place and reports the failure instead.
    copy_out(&LAST_ERROR.with(|l| l.borrow().clone()), out_ptr, cap)
}

/// Copies at most `cap` bytes of `text` to `out_ptr`; its full length, or an error code.
pub(crate) fn copy_out(text: &str, out_ptr: usize, cap: usize) -> i64 {
    let n = text.len().min(cap);
    finish(mem::write(out_ptr, &text.as_bytes()[..n], "out").map(|()| text.len() as i64))
}

/// Parses a response: `status`, the raw header block and the body (length 0 = none), at
/// `now_ms`. Returns the reading's wait in ms (the server's floor), [`PK_NONE`] when it has
/// none, or an error code.
#[no_mangle]
pub extern "C" fn pk_parse(
    status: i32,
    headers_ptr: usize,
    headers_len: usize,
    body_ptr: usize,
    body_len: usize,
    now_ms: i64,
) -> i64 {
    let (h, b) = ((headers_ptr, headers_len), (body_ptr, body_len));
    finish(response_at(status, h, b, now_ms, 0).map(|r| opt(r.wait_ms)))
}

/// The response in the host's buffers (`(ptr, len)` of the header block and of the body).
fn response_at(
    status: i32,
    (headers_ptr, headers_len): (usize, usize),
    (body_ptr, body_len): (usize, usize),
    now_ms: i64,
    max_wait_ms: i64,
) -> Result<Reading, Error> {
    let h = bytes(headers_ptr, headers_len, "headers")?;
    let b = bytes(body_ptr, body_len, "body")?;
    read_response(status, &h, &b, now_ms, max_wait_ms)
}

/// Like [`pk_parse`] with a wait cap (`max_wait_ms`, 0 = the default 6 h) and the whole
/// reading written as a record of 13 i64 at `out_ptr` (see the README).
#[no_mangle]
pub extern "C" fn pk_read(
    status: i32,
    headers_ptr: usize,
    headers_len: usize,
    body_ptr: usize,
    body_len: usize,
    now_ms: i64,
    max_wait_ms: i64,
    out_ptr: usize,
) -> i64 {
    finish((|| {
        let (h, b) = ((headers_ptr, headers_len), (body_ptr, body_len));
        let r = response_at(status, h, b, now_ms, max_wait_ms)?;
        mem::write_i64s(out_ptr, &reading_record(&r), "out")?;
        Ok(opt(r.wait_ms))
    })())
}

/// Writes the default backoff policy as a record of 16 i64 at `out_ptr`; returns 0.
#[no_mangle]
pub extern "C" fn pk_policy_default(out_ptr: usize) -> i64 {
    finish(mem::write_i64s(out_ptr, &policy_record(&BackoffPolicy::default()), "out").map(|()| 0))
}

/// Writes a fresh retry state (no attempt yet) as a record of 8 i64 at `state_ptr`; the
/// seed's 64 bits are taken as they are. Returns 0.
#[no_mangle]
pub extern "C" fn pk_state_init(state_ptr: usize, started_at_ms: i64, seed: i64) -> i64 {
    finish((|| {
        let started = non_neg("started_at_ms", started_at_ms)?;
        let s = RetryState::new(started, seed as u64);
        let rec = state_record(&s, &Decision::Done);
        mem::write_i64s(state_ptr, &rec, "state")?;
        Ok(0)
    })())
}

fn policy_at(ptr: usize) -> Result<Option<Vec<i64>>, Error> {
    if ptr == 0 {
        Ok(None)
    } else {
        mem::read_i64s(ptr, POLICY_FIELDS, "policy").map(Some)
    }
}

/// One backoff decision on the records at `policy_ptr` (0: the default policy) and `state_ptr`
/// (updated in place); the decision's code.
fn decide_at(policy_ptr: usize, state_ptr: usize, outcome: Outcome, now_ms: i64) -> i64 {
    finish((|| {
        let policy = policy_at(policy_ptr)?;
        let state = mem::read_i64s(state_ptr, STATE_FIELDS, "state")?;
        let now = non_neg("now_ms", now_ms)?;
        let policy = policy.as_deref().map(policy_from_record).transpose()?;
        let backoff = Backoff::new(policy.unwrap_or_default())?;
        let mut s = state_from_record(&state)?;
        let d = backoff.decide(&mut s, &outcome, now, None)?;
        mem::write_i64s(state_ptr, &state_record(&s, &d), "state")?;
        Ok(decision_code(&d))
    })())
}

/// One backoff decision after an attempt that ended at `now_ms` with `status` (0 = network
/// error) and the server's wait `wait_ms` (−1 = none). `policy_ptr` is a policy record
/// (0 = the default policy); the state record at `state_ptr` is updated in place. Returns the
/// delay in ms before the next attempt, [`PK_NONE`] when done, a give-up code (−2..=−6) or an
/// error code.
#[no_mangle]
pub extern "C" fn pk_decide(
    policy_ptr: usize,
    state_ptr: usize,
    status: i32,
    wait_ms: i64,
    now_ms: i64,
) -> i64 {
    match scalar_outcome(status, wait_ms) {
        Ok(outcome) => decide_at(policy_ptr, state_ptr, outcome, now_ms),
        Err(e) => fail(e),
    }
}

/// [`pk_parse`] then [`pk_decide`] on the full reading (so a capped wait or a 503 with
/// `Retry-After` count as the core says). Status 0 is a network error (headers ignored).
#[no_mangle]
pub extern "C" fn pk_retry(
    policy_ptr: usize,
    state_ptr: usize,
    status: i32,
    headers_ptr: usize,
    headers_len: usize,
    body_ptr: usize,
    body_len: usize,
    now_ms: i64,
) -> i64 {
    let (h, b) = ((headers_ptr, headers_len), (body_ptr, body_len));
    let outcome = match status {
        0 => Ok(Outcome::NetworkError),
        _ => response_at(status, h, b, now_ms, 0).map(|reading| Outcome::Response { reading }),
    };
    match outcome {
        Ok(o) => decide_at(policy_ptr, state_ptr, o, now_ms),
        Err(e) => fail(e),
    }
}

/// One step of a GCRA bucket (`amount` per `period_ms`, at most `burst`) whose whole state
/// is `tat` (0 = full). `reserve` 1 books the earliest slot, 0 only takes when it fits now.
/// Writes [new_tat, until, remaining] at `out_ptr` and returns the wait in ms (0 = go now),
/// [`PK_NEVER`] (cost above burst) or an error code.
#[no_mangle]
pub extern "C" fn pk_bucket_step(
    tat: i64,
    amount: i32,
    period_ms: i64,
    burst: i32,
    cost: i32,
    now_ms: i64,
    reserve: i32,
    out_ptr: usize,
) -> i64 {
    finish((|| {
        let reserve = flag("reserve (0 or 1)", i64::from(reserve))?;
        let (code, rec) = bucket_step(tat, amount, period_ms, burst, cost, now_ms, reserve)?;
        mem::write_i64s(out_ptr, &rec, "out")?;
        Ok(code)
    })())
}

/// Feeds a response (status, raw headers, body) received at `now_ms` to the bucket `tat`.
/// Writes [new_tat, blocked_until or −1, remaining or −1] at `out_ptr` and returns the
/// throttle's wait in ms, [`PK_NONE`] when not throttled with a wait, or an error code.
#[no_mangle]
pub extern "C" fn pk_bucket_observe(
    tat: i64,
    amount: i32,
    period_ms: i64,
    burst: i32,
    status: i32,
    headers_ptr: usize,
    headers_len: usize,
    body_ptr: usize,
    body_len: usize,
    now_ms: i64,
    out_ptr: usize,
) -> i64 {
    finish((|| {
        let (h, b) = ((headers_ptr, headers_len), (body_ptr, body_len));
        let reading = response_at(status, h, b, now_ms, 0)?;
        let (code, rec) = bucket_observe(tat, amount, period_ms, burst, &reading, now_ms)?;
        mem::write_i64s(out_ptr, &rec, "out")?;
        Ok(code)
    })())
}
