//! Node.js bindings for pacekeeper (napi-rs v3): the thin native layer.
//!
//! `native.js` (the platform loader) and `native.d.ts` are generated from this file by
//! `napi build --platform --js native.js --dts native.d.ts`; never edit them by hand. The
//! public, idiomatic API (argument checks, header shapes, camelCase objects, errors, the async
//! helpers) is plain JavaScript in `js/`, which takes this module as a parameter — the WASM
//! package exports the same low-level functions and reuses that JavaScript unchanged.
//!
//! The native interface (documented in `js/NATIVE.md`):
//! - hot paths take and return numbers (`Limiter.check/peek/reserve`) or write scalars into a
//!   caller's `Float64Array` (`parseHeaders`), so no JSON crosses the boundary on them;
//! - configuration, state and plans cross as JSON strings in the core's own snake_case shape;
//! - every error is thrown as `Error("<code>: <message>")` with a stable core error code, which
//!   the JavaScript layer turns into a `TypeError`/`RangeError` with `.code`.
// `deny`, not `forbid`: the `#[napi]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;
use pacekeeper::headers::{RejectReason, Source, WaitSource};
use pacekeeper::{
    Backoff, BackoffPolicy, BatchOutcome, ErrorCode, Limiter, LimiterConfig, LimiterState, Outcome,
    ParseOptions, Plan, PlanRequest, Reading, ResetMode, RetryBudget, RetryState, Verdict,
};
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::mem::ManuallyDrop;

use napi::Result;

/// A caller's `Float64Array`, written in place (an alias so that napi reads it as a value).
type OutSlots<'a> = &'a mut [f64];

/// `Error("<code>: <message>")`.
fn coded(code: ErrorCode, message: impl std::fmt::Display) -> napi::Error {
    napi::Error::from_reason(format!("{}: {message}", code.as_str()))
}

fn core_err(e: pacekeeper::Error) -> napi::Error {
    coded(e.code, e.message)
}

/// Reads JSON in the core's shape: a missing field or a wrong type is `invalid_argument`, a
/// number out of the field's range is `invalid_number`.
fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let code = if msg.starts_with("invalid value: integer")
            || msg.starts_with("invalid value: floating")
            || msg.contains("number out of range")
        {
            ErrorCode::InvalidNumber
        } else {
            ErrorCode::InvalidArgument
        };
        coded(code, format!("{what}: {msg}"))
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| coded(ErrorCode::InvalidState, e))
}

/// A JS number the JavaScript layer has already checked to be a safe integer ≥ 0.
fn ms(value: f64, what: &str) -> Result<u64> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= 9_007_199_254_740_991.0
    {
        // Exact: a safe integer converts without rounding.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(value as u64)
    } else {
        Err(coded(
            ErrorCode::InvalidNumber,
            format!("{what} must be a safe integer >= 0, got {value}"),
        ))
    }
}

fn seed_of(seed: &str) -> Result<u64> {
    seed.parse::<u64>().map_err(|_| {
        coded(
            ErrorCode::InvalidNumber,
            format!("seed must be an unsigned 64-bit integer, got {seed:?}"),
        )
    })
}

/// u64 results as JS numbers (the core keeps times and counts within 2^53).
#[allow(clippy::cast_precision_loss)]
fn num(v: u64) -> f64 {
    v as f64
}

/// The version of the native addon (the crate version, shared by every package).
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every stable error code string an error's `.code` can take, e.g. `"invalid_limit"`.
#[napi]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|code| code.as_str().to_owned())
        .collect()
}

/// A call that does nothing: measures the cost of crossing the boundary.
#[napi]
pub fn noop() {}

// --- headers -------------------------------------------------------------------------------

/// Slots of the `Float64Array` that `parseHeaders` fills (NaN stands for null).
pub const PARSE_SLOTS: usize = 14;

fn source_code(s: Option<Source>) -> f64 {
    match s {
        None => f64::NAN,
        Some(Source::Ietf) => 0.0,
        Some(Source::IetfDraft07) => 1.0,
        Some(Source::RatelimitTrio) => 2.0,
        Some(Source::XRatelimit) => 3.0,
        Some(Source::Genesys) => 4.0,
        Some(Source::Shopify) => 5.0,
    }
}

fn wait_source_code(s: Option<WaitSource>) -> f64 {
    match s {
        None => f64::NAN,
        Some(WaitSource::RetryAfter) => 0.0,
        Some(WaitSource::Reset) => 1.0,
        Some(WaitSource::Body) => 2.0,
    }
}

