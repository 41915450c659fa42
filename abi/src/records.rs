//! Records and conversions of the stateless functions: raw header blocks, the reading,
//! policy and retry-state records, and one backoff decision on records.

use crate::{flag, non_neg, opt, out, to_u32};
use crate::{PK_GIVE_UP_NOT_RETRYABLE, PK_NONE, POLICY_FIELDS, POLICY_STATUSES};
use crate::{READING_FIELDS, SKEW_NONE, STATE_FIELDS};
use pacekeeper::backoff::{BackoffPolicy, Decision, Jitter, Outcome, RetryState};
use pacekeeper::headers::{check_status, parse, ParseOptions, Reading, Source, WaitSource};
use pacekeeper::{Error, ErrorCode};

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
    let mut opts = ParseOptions::default();
    if max_wait_ms != 0 {
        opts.max_wait_ms = non_neg("max_wait_ms", max_wait_ms)?;
    }
    read_response_with(status, headers, body, non_neg("now_ms", now_ms)?, &opts)
}

/// [`read_response`] with the given parse options (the pacer's `parse`).
pub fn read_response_with(
    status: i32,
    headers: &[u8],
    body: &[u8],
    now: u64,
    opts: &ParseOptions,
) -> Result<Reading, Error> {
    let status = check_status(i64::from(status))?;
    let pairs = split_header_block(headers);
    let body = (!body.is_empty()).then(|| String::from_utf8_lossy(body));
    parse(status, &pairs, body.as_deref(), now, opts)
}

/// An index into one of the core's `ALL` lists (`pacekeeper::vocab`), −1 for none.
fn index(i: Option<usize>) -> i64 {
    i.map_or(-1, |i| i as i64)
}

/// A reading as the fixed record of [`pk_read`] (enums as their index in the core's `ALL`).
pub fn reading_record(r: &Reading) -> [i64; READING_FIELDS] {
    [
        i64::from(r.status),
        i64::from(r.throttled),
        opt(r.wait_ms),
        index(r.wait_source.map(WaitSource::index)),
        opt(r.retry_after_ms),
        opt(r.limit),
        opt(r.remaining),
        opt(r.reset_ms),
        opt(r.window_ms),
        r.date_skew_ms.unwrap_or(SKEW_NONE),
        i64::from(r.capped),
        r.rejected.len() as i64,
        index(r.source.map(Source::index)),
    ]
}

// --- backoff ------------------------------------------------------------------------------------

/// The policy record of `p` (see [`pk_policy_default`]).
pub fn policy_record(p: &BackoffPolicy) -> [i64; POLICY_FIELDS] {
    let mut rec = [0i64; POLICY_FIELDS];
    rec[0] = out(p.base_ms);
    rec[1] = (p.multiplier * 1000.0).round() as i64;
    rec[2] = out(p.cap_ms);
    rec[3] = index(Some(p.jitter.index()));
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
    let j = field(3);
    let jitter = usize::try_from(j)
        .ok()
        .and_then(Jitter::from_index)
        .ok_or_else(|| {
            let names: Vec<String> = Jitter::NAMES
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{i} ({n})"))
                .collect();
            Error::new(
                ErrorCode::InvalidPolicy,
                format!("jitter must be one of {}, got {j}", names.join(", ")),
            )
        })?;
    let multiplier_milli = non_neg("multiplier_milli", field(1))?;
    let mut statuses = Vec::new();
    for i in 9..9 + POLICY_STATUSES {
        match field(i) {
            0 => {}
            // Beyond 16 bits: the core's status rule now; else the policy's validation.
            s => statuses.push(u16::try_from(s).or_else(|_| check_status(s))?),
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
        retry_network_errors: flag("retry_network_errors (0 or 1)", field(6))?,
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
        Decision::Retry { at, reason, .. } => (index(Some(reason.index())), out(*at)),
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
        // −2 − the reason's index in `GiveUpReason::ALL` (`PK_GIVE_UP_*`).
        Decision::GiveUp { reason, .. } => PK_GIVE_UP_NOT_RETRYABLE - index(Some(reason.index())),
    }
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
