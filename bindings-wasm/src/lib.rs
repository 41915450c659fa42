//! WebAssembly bindings for pacekeeper (wasm-bindgen): the engine of the npm package
//! `pacekeeper-wasm`.
//!
//! These exports are the package's *engine*, not its public API. `js/native.js` turns them into
//! exactly the low-level interface of the napi addon (`bindings-node/src/lib.rs`), and the public
//! API is the Node package's own JavaScript (`bindings-node/js/`) over that interface, so the two
//! packages share every line of API code.
//!
//! To keep the optimized module under 100 KB, nothing here uses serde: structured values cross
//! the boundary as flat number arrays (`&[f64]`, `&[u64]` for seeds and wide state) and strings
//! joined with NUL; `js/native.js` does the JSON. Every number is checked again here (finite,
//! whole, non-negative, ≤ 2^53 − 1) and nothing panics: bad input becomes a thrown
//! `Error("<code>: <message>")` (the napi addon's convention), never `RuntimeError: unreachable`.
//!
//! Built with `cargo build --target wasm32-unknown-unknown --release -p pacekeeper-wasm`, then
//! `wasm-bindgen` (targets nodejs, web, bundler), `scripts/wasm-snip.mjs` and `wasm-opt`; see
//! `make build-wasm`.
// `deny`, not `forbid`: the `#[wasm_bindgen]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use pacekeeper::bucket::{AdaptiveConfig, KeyState, Limit, LimiterState, MAX_LIMITS};
use pacekeeper::headers::{Policy, PolicyState, RejectReason, Rejection, Source, WaitSource};
use pacekeeper::{
    Backoff, BackoffPolicy, Batch, BatchOutcome, Decision, Error, ErrorCode, Jitter, Limiter,
    LimiterConfig, Outcome, ParseOptions, Plan, PlanRequest, Reading, ResetMode, RetryBudget,
    RetryState, Verdict,
};
use wasm_bindgen::prelude::*;

mod pacer;

// A small, fast allocator (dlmalloc, the default, is ~7 KB larger).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(
    inline_js = "export function pkErr(c, m) { const e = new Error(m); e.code = c; return e }"
)]
extern "C" {
    #[wasm_bindgen(js_name = pkErr)]
    fn pk_err(code: &str, message: &str) -> JsValue;
}

type JsResult<T> = Result<T, JsValue>;

/// An `Error` with `.code` set to the core's code (as the napi addon throws it).
fn coded(code: ErrorCode, message: &str) -> JsValue {
    pk_err(code.as_str(), message)
}

fn core_err(e: Error) -> JsValue {
    coded(e.code, &e.message)
}

fn core<T>(r: pacekeeper::Result<T>) -> JsResult<T> {
    r.map_err(core_err)
}

const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

fn is_uint(v: f64) -> bool {
    (0.0..=MAX_SAFE).contains(&v) && v.fract() == 0.0
}

/// A safe integer ≥ 0, or `invalid_number` naming `what`.
fn ms(v: f64, what: &str) -> JsResult<u64> {
    if is_uint(v) {
        // Whole and within 2^53: exact.
        Ok(v as u64)
    } else {
        Err(coded(
            ErrorCode::InvalidNumber,
            &[what, " must be a safe integer >= 0"].concat(),
        ))
    }
}

/// A u32 field: a safe integer ≥ 0 within u32, or `invalid_number`.
fn u32_of(v: f64, what: &str) -> JsResult<u32> {
    u32::try_from(ms(v, what)?).map_err(|_| {
        coded(
            ErrorCode::InvalidNumber,
            &[what, " must be at most 4294967295"].concat(),
        )
    })
}

/// NaN means "none".
fn opt_ms(v: f64, what: &str) -> JsResult<Option<u64>> {
    if v.is_nan() {
        Ok(None)
    } else {
        ms(v, what).map(Some)
    }
}

fn num(v: u64) -> f64 {
    v as f64
}

fn opt(v: Option<u64>) -> f64 {
    v.map_or(f64::NAN, num)
}

/// Reads a flat `&[f64]` front to back.
struct Rd<'a> {
    v: &'a [f64],
    i: usize,
}