fn opt(v: Option<u64>) -> f64 {
    v.map_or(f64::NAN, num)
}

fn reset_mode(code: u32) -> Result<ResetMode> {
    Ok(match code {
        0 => ResetMode::Auto,
        1 => ResetMode::EpochSeconds,
        2 => ResetMode::EpochMillis,
        3 => ResetMode::DeltaSeconds,
        _ => {
            return Err(coded(
                ErrorCode::InvalidOption,
                format!("unknown reset mode {code}"),
            ))
        }
    })
}

fn parse_pairs(
    status: u32,
    pairs: &[(&str, &str)],
    body: Option<&str>,
    now: f64,
    max_wait_ms: f64,
    mode: u32,
) -> Result<Reading> {
    let status = u16::try_from(status).map_err(|_| {
        coded(
            ErrorCode::InvalidStatus,
            format!("status must be 100..=599, got {status}"),
        )
    })?;
    let opts = ParseOptions {
        max_wait_ms: ms(max_wait_ms, "maxWaitMs")?,
        reset_mode: reset_mode(mode)?,
    };
    pacekeeper::parse(status, pairs, body, ms(now, "now")?, &opts).map_err(core_err)
}

/// `name LF value LF name LF value ...` (LF = line feed) → pairs (empty: none).
fn split_joined(headers: &str) -> Vec<(&str, &str)> {
    let mut parts = headers.split('\n');
    let mut pairs = Vec::new();
    if !headers.is_empty() {
        while let (Some(n), Some(v)) = (parts.next(), parts.next()) {
            pairs.push((n, v));
        }
    }
    pairs
}

