//! The core pacer (`pacekeeper::pacer`) across a boundary, once per step: how its configuration
//! comes in as numbers and how its answers go out as numbers. napi and wasm-bindgen export the
//! same class (`NativePacer`) over [`HostPacer`]; only the error mapping differs.
//!
//! - **Configuration**: a flat `f64` list whose slots are named by [`CONFIG_SLOTS`] (exported as
//!   the vocabulary `pacerConfig`, so no host restates the order). Every slot may be NaN: the
//!   core's default. A slot's name carries its kind after a colon: none a safe integer ≥ 0,
//!   `float` any finite number, `bool` 0 or 1, otherwise the vocabulary whose index it holds.
//!   Then two lists: the retry statuses (a count, NaN for the core's default list, then the
//!   statuses) and the limits (a count, then `amount, periodMs, burst` each; a NaN burst is the
//!   core's default, `amount`). The seed crosses as decimal text (a u64 does not fit an `f64`).
//! - **Answers**: a step's action is returned as its index in `vocabulary("steps")` (`go`,
//!   `wait`, `never`), a finish's in `vocabulary("afters")` (`done`, `retry`, `give_up`); the
//!   rest goes into the caller's `out` ([`OUT_SLOTS`] numbers): `ticket, until|at, attempt|
//!   attempts|capacity, reason` (NaN where the action has none; a reason is its index in
//!   `retryReasons`, `giveUpReasons` or `neverReasons`).
//! - **Responses**: `finish` parses the response (`name LF value ...` headers, the body) with
//!   the configured parse options and finishes in the same call. A header the core refuses
//!   came from the server, not from the caller: the reading falls back to the bare status, so a
//!   hostile server never turns into a thrown error (a bad status still is `invalid_status`).
//!
//! No `core::fmt` here (the WebAssembly module's size budget): messages are concatenated.

use crate::{err, split_joined, Error, ErrorCode, Result, MAX_SAFE};
use pacekeeper::backoff::{Jitter, Outcome, RetryBudget};
use pacekeeper::headers::{ParseOptions, ResetMode};
use pacekeeper::pacer::{After, Pacer, PacerConfig, Preset, Step};
use pacekeeper::Limit;

/// The named scalar slots of a flat pacer configuration, in order (see the module docs).
pub const CONFIG_SLOTS: [&str; 21] = [
    "learn:bool",
    "preset:presets",
    "probePollMs",
    "maxWindow",
    "parse.maxWaitMs",
    "parse.resetMode:resetModes",
    "retryBudget:bool",
    "retryBudget.capacity",
    "retryBudget.tokens",
    "retryBudget.retryCost",
    "retryBudget.networkCost",
    "retryBudget.successRefund",
    "backoff.baseMs",
    "backoff.multiplier:float",
    "backoff.capMs",
    "backoff.jitter:jitters",
    "backoff.maxAttempts",
    "backoff.deadlineMs",
    "backoff.retryNetworkErrors:bool",
    "backoff.hintSpreadPercent",
    "backoff.maxWaitMs",
];

/// How many numbers an answer writes into `out`.
pub const OUT_SLOTS: usize = 4;

fn bad_number(what: &str, rule: &str) -> Error {
    err(ErrorCode::InvalidNumber, [what, " must be ", rule].concat())
}

/// A slot: None for NaN (the default), else a safe integer ≥ 0.
fn slot_uint(v: f64, what: &str) -> Result<Option<u64>> {
    if v.is_nan() {
        return Ok(None);
    }
    if !(0.0..=MAX_SAFE).contains(&v) || v.fract() != 0.0 {
        return Err(bad_number(what, "a safe integer >= 0"));
    }
    // Whole and within 2^53: exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Some(v as u64))
}

fn slot_u32(v: f64, what: &str) -> Result<Option<u32>> {
    slot_uint(v, what)?
        .map(|n| u32::try_from(n).map_err(|_| bad_number(what, "at most 4294967295")))
        .transpose()
}

fn slot_bool(v: f64, what: &str) -> Result<Option<bool>> {
    match slot_uint(v, what)? {
        None => Ok(None),
        Some(0) => Ok(Some(false)),
        Some(1) => Ok(Some(true)),
        Some(_) => Err(err(
            ErrorCode::InvalidArgument,
            [what, " must be 0 or 1"].concat(),
        )),
    }
}