impl Rd<'_> {
    fn next(&mut self) -> JsResult<f64> {
        let x = self.v.get(self.i).copied().ok_or_else(|| {
            coded(
                ErrorCode::InvalidArgument,
                "internal: flat input is too short",
            )
        })?;
        self.i += 1;
        Ok(x)
    }
    fn ms(&mut self, what: &str) -> JsResult<u64> {
        let x = self.next()?;
        ms(x, what)
    }
    fn u32(&mut self, what: &str) -> JsResult<u32> {
        let x = self.next()?;
        u32_of(x, what)
    }
    fn opt(&mut self, what: &str) -> JsResult<Option<u64>> {
        let x = self.next()?;
        opt_ms(x, what)
    }
    fn bool(&mut self) -> JsResult<bool> {
        Ok(self.next()? != 0.0)
    }
    fn len(&mut self) -> JsResult<usize> {
        let n = self.ms("length")?;
        usize::try_from(n).map_err(|_| coded(ErrorCode::InvalidArgument, "too long"))
    }
}

/// Splits a NUL-joined string list. Inside an item, `\u{1}\u{3}` stands for NUL and
/// `\u{1}\u{2}` for `\u{1}` (`js/native.js` escapes; most items need nothing).
fn split(s: &str) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    s.split('\0').map(|item| {
        if !item.contains('\u{1}') {
            return std::borrow::Cow::Borrowed(item);
        }
        let mut out = String::with_capacity(item.len());
        let mut chars = item.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1}' {
                out.push(if chars.next() == Some('\u{3}') {
                    '\0'
                } else {
                    '\u{1}'
                });
            } else {
                out.push(c);
            }
        }
        std::borrow::Cow::Owned(out)
    })
}

/// The inverse of one item of `split`.
fn escape_into(out: &mut String, item: &str) {
    for c in item.chars() {
        match c {
            '\0' => out.push_str("\u{1}\u{3}"),
            '\u{1}' => out.push_str("\u{1}\u{2}"),
            c => out.push(c),
        }
    }
}

fn next_str<'a>(it: &mut impl Iterator<Item = std::borrow::Cow<'a, str>>) -> JsResult<String> {
    it.next()
        .map(std::borrow::Cow::into_owned)
        .ok_or_else(|| coded(ErrorCode::InvalidArgument, "internal: missing string"))
}

// --- JSON output (small, no serde) ------------------------------------------------------------

/// Decimal numbers without `core::fmt` (it would add ~20 KB to the module).
use pacekeeper::msg::push_u64;

/// `text` followed by `n` in decimal.
fn with_u64(text: &str, n: u64) -> String {
    let mut s = String::from(text);
    push_u64(&mut s, n);
    s
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize >> 4) & 15]));
                out.push(char::from(HEX[c as usize & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
}

fn json_opt_u64(out: &mut String, v: Option<u64>) {
    match v {
        Some(v) => push_u64(out, v),
        None => out.push_str("null"),
    }
}

/// The JSON of `{policies, states, rejected}` in the core's shape.
fn lists_json(r: &Reading) -> String {
    let mut o = String::from("{\"policies\":[");
    for (i, p) in r.policies.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str("{\"name\":");
        json_str(&mut o, &p.name);
        o.push_str(",\"quota\":");
        push_u64(&mut o, p.quota);
        o.push_str(",\"quota_unit\":");
        json_str(&mut o, &p.quota_unit);
        o.push_str(",\"window_s\":");
        json_opt_u64(&mut o, p.window_s);
        o.push_str(",\"partition_key\":");
        json_opt_str(&mut o, p.partition_key.as_deref());
        o.push('}');
    }
    o.push_str("],\"states\":[");
    for (i, s) in r.states.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str("{\"name\":");
        json_str(&mut o, &s.name);
        o.push_str(",\"remaining\":");
        push_u64(&mut o, s.remaining);
        o.push_str(",\"reset_s\":");
        json_opt_u64(&mut o, s.reset_s);
        o.push_str(",\"partition_key\":");
        json_opt_str(&mut o, s.partition_key.as_deref());
        o.push('}');
    }
    o.push_str("],\"rejected\":[");
    for (i, x) in r.rejected.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str("{\"header\":");
        json_str(&mut o, &x.header);
        o.push_str(",\"value\":");
        json_str(&mut o, &x.value);
        o.push_str(",\"reason\":");
        json_str(&mut o, x.reason.as_str());
        o.push('}');
    }
    o.push_str("]}");
    o
}

