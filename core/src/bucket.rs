//! Keyed token buckets (GCRA), with several limits in force at once, reservations, re-sync from
//! server readings, an adaptive rate for servers that publish nothing, and an in-flight cap.
//!
//! ## The algorithm
//! Each [`Limit`] is a GCRA ("virtual scheduling") bucket: `amount` tokens refill every
//! `period_ms`, and the bucket holds at most `burst` tokens. Time is kept in *scaled units* of
//! `1/amount` ms, so every step is exact integer arithmetic (no rounding drift, no floats):
//! one token costs `period_ms` units and a full bucket is `burst × period_ms` units. All
//! arithmetic saturates. A request with cost `c` is admitted at `now` when, for every limit,
//! `max(tat, now) + c·T − now ≤ τ` (T the emission interval, τ the burst tolerance).
//!
//! In any window of length `w` ms a limit admits at most `burst + ⌊amount·w/period_ms⌋` tokens
//! (a property test checks it). Admission times are whole milliseconds: where the emission
//! interval `period_ms/amount` is fractional, each wait is rounded up, so the long-run rate may
//! fall short of the configured one by at most 1 ms per request, and never exceeds it.
//!
//! ## The end of time
//! Times end at [`crate::MAX_TIME`] (2^53 − 1 ms): a `now` beyond it counts as it, and no wait
//! ends later. A request that could only be admitted after `MAX_TIME` is never admitted:
//! `Verdict::Never` with `capacity` 0 (time cannot move on to free a slot, and a wait that
//! ended early would admit it too soon). A TAT is kept in a u64 of scaled units, so a limit of
//! `amount` records times up to `u64::MAX / amount` ms (past `MAX_TIME` for amounts up to
//! 2,047; the year 2554 for 1,000,000); a request it cannot record counts as one after
//! `MAX_TIME`. A saturated clock never grants capacity.

use crate::error::{Error, ErrorCode, Result};
use crate::headers::{Reading, DEFAULT_MAX_WAIT_MS, MAX_MAX_WAIT_MS};
use crate::map::VecMap;
use crate::msg::msg;
use crate::shape::map_only;
use crate::MAX_TIME;
use serde::{Deserialize, Serialize};

/// The most limits a limiter enforces at once (configured ones; one more is learnt from headers).
pub const MAX_LIMITS: usize = 3;
/// The largest `amount` of a limit.
pub const MAX_AMOUNT: u32 = 1_000_000;
/// The longest `period_ms` of a limit: 30 days.
pub const MAX_PERIOD_MS: u64 = 30 * 24 * 60 * 60 * 1000;
/// The largest cost of one request.
pub const MAX_COST: u32 = 1_000_000;
/// The cost of a request when none is given (bindings read it, never restate it).
pub const DEFAULT_COST: u32 = 1;
/// The longest key, in bytes.
pub const MAX_KEY_LEN: usize = 256;

/// A rate limit: `amount` tokens every `period_ms`, holding at most `burst` tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "crate::vocab::LimitIn")]
pub struct Limit {
    /// Tokens added per period (1..=1,000,000).
    pub amount: u32,
    /// The period in ms (1..=30 days).
    pub period_ms: u64,
    /// The bucket's capacity (1..=1,000,000); the largest burst.
    pub burst: u32,
}

impl Limit {
    /// `amount` per `period_ms`, with a burst of `amount`.
    pub fn new(amount: u32, period_ms: u64) -> Self {
        Limit {
            amount,
            period_ms,
            burst: amount,
        }
    }