fn slot_enum<T>(v: f64, what: &str, from: fn(usize) -> Option<T>) -> Result<Option<T>> {
    let Some(i) = slot_uint(v, what)? else {
        return Ok(None);
    };
    usize::try_from(i)
        .ok()
        .and_then(from)
        .map(Some)
        .ok_or_else(|| err(ErrorCode::InvalidOption, [what, ": unknown index"].concat()))
}

/// Reads a flat list front to back; a missing number is NaN (the default).
struct Slots<'a> {
    v: &'a [f64],
    i: usize,
}

impl Slots<'_> {
    fn next(&mut self) -> f64 {
        let x = self.v.get(self.i).copied().unwrap_or(f64::NAN);
        self.i += 1;
        x
    }
    fn uint(&mut self, what: &str) -> Result<Option<u64>> {
        let v = self.next();
        slot_uint(v, what)
    }
    fn u32(&mut self, what: &str) -> Result<Option<u32>> {
        let v = self.next();
        slot_u32(v, what)
    }
    fn bool(&mut self, what: &str) -> Result<Option<bool>> {
        let v = self.next();
        slot_bool(v, what)
    }
    /// A list's count: NaN (or the end) is None.
    fn count(&mut self, what: &str) -> Result<Option<usize>> {
        let n = self.uint(what)?;
        match n {
            Some(n) if n > 1024 => Err(err(
                ErrorCode::InvalidArgument,
                [what, ": too many entries"].concat(),
            )),
            // At most 1024: fits.
            #[allow(clippy::cast_possible_truncation)]
            n => Ok(n.map(|n| n as usize)),
        }
    }
}

/// A [`PacerConfig`] from its flat form (see the module docs) and the seed's decimal text
/// (empty: the core's default, 0).
pub fn pacer_config(flat: &[f64], seed_text: &str) -> Result<PacerConfig> {
    let mut c = PacerConfig::default();
    let mut s = Slots { v: flat, i: 0 };
    if let Some(v) = s.bool("learn")? {
        c.learn = v;
    }
    let v = s.next();
    c.preset = slot_enum(v, "preset", Preset::from_index)?;
    if let Some(v) = s.uint("probePollMs")? {
        c.probe_poll_ms = v;
    }
    if let Some(v) = s.u32("maxWindow")? {
        c.max_window = v;
    }
    let mut parse = ParseOptions::default();
    if let Some(v) = s.uint("parse.maxWaitMs")? {
        parse.max_wait_ms = v;
    }
    let v = s.next();
    if let Some(m) = slot_enum(v, "parse.resetMode", ResetMode::from_index)? {
        parse.reset_mode = m;
    }
    c.parse = parse;
    let has_budget = s.bool("retryBudget")?.unwrap_or(false);
    let mut b = RetryBudget::default();
    let capacity = s.u32("retryBudget.capacity")?;
    let tokens = s.u32("retryBudget.tokens")?;
    if let Some(v) = capacity {
        b.capacity = v;
    }
    // The core's default: a full budget.
    b.tokens = tokens.unwrap_or(b.capacity);
    if let Some(v) = s.u32("retryBudget.retryCost")? {
        b.retry_cost = v;
    }
    if let Some(v) = s.u32("retryBudget.networkCost")? {
        b.network_cost = v;
    }
    if let Some(v) = s.u32("retryBudget.successRefund")? {
        b.success_refund = v;
    }
    c.retry_budget = has_budget.then_some(b);
    let p = &mut c.backoff;
    if let Some(v) = s.uint("backoff.baseMs")? {
        p.base_ms = v;
    }
    let m = s.next();
    if !m.is_nan() {
        if !m.is_finite() {
            return Err(bad_number("backoff.multiplier", "finite"));
        }
        p.multiplier = m;
    }
    if let Some(v) = s.uint("backoff.capMs")? {
        p.cap_ms = v;
    }
    let v = s.next();
    if let Some(j) = slot_enum(v, "backoff.jitter", Jitter::from_index)? {
        p.jitter = j;
    }
    if let Some(v) = s.u32("backoff.maxAttempts")? {
        p.max_attempts = v;
    }
    p.deadline_ms = s.uint("backoff.deadlineMs")?;
    if let Some(v) = s.bool("backoff.retryNetworkErrors")? {
        p.retry_network_errors = v;
    }
    if let Some(v) = s.u32("backoff.hintSpreadPercent")? {
        p.hint_spread_percent = v;
    }
    if let Some(v) = s.uint("backoff.maxWaitMs")? {
        p.max_wait_ms = v;
    }
    if let Some(n) = s.count("backoff.retryStatuses")? {
        let mut statuses = Vec::with_capacity(n);
        for _ in 0..n {
            let st = s.uint("backoff.retryStatuses")?.unwrap_or(0);
            statuses.push(u16::try_from(st).unwrap_or(0));
        }
        p.retry_statuses = statuses;
    }
    for _ in 0..s.count("limits")?.unwrap_or(0) {
        let amount = s.u32("limits.amount")?.unwrap_or(0);
        let period_ms = s.uint("limits.periodMs")?.unwrap_or(0);
        let burst = s.u32("limits.burst")?.unwrap_or(amount);
        c.limits.push(Limit {
            amount,
            period_ms,
            burst,
        });
    }
    if s.i < flat.len() {
        return Err(err(
            ErrorCode::InvalidArgument,
            "pacer config: more numbers than its slots",
        ));
    }
    if !seed_text.is_empty() {
        c.seed = seed_text.parse::<u64>().map_err(|_| {
            err(
                ErrorCode::InvalidNumber,
                "seed must be an unsigned 64-bit integer",
            )
        })?;
    }
    Ok(c)
}