// --- misc ----------------------------------------------------------------------------------

/// The version of the WebAssembly module (the crate version, shared by every package).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// One vocabulary of the core, its names joined by commas in the core's order
/// (`pacekeeper_bindings_common::vocabulary`): enums cross as indexes into these lists.
#[wasm_bindgen]
pub fn vocabulary(name: &str) -> JsResult<String> {
    core(pacekeeper_bindings_common::vocabulary(name))
}

/// A call that does nothing: measures the cost of crossing the boundary.
#[wasm_bindgen]
pub fn noop() {}

/// A random seed from the platform's cryptographic source (`crypto.getRandomValues` in browsers
/// and Node.js, through `getrandom`), for retry states created without one.
#[wasm_bindgen(js_name = randomSeed)]
pub fn random_seed() -> JsResult<u64> {
    getrandom::u64().map_err(|_| {
        coded(
            ErrorCode::InvalidState,
            "no random source for a default seed (crypto.getRandomValues); pass a seed",
        )
    })
}

// --- headers -------------------------------------------------------------------------------

fn parse_joined(
    status: u32,
    headers: &str,
    body: Option<String>,
    now: f64,
    max_wait_ms: f64,
    mode: u32,
) -> JsResult<Reading> {
    let status = u16::try_from(status).map_err(|_| {
        coded(
            ErrorCode::InvalidStatus,
            &with_u64("status must be 100..=599, got ", u64::from(status)),
        )
    })?;
    // `name\nvalue\nname\nvalue...`, as the napi addon takes them (the API layer replaces line
    // breaks inside names and values, which HTTP does not allow anyway).
    let mut parts = headers.split('\n');
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if !headers.is_empty() {
        while let (Some(n), Some(v)) = (parts.next(), parts.next()) {
            pairs.push((n, v));
        }
    }
    let reset_mode = match mode {
        0 => ResetMode::Auto,
        1 => ResetMode::EpochSeconds,
        2 => ResetMode::EpochMillis,
        3 => ResetMode::DeltaSeconds,
        _ => {
            return Err(coded(
                ErrorCode::InvalidOption,
                &with_u64("unknown reset mode ", u64::from(mode)),
            ))
        }
    };
    let opts = ParseOptions {
        max_wait_ms: ms(max_wait_ms, "maxWaitMs")?,
        reset_mode,
    };
    core(pacekeeper::parse(
        status,
        &pairs,
        body.as_deref(),
        ms(now, "now")?,
        &opts,
    ))
}

/// An enum's index in the core's `ALL` as a number (NaN for none).
#[allow(clippy::cast_precision_loss)]
fn index_of(i: Option<usize>) -> f64 {
    i.map_or(f64::NAN, |i| i as f64)
}

fn source_code(s: Option<Source>) -> f64 {
    index_of(s.map(Source::index))
}

fn wait_source_code(s: Option<WaitSource>) -> f64 {
    index_of(s.map(WaitSource::index))
}