    /// The same limit with another burst.
    pub fn with_burst(self, burst: u32) -> Self {
        Limit { burst, ..self }
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<()> {
        if self.amount == 0 || self.amount > MAX_AMOUNT {
            return Err(Error::new(
                ErrorCode::InvalidLimit,
                msg!("amount must be 1..=", MAX_AMOUNT, ", got ", self.amount),
            ));
        }
        if self.period_ms == 0 || self.period_ms > MAX_PERIOD_MS {
            return Err(Error::new(
                ErrorCode::InvalidLimit,
                msg!(
                    "period_ms must be 1..=",
                    MAX_PERIOD_MS,
                    ", got ",
                    self.period_ms
                ),
            ));
        }
        if self.burst == 0 || self.burst > MAX_AMOUNT {
            return Err(Error::new(
                ErrorCode::InvalidLimit,
                msg!("burst must be 1..=", MAX_AMOUNT, ", got ", self.burst),
            ));
        }
        Ok(())
    }

    /// Scaled emission interval: one token in units of 1/amount ms.
    #[inline]
    fn t(&self) -> u64 {
        self.period_ms
    }

    /// Scaled burst tolerance.
    #[inline]
    fn tau(&self) -> u64 {
        u64::from(self.burst).saturating_mul(self.period_ms)
    }

    #[inline]
    fn scale(&self, ms: u64) -> u64 {
        ms.saturating_mul(u64::from(self.amount))
    }

    /// The earliest ms at which `tat` (scaled) admits `cost`, or None if it fits now.
    ///
    /// `now × amount` exceeds a u64 once `now` passes `u64::MAX / amount` ms (the year 2554 for
    /// an amount of 1,000,000), and a saturated clock must not admit anything: the bucket keeps
    /// its TAT in a u64, so a request whose new TAT would not fit is never admitted nor booked.
    /// Its earliest time is then `u64::MAX` (past [`crate::MAX_TIME`]).
    ///
    /// `pub(crate)`: the pacer keeps its own TATs of the same kind and needs the same rule.
    #[inline]
    pub(crate) fn earliest(&self, tat: u64, cost: u32, now: u64) -> Option<u64> {
        const NEVER: Option<u64> = Some(u64::MAX);
        let amount = u64::from(self.amount);
        let need = u64::from(cost).saturating_mul(self.t());
        let Some(now_s) = now.checked_mul(amount) else {
            return NEVER;
        };
        let Some(new_tat) = tat.max(now_s).checked_add(need) else {
            return NEVER;
        };
        let allow_at_s = new_tat.saturating_sub(self.tau());
        if allow_at_s <= now_s {
            return None;
        }
        let at = allow_at_s.div_ceil(amount);
        // Booking at `at` records max(tat, at × amount) + need: it must fit too.
        match at.checked_mul(amount).map(|s| s.max(tat).checked_add(need)) {
            Some(Some(_)) => Some(at),
            _ => NEVER,
        }
    }

    /// Tokens available at `now` (whole tokens).
    #[inline]
    fn available(&self, tat: u64, now: u64) -> u64 {
        // Exact wherever a request can be admitted (`earliest` admits nothing past the time
        // `now × amount` saturates).
        let used = tat.saturating_sub(self.scale(now));
        if used == 0 {
            // A full bucket: no division on the common path.
            return u64::from(self.burst);
        }
        self.tau().saturating_sub(used) / self.t().max(1)
    }

    /// The new TAT after admitting `cost` at `at` (whole ms). A reservation books exactly
    /// what a caller coming back at `at` would take, so both paths agree.
    #[inline]
    fn consume(&self, tat: u64, cost: u32, at: u64) -> u64 {
        tat.max(self.scale(at))
            .saturating_add(u64::from(cost).saturating_mul(self.t()))
    }

    /// The smallest TAT that leaves the bucket empty until `at`, then with one token.
    #[inline]
    fn empty_until(&self, at: u64) -> u64 {
        self.scale(at)
            .saturating_add(self.tau())
            .saturating_sub(self.t())
    }
}

/// The adaptive client-side rate used when a server publishes no limits at all.
///
/// In the spirit of the AWS SDKs' adaptive retry mode: each throttle cuts the rate by
/// `decrease_percent`, each success raises it by `increase_percent` (at least 1 milli-request/s),
/// within `[min_rps, max_rps]`. Rates are kept in milli-requests per second, as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct AdaptiveConfig {
    /// The starting rate, milli-requests per second (default 10,000 = 10/s).
    pub initial_milli_rps: u32,
    /// The floor (default 100 = 0.1/s).
    pub min_milli_rps: u32,
    /// The ceiling (default 1,000,000 = 1000/s).
    pub max_milli_rps: u32,
    /// Cut on a throttle, in percent (default 50).
    pub decrease_percent: u32,
    /// Raise on a success, in percent (default 5).
    pub increase_percent: u32,
}

map_only!(AdaptiveConfig);

impl Default for AdaptiveConfig {
    fn default() -> Self {
        AdaptiveConfig {
            initial_milli_rps: 10_000,
            min_milli_rps: 100,
            max_milli_rps: 1_000_000,
            decrease_percent: 50,
            increase_percent: 5,
        }
    }
}

impl AdaptiveConfig {
    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::new(ErrorCode::InvalidLimit, m));
        if self.min_milli_rps == 0
            || self.min_milli_rps > self.max_milli_rps
            || self.max_milli_rps > 1_000_000_000
        {
            return bad(msg!(
                "adaptive rates need 0 < min_milli_rps <= max_milli_rps <= 1e9, got ",
                self.min_milli_rps,
                "..",
                self.max_milli_rps
            ));
        }
        if !(self.min_milli_rps..=self.max_milli_rps).contains(&self.initial_milli_rps) {
            return bad(msg!(
                "initial_milli_rps ",
                self.initial_milli_rps,
                " is outside ",
                self.min_milli_rps,
                "..=",
                self.max_milli_rps
            ));
        }
        if self.decrease_percent == 0 || self.decrease_percent >= 100 || self.increase_percent > 100
        {
            return bad("decrease_percent must be 1..=99 and increase_percent 0..=100".into());
        }
        Ok(())
    }
}

/// A limiter's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct LimiterConfig {
    /// Limits enforced on every key, all at once (at most [`MAX_LIMITS`]).
    pub limits: Vec<Limit>,
    /// Learn a limit per key from response headers that give a quota and a window.
    pub learn: bool,
    /// An adaptive rate for keys about which nothing is known (no limits configured or learnt).
    pub adaptive: Option<AdaptiveConfig>,
    /// The most requests in flight per key, with [`Limiter::acquire`] / [`Limiter::release`].
    pub max_in_flight: Option<u32>,
}

map_only!(LimiterConfig);

impl Default for LimiterConfig {
    fn default() -> Self {
        LimiterConfig {
            limits: Vec::new(),
            learn: true,
            adaptive: None,
            max_in_flight: None,
        }
    }
}

