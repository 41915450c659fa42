//! The one codec of pacekeeper's bindings (napi, wasm-bindgen, the JMeter ABI): how host numbers,
//! header lists, readings and verdicts cross a boundary, and how a decoding failure becomes an
//! error code. It speaks only the core's types and [`pacekeeper::Error`]; each binding maps that
//! error to its host's error once (napi: `.code`; wasm: `.code`; ABI: the code's index).
//!
//! Rules written here and nowhere else:
//! - a host number for a time, duration or count is a safe integer ≥ 0 ([`uint`]): NaN, ±∞,
//!   negatives, fractions and anything above 2^53 − 1 are `invalid_number`;
//! - a decoding failure is `invalid_number` when a number is out of its range or a float stands
//!   where an integer is expected, else `invalid_argument` ([`classify`]);
//! - enum values cross as their index in the core's `ALL` (`pacekeeper::vocab`).
#![forbid(unsafe_code)]

pub mod backoff;
pub mod flat;
pub mod limiter;
mod native;
pub mod pacer;
pub mod plan;
pub mod reading;

use pacekeeper::headers::{ParseOptions, Reading, Source, WaitSource, MAX_STATUS, MIN_STATUS};
pub use pacekeeper::{Error, ErrorCode, Result, Verdict};

/// 2^53 − 1, the largest integer every host represents exactly.
pub const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// `v` as an integer when it is whole and within ±(2^53 − 1) (then exact), else None.
pub fn safe_int(v: f64) -> Option<i64> {
    (v.fract() == 0.0 && v.abs() <= MAX_SAFE).then_some(v as i64)
}

/// An error with `code` (never inlined: one copy, not one per error site; the WebAssembly
/// module's size budget).
#[inline(never)]
pub fn err(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(code, message)
}

/// A host number that must be a safe integer ≥ 0 (times, durations, counts). The message names
/// the rule without the value (no float formatting: the WebAssembly module's size budget).
pub fn uint(v: f64, what: &str) -> Result<u64> {
    let problem = if !v.is_finite() {
        "be finite"
    } else if v < 0.0 {
        "be >= 0"
    } else if v.fract() != 0.0 {
        "be an integer"
    } else if v > MAX_SAFE {
        "be at most 2^53 - 1"
    } else {
        // Exact: a safe integer converts without rounding.
        return Ok(v as u64);
    };
    let m = [what, " must ", problem].concat();
    Err(err(ErrorCode::InvalidNumber, m))
}

/// [`uint`] for hosts with exact 64-bit integers (Python): the same range.
pub fn uint_u64(v: u64, what: &str) -> Result<u64> {
    if v <= MAX_SAFE as u64 {
        return Ok(v);
    }
    let m = format!("{what} must be 0..=2^53 - 1, got {v}");
    Err(err(ErrorCode::InvalidNumber, m))
}

/// [`uint`], saturated to `u32::MAX` (the core's own range check then names the field).
pub fn uint32(v: f64, what: &str) -> Result<u32> {
    Ok(u32::try_from(uint(v, what)?).unwrap_or(u32::MAX))
}

/// A seed: the decimal text of a u64.
pub fn seed(text: &str) -> Result<u64> {
    let m = "seed must be an unsigned 64-bit integer";
    text.parse::<u64>()
        .map_err(|_| err(ErrorCode::InvalidNumber, m))
}

pub use flat::{flag, num, opt};

/// One vocabulary of the core (`pacekeeper::vocab::VOCABULARIES`) or layout of the codec
/// (`pacerConfig`, `limiterConfig`, `limiterState`, `backoffPolicy`, `retryBudget`,
/// `retryState`, `planRequest`, `batch`): its names joined by commas, in order. What the
/// bindings export instead of restating it.
pub fn vocabulary(name: &str) -> Result<String> {
    let layout = match name {
        "pacerConfig" => pacer::CONFIG_SLOTS,
        "limiterConfig" => limiter::CONFIG_SLOTS,
        "limiterState" => limiter::STATE_SLOTS,
        "backoffPolicy" => backoff::POLICY_SLOTS,
        "retryBudget" => backoff::BUDGET_SLOTS,
        "retryState" => backoff::STATE_SLOTS,
        "planRequest" => plan::REQUEST_SLOTS,
        "batch" => plan::BATCH_SLOTS,
        _ => {
            return pacekeeper::vocab::VOCABULARIES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, names)| names.join(","))
                .ok_or_else(|| err(ErrorCode::InvalidArgument, "unknown vocabulary"))
        }
    };
    Ok(layout.into())
}

/// The core's defaults of one layout, flat (what the hosts use instead of restating them):
/// `parseOptions` (`maxWaitMs, resetMode index`), `cost` (a request's cost when none is given),
/// `statuses` (the lowest and highest HTTP status the core reads),
/// `retryBudget`, `backoffPolicy`, `limiterConfig` (each in its vocabulary's layout).
pub fn defaults(name: &str) -> Result<Vec<f64>> {
    Ok(match name {
        "parseOptions" => {
            let o = ParseOptions::default();
            vec![num(o.max_wait_ms), flat::idx(o.reset_mode.index())]
        }
        "cost" => vec![f64::from(pacekeeper::bucket::DEFAULT_COST)],
        "statuses" => vec![f64::from(MIN_STATUS), f64::from(MAX_STATUS)],
        "retryBudget" => backoff::budget_flat(&[])?,
        "backoffPolicy" => backoff::policy_flat(&pacekeeper::BackoffPolicy::default()),
        "limiterConfig" => limiter::config_flat(&pacekeeper::LimiterConfig::default()),
        _ => return Err(err(ErrorCode::InvalidArgument, "unknown defaults")),
    })
}