/// Parses a response. `headers` is `name\nvalue\nname\nvalue...` (empty for none); `resetMode`
/// is 0 auto, 1 epoch seconds, 2 epoch ms, 3 delta seconds. Writes the scalar fields into `out`
/// (14 slots, NaN for null: status, throttled, retryAfterMs, retryAfterLenient, limit,
/// remaining, resetMs, windowMs, source, waitMs, waitSource, dateSkewMs, capped, lists) and
/// returns the JSON of `{policies, states, rejected}` when one is not empty, else undefined.
#[wasm_bindgen(js_name = parseHeaders)]
pub fn parse_headers(
    status: u32,
    headers: &str,
    body: Option<String>,
    now: f64,
    max_wait_ms: f64,
    reset_mode: u32,
    out: &mut [f64],
) -> JsResult<Option<String>> {
    let r = parse_joined(status, headers, body, now, max_wait_ms, reset_mode)?;
    if out.len() < 14 {
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
    out[11] = r.date_skew_ms.map_or(f64::NAN, |v| v as f64);
    out[12] = f64::from(u8::from(r.capped));
    out[13] = f64::from(u8::from(lists));
    Ok(lists.then(|| lists_json(&r)))
}

/// A `Reading` from the flat form `js/native.js` writes: the 13 scalar slots of `parseHeaders`
/// (NaN for null; `dateSkewMs` may be negative), then the counts of policies, states and
/// rejections, then per policy `quota, windowS, hasPartitionKey`, per state `remaining, resetS,
/// hasPartitionKey`, per rejection `reason`. `strs` holds, NUL-joined, per policy `name,
/// quotaUnit[, partitionKey]`, per state `name[, partitionKey]`, per rejection `header, value`.
fn reading_of(nums: &[f64], strs: &str) -> JsResult<Reading> {
    let mut n = Rd { v: nums, i: 0 };
    let mut s = split(strs);
    let status = n.u32("status")?;
    let status = u16::try_from(status)
        .map_err(|_| coded(ErrorCode::InvalidStatus, "status must be 100..=599"))?;
    let mut r = Reading::empty(status);
    r.throttled = n.bool()?;
    r.retry_after_ms = n.opt("retry_after_ms")?;
    r.retry_after_lenient = n.bool()?;
    r.limit = n.opt("limit")?;
    r.remaining = n.opt("remaining")?;
    r.reset_ms = n.opt("reset_ms")?;
    r.window_ms = n.opt("window_ms")?;
    let src = n.next()?;
    r.source = if src.is_nan() {
        None
    } else {
        Source::from_index(src as usize)
    };
    r.wait_ms = n.opt("wait_ms")?;
    let ws = n.next()?;
    r.wait_source = if ws.is_nan() {
        None
    } else {
        WaitSource::from_index(ws as usize)
    };
    let skew = n.next()?;
    r.date_skew_ms = if skew.is_nan() {
        None
    } else if skew.fract() == 0.0 && skew.abs() <= MAX_SAFE {
        Some(skew as i64)
    } else {
        return Err(coded(
            ErrorCode::InvalidNumber,
            "date_skew_ms must be a safe integer",
        ));
    };
    r.capped = n.bool()?;
    let (np, ns, nr) = (n.len()?, n.len()?, n.len()?);
    for _ in 0..np {
        let quota = n.ms("quota")?;
        let window_s = n.opt("window_s")?;
        let has_pk = n.bool()?;
        let name = next_str(&mut s)?;
        let quota_unit = next_str(&mut s)?;
        let partition_key = if has_pk {
            Some(next_str(&mut s)?)
        } else {
            None
        };
        r.policies.push(Policy {
            name,
            quota,
            quota_unit,
            window_s,
            partition_key,
        });
    }
    for _ in 0..ns {
        let remaining = n.ms("remaining")?;
        let reset_s = n.opt("reset_s")?;
        let has_pk = n.bool()?;
        let name = next_str(&mut s)?;
        let partition_key = if has_pk {
            Some(next_str(&mut s)?)
        } else {
            None
        };
        r.states.push(PolicyState {
            name,
            remaining,
            reset_s,
            partition_key,
        });
    }
    for _ in 0..nr {
        let reason = n.next()?;
        let reason = RejectReason::from_index(if is_uint(reason) { reason as usize } else { 99 })
            .ok_or_else(|| coded(ErrorCode::InvalidArgument, "unknown reject reason"))?;
        let header = next_str(&mut s)?;
        let value = next_str(&mut s)?;
        r.rejected.push(Rejection {
            header,
            value,
            reason,
        });
    }
    Ok(r)
}

// --- limiter -------------------------------------------------------------------------------

/// Verdicts as one number, as the napi addon encodes them: `>= 0` allow with that many
/// remaining, `-1` allow with remaining unknown, `-1.5` never (see `lastCapacity`), `<= -2` wait
/// until `-(v) - 1` (exact up to `MAX_TIME`: a wait's `until` is at least 1).
fn encode(v: Verdict, last_capacity: &mut u32) -> f64 {
    match v {
        Verdict::Allow { remaining: Some(r) } => num(r),
        Verdict::Allow { remaining: None } => -1.0,
        Verdict::Wait { until, .. } => -1.0 - num(until.max(1)),
        Verdict::Never { capacity, .. } => {
            *last_capacity = capacity;
            -1.5
        }
    }
}

fn limits_of(n: &mut Rd<'_>) -> JsResult<Vec<Limit>> {
    let count = n.len()?;
    let mut limits = Vec::new();
    for _ in 0..count {
        limits.push(Limit {
            amount: n.u32("amount")?,
            period_ms: n.ms("period_ms")?,
            burst: n.u32("burst")?,
        });
    }
    Ok(limits)
}

/// A `LimiterConfig` from `[learn, hasAdaptive, initial, min, max, decrease, increase,
/// hasMaxInFlight, maxInFlight, nLimits, (amount, periodMs, burst)...]`.
fn config_of(nums: &[f64]) -> JsResult<LimiterConfig> {
    let mut n = Rd { v: nums, i: 0 };
    let learn = n.bool()?;
    let has_adaptive = n.bool()?;
    let a = AdaptiveConfig {
        initial_milli_rps: n.u32("initial_milli_rps")?,
        min_milli_rps: n.u32("min_milli_rps")?,
        max_milli_rps: n.u32("max_milli_rps")?,
        decrease_percent: n.u32("decrease_percent")?,
        increase_percent: n.u32("increase_percent")?,
    };
    let has_mif = n.bool()?;
    let mif = n.u32("max_in_flight")?;
    Ok(LimiterConfig {
        limits: limits_of(&mut n)?,
        learn,
        adaptive: has_adaptive.then_some(a),
        max_in_flight: has_mif.then_some(mif),
    })
}

/// Numbers per key in a flat limiter state: `tat[0..3], learned_tat, quota_reset_at,
/// learned_amount, learned_period_ms, quota_remaining, adaptive_milli_rps, in_flight`.
const KEY_NUMS: usize = MAX_LIMITS + 7;

fn u32_state(v: u64) -> JsResult<u32> {
    u32::try_from(v).map_err(|_| coded(ErrorCode::InvalidState, "a u32 field is out of range"))
}

/// Keyed GCRA buckets (`bucket::Limiter`) with numeric verdicts.
#[wasm_bindgen]
#[derive(Debug)]
pub struct WasmLimiter {
    inner: Limiter,
    last_capacity: u32,
    /// Interned keys for the hot path (`fast`), forgotten when `prune` drops any key.
    keys: Vec<String>,
}

#[wasm_bindgen]
impl WasmLimiter {
    /// `config` is the flat form of `config_of`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &[f64]) -> JsResult<WasmLimiter> {
        Ok(WasmLimiter {
            inner: core(Limiter::new(config_of(config)?))?,
            last_capacity: 0,
            keys: Vec::new(),
        })
    }

    /// A limiter with `config` and a saved state: NUL-joined keys and `KEY_NUMS` u64 per key.
    pub fn restore(config: &[f64], keys: &str, state: &[u64]) -> JsResult<WasmLimiter> {
        let config = config_of(config)?;
        let names: Vec<std::borrow::Cow<'_, str>> = if keys.is_empty() {
            Vec::new()
        } else {
            split(keys).collect()
        };
        if state.len() != names.len() * KEY_NUMS {
            return Err(coded(
                ErrorCode::InvalidState,
                "state does not match its keys",
            ));
        }
        let mut map = LimiterState::new();
        for (k, s) in names.iter().zip(state.chunks_exact(KEY_NUMS)) {
            let mut tat = [0; MAX_LIMITS];
            tat.copy_from_slice(&s[..MAX_LIMITS]);
            map.insert(
                k.clone().into_owned(),
                KeyState {
                    tat,
                    learned_tat: s[MAX_LIMITS],
                    quota_reset_at: s[MAX_LIMITS + 1],
                    learned_amount: u32_state(s[MAX_LIMITS + 2])?,
                    learned_period_ms: u32_state(s[MAX_LIMITS + 3])?,
                    quota_remaining: u32_state(s[MAX_LIMITS + 4])?,
                    adaptive_milli_rps: u32_state(s[MAX_LIMITS + 5])?,
                    in_flight: u32_state(s[MAX_LIMITS + 6])?,
                },
            );
        }
        Ok(WasmLimiter {
            inner: core(Limiter::from_state(config, map))?,
            last_capacity: 0,
            keys: Vec::new(),
        })
    }

    /// Interns `key` for `fast`; returns its id. A key the core would refuse is never interned.
    pub fn intern(&mut self, key: String) -> JsResult<u32> {
        core(pacekeeper::bucket::check_key(&key))?;
        self.keys.push(key);
        Ok(u32::try_from(self.keys.len() - 1).unwrap_or(u32::MAX))
    }

    /// The hot path: `op` 0 check, 1 peek, 2 reserve, for interned key `key`; the encoded verdict.
    pub fn fast(&mut self, op: u32, key: u32, cost: u32, now: f64) -> JsResult<f64> {
        let now = ms(now, "now")?;
        let k = self
            .keys
            .get(key as usize)
            .ok_or_else(|| coded(ErrorCode::InvalidState, "unknown key id"))?;
        let v = core(match op {
            0 => self.inner.check(k, cost, now),
            1 => self.inner.peek(k, cost, now),
            _ => self.inner.reserve(k, cost, now),
        })?;
        Ok(encode(v, &mut self.last_capacity))
    }

    /// The capacity of the last `never` verdict.
    #[wasm_bindgen(js_name = lastCapacity)]
    pub fn last_capacity(&self) -> u32 {
        self.last_capacity
    }

    /// Re-syncs `key` from a reading in the flat form of `reading_of`.
    pub fn observe(&mut self, key: &str, nums: &[f64], strs: &str, now: f64) -> JsResult<()> {
        let reading = reading_of(nums, strs)?;
        core(self.inner.observe(key, &reading, ms(now, "now")?))
    }

    /// Nothing for `key` before `until`.
    #[wasm_bindgen(js_name = blockUntil)]
    pub fn block_until(&mut self, key: &str, until: f64) -> JsResult<()> {
        core(self.inner.block_until(key, ms(until, "until")?))
    }

    /// Takes an in-flight slot; false when the cap is reached.
    pub fn acquire(&mut self, key: &str) -> JsResult<bool> {
        core(self.inner.acquire(key))
    }

    /// Gives an in-flight slot back; the number still in flight.
    pub fn release(&mut self, key: &str) -> JsResult<u32> {
        core(self.inner.release(key))
    }

    /// Drops keys whose state is back to full at `now`; how many were dropped.
    pub fn prune(&mut self, now: f64) -> JsResult<u32> {
        let n = self.inner.prune(ms(now, "now")?);
        // Every interned key is forgotten, including keys without core state (refused calls).
        self.keys.clear();
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The number of keys held.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }

    /// The keys, NUL-joined, in key order.
    #[wasm_bindgen(js_name = stateKeys)]
    pub fn state_keys(&self) -> String {
        let mut s = String::new();
        for (i, k) in self.inner.state().keys().enumerate() {
            if i > 0 {
                s.push('\0');
            }
            escape_into(&mut s, k);
        }
        s
    }

    /// `KEY_NUMS` numbers per key, in key order (u64: scaled times exceed 2^53).
    #[wasm_bindgen(js_name = stateNums)]
    pub fn state_nums(&self) -> Vec<u64> {
        let mut v = Vec::with_capacity(self.inner.len() * KEY_NUMS);
        for s in self.inner.state().values() {
            v.extend_from_slice(&s.tat);
            v.extend([
                s.learned_tat,
                s.quota_reset_at,
                u64::from(s.learned_amount),
                u64::from(s.learned_period_ms),
                u64::from(s.quota_remaining),
                u64::from(s.adaptive_milli_rps),
                u64::from(s.in_flight),
            ]);
        }
        v
    }
}