impl LimiterConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        if self.limits.len() > MAX_LIMITS {
            return Err(Error::new(
                ErrorCode::TooManyLimits,
                msg!("at most ", MAX_LIMITS, " limits, got ", self.limits.len()),
            ));
        }
        for l in &self.limits {
            l.validate()?;
        }
        if let Some(a) = &self.adaptive {
            a.validate()?;
        }
        if self.max_in_flight == Some(0) {
            return Err(Error::new(
                ErrorCode::InvalidLimit,
                "max_in_flight must be at least 1",
            ));
        }
        Ok(())
    }
}

/// The per-key state: plain data, 64 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KeyState {
    /// Theoretical arrival times of the configured limits, in each limit's scaled units.
    pub tat: [u64; MAX_LIMITS],
    /// Theoretical arrival time of the learnt limit, or of the adaptive rate (scaled units).
    pub learned_tat: u64,
    /// Requests the server last said remain, valid until `quota_reset_at`.
    pub quota_reset_at: u64,
    /// Learnt limit: amount (0 = none learnt).
    pub learned_amount: u32,
    /// Learnt limit: period in ms.
    pub learned_period_ms: u32,
    /// Requests remaining by the server's count until `quota_reset_at`.
    pub quota_remaining: u32,
    /// Adaptive rate in milli-requests per second (0 = not started).
    pub adaptive_milli_rps: u32,
    /// Requests in flight.
    pub in_flight: u32,
}

impl KeyState {
    /// The learnt limit, its token interval (`period / amount`) cut to at most `cap_ms`: a
    /// server's window never makes one request wait longer than the cap.
    fn learned(&self, cap_ms: u64) -> Option<Limit> {
        (self.learned_amount > 0 && self.learned_period_ms > 0).then(|| {
            let most = cap_ms.saturating_mul(u64::from(self.learned_amount));
            Limit::new(
                self.learned_amount,
                u64::from(self.learned_period_ms).min(most.max(1)),
            )
        })
    }
}

/// The answer to a check or a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Verdict {
    /// Go now.
    Allow {
        /// Whole tokens left in the tightest limit after this request (None when no limit is known).
        remaining: Option<u64>,
    },
    /// Not before `until` (epoch ms). For a reservation the slot at `until` is booked.
    Wait {
        /// The earliest time.
        until: u64,
        /// `until - now`.
        wait_ms: u64,
    },
    /// The request can never be admitted: its cost exceeds a limit's burst, or it would fit
    /// only after the end of time ([`crate::MAX_TIME`], see the module docs).
    Never {
        /// The cost asked for.
        cost: u32,
        /// The smallest burst in force; 0 when no slot is left before the end of time.
        capacity: u32,
    },
}

/// A keyed limiter. Plain data: serialise it with serde and restore it with [`Limiter::from_state`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limiter {
    config: LimiterConfig,
    keys: VecMap<String, KeyState>,
    /// The cap on any wait the server's word or the adaptive rate imposes (default 6 hours).
    #[serde(
        default = "default_max_wait_ms",
        skip_serializing_if = "is_default_max_wait_ms"
    )]
    max_wait_ms: u64,
}

fn default_max_wait_ms() -> u64 {
    DEFAULT_MAX_WAIT_MS
}

fn is_default_max_wait_ms(v: &u64) -> bool {
    *v == DEFAULT_MAX_WAIT_MS
}

fn check_max_wait(ms: u64) -> Result<()> {
    if ms == 0 || ms > MAX_MAX_WAIT_MS {
        return Err(Error::new(
            ErrorCode::InvalidOption,
            msg!("max_wait_ms must be 1..=", MAX_MAX_WAIT_MS, ", got ", ms),
        ));
    }
    Ok(())
}

/// The serialisable state of a [`Limiter`].
pub type LimiterState = VecMap<String, KeyState>;

/// Checks that `key` is a valid limiter key (1..=[`MAX_KEY_LEN`] bytes): `invalid_key` otherwise.
/// Bindings call it before they keep a copy of a key, so a rejected key is never retained.
pub fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::new(
            ErrorCode::InvalidKey,
            msg!("key must be 1..=", MAX_KEY_LEN, " bytes, got ", key.len()),
        ));
    }
    Ok(())
}

fn check_cost(cost: u32) -> Result<()> {
    if cost == 0 || cost > MAX_COST {
        return Err(Error::new(
            ErrorCode::InvalidCost,
            msg!("cost must be 1..=", MAX_COST, ", got ", cost),
        ));
    }
    Ok(())
}

/// A TAT kept in units of 1/`from` ms, moved to units of 1/`to` ms (rounded up: never more
/// generous than before).
fn rescale(tat: u64, from: u32, to: u32) -> u64 {
    if from == 0 || from == to {
        return tat;
    }
    let v = (u128::from(tat) * u128::from(to)).div_ceil(u128::from(from));
    u64::try_from(v).unwrap_or(u64::MAX)
}

fn adaptive_limit(milli_rps: u32, cap_ms: u64) -> Limit {
    // One request every 1e6/milli_rps ms, no burst: amount = milli_rps per 1e6 ms. The rate
    // never falls so low that one request waits longer than the cap.
    let floor = u32::try_from(1_000_000u64.div_ceil(cap_ms.max(1))).unwrap_or(MAX_AMOUNT);
    Limit {
        amount: milli_rps.max(floor).clamp(1, MAX_AMOUNT),
        period_ms: 1_000_000,
        burst: 1,
    }
}

