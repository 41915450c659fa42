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

pub mod mem;

use pacekeeper::backoff::{
    Backoff, BackoffPolicy, Decision, GiveUpReason, Jitter, Outcome, RetryReason, RetryState,
};
use pacekeeper::bucket::{KeyState, Limit, Limiter, LimiterConfig, LimiterState, Verdict};
use pacekeeper::headers::{parse, ParseOptions, Reading, Source, WaitSource};
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

/// The key of the single-key limiter behind the bucket functions.
const KEY: &str = "k";

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

// --- headers ------------------------------------------------------------------------------------

/// Splits a raw header block — `Name: value` lines separated by `\n` or `\r\n`, as JMeter's
/// `SampleResult.getResponseHeaders()` returns — into (name, value) pairs. A status line
/// (`HTTP/1.1 429 ...`), blank lines and lines without a colon are skipped; names and values are
/// trimmed. Invalid UTF-8 is replaced, never an error.
pub fn split_header_block(block: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(block);
    text.split('\n')
        .filter_map(|line| {
            let line = line.trim_end_matches('\r');
            if line.starts_with("HTTP/") {
                return None;
            }
            let (name, value) = line.split_once(':')?;
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return None;
            }
            Some((name.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// Parses a status, a raw header block and an optional body (empty = none) at `now`.
pub fn read_response(
    status: i32,
    headers: &[u8],
    body: &[u8],
    now_ms: i64,
    max_wait_ms: i64,
) -> Result<Reading, Error> {
    let now = non_neg("now_ms", now_ms)?;
    let status = u16::try_from(status).map_err(|_| {
        Error::new(
            ErrorCode::InvalidStatus,
            format!("status must be 100..=599, got {status}"),
        )
    })?;
    let mut opts = ParseOptions::default();
    if max_wait_ms != 0 {
        opts.max_wait_ms = non_neg("max_wait_ms", max_wait_ms)?;
    }
    let pairs = split_header_block(headers);
    let body = (!body.is_empty()).then(|| String::from_utf8_lossy(body));
    parse(status, &pairs, body.as_deref(), now, &opts)
}

/// A reading as the fixed record of [`pk_read`].
pub fn reading_record(r: &Reading) -> [i64; READING_FIELDS] {
    [
        i64::from(r.status),
        i64::from(r.throttled),
        opt(r.wait_ms),
        match r.wait_source {
            None => -1,
            Some(WaitSource::RetryAfter) => 0,
            Some(WaitSource::Reset) => 1,
            Some(WaitSource::Body) => 2,
        },
        opt(r.retry_after_ms),
        opt(r.limit),
        opt(r.remaining),
        opt(r.reset_ms),
        opt(r.window_ms),
        r.date_skew_ms.unwrap_or(SKEW_NONE),
        i64::from(r.capped),
        r.rejected.len() as i64,
        match r.source {
            None => -1,
            Some(Source::Ietf) => 0,
            Some(Source::IetfDraft07) => 1,
            Some(Source::RatelimitTrio) => 2,
            Some(Source::XRatelimit) => 3,
            Some(Source::Genesys) => 4,
            Some(Source::Shopify) => 5,
        },
    ]
}

// --- backoff ------------------------------------------------------------------------------------

/// The policy record of `p` (see [`pk_policy_default`]).
pub fn policy_record(p: &BackoffPolicy) -> [i64; POLICY_FIELDS] {
    let mut rec = [0i64; POLICY_FIELDS];
    rec[0] = out(p.base_ms);
    rec[1] = (p.multiplier * 1000.0).round() as i64;
    rec[2] = out(p.cap_ms);
    rec[3] = match p.jitter {
        Jitter::None => 0,
        Jitter::Full => 1,
        Jitter::Equal => 2,
        Jitter::Decorrelated => 3,
    };
    rec[4] = i64::from(p.max_attempts);
    rec[5] = opt(p.deadline_ms);
    rec[6] = i64::from(p.retry_network_errors);
    rec[7] = i64::from(p.hint_spread_percent);
    rec[8] = out(p.max_wait_ms);
    for (slot, s) in rec[9..].iter_mut().zip(&p.retry_statuses) {
        *slot = i64::from(*s);
    }
    rec
}

/// A policy from its record; validated by the core.
pub fn policy_from_record(rec: &[i64]) -> Result<BackoffPolicy, Error> {
    let field = |i: usize| rec.get(i).copied().unwrap_or(0);
    let jitter = match field(3) {
        0 => Jitter::None,
        1 => Jitter::Full,
        2 => Jitter::Equal,
        3 => Jitter::Decorrelated,
        j => {
            return Err(Error::new(
                ErrorCode::InvalidPolicy,
                format!(
                    "jitter must be 0 (none), 1 (full), 2 (equal) or 3 (decorrelated), got {j}"
                ),
            ))
        }
    };
    let multiplier_milli = non_neg("multiplier_milli", field(1))?;
    let mut statuses = Vec::new();
    for i in 9..9 + POLICY_STATUSES {
        match field(i) {
            0 => {}
            s => statuses.push(u16::try_from(s).map_err(|_| {
                Error::new(
                    ErrorCode::InvalidStatus,
                    format!("retry status must be 100..=599, got {s}"),
                )
            })?),
        }
    }
    let policy = BackoffPolicy {
        base_ms: non_neg("base_ms", field(0))?,
        multiplier: multiplier_milli as f64 / 1000.0,
        cap_ms: non_neg("cap_ms", field(2))?,
        jitter,
        max_attempts: to_u32("max_attempts", field(4))?,
        deadline_ms: match field(5) {
            -1 => None,
            d => Some(non_neg("deadline_ms", d)?),
        },
        retry_statuses: statuses,
        retry_network_errors: match field(6) {
            0 => false,
            1 => true,
            v => return Err(invalid_number("retry_network_errors (0 or 1)", v)),
        },
        hint_spread_percent: to_u32("hint_spread_percent", field(7))?,
        max_wait_ms: non_neg("max_wait_ms", field(8))?,
    };
    policy.validate()?;
    Ok(policy)
}

/// A retry state from its record (fields 0..=5; the outputs 6 and 7 are ignored).
pub fn state_from_record(rec: &[i64]) -> Result<RetryState, Error> {
    let field = |i: usize| rec.get(i).copied().unwrap_or(0);
    Ok(RetryState {
        attempts: to_u32("attempts", field(0))?,
        started_at: non_neg("started_at", field(1))?,
        seed: field(2) as u64, // the seed's 64 bits, reinterpreted
        prev_delay_ms: non_neg("prev_delay_ms", field(3))?,
        last_hint_ms: match field(4) {
            -1 => None,
            h => Some(non_neg("last_hint_ms", h)?),
        },
        short_hints: to_u32("short_hints", field(5))?,
    })
}

/// The record of a state, with the decision's reason and time in fields 6 and 7.
pub fn state_record(s: &RetryState, d: &Decision) -> [i64; STATE_FIELDS] {
    let (reason, at) = match d {
        Decision::Retry { at, reason, .. } => (
            match reason {
                RetryReason::Backoff => 0,
                RetryReason::ServerHint => 1,
                RetryReason::Escalated => 2,
            },
            out(*at),
        ),
        _ => (-1, -1),
    };
    [
        i64::from(s.attempts),
        out(s.started_at),
        s.seed as i64,
        out(s.prev_delay_ms),
        opt(s.last_hint_ms),
        i64::from(s.short_hints),
        reason,
        at,
    ]
}

/// A decision as a return code: the delay (≥ 0), [`PK_NONE`] when done, or a give-up code.
pub fn decision_code(d: &Decision) -> i64 {
    match d {
        Decision::Done => PK_NONE,
        Decision::Retry { delay_ms, .. } => out(*delay_ms),
        Decision::GiveUp { reason, .. } => match reason {
            GiveUpReason::NotRetryable => PK_GIVE_UP_NOT_RETRYABLE,
            GiveUpReason::MaxAttempts => PK_GIVE_UP_MAX_ATTEMPTS,
            GiveUpReason::Deadline => PK_GIVE_UP_DEADLINE,
            GiveUpReason::RetryBudget => PK_GIVE_UP_RETRY_BUDGET,
            GiveUpReason::WaitTooLong => PK_GIVE_UP_WAIT_TOO_LONG,
        },
    }
}

/// One backoff decision on plain records: reads the policy (or the default when `policy` is
/// None) and the state, decides with the core, and returns the code and the new state record.
pub fn decide_records(
    policy: Option<&[i64]>,
    state: &[i64],
    outcome: &Outcome,
    now_ms: i64,
) -> Result<(i64, [i64; STATE_FIELDS]), Error> {
    let now = non_neg("now_ms", now_ms)?;
    let policy = match policy {
        Some(rec) => policy_from_record(rec)?,
        None => BackoffPolicy::default(),
    };
    let backoff = Backoff::new(policy)?;
    let mut s = state_from_record(state)?;
    let d = backoff.decide(&mut s, outcome, now, None)?;
    Ok((decision_code(&d), state_record(&s, &d)))
}

/// The outcome of [`pk_decide`]'s scalar inputs: status 0 is a network error; otherwise a
/// reading of `status` whose wait is `wait_ms` (−1: none), throttled on 429 or on a 503 with a
/// wait (as `Retry-After` makes it in the core's parser).
pub fn scalar_outcome(status: i32, wait_ms: i64) -> Result<Outcome, Error> {
    if status == 0 {
        return Ok(Outcome::NetworkError);
    }
    let st = u16::try_from(status)
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidStatus,
                format!("status must be 0 (network error) or 100..=599, got {status}"),
            )
        })?;
    let mut reading = Reading::empty(st);
    if wait_ms != -1 {
        reading.wait_ms = Some(non_neg("wait_ms", wait_ms)?);
        reading.wait_source = Some(WaitSource::RetryAfter);
        reading.retry_after_ms = reading.wait_ms;
        reading.throttled = st == 429 || st == 503;
    }
    Ok(Outcome::Response { reading })
}

// --- bucket -------------------------------------------------------------------------------------

/// A single-key limiter with one limit, restored from a TAT (the limit's theoretical arrival
/// time in its scaled units, carried as the 64 bits of an i64).
fn bucket(tat: i64, amount: i32, period_ms: i64, burst: i32) -> Result<Limiter, Error> {
    let limit = Limit {
        amount: to_u32("amount", i64::from(amount))?,
        period_ms: non_neg("period_ms", period_ms)?,
        burst: to_u32("burst", i64::from(burst))?,
    };
    let config = LimiterConfig {
        limits: vec![limit],
        learn: false,
        adaptive: None,
        max_in_flight: None,
    };
    let mut state = LimiterState::new();
    state.insert(
        KEY.to_owned(),
        KeyState {
            tat: [tat as u64, 0, 0],
            ..KeyState::default()
        },
    );
    Limiter::from_state(config, state)
}

fn tat_of(l: &Limiter) -> i64 {
    l.key_state(KEY).map_or(0, |s| s.tat[0] as i64)
}

/// One step of a bucket: the verdict for `cost` at `now` and the new TAT. With `reserve` a
/// `Wait` books the slot (the TAT moves); without it only an `Allow` takes tokens.
/// Returns (code, [new_tat, until, remaining]) where code is the wait in ms (0 = go now) or
/// [`PK_NEVER`].
pub fn bucket_step(
    tat: i64,
    amount: i32,
    period_ms: i64,
    burst: i32,
    cost: i32,
    now_ms: i64,
    reserve: bool,
) -> Result<(i64, [i64; BUCKET_OUT_FIELDS]), Error> {
    let now = non_neg("now_ms", now_ms)?;
    let cost = to_u32("cost", i64::from(cost))?; // negative: invalid_number, as everywhere
    let mut l = bucket(tat, amount, period_ms, burst)?;
    let verdict = if reserve {
        l.reserve(KEY, cost, now)?
    } else {
        l.check(KEY, cost, now)?
    };
    let new_tat = tat_of(&l);
    Ok(match verdict {
        Verdict::Allow { remaining } => (0, [new_tat, out(now), opt(remaining)]),
        Verdict::Wait { until, wait_ms } => (out(wait_ms), [new_tat, out(until), -1]),
        Verdict::Never { .. } => (PK_NEVER, [tat, -1, -1]),
    })
}

/// Feeds a response to a bucket (the core's `Limiter::observe`): a throttle with a wait empties
/// it until `now + wait`; `remaining`/`reset` cap it. Returns (the reading's wait or
/// [`PK_NONE`], [new_tat, blocked_until or −1, remaining or −1]).
pub fn bucket_observe(
    tat: i64,
    amount: i32,
    period_ms: i64,
    burst: i32,
    reading: &Reading,
    now_ms: i64,
) -> Result<(i64, [i64; BUCKET_OUT_FIELDS]), Error> {
    let now = non_neg("now_ms", now_ms)?;
    let mut l = bucket(tat, amount, period_ms, burst)?;
    l.observe(KEY, reading, now)?;
    let wait = reading.wait_ms.filter(|_| reading.throttled);
    let until = wait.map_or(-1, |w| out(now.saturating_add(w)));
    Ok((opt(wait), [tat_of(&l), until, opt(reading.remaining)]))
}

// --- exports ------------------------------------------------------------------------------------

/// The exported functions. `#[no_mangle]` is what the `unsafe_code` lint flags here; these
/// functions do no unsafe operation themselves (all memory access goes through [`mem`]).
#[allow(unsafe_code, clippy::too_many_arguments)]
mod exports {
    use super::*;

    fn bytes(ptr: usize, len: usize, what: &str) -> Result<Vec<u8>, Error> {
        mem::read(ptr, len, what)
    }

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
        let msg = LAST_ERROR.with(|l| l.borrow().clone());
        let n = msg.len().min(cap);
        if n > 0 {
            // A failed copy leaves the message in place and reports the failure instead.
            if let Err(e) = mem::write(out_ptr, &msg.as_bytes()[..n], "out") {
                return fail(e);
            }
        }
        msg.len() as i64
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
        finish((|| {
            let h = bytes(headers_ptr, headers_len, "headers")?;
            let b = bytes(body_ptr, body_len, "body")?;
            Ok(opt(read_response(status, &h, &b, now_ms, 0)?.wait_ms))
        })())
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
            let h = bytes(headers_ptr, headers_len, "headers")?;
            let b = bytes(body_ptr, body_len, "body")?;
            let r = read_response(status, &h, &b, now_ms, max_wait_ms)?;
            mem::write_i64s(out_ptr, &reading_record(&r), "out")?;
            Ok(opt(r.wait_ms))
        })())
    }

    /// Writes the default backoff policy as a record of 16 i64 at `out_ptr`; returns 0.
    #[no_mangle]
    pub extern "C" fn pk_policy_default(out_ptr: usize) -> i64 {
        finish(
            mem::write_i64s(out_ptr, &policy_record(&BackoffPolicy::default()), "out").map(|()| 0),
        )
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

    fn decide_at(policy_ptr: usize, state_ptr: usize, outcome: &Outcome, now_ms: i64) -> i64 {
        finish((|| {
            let policy = policy_at(policy_ptr)?;
            let state = mem::read_i64s(state_ptr, STATE_FIELDS, "state")?;
            let (code, rec) = decide_records(policy.as_deref(), &state, outcome, now_ms)?;
            mem::write_i64s(state_ptr, &rec, "state")?;
            Ok(code)
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
            Ok(outcome) => decide_at(policy_ptr, state_ptr, &outcome, now_ms),
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
        let outcome = (|| {
            if status == 0 {
                return Ok(Outcome::NetworkError);
            }
            let h = bytes(headers_ptr, headers_len, "headers")?;
            let b = bytes(body_ptr, body_len, "body")?;
            let reading = read_response(status, &h, &b, now_ms, 0)?;
            Ok(Outcome::Response { reading })
        })();
        match outcome {
            Ok(o) => decide_at(policy_ptr, state_ptr, &o, now_ms),
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
            let reserve = match reserve {
                0 => false,
                1 => true,
                v => return Err(invalid_number("reserve (0 or 1)", i64::from(v))),
            };
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
            let h = bytes(headers_ptr, headers_len, "headers")?;
            let b = bytes(body_ptr, body_len, "body")?;
            let reading = read_response(status, &h, &b, now_ms, 0)?;
            let (code, rec) = bucket_observe(tat, amount, period_ms, burst, &reading, now_ms)?;
            mem::write_i64s(out_ptr, &rec, "out")?;
            Ok(code)
        })())
    }
}

pub use exports::*;

#[cfg(test)]
mod tests;