// --- backoff -------------------------------------------------------------------------------

/// A validated backoff policy (`backoff::Backoff`).
#[wasm_bindgen]
#[derive(Debug)]
pub struct WasmBackoff {
    inner: Backoff,
}

#[wasm_bindgen]
impl WasmBackoff {
    /// `[baseMs, multiplier, capMs, jitter (0 none, 1 full, 2 equal, 3 decorrelated),
    /// maxAttempts, deadlineMs (NaN none), retryNetworkErrors, hintSpreadPercent, maxWaitMs,
    /// status...]`.
    #[wasm_bindgen(constructor)]
    pub fn new(p: &[f64]) -> JsResult<WasmBackoff> {
        let mut n = Rd { v: p, i: 0 };
        let base_ms = n.ms("base_ms")?;
        let multiplier = n.next()?;
        let cap_ms = n.ms("cap_ms")?;
        let j = n.next()?;
        let jitter = Jitter::from_index(if is_uint(j) { j as usize } else { 99 })
            .ok_or_else(|| coded(ErrorCode::InvalidArgument, "unknown jitter"))?;
        let max_attempts = n.u32("max_attempts")?;
        let deadline_ms = n.opt("deadline_ms")?;
        let retry_network_errors = n.bool()?;
        let hint_spread_percent = n.u32("hint_spread_percent")?;
        let max_wait_ms = n.ms("max_wait_ms")?;
        let mut retry_statuses = Vec::new();
        while n.i < p.len() {
            let s = n.ms("retry_statuses")?;
            retry_statuses.push(u16::try_from(s).map_err(|_| {
                coded(
                    ErrorCode::InvalidNumber,
                    "retry_statuses must be at most 65535",
                )
            })?);
        }
        let policy = BackoffPolicy {
            base_ms,
            multiplier,
            cap_ms,
            jitter,
            max_attempts,
            deadline_ms,
            retry_statuses,
            retry_network_errors,
            hint_spread_percent,
            max_wait_ms,
        };
        Ok(WasmBackoff {
            inner: core(Backoff::new(policy))?,
        })
    }