impl Limiter {
    /// A limiter with `config`, no keys yet.
    ///
    /// ```
    /// use pacekeeper::bucket::{Limit, Limiter, LimiterConfig, Verdict};
    /// // A burst of 15, then one per second.
    /// let cfg = LimiterConfig { limits: vec![Limit::new(1, 1000).with_burst(15)], ..Default::default() };
    /// let mut l = Limiter::new(cfg).unwrap();
    /// for _ in 0..15 {
    ///     assert!(matches!(l.check("tenant-a", 1, 0).unwrap(), Verdict::Allow { .. }));
    /// }
    /// assert_eq!(l.check("tenant-a", 1, 0).unwrap(), Verdict::Wait { until: 1000, wait_ms: 1000 });
    /// ```
    pub fn new(config: LimiterConfig) -> Result<Self> {
        config.validate()?;
        Ok(Limiter {
            config,
            keys: VecMap::new(),
            max_wait_ms: DEFAULT_MAX_WAIT_MS,
        })
    }

    /// Restores a limiter from saved key states.
    pub fn from_state(config: LimiterConfig, state: LimiterState) -> Result<Self> {
        config.validate()?;
        for (k, s) in &state {
            check_key(k).map_err(|e| Error::new(ErrorCode::InvalidState, e.message))?;
            if s.learned_amount > MAX_AMOUNT || (s.learned_amount > 0) != (s.learned_period_ms > 0)
            {
                return Err(Error::new(
                    ErrorCode::InvalidState,
                    msg!("key \"", k.as_str(), "\": learnt limit is out of range"),
                ));
            }
        }
        Ok(Limiter {
            config,
            keys: state,
            max_wait_ms: DEFAULT_MAX_WAIT_MS,
        })
    }

    /// The same limiter with another cap on the waits that come from the server's word
    /// (learnt `RateLimit-Policy` windows, quotas and resets, 429 lockouts seen by
    /// [`Limiter::observe`]) and from the adaptive rate: 1 ms to 30 days, default 6 hours, as
    /// [`crate::headers::ParseOptions::max_wait_ms`]. Configured [`Limit`]s, reservations queued
    /// behind each other and [`Limiter::block_until`] are the caller's own word and are not cut
    /// (but a reservation booked further ahead than the cap is forgotten by the learnt or
    /// adaptive slot at the next [`Limiter::observe`], which cuts that slot back to the cap).
    ///
    /// ```
    /// use pacekeeper::bucket::{Limiter, LimiterConfig, Verdict};
    /// use pacekeeper::headers::{parse, ParseOptions};
    /// let mut l = Limiter::new(LimiterConfig::default()).unwrap().with_max_wait_ms(60_000).unwrap();
    /// // One request per 49.7 days, none left: the learnt limit is held to one per minute.
    /// let headers = [("RateLimit-Policy", "\"p\";q=1;w=4294967"), ("RateLimit", "\"p\";r=0;t=4294967")];
    /// let r = parse(200, &headers, None, 0, &ParseOptions::default()).unwrap();
    /// l.observe("k", &r, 0).unwrap();
    /// assert_eq!(l.check("k", 1, 0).unwrap(), Verdict::Wait { until: 60_000, wait_ms: 60_000 });
    /// ```
    pub fn with_max_wait_ms(mut self, max_wait_ms: u64) -> Result<Self> {
        self.set_max_wait_ms(max_wait_ms)?;
        Ok(self)
    }

    /// Sets the cap of [`Limiter::with_max_wait_ms`].
    pub fn set_max_wait_ms(&mut self, max_wait_ms: u64) -> Result<()> {
        check_max_wait(max_wait_ms)?;
        self.max_wait_ms = max_wait_ms;
        Ok(())
    }

    /// The cap of [`Limiter::with_max_wait_ms`].
    pub fn max_wait_ms(&self) -> u64 {
        self.max_wait_ms
    }

    /// The configuration.
    pub fn config(&self) -> &LimiterConfig {
        &self.config
    }

    /// The key states, in key order.
    pub fn state(&self) -> &LimiterState {
        &self.keys
    }