/// The names of the configuration's scalar slots, joined by commas (the vocabulary
/// `pacerConfig`).
pub fn config_slot_names() -> String {
    let mut s = String::new();
    for (i, n) in CONFIG_SLOTS.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(n);
    }
    s
}

#[allow(clippy::cast_precision_loss)]
fn n(v: u64) -> f64 {
    v as f64
}

#[allow(clippy::cast_precision_loss)]
fn idx(i: usize) -> f64 {
    i as f64
}

/// `out`'s first [`OUT_SLOTS`] numbers, or `invalid_argument` (checked before the core runs,
/// so a short buffer never leaves a ticket behind).
pub fn out_slots(out: &mut [f64]) -> Result<&mut [f64]> {
    let len = out.len();
    out.get_mut(..OUT_SLOTS).ok_or_else(|| {
        let mut m = String::from("out must hold at least 4 numbers, got ");
        pacekeeper::msg::push_u64(&mut m, len as u64);
        err(ErrorCode::InvalidArgument, m)
    })
}

/// A step into `out` (checked by [`out_slots`]); its action's index in `steps`.
pub fn write_step(step: Step, o: &mut [f64]) -> u32 {
    let nan = f64::NAN;
    let slots = match step {
        Step::Go { ticket } => [n(ticket), nan, nan, nan],
        Step::Wait { ticket, until } => [n(ticket), n(until), nan, nan],
        Step::Never { reason, capacity } => [nan, nan, f64::from(capacity), idx(reason.index())],
    };
    o[..OUT_SLOTS].copy_from_slice(&slots);
    u32::try_from(step.index()).unwrap_or(0)
}

/// A finish's answer into `out` (checked by [`out_slots`]; `ticket` is the one finished);
/// its action's index in `afters`.
pub fn write_after(ticket: u64, after: After, o: &mut [f64]) -> u32 {
    let nan = f64::NAN;
    let slots = match after {
        After::Done => [n(ticket), nan, nan, nan],
        After::Retry {
            at,
            attempt,
            reason,
        } => [n(ticket), n(at), f64::from(attempt), idx(reason.index())],
        After::GiveUp { reason, attempts } => {
            [n(ticket), nan, f64::from(attempts), idx(reason.index())]
        }
    };
    o[..OUT_SLOTS].copy_from_slice(&slots);
    u32::try_from(after.index()).unwrap_or(0)
}