    /// One decision. `io` holds the retry state `[attempts, startedAt, prevDelayMs, lastHintMs
    /// (NaN none), shortHints]`, then the budget `[capacity, tokens, retryCost, networkCost,
    /// successRefund]` when `hasBudget`; both are updated in place. `reading` is the flat
    /// reading (`hasReading` false for a network error). Returns the decision as
    /// `[kind (0 done, 1 retry, 2 give_up), at, delayMs, attempt(s), reason]`.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &self,
        io: &mut [f64],
        seed: u64,
        has_reading: bool,
        reading: &[f64],
        reading_strs: &str,
        now: f64,
        has_budget: bool,
    ) -> JsResult<Vec<f64>> {
        if io.len() < 10 {
            return Err(coded(ErrorCode::InvalidArgument, "io must hold 10 numbers"));
        }
        let mut n = Rd { v: io, i: 0 };
        let mut state = RetryState {
            attempts: n.u32("attempts")?,
            started_at: n.ms("started_at")?,
            seed,
            prev_delay_ms: n.ms("prev_delay_ms")?,
            last_hint_ms: n.opt("last_hint_ms")?,
            short_hints: n.u32("short_hints")?,
        };
        let mut budget = if has_budget {
            Some(RetryBudget {
                capacity: n.u32("capacity")?,
                tokens: n.u32("tokens")?,
                retry_cost: n.u32("retry_cost")?,
                network_cost: n.u32("network_cost")?,
                success_refund: n.u32("success_refund")?,
            })
        } else {
            None
        };
        let outcome = if has_reading {
            Outcome::Response {
                reading: reading_of(reading, reading_strs)?,
            }
        } else {
            Outcome::NetworkError
        };
        let d = core(
            self.inner
                .decide(&mut state, &outcome, ms(now, "now")?, budget.as_mut()),
        )?;
        io[0] = f64::from(state.attempts);
        io[1] = num(state.started_at);
        io[2] = num(state.prev_delay_ms);
        io[3] = opt(state.last_hint_ms);
        io[4] = f64::from(state.short_hints);
        if let Some(b) = budget {
            io[5] = f64::from(b.capacity);
            io[6] = f64::from(b.tokens);
            io[7] = f64::from(b.retry_cost);
            io[8] = f64::from(b.network_cost);
            io[9] = f64::from(b.success_refund);
        }
        Ok(match d {
            Decision::Done => vec![0.0],
            Decision::Retry {
                at,
                delay_ms,
                attempt,
                reason,
            } => {
                let r = index_of(Some(reason.index()));
                vec![1.0, num(at), num(delay_ms), f64::from(attempt), r]
            }
            Decision::GiveUp { reason, attempts } => {
                let r = index_of(Some(reason.index()));
                vec![2.0, 0.0, 0.0, f64::from(attempts), r]
            }
        })
    }

    /// The jittered delay before retry `n` (1-based) after a previous delay of `prevMs`.
    #[wasm_bindgen(js_name = delayMs)]
    pub fn delay_ms(&self, n: u32, prev_ms: f64, seed: u64) -> JsResult<f64> {
        let prev = ms(prev_ms, "prevMs")?;
        Ok(num(self.inner.policy().delay_ms(n, prev, seed)))
    }

    /// The first `n` delays for `seed`.
    pub fn schedule(&self, seed: u64, n: u32) -> JsResult<Vec<f64>> {
        let delays = core(self.inner.policy().schedule(seed, n))?;
        Ok(delays.into_iter().map(num).collect())
    }
}