    /// The state of one key, if it has any.
    pub fn key_state(&self, key: &str) -> Option<&KeyState> {
        self.keys.get(key)
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// No keys held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The limits in force for a key: configured, then learnt or adaptive (slot index 3).
    fn limits_of<'a>(
        config: &'a LimiterConfig,
        cap: u64,
        s: &KeyState,
    ) -> impl Iterator<Item = (usize, Limit)> + 'a {
        let extra = s.learned(cap).or_else(|| {
            (config.limits.is_empty() && config.adaptive.is_some() && s.adaptive_milli_rps > 0)
                .then(|| adaptive_limit(s.adaptive_milli_rps, cap))
        });
        config
            .limits
            .iter()
            .copied()
            .enumerate()
            .chain(extra.map(|l| (MAX_LIMITS, l)))
    }

    /// The configuration and the state of `key`, created if new (allocating only then).
    fn slot(&mut self, key: &str) -> Result<(&LimiterConfig, u64, &mut KeyState)> {
        if !self.keys.contains_key(key) {
            let fresh = self.fresh_state();
            self.keys.insert(key.to_owned(), fresh);
        }
        let (config, cap) = (&self.config, self.max_wait_ms);
        self.keys
            .get_mut(key)
            .map(|s| (config, cap, s))
            .ok_or_else(|| Error::new(ErrorCode::InvalidState, "key vanished"))
    }

    fn fresh_state(&self) -> KeyState {
        KeyState {
            adaptive_milli_rps: self.config.adaptive.map_or(0, |a| a.initial_milli_rps),
            ..KeyState::default()
        }
    }

    fn get_tat(s: &KeyState, slot: usize) -> u64 {
        if slot == MAX_LIMITS {
            s.learned_tat
        } else {
            s.tat.get(slot).copied().unwrap_or(0)
        }
    }

    fn set_tat(s: &mut KeyState, slot: usize, v: u64) {
        if slot == MAX_LIMITS {
            s.learned_tat = v;
        } else if let Some(t) = s.tat.get_mut(slot) {
            *t = v;
        }
    }

    /// (earliest admission time or None for now, smallest burst, remaining after). The time is
    /// `u64::MAX` when a limit cannot record the request (see the module docs).
    fn evaluate(
        config: &LimiterConfig,
        cap: u64,
        s: &KeyState,
        cost: u32,
        now: u64,
    ) -> (Option<u64>, u32, Option<u64>) {
        let mut earliest: Option<u64> = None;
        let mut min_burst = u32::MAX;
        let mut remaining: Option<u64> = None;
        for (slot, l) in Self::limits_of(config, cap, s) {
            min_burst = min_burst.min(l.burst);
            let tat = Self::get_tat(s, slot);
            if let Some(at) = l.earliest(tat, cost, now) {
                earliest = Some(earliest.map_or(at, |e: u64| e.max(at)));
            }
            let left = l.available(tat, now).saturating_sub(u64::from(cost));
            remaining = Some(remaining.map_or(left, |r| r.min(left)));
        }
        if now < s.quota_reset_at {
            if u64::from(s.quota_remaining) < u64::from(cost) {
                earliest = Some(earliest.map_or(s.quota_reset_at, |e| e.max(s.quota_reset_at)));
            } else {
                let left = u64::from(s.quota_remaining - cost);
                remaining = Some(remaining.map_or(left, |r| r.min(left)));
            }
        }
        (earliest, min_burst, remaining)
    }

    fn commit(config: &LimiterConfig, cap: u64, s: &mut KeyState, cost: u32, at: u64) {
        for (slot, l) in Self::limits_of(config, cap, s) {
            let tat = Self::get_tat(s, slot);
            Self::set_tat(s, slot, l.consume(tat, cost, at));
        }
        if at < s.quota_reset_at {
            s.quota_remaining = s.quota_remaining.saturating_sub(cost);
        }
    }

    fn decide(&mut self, key: &str, cost: u32, now: u64, book: bool) -> Result<Verdict> {
        check_key(key)?;
        check_cost(cost)?;
        let now = now.min(MAX_TIME);
        let (config, cap) = (&self.config, self.max_wait_ms);
        // One lookup on the common path, and no key allocated unless the key is new and takes.
        if let Some(s) = self.keys.get_mut(key) {
            return Ok(Self::decide_in(config, cap, s, cost, now, book).0);
        }
        let mut s = self.fresh_state();
        let (verdict, took) = Self::decide_in(&self.config, cap, &mut s, cost, now, book);
        if took {
            self.keys.insert(key.to_owned(), s);
        }
        Ok(verdict)
    }

    /// The verdict for `s`, committing it when it takes tokens (Allow, or a booked Wait).
    fn decide_in(
        config: &LimiterConfig,
        cap: u64,
        s: &mut KeyState,
        cost: u32,
        now: u64,
        book: bool,
    ) -> (Verdict, bool) {
        let (earliest, min_burst, remaining) = Self::evaluate(config, cap, s, cost, now);
        if cost > min_burst {
            return (
                Verdict::Never {
                    cost,
                    capacity: min_burst,
                },
                false,
            );
        }
        match earliest {
            None => {
                Self::commit(config, cap, s, cost, now);
                (Verdict::Allow { remaining }, true)
            }
            // Only after the end of time: never (see the module docs).
            Some(until) if until > MAX_TIME => (Verdict::Never { cost, capacity: 0 }, false),
            Some(until) => {
                if book {
                    Self::commit(config, cap, s, cost, until);
                }
                (
                    Verdict::Wait {
                        until,
                        wait_ms: until - now,
                    },
                    book,
                )
            }
        }
    }

    /// Asks to send a request of `cost` for `key` at `now`. On `Allow` the tokens are taken;
    /// on `Wait` nothing is taken (ask again at `until`).
    pub fn check(&mut self, key: &str, cost: u32, now: u64) -> Result<Verdict> {
        self.decide(key, cost, now, false)
    }

    /// Like [`Limiter::check`] but never takes anything.
    pub fn peek(&self, key: &str, cost: u32, now: u64) -> Result<Verdict> {
        check_key(key)?;
        check_cost(cost)?;
        let now = now.min(MAX_TIME);
        // The check's own verdict, on a copy of the state that is then dropped.
        let mut s = self
            .keys
            .get(key)
            .copied()
            .unwrap_or_else(|| self.fresh_state());
        Ok(Self::decide_in(&self.config, self.max_wait_ms, &mut s, cost, now, false).0)
    }

    /// Books the earliest slot for `cost`: `Allow` to go now, or `Wait` with the booked time.
    /// Callers reserving at the same instant get staggered slots.
    ///
    /// ```
    /// use pacekeeper::bucket::{Limit, Limiter, LimiterConfig, Verdict};
    /// let cfg = LimiterConfig { limits: vec![Limit::new(1, 1000).with_burst(1)], ..Default::default() };
    /// let mut l = Limiter::new(cfg).unwrap();
    /// assert!(matches!(l.reserve("k", 1, 0).unwrap(), Verdict::Allow { .. }));
    /// assert_eq!(l.reserve("k", 1, 0).unwrap(), Verdict::Wait { until: 1000, wait_ms: 1000 });
    /// assert_eq!(l.reserve("k", 1, 0).unwrap(), Verdict::Wait { until: 2000, wait_ms: 2000 });
    /// ```
    pub fn reserve(&mut self, key: &str, cost: u32, now: u64) -> Result<Verdict> {
        self.decide(key, cost, now, true)
    }

    /// Holds no request for `key` before `until`: every bucket is emptied until then, and it
    /// refills from there. What a 429 does.
    pub fn block_until(&mut self, key: &str, until: u64) -> Result<()> {
        check_key(key)?;
        let (config, cap, s) = self.slot(key)?;
        Self::block(config, cap, s, until);
        Ok(())
    }

    fn block(config: &LimiterConfig, cap: u64, s: &mut KeyState, until: u64) {
        for (slot, l) in Self::limits_of(config, cap, s) {
            let tat = Self::get_tat(s, slot);
            Self::set_tat(s, slot, tat.max(l.empty_until(until)));
        }
        if until > s.quota_reset_at || s.quota_remaining > 0 {
            // No quota until `until`; after it, the buckets govern.
            s.quota_reset_at = s.quota_reset_at.max(until);
            s.quota_remaining = 0;
        }
    }

    /// Re-synchronises `key` from a response's reading, received at `now`.
    ///
    /// - a throttled reading with a wait: no request before `now + wait_ms` (see
    ///   [`Limiter::block_until`]); the adaptive rate, if in use, is cut;
    /// - `remaining` and `reset_ms`: at most `remaining` more requests until the reset, and every
    ///   bucket holds at most `remaining` tokens now;
    /// - `limit` with a window (`RateLimit-Policy`'s `w`): learnt as this key's extra limit
    ///   (`limit` per window), when [`LimiterConfig::learn`] is on;
    /// - a success with nothing else known raises the adaptive rate.
    pub fn observe(&mut self, key: &str, reading: &Reading, now: u64) -> Result<()> {
        check_key(key)?;
        let now = now.min(MAX_TIME);
        let (config, cap, s) = self.slot(key)?;
        if config.learn {
            if let (Some(limit), Some(w)) = (reading.limit, reading.window_ms) {
                if (1..=u64::from(MAX_AMOUNT)).contains(&limit)
                    && (1..=u64::from(u32::MAX)).contains(&w)
                {
                    let (a, p) = (limit as u32, w as u32);
                    if (a, p) != (s.learned_amount, s.learned_period_ms) {
                        // The slot held the old learnt limit or the adaptive rate: keep its
                        // place in time, in the new limit's units.
                        let from = if s.learned_amount > 0 {
                            s.learned_amount
                        } else if config.limits.is_empty() && config.adaptive.is_some() {
                            adaptive_limit(s.adaptive_milli_rps, cap).amount
                        } else {
                            0
                        };
                        s.learned_tat = if from == 0 {
                            0
                        } else {
                            rescale(s.learned_tat, from, a)
                        };
                        s.learned_amount = a;
                        s.learned_period_ms = p;
                    }
                }
            }
        }
        if let (Some(rem), Some(reset)) = (reading.remaining, reading.reset_ms) {
            let rem32 = u32::try_from(rem).unwrap_or(u32::MAX);
            s.quota_remaining = rem32;
            // A reset beyond the cap counts as the cap.
            s.quota_reset_at = now.saturating_add(reset.min(cap));
            for (slot, l) in Self::limits_of(config, cap, s) {
                // At most `rem` tokens now: TAT ≥ now + τ − rem·T.
                let floor = l
                    .scale(now)
                    .saturating_add(l.tau())
                    .saturating_sub(u64::from(rem32).saturating_mul(l.t()));
                let tat = Self::get_tat(s, slot);
                Self::set_tat(s, slot, tat.max(floor));
            }
        }
        let adaptive_in_use =
            config.limits.is_empty() && s.learned(cap).is_none() && config.adaptive.is_some();
        if reading.throttled {
            if let Some(a) = config.adaptive.filter(|_| adaptive_in_use) {
                let cut =
                    u64::from(s.adaptive_milli_rps) * u64::from(100 - a.decrease_percent) / 100;
                let rate = (cut as u32).clamp(a.min_milli_rps, a.max_milli_rps);
                Self::set_adaptive_rate(s, cap, rate);
            }
            // A lockout longer than the cap counts as the cap.
            let wait = reading.wait_ms.unwrap_or(0).min(cap);
            if wait > 0 {
                Self::block(config, cap, s, now.saturating_add(wait));
            } else if adaptive_in_use {
                // Throttled with no hint: space the next request by the (cut) adaptive rate.
                let l = adaptive_limit(s.adaptive_milli_rps, cap);
                s.learned_tat = s
                    .learned_tat
                    .max(l.empty_until(now.saturating_add(1_000_000 / u64::from(l.amount.max(1)))));
            }
        } else if reading.status < 400 {
            if let Some(a) = config.adaptive.filter(|_| adaptive_in_use) {
                let r = u64::from(s.adaptive_milli_rps);
                let up = (r * u64::from(a.increase_percent) / 100).max(1);
                Self::set_adaptive_rate(
                    s,
                    cap,
                    r.saturating_add(up).min(u64::from(a.max_milli_rps)) as u32,
                );
            }
        }
        // Whatever the server said, the learnt or adaptive slot never holds a request back
        // longer than the cap from now (a learnt window that shrank, or a rate that rose,
        // leaves the old time behind: it is cut here, in the state, so asking again does not
        // wait again).
        let extra = Self::limits_of(config, cap, s).find(|(slot, _)| *slot == MAX_LIMITS);
        if let Some((_, l)) = extra {
            let most = l.empty_until(now.saturating_add(cap));
            s.learned_tat = s.learned_tat.min(most);
        }
        Ok(())
    }

    /// Changes the adaptive rate, keeping the slot's place in time.
    fn set_adaptive_rate(s: &mut KeyState, cap: u64, rate: u32) {
        let (from, to) = (
            adaptive_limit(s.adaptive_milli_rps, cap).amount,
            adaptive_limit(rate, cap).amount,
        );
        s.learned_tat = rescale(s.learned_tat, from, to);
        s.adaptive_milli_rps = rate;
    }

    /// Takes an in-flight slot for `key`; false when [`LimiterConfig::max_in_flight`] are taken.
    pub fn acquire(&mut self, key: &str) -> Result<bool> {
        check_key(key)?;
        let max = self.config.max_in_flight.unwrap_or(u32::MAX);
        let (_, _, s) = self.slot(key)?;
        if s.in_flight >= max {
            return Ok(false);
        }
        s.in_flight += 1;
        Ok(true)
    }

    /// Gives back an in-flight slot (extra releases are ignored). Returns the count left in flight.
    pub fn release(&mut self, key: &str) -> Result<u32> {
        check_key(key)?;
        Ok(self.keys.get_mut(key).map_or(0, |s| {
            s.in_flight = s.in_flight.saturating_sub(1);
            s.in_flight
        }))
    }

    /// Drops keys whose state holds nothing at `now` (full buckets, no quota, nothing in flight,
    /// nothing learnt, adaptive rate at its start). Returns how many were dropped.
    pub fn prune(&mut self, now: u64) -> usize {
        let now = now.min(MAX_TIME);
        let before = self.keys.len();
        let (config, cap) = (&self.config, self.max_wait_ms);
        let initial = config.adaptive.map_or(0, |a| a.initial_milli_rps);
        self.keys.retain(|_, s| {
            let busy = s.in_flight > 0
                || s.learned(cap).is_some()
                || now < s.quota_reset_at
                || s.adaptive_milli_rps != initial
                || Self::limits_of(config, cap, s)
                    .any(|(slot, l)| Self::get_tat(s, slot) > l.scale(now));
            busy
        });
        before - self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim(limits: Vec<Limit>) -> Limiter {
        Limiter::new(LimiterConfig {
            limits,
            ..Default::default()
        })
        .unwrap_or_else(|e| {
            unreachable!("{e}");
        })
    }

    #[test]
    fn key_state_is_small() {
        assert!(core::mem::size_of::<KeyState>() <= 64);
    }

    #[test]
    fn burst_then_rate() {
        let mut l = lim(vec![Limit::new(1, 1000).with_burst(15)]);
        let mut allowed = 0;
        for _ in 0..100 {
            if matches!(l.check("k", 1, 0), Ok(Verdict::Allow { .. })) {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 15);
        assert_eq!(
            l.check("k", 1, 999),
            Ok(Verdict::Wait {
                until: 1000,
                wait_ms: 1
            })
        );
        assert!(matches!(
            l.check("k", 1, 1000),
            Ok(Verdict::Allow { remaining: Some(0) })
        ));
    }

    #[test]
    fn two_limits() {
        // 15 per second and 300 per minute... here 3 per second and 5 per 10 s.
        let mut l = lim(vec![Limit::new(3, 1000), Limit::new(5, 10_000)]);
        let mut t = 0;
        let mut admitted = vec![];
        while t < 10_000 {
            if let Ok(Verdict::Allow { .. }) = l.check("k", 1, t) {
                admitted.push(t);
            }
            t += 100;
        }
        // A tick each 100 ms: the 3/s burst, then the 3/s rate until the 5-burst of 5/10 s is spent, then one every 2 s.
        assert_eq!(
            admitted,
            vec![0, 100, 200, 400, 700, 2000, 4000, 6000, 8000]
        );
    }

    #[test]
    fn never_fits() {
        let mut l = lim(vec![Limit::new(10, 1000)]);
        assert_eq!(
            l.check("k", 11, 0),
            Ok(Verdict::Never {
                cost: 11,
                capacity: 10
            })
        );
    }

    #[test]
    fn errors() {
        let mut l = lim(vec![Limit::new(10, 1000)]);
        assert_eq!(
            l.check("", 1, 0).map_err(|e| e.code),
            Err(ErrorCode::InvalidKey)
        );
        assert_eq!(
            l.check("k", 0, 0).map_err(|e| e.code),
            Err(ErrorCode::InvalidCost)
        );
        assert_eq!(
            Limiter::new(LimiterConfig {
                limits: vec![Limit::new(0, 1)],
                ..Default::default()
            })
            .map_err(|e| e.code),
            Err(ErrorCode::InvalidLimit)
        );
    }

    /// The burst taken at `now`, then `extra` more checks: how many of those were admitted,
    /// and the largest `until` seen.
    fn admits_after_burst(amount: u32, now: u64, extra: usize) -> (usize, u64) {
        let mut l = lim(vec![Limit::new(amount, 1000)]);
        let mut burst = 0;
        while matches!(l.check("k", 1, now), Ok(Verdict::Allow { .. })) && burst <= amount {
            burst += 1;
        }
        let (mut admitted, mut latest) = (0, 0);
        for _ in 0..extra {
            match l.check("k", 1, now) {
                Ok(Verdict::Allow { .. }) => admitted += 1,
                Ok(Verdict::Wait { until, wait_ms }) => {
                    assert_eq!(until - now, wait_ms);
                    assert!(wait_ms > 0);
                    latest = latest.max(until);
                }
                Ok(Verdict::Never {
                    cost: 1,
                    capacity: 0,
                }) => {}
                other => unreachable!("{other:?}"),
            }
        }
        (admitted, latest)
    }

    #[test]
    fn a_saturated_clock_grants_nothing_extra() {
        // Before the fix: with amount ≥ 2,048, `now × amount` saturated the u64 and every
        // check at 2^53 − 1 was admitted, burst or not.
        for amount in [1, 10, 2_047, 2_048, 3_000, MAX_AMOUNT] {
            for now in [MAX_TIME - 1_000, MAX_TIME - 1, MAX_TIME, u64::MAX] {
                let (admitted, latest) = admits_after_burst(amount, now.min(MAX_TIME), 50);
                assert_eq!(admitted, 0, "amount {amount}, now {now}");
                assert!(
                    latest <= MAX_TIME,
                    "amount {amount}, now {now}: until {latest}"
                );
            }
        }
        // Far from the horizon the same limiter behaves as always.
        assert_eq!(admits_after_burst(MAX_AMOUNT, 1_700_000_000_000, 5).0, 0);
        let mut l = lim(vec![Limit::new(MAX_AMOUNT, 1000)]);
        for _ in 0..MAX_AMOUNT {
            assert!(matches!(
                l.check("k", 1, 1_700_000_000_000),
                Ok(Verdict::Allow { .. })
            ));
        }
    }

    #[test]
    fn beyond_what_a_bucket_records_nothing_is_admitted_or_booked() {
        // 1,000,000 per second records times up to u64::MAX / 1e6 ms (the year 2554).
        let horizon = u64::MAX / u64::from(MAX_AMOUNT);
        let mut l = lim(vec![Limit::new(MAX_AMOUNT, 1000)]);
        let never = Ok(Verdict::Never {
            cost: 1,
            capacity: 0,
        });
        assert_eq!(l.check("k", 1, horizon + 1), never);
        assert_eq!(l.reserve("k", 1, horizon + 1), never);
        assert_eq!(l.peek("k", 1, horizon + 1), never);
        assert!(l.is_empty(), "nothing booked");
        assert!(matches!(
            l.check("k", 1, horizon - 1_000),
            Ok(Verdict::Allow { .. })
        ));
    }

    #[test]
    fn waits_and_bookings_end_at_max_time() {
        let mut l = lim(vec![Limit::new(1, 1000)]);
        let now = MAX_TIME - 2_500;
        assert!(matches!(l.reserve("k", 1, now), Ok(Verdict::Allow { .. })));
        for wait_ms in [1000, 2000] {
            assert_eq!(
                l.reserve("k", 1, now),
                Ok(Verdict::Wait {
                    until: now + wait_ms,
                    wait_ms
                })
            );
        }
        // The next slot would be after MAX_TIME: never, nothing booked, however often asked.
        let booked = l.key_state("k").copied();
        for _ in 0..3 {
            assert_eq!(
                l.reserve("k", 1, now),
                Ok(Verdict::Never {
                    cost: 1,
                    capacity: 0
                })
            );
        }
        assert_eq!(l.key_state("k").copied(), booked);
        // The booked slot at MAX_TIME - 500 is still there for its holder; after it, nothing.
        assert_eq!(
            l.check("k", 1, MAX_TIME - 400),
            Ok(Verdict::Never {
                cost: 1,
                capacity: 0
            })
        );
        // A lockout past the end of time: never, too.
        let mut l = lim(vec![Limit::new(10, 1000)]);
        l.block_until("k", u64::MAX).unwrap_or_default();
        assert_eq!(
            l.check("k", 1, 1_700_000_000_000),
            Ok(Verdict::Never {
                cost: 1,
                capacity: 0
            })
        );
    }

    #[test]
    fn saturates_at_extremes() {
        let mut l = lim(vec![Limit {
            amount: MAX_AMOUNT,
            period_ms: MAX_PERIOD_MS,
            burst: MAX_AMOUNT,
        }]);
        assert!(l.check("k", MAX_COST, u64::MAX).is_ok());
        assert!(l.reserve("k", MAX_COST, u64::MAX).is_ok());
        assert!(l.block_until("k", u64::MAX).is_ok());
        assert!(l.check("k", 1, 0).is_ok());
    }
}