// --- headers -------------------------------------------------------------------------------

/// `name LF value LF name LF value ...` → pairs (the empty string: none). Hosts replace line
/// breaks inside names and values before joining.
pub fn split_joined(headers: &str) -> Vec<(&str, &str)> {
    let mut parts = headers.split('\n');
    let mut pairs = Vec::new();
    if !headers.is_empty() {
        while let (Some(n), Some(v)) = (parts.next(), parts.next()) {
            pairs.push((n, v));
        }
    }
    pairs
}

/// The number of slots [`write_reading`] fills.
pub const READING_SLOTS: usize = 14;

/// A reading's scalars into `out` (NaN is null; enums as their index in the core's `ALL`):
/// status, throttled, retryAfterMs, retryAfterLenient, limit, remaining, resetMs, windowMs,
/// source, waitMs, waitSource, dateSkewMs, capped, hasLists. True when the reading's lists
/// (policies, states, rejected) are not all empty.
pub fn write_reading(r: &Reading, out: &mut [f64]) -> Result<bool> {
    let Some(out) = out.get_mut(..READING_SLOTS) else {
        let m = "out must hold at least 14 numbers";
        return Err(err(ErrorCode::InvalidArgument, m));
    };
    let lists = !(r.policies.is_empty() && r.states.is_empty() && r.rejected.is_empty());
    let index = |i: Option<usize>| i.map_or(f64::NAN, |i| i as f64);
    let skew = r.date_skew_ms.map_or(f64::NAN, |v| v as f64);
    out.copy_from_slice(&[
        f64::from(r.status),
        flag(r.throttled),
        opt(r.retry_after_ms),
        flag(r.retry_after_lenient),
        opt(r.limit),
        opt(r.remaining),
        opt(r.reset_ms),
        opt(r.window_ms),
        index(r.source.map(Source::index)),
        opt(r.wait_ms),
        index(r.wait_source.map(WaitSource::index)),
        skew,
        flag(r.capped),
        flag(lists),
    ]);
    Ok(lists)
}

// --- verdicts ------------------------------------------------------------------------------

/// A verdict as one number: `>= 0` allow with that many remaining, `-1` allow with remaining
/// unknown, `-1.5` never (its capacity goes to `last_capacity`), `<= -2` wait until `-(v) - 1`
/// (a wait's `until` is at least 1, and `-1 - until` stays exact up to `pacekeeper::MAX_TIME`,
/// where `-2 - until` would round).
pub fn encode_verdict(v: Verdict, last_capacity: &mut u32) -> f64 {
    match v {
        Verdict::Allow {
            remaining: Some(r), ..
        } => num(r),
        Verdict::Allow { remaining: None } => -1.0,
        Verdict::Wait { until, .. } => -1.0 - num(until.max(1)),
        Verdict::Never { capacity, .. } => {
            *last_capacity = capacity;
            -1.5
        }
    }
}

// --- decoding errors -----------------------------------------------------------------------

/// The one rule for a decoding failure (serde's message): a number out of its type's range or a
/// float where an integer is expected is `invalid_number`; a missing or unknown field, a wrong
/// type or unknown variant is `invalid_argument`.
pub fn classify(message: &str) -> ErrorCode {
    const INTEGERS: [&str; 8] = [
        "u8",
        "u16",
        "u32",
        "u64",
        "i64",
        "usize",
        "an integer",
        "an unsigned integer",
    ];
    let out_of_range = message.starts_with("invalid value: integer")
        || message.starts_with("invalid value: floating")
        || message.contains("number out of range");
    let mut expected = message.split("expected ").skip(1);
    let float_for_integer = message.starts_with("invalid type: floating point")
        && expected.any(|e| INTEGERS.iter().any(|i| e.starts_with(i)));
    if out_of_range || float_for_integer {
        ErrorCode::InvalidNumber
    } else {
        ErrorCode::InvalidArgument
    }
}

/// Decodes the core's JSON (`what` names it in the message), classified by [`classify`].
#[cfg(feature = "json")]
pub fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| json_error(what, &e))
}

/// [`from_json`] for an already parsed value.
#[cfg(feature = "json")]
pub fn from_value<T: serde::de::DeserializeOwned>(what: &str, v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| json_error(what, &e))
}

#[cfg(feature = "json")]
fn json_error(what: &str, e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    err(classify(&msg), format!("{what}: {msg}"))
}

/// A host number inside an inbound value, as JSON: non-finite numbers and integers beyond
/// 2^53 − 1 in magnitude are `invalid_number` (they cannot be meant exactly); −0 is 0.
#[cfg(feature = "json")]
pub fn json_number(v: f64, path: &str) -> Result<serde_json::Value> {
    if let Some(i) = safe_int(v) {
        return Ok(i.into());
    }
    let problem = match serde_json::Number::from_f64(v) {
        Some(n) if v.fract() != 0.0 => return Ok(n.into()),
        Some(_) => "a safe integer",
        None => "finite",
    };
    let m = format!("{path} must be {problem}, got {v}");
    Err(err(ErrorCode::InvalidNumber, m))
}