// --- plans ---------------------------------------------------------------------------------

/// A `PlanRequest` from `[records, maxBatchRecords, maxBatchBytes (NaN none), overheadBytes,
/// costPerBatch, hasSizes, nLimits, (amount, periodMs, burst)..., size...]`.
fn request_of(nums: &[f64]) -> JsResult<PlanRequest> {
    let mut n = Rd { v: nums, i: 0 };
    let records = n.ms("records")?;
    let max_batch_records = n.u32("max_batch_records")?;
    let max_batch_bytes = n.opt("max_batch_bytes")?;
    let overhead_bytes = n.ms("overhead_bytes")?;
    let cost_per_batch = n.u32("cost_per_batch")?;
    let has_sizes = n.bool()?;
    let limits = limits_of(&mut n)?;
    let sizes = if has_sizes {
        let mut v = Vec::with_capacity(nums.len().saturating_sub(n.i));
        while n.i < nums.len() {
            v.push(n.ms("sizes")?);
        }
        Some(v)
    } else {
        None
    };
    Ok(PlanRequest {
        records,
        sizes,
        max_batch_records,
        max_batch_bytes,
        overhead_bytes,
        limits,
        cost_per_batch,
    })
}

fn plan_nums(p: &Plan) -> Vec<f64> {
    let mut v = Vec::with_capacity(4 + p.batches.len() * 5);
    v.extend([
        num(p.start),
        num(p.finish_at),
        num(p.duration_ms),
        p.batches.len() as f64,
    ]);
    for b in &p.batches {
        v.extend([
            num(b.index),
            num(b.start),
            num(b.end),
            num(b.bytes),
            num(b.send_at),
        ]);
    }
    v
}