fn host_uint(v: f64, what: &str) -> Result<u64> {
    slot_uint(v, what)?.ok_or_else(|| bad_number(what, "a safe integer >= 0"))
}

/// The core pacer with host numbers in and out: what napi's and wasm's `NativePacer` wrap.
#[derive(Debug)]
pub struct HostPacer {
    inner: Pacer,
}

impl HostPacer {
    /// A pacer from the flat configuration and the seed's decimal text.
    pub fn new(flat: &[f64], seed: &str) -> Result<Self> {
        Ok(HostPacer {
            inner: Pacer::new(pacer_config(flat, seed)?)?,
        })
    }

    /// `Pacer::begin`; the step's action index, the rest in `out`.
    pub fn begin(&mut self, key: &str, cost: f64, now: f64, out: &mut [f64]) -> Result<u32> {
        let o = out_slots(out)?;
        let cost = u32::try_from(host_uint(cost, "cost")?).unwrap_or(u32::MAX);
        let now = host_uint(now, "now")?;
        let step = self.inner.begin(key, cost, now)?;
        Ok(write_step(step, o))
    }

    /// `Pacer::resume`.
    pub fn resume(&mut self, ticket: f64, now: f64, out: &mut [f64]) -> Result<u32> {
        let o = out_slots(out)?;
        let ticket = host_uint(ticket, "ticket")?;
        let now = host_uint(now, "now")?;
        let step = self.inner.resume(ticket, now)?;
        Ok(write_step(step, o))
    }

    /// `Pacer::cancel`.
    pub fn cancel(&mut self, ticket: f64) -> Result<()> {
        self.inner.cancel(host_uint(ticket, "ticket")?)
    }