/// `[name, value, name, value, ...]` → pairs.
fn split_flat(headers: &[String]) -> Vec<(&str, &str)> {
    headers
        .chunks_exact(2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect()
}

fn write_reading(r: &Reading, out: &mut [f64]) -> Result<Option<String>> {
    if out.len() < PARSE_SLOTS {
        return Err(coded(
            ErrorCode::InvalidArgument,
            "out must hold at least 14 numbers",
        ));
    }
    let lists = !(r.policies.is_empty() && r.states.is_empty() && r.rejected.is_empty());
    out[0] = f64::from(r.status);
    out[1] = f64::from(u8::from(r.throttled));
    out[2] = opt(r.retry_after_ms);
    out[3] = f64::from(u8::from(r.retry_after_lenient));
    out[4] = opt(r.limit);
    out[5] = opt(r.remaining);
    out[6] = opt(r.reset_ms);
    out[7] = opt(r.window_ms);
    out[8] = source_code(r.source);
    out[9] = opt(r.wait_ms);
    out[10] = wait_source_code(r.wait_source);
    #[allow(clippy::cast_precision_loss)]
    {
        out[11] = r.date_skew_ms.map_or(f64::NAN, |v| v as f64);
    }
    out[12] = f64::from(u8::from(r.capped));
    out[13] = f64::from(u8::from(lists));
    if !lists {
        return Ok(None);
    }
    let lists = serde_json::json!({
        "policies": r.policies,
        "states": r.states,
        "rejected": r.rejected,
    });
    Ok(Some(lists.to_string()))
}

/// Parses a response. `headers` is a flat `[name, value, name, value, ...]` list; `resetMode`
/// is 0 auto, 1 epoch seconds, 2 epoch ms, 3 delta seconds. Writes the scalar fields into `out`
/// (at least 14 slots: status, throttled, retryAfterMs, retryAfterLenient, limit, remaining,
/// resetMs, windowMs, source, waitMs, waitSource, dateSkewMs, capped, lists; NaN is null) and
/// returns the JSON of `{policies, states, rejected}` when one of them is not empty, else null.
#[napi]
pub fn parse_headers(
    status: u32,
    headers: Vec<String>,
    body: Option<String>,
    now: f64,
    max_wait_ms: f64,
    reset_mode: u32,
    #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
) -> Result<Option<String>> {
    let pairs = split_flat(&headers);
    let r = parse_pairs(
        status,
        &pairs,
        body.as_deref(),
        now,
        max_wait_ms,
        reset_mode,
    )?;
    write_reading(&r, out)
}

/// `parseHeaders` with the headers as one string, `name LF value LF name LF value ...` (LF = line feed) (names and
/// values never hold a line feed; empty for none): one string crosses instead of a list.
#[napi]
pub fn parse_headers_joined(
    status: u32,
    headers: String,
    body: Option<String>,
    now: f64,
    max_wait_ms: f64,
    reset_mode: u32,
    #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
) -> Result<Option<String>> {
    let pairs = split_joined(&headers);
    let r = parse_pairs(
        status,
        &pairs,
        body.as_deref(),
        now,
        max_wait_ms,
        reset_mode,
    )?;
    write_reading(&r, out)
}

/// Parses a response and returns the whole reading as the core's JSON (for tools and tests).
#[napi]
pub fn parse_headers_json(
    status: u32,
    headers: Vec<String>,
    body: Option<String>,
    now: f64,
    max_wait_ms: f64,
    reset_mode: u32,
) -> Result<String> {
    let pairs = split_flat(&headers);
    let r = parse_pairs(
        status,
        &pairs,
        body.as_deref(),
        now,
        max_wait_ms,
        reset_mode,
    )?;
    to_json(&r)
}

/// The reject reasons' strings, in the core's order (for documentation and checks).
#[napi]
pub fn reject_reasons() -> Vec<String> {
    [
        RejectReason::NotANumber,
        RejectReason::Negative,
        RejectReason::TooLarge,
        RejectReason::BadDate,
        RejectReason::BadStructuredField,
        RejectReason::BadMember,
        RejectReason::Inconsistent,
    ]
    .iter()
    .filter_map(|r| serde_json::to_value(r).ok())
    .filter_map(|v| v.as_str().map(str::to_owned))
    .collect()
}

// --- limiter -------------------------------------------------------------------------------

/// Verdicts as one number: `>= 0` allow with that many remaining, `-1` allow with remaining
/// unknown, `-1.5` never (see `lastCapacity`), `<= -2` wait until `-(v) - 2`.
fn encode(v: Verdict, last_capacity: &mut u32) -> f64 {
    match v {
        Verdict::Allow {
            remaining: Some(r), ..
        } => num(r),
        Verdict::Allow { remaining: None } => -1.0,
        Verdict::Wait { until, .. } => -2.0 - num(until),
        Verdict::Never { capacity, .. } => {
            *last_capacity = capacity;
            -1.5
        }
    }
}

/// One limiter and the keys interned for its hot path.
#[derive(Debug)]
struct Slot {
    limiter: Limiter,
    keys: Vec<String>,
    ids: BTreeMap<String, u32>,
    last_capacity: u32,
}

thread_local! {
    /// The limiters of this thread (Node's main thread or one worker), by id. A `NativeLimiter`
    /// owns its slot and frees it when it is collected.
    static SLOTS: RefCell<Vec<Option<Slot>>> = const { RefCell::new(Vec::new()) };
}

fn no_limiter() -> napi::Error {
    coded(ErrorCode::InvalidState, "no such limiter")
}

fn with_slot<T>(id: u32, f: impl FnOnce(&mut Slot) -> Result<T>) -> Result<T> {
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let slot = slots
            .get_mut(id as usize)
            .and_then(Option::as_mut)
            .ok_or_else(no_limiter)?;
        f(slot)
    })
}

fn insert_slot(limiter: Limiter) -> u32 {
    let slot = Slot {
        limiter,
        keys: Vec::new(),
        ids: BTreeMap::new(),
        last_capacity: 0,
    };
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        if let Some(i) = slots.iter().position(Option::is_none) {
            slots[i] = Some(slot);
            u32::try_from(i).unwrap_or(u32::MAX)
        } else {
            slots.push(Some(slot));
            u32::try_from(slots.len() - 1).unwrap_or(u32::MAX)
        }
    })
}

/// The hot path: one limiter decision by limiter id and interned key id, as a number.
fn decide_fast(
    id: u32,
    key: u32,
    cost: u32,
    now: f64,
    op: fn(&mut Limiter, &str, u32, u64) -> pacekeeper::Result<Verdict>,
) -> Result<f64> {
    let now = ms(now, "now")?;
    with_slot(id, |slot| {
        let key = slot
            .keys
            .get(key as usize)
            .ok_or_else(|| coded(ErrorCode::InvalidState, "unknown key id"))?;
        let v = op(&mut slot.limiter, key, cost, now).map_err(core_err)?;
        Ok(encode(v, &mut slot.last_capacity))
    })
}

/// Takes `cost` tokens for interned key `key` of limiter `id` if they fit; the encoded verdict
/// (see `NativeLimiter`).
#[napi]
pub fn limiter_check(id: u32, key: u32, cost: u32, now: f64) -> Result<f64> {
    decide_fast(id, key, cost, now, Limiter::check)
}