/// A batching plan: `[start, finishAt, durationMs, n, (index, start, end, bytes, sendAt)...]`.
#[wasm_bindgen]
pub fn plan(request: &[f64], now: f64) -> JsResult<Vec<f64>> {
    let req = request_of(request)?;
    Ok(plan_nums(&core(pacekeeper::plan(&req, ms(now, "now")?))?))
}

/// Plans again. `previous` is `plan`'s flat output; `outcomes` is `(kind (0 done, 1 failed,
/// 2 throttled), index, retryAt)...`.
#[wasm_bindgen]
pub fn replan(request: &[f64], previous: &[f64], outcomes: &[f64], now: f64) -> JsResult<Vec<f64>> {
    let req = request_of(request)?;
    let mut n = Rd { v: previous, i: 0 };
    let (start, finish_at, duration_ms) =
        (n.ms("start")?, n.ms("finish_at")?, n.ms("duration_ms")?);
    let count = n.len()?;
    let mut batches = Vec::new();
    for _ in 0..count {
        batches.push(Batch {
            index: n.ms("index")?,
            start: n.ms("start")?,
            end: n.ms("end")?,
            bytes: n.ms("bytes")?,
            send_at: n.ms("send_at")?,
        });
    }
    let prev = Plan {
        batches,
        start,
        finish_at,
        duration_ms,
    };
    let mut o = Rd { v: outcomes, i: 0 };
    let mut list = Vec::new();
    while o.i < outcomes.len() {
        let kind = o.next()?;
        let index = o.ms("index")?;
        let retry_at = o.ms("retry_at")?;
        list.push(match kind as u8 {
            0 => BatchOutcome::Done { index },
            1 => BatchOutcome::Failed { index },
            _ => BatchOutcome::Throttled { index, retry_at },
        });
    }
    Ok(plan_nums(&core(pacekeeper::replan(
        &req,
        &prev,
        &list,
        ms(now, "now")?,
    ))?))
}