    /// Parses a response (`headers` joined `name LF value ...`) and finishes `ticket` with it.
    pub fn finish(
        &mut self,
        ticket: f64,
        status: u32,
        headers: &str,
        body: Option<&str>,
        now: f64,
        out: &mut [f64],
    ) -> Result<u32> {
        let o = out_slots(out)?;
        let t = host_uint(ticket, "ticket")?;
        let now = host_uint(now, "now")?;
        let status = u16::try_from(status)
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| err(ErrorCode::InvalidStatus, "status must be 100..=599"))?;
        let opts = &self.inner.config().parse;
        let pairs = split_joined(headers);
        let reading = match pacekeeper::parse(status, &pairs, body, now, opts) {
            Ok(r) => r,
            // The server's values, not the caller's: the bare status.
            Err(_) => pacekeeper::parse::<&str, &str>(status, &[], None, now, opts)?,
        };
        let after = self.inner.finish(t, &Outcome::Response { reading }, now)?;
        Ok(write_after(t, after, o))
    }

    /// Finishes `ticket` after a network error (no response).
    pub fn finish_network_error(&mut self, ticket: f64, now: f64, out: &mut [f64]) -> Result<u32> {
        let o = out_slots(out)?;
        let t = host_uint(ticket, "ticket")?;
        let now = host_uint(now, "now")?;
        let after = self.inner.finish(t, &Outcome::NetworkError, now)?;
        Ok(write_after(t, after, o))
    }

    /// The learnt limit of `key` into `out` (`amount, periodMs, burst`); false when none.
    pub fn learnt(&self, key: &str, out: &mut [f64]) -> Result<bool> {
        let o = out_slots(out)?;
        match self.inner.learnt(key) {
            Some(l) => {
                o.copy_from_slice(&[
                    f64::from(l.amount),
                    n(l.period_ms),
                    f64::from(l.burst),
                    f64::NAN,
                ]);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Requests of `key` in flight (0 for a key never seen).
    pub fn in_flight(&self, key: &str) -> u32 {
        self.inner.lane(key).map_or(0, |l| l.in_flight)
    }

    /// Open tickets (waiting or in flight).
    pub fn open_tickets(&self) -> u32 {
        u32::try_from(self.inner.open_tickets()).unwrap_or(u32::MAX)
    }

    /// The tokens left in the shared retry budget (NaN: none configured).
    pub fn budget_tokens(&self) -> f64 {
        self.inner
            .retry_budget()
            .map_or(f64::NAN, |b| f64::from(b.tokens))
    }

    /// The core pacer.
    pub fn core(&self) -> &Pacer {
        &self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_nan_is_the_cores_default() {
        let flat = [f64::NAN; 21];
        assert_eq!(pacer_config(&flat, "").ok(), Some(PacerConfig::default()));
        assert_eq!(pacer_config(&[], "").ok(), Some(PacerConfig::default()));
    }

    #[test]
    fn slots_and_lists() {
        let mut flat = vec![f64::NAN; 21];
        flat[0] = 0.0; // learn
        flat[1] = 0.0; // preset genesys
        flat[6] = 1.0; // budget
        flat[7] = 100.0; // capacity
        flat[15] = 0.0; // jitter none
        flat.extend([2.0, 429.0, 503.0, 1.0, 5.0, 1000.0, f64::NAN]);
        let c = pacer_config(&flat, "42").unwrap_or_default();
        assert!(!c.learn);
        assert_eq!(c.preset, Some(Preset::Genesys));
        assert_eq!(
            c.retry_budget.map(|b| (b.capacity, b.tokens)),
            Some((100, 100))
        );
        assert_eq!(c.backoff.jitter, Jitter::None);
        assert_eq!(c.backoff.retry_statuses, vec![429, 503]);
        assert_eq!(c.limits, vec![Limit::new(5, 1000)]);
        assert_eq!(c.seed, 42);
        assert_eq!(CONFIG_SLOTS.len(), config_slot_names().split(',').count());
    }

    #[test]
    fn bad_slots_are_coded() {
        let code = |flat: &[f64], seed: &str| pacer_config(flat, seed).err().map(|e| e.code);
        assert_eq!(code(&[0.5], ""), Some(ErrorCode::InvalidNumber));
        assert_eq!(code(&[2.0], ""), Some(ErrorCode::InvalidArgument));
        assert_eq!(code(&[f64::NAN, 9.0], ""), Some(ErrorCode::InvalidOption));
        assert_eq!(code(&[], "x"), Some(ErrorCode::InvalidNumber));
        let mut long = vec![f64::NAN; 23];
        long.push(1.0);
        assert_eq!(code(&long, ""), Some(ErrorCode::InvalidArgument));
        assert!(HostPacer::new(&[f64::NAN, f64::NAN, f64::NAN, 0.0], "").is_err());
    }

    #[test]
    fn one_crossing_per_step() {
        let mut flat = vec![f64::NAN; 21];
        flat.extend([f64::NAN, 1.0, 5.0, 1000.0, 1.0]);
        let mut p = HostPacer::new(&flat, "").unwrap_or_else(|_| unreachable!());
        let mut out = [0.0; OUT_SLOTS];
        assert_eq!(p.begin("k", 1.0, 0.0, &mut out).ok(), Some(0));
        assert_eq!(out[0], 1.0);
        assert_eq!(p.begin("k", 1.0, 0.0, &mut out).ok(), Some(1));
        assert_eq!(out[..2], [2.0, 200.0]);
        let a = p.finish(1.0, 429, "Retry-After\n2", None, 100.0, &mut out);
        assert_eq!(a.ok(), Some(1));
        assert!(out[1] >= 2100.0);
        // A header the core refuses falls back to the bare status.
        let mut q = HostPacer::new(&[], "").unwrap_or_else(|_| unreachable!());
        assert_eq!(q.begin("k", 1.0, 0.0, &mut out).ok(), Some(0));
        let a = q.finish(1.0, 200, "RateLimit-Policy\n\u{1}", None, 1.0, &mut out);
        assert_eq!(a.ok(), Some(0));
        assert_eq!(
            q.finish(1.0, 200, "", None, 1.0, &mut out)
                .err()
                .map(|e| e.code),
            Some(ErrorCode::UnknownTicket)
        );
        assert_eq!(
            p.begin("k", 0.5, 0.0, &mut out).err().map(|e| e.code),
            Some(ErrorCode::InvalidNumber)
        );
        assert_eq!(
            p.begin("k", 1.0, 0.0, &mut [0.0; 2]).err().map(|e| e.code),
            Some(ErrorCode::InvalidArgument)
        );
    }
}