/// Like `limiterCheck`, taking nothing.
#[napi]
pub fn limiter_peek(id: u32, key: u32, cost: u32, now: f64) -> Result<f64> {
    decide_fast(id, key, cost, now, |l, k, c, n| l.peek(k, c, n))
}

/// Books the earliest slot for interned key `key`; the encoded verdict.
#[napi]
pub fn limiter_reserve(id: u32, key: u32, cost: u32, now: f64) -> Result<f64> {
    decide_fast(id, key, cost, now, Limiter::reserve)
}

thread_local! {
    /// The caller's argument buffer for the zero-argument hot path (`bindIo`): kept for the
    /// life of the thread (never dropped: it belongs to the JS heap of this thread).
    static IO: RefCell<Option<ManuallyDrop<Float64Array>>> = const { RefCell::new(None) };
}

/// Binds a `Float64Array` (at least 4 numbers) as the argument buffer of `limiterCheckIo`,
/// `limiterPeekIo` and `limiterReserveIo`: slots 0..4 are limiter id, key id, cost and now.
/// Passing numbers through memory skips the per-argument conversions of a call.
#[napi]
pub fn bind_io(buf: Float64Array) -> Result<()> {
    if buf.len() < 4 {
        return Err(coded(
            ErrorCode::InvalidArgument,
            "the io buffer must hold at least 4 numbers",
        ));
    }
    IO.with(|io| *io.borrow_mut() = Some(ManuallyDrop::new(buf)));
    Ok(())
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn io_decide(op: fn(&mut Limiter, &str, u32, u64) -> pacekeeper::Result<Verdict>) -> Result<f64> {
    let (id, key, cost, now) = IO.with(|io| {
        let io = io.borrow();
        let b = io
            .as_ref()
            .ok_or_else(|| coded(ErrorCode::InvalidState, "bindIo was not called"))?;
        // The JavaScript layer wrote checked integers; `as` saturates anything else.
        Ok::<_, napi::Error>((b[0] as u32, b[1] as u32, b[2] as u32, b[3]))
    })?;
    decide_fast(id, key, cost, now, op)
}

/// `limiterCheck` with its arguments in the bound io buffer.
#[napi]
pub fn limiter_check_io() -> Result<f64> {
    io_decide(Limiter::check)
}

/// `limiterPeek` with its arguments in the bound io buffer.
#[napi]
pub fn limiter_peek_io() -> Result<f64> {
    io_decide(|l, k, c, n| l.peek(k, c, n))
}

/// `limiterReserve` with its arguments in the bound io buffer.
#[napi]
pub fn limiter_reserve_io() -> Result<f64> {
    io_decide(Limiter::reserve)
}

/// Keyed GCRA buckets (`bucket::Limiter`) with JSON configuration and numeric verdicts:
/// `>= 0` allow with that many remaining, `-1` allow with remaining unknown, `-1.5` never (the
/// capacity is then `lastCapacity()`), `<= -2` wait until `-(v) - 2` (epoch ms).
/// The hot path is `limiterCheck(id, keyId, cost, now)` with `keyId = limiter.key(name)`.
#[napi]
#[derive(Debug)]
pub struct NativeLimiter {
    id: u32,
}

impl Drop for NativeLimiter {
    fn drop(&mut self) {
        let id = self.id as usize;
        // A limiter collected while the thread shuts down may find the registry gone: ignore.
        let _ = SLOTS.try_with(|slots| {
            if let Ok(mut slots) = slots.try_borrow_mut() {
                if let Some(s) = slots.get_mut(id) {
                    *s = None;
                }
            }
        });
    }
}

#[napi]
impl NativeLimiter {
    /// `config` is the core's `LimiterConfig` JSON.
    #[napi(constructor)]
    pub fn new(config: String) -> Result<Self> {
        let config: LimiterConfig = from_json("limiter options", &config)?;
        let limiter = Limiter::new(config).map_err(core_err)?;
        Ok(NativeLimiter {
            id: insert_slot(limiter),
        })
    }

    /// A limiter with `config` and a saved `state` (the core's JSON of both).
    #[napi(factory)]
    pub fn restore(config: String, state: String) -> Result<Self> {
        let config: LimiterConfig = from_json("limiter options", &config)?;
        let state: LimiterState = from_json("limiter state", &state)?;
        let limiter = Limiter::from_state(config, state).map_err(core_err)?;
        Ok(NativeLimiter {
            id: insert_slot(limiter),
        })
    }

    /// The id to pass to `limiterCheck`/`limiterPeek`/`limiterReserve`.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The interned id of `key` for the hot path (the same id for the same key until `prune`
    /// returns more than 0, which forgets every id).
    #[napi]
    pub fn key(&self, key: String) -> Result<u32> {
        with_slot(self.id, |slot| {
            if let Some(&i) = slot.ids.get(&key) {
                return Ok(i);
            }
            let i = u32::try_from(slot.keys.len())
                .map_err(|_| coded(ErrorCode::InvalidKey, "too many keys"))?;
            slot.keys.push(key.clone());
            slot.ids.insert(key, i);
            Ok(i)
        })
    }

    /// Takes `cost` tokens if they fit; the encoded verdict.
    #[napi]
    pub fn check(&self, key: String, cost: u32, now: f64) -> Result<f64> {
        let now = ms(now, "now")?;
        with_slot(self.id, |s| {
            let v = s.limiter.check(&key, cost, now).map_err(core_err)?;
            Ok(encode(v, &mut s.last_capacity))
        })
    }

    /// Like `check`, taking nothing.
    #[napi]
    pub fn peek(&self, key: String, cost: u32, now: f64) -> Result<f64> {
        let now = ms(now, "now")?;
        with_slot(self.id, |s| {
            let v = s.limiter.peek(&key, cost, now).map_err(core_err)?;
            Ok(encode(v, &mut s.last_capacity))
        })
    }

    /// Books the earliest slot; the encoded verdict.
    #[napi]
    pub fn reserve(&self, key: String, cost: u32, now: f64) -> Result<f64> {
        let now = ms(now, "now")?;
        with_slot(self.id, |s| {
            let v = s.limiter.reserve(&key, cost, now).map_err(core_err)?;
            Ok(encode(v, &mut s.last_capacity))
        })
    }

    /// The capacity of the last `never` verdict.
    #[napi]
    pub fn last_capacity(&self) -> Result<u32> {
        with_slot(self.id, |s| Ok(s.last_capacity))
    }

    /// Re-syncs `key` from a reading (the core's `Reading` JSON).
    #[napi]
    pub fn observe(&self, key: String, reading: String, now: f64) -> Result<()> {
        let reading: Reading = from_json("reading", &reading)?;
        let now = ms(now, "now")?;
        with_slot(self.id, |s| {
            s.limiter.observe(&key, &reading, now).map_err(core_err)
        })
    }

    /// Parses a response and re-syncs `key` from it in one call (flat headers as in
    /// `parseHeaders`, default parse options).
    #[napi]
    pub fn observe_response(
        &self,
        key: String,
        status: u32,
        headers: Vec<String>,
        body: Option<String>,
        now: f64,
    ) -> Result<()> {
        let max = num(pacekeeper::headers::DEFAULT_MAX_WAIT_MS);
        let pairs = split_flat(&headers);
        let r = parse_pairs(status, &pairs, body.as_deref(), now, max, 0)?;
        let now = ms(now, "now")?;
        with_slot(self.id, |s| {
            s.limiter.observe(&key, &r, now).map_err(core_err)
        })
    }

    /// Nothing for `key` before `until`.
    #[napi]
    pub fn block_until(&self, key: String, until: f64) -> Result<()> {
        let until = ms(until, "until")?;
        with_slot(self.id, |s| {
            s.limiter.block_until(&key, until).map_err(core_err)
        })
    }

    /// Takes an in-flight slot; false when the cap is reached.
    #[napi]
    pub fn acquire(&self, key: String) -> Result<bool> {
        with_slot(self.id, |s| s.limiter.acquire(&key).map_err(core_err))
    }

    /// Gives an in-flight slot back; the number still in flight.
    #[napi]
    pub fn release(&self, key: String) -> Result<u32> {
        with_slot(self.id, |s| s.limiter.release(&key).map_err(core_err))
    }

    /// Drops keys whose state is back to full at `now`; how many were dropped. When some were,
    /// every interned key id is forgotten.
    #[napi]
    pub fn prune(&self, now: f64) -> Result<u32> {
        let now = ms(now, "now")?;
        with_slot(self.id, |s| {
            let n = s.limiter.prune(now);
            if n > 0 {
                s.keys.clear();
                s.ids.clear();
            }
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    /// The number of keys held.
    #[napi(getter)]
    pub fn size(&self) -> Result<u32> {
        with_slot(self.id, |s| {
            Ok(u32::try_from(s.limiter.len()).unwrap_or(u32::MAX))
        })
    }

    /// The configuration, as the core's JSON.
    #[napi]
    pub fn config_json(&self) -> Result<String> {
        with_slot(self.id, |s| to_json(s.limiter.config()))
    }

    /// The per-key state, as the core's JSON.
    #[napi]
    pub fn state_json(&self) -> Result<String> {
        with_slot(self.id, |s| to_json(s.limiter.state()))
    }
}

// --- backoff -------------------------------------------------------------------------------

/// A validated backoff policy (`backoff::Backoff`).
#[napi]
#[derive(Debug)]
pub struct NativeBackoff {
    inner: Backoff,
}

#[napi]
impl NativeBackoff {
    /// `policy` is the core's `BackoffPolicy` JSON.
    #[napi(constructor)]
    pub fn new(policy: String) -> Result<Self> {
        let policy: BackoffPolicy = from_json("backoff policy", &policy)?;
        Ok(NativeBackoff {
            inner: Backoff::new(policy).map_err(core_err)?,
        })
    }

    /// The policy with its defaults filled in, as the core's JSON.
    #[napi]
    pub fn policy_json(&self) -> Result<String> {
        to_json(self.inner.policy())
    }

    /// One decision. `state` and `budget` are the core's JSON (the seed may be any u64);
    /// `reading` is the core's `Reading` JSON, or null for a network error. Returns
    /// `{"decision": {...}, "state": {...}, "budget": {...} | null}` as JSON; the state's seed is
    /// returned as a string.
    #[napi]
    pub fn decide(
        &self,
        state: String,
        reading: Option<String>,
        now: f64,
        budget: Option<String>,
    ) -> Result<String> {
        let mut state: RetryState = from_json("retry state", &state)?;
        let mut budget: Option<RetryBudget> = match budget {
            Some(b) => Some(from_json("retry budget", &b)?),
            None => None,
        };
        let outcome = match reading {
            Some(r) => Outcome::Response {
                reading: from_json("reading", &r)?,
            },
            None => Outcome::NetworkError,
        };
        let d = self
            .inner
            .decide(&mut state, &outcome, ms(now, "now")?, budget.as_mut())
            .map_err(core_err)?;
        let mut state_v =
            serde_json::to_value(state).map_err(|e| coded(ErrorCode::InvalidState, e))?;
        state_v["seed"] = serde_json::Value::String(state.seed.to_string());
        let out = serde_json::json!({ "decision": d, "state": state_v, "budget": budget });
        Ok(out.to_string())
    }

    /// The jittered delay before retry `n` (1-based) after a previous delay of `prevMs`.
    /// `seed` is a decimal u64.
    #[napi]
    pub fn delay_ms(&self, n: u32, prev_ms: f64, seed: String) -> Result<f64> {
        let prev = ms(prev_ms, "prevMs")?;
        Ok(num(self.inner.policy().delay_ms(n, prev, seed_of(&seed)?)))
    }

    /// The first `n` delays for `seed` (a decimal u64).
    #[napi]
    pub fn schedule(&self, seed: String, n: u32) -> Result<Vec<f64>> {
        let seed = seed_of(&seed)?;
        Ok(self
            .inner
            .policy()
            .schedule(seed, n)
            .into_iter()
            .map(num)
            .collect())
    }
}

// --- plans ---------------------------------------------------------------------------------

/// A batching plan for `request` (the core's `PlanRequest` JSON), as the core's `Plan` JSON.
#[napi]
pub fn plan(request: String, now: f64) -> Result<String> {
    let req: PlanRequest = from_json("plan request", &request)?;
    let p = pacekeeper::plan(&req, ms(now, "now")?).map_err(core_err)?;
    to_json(&p)
}

/// Plans again after `outcomes` (the core's `BatchOutcome` JSON list) of `previous`.
#[napi]
pub fn replan(request: String, previous: String, outcomes: String, now: f64) -> Result<String> {
    let req: PlanRequest = from_json("plan request", &request)?;
    let prev: Plan = from_json("previous plan", &previous)?;
    let outcomes: Vec<BatchOutcome> = from_json("outcomes", &outcomes)?;
    let p = pacekeeper::replan(&req, &prev, &outcomes, ms(now, "now")?).map_err(core_err)?;
    to_json(&p)
}
