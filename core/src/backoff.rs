//! Jittered backoff with the server's word as a floor, escalation of hints that proved too short,
//! a shared retry budget, and give-up as a decision with a reason.
//!
//! Randomness comes from ChaCha8 seeded by [`RetryState::seed`], with the attempt number as the
//! stream: the same seed gives the same schedule on every platform (wasm32 included), and each
//! decision needs no RNG state beyond the seed. One 64-bit draw per decision, computed here from
//! one ChaCha8 block: the numbers `rand_chacha`'s `ChaCha8Rng` gives (checked by a test).

use crate::error::{Error, ErrorCode, Result};
use crate::headers::Reading;
use crate::msg::msg;
use crate::shape::map_only;
use crate::MAX_TIME;
use serde::{Deserialize, Serialize};

/// The longest delay or deadline accepted in a policy: 30 days.
pub const MAX_DELAY_MS: u64 = 30 * 24 * 60 * 60 * 1000;
/// The most attempts a policy may allow.
pub const MAX_ATTEMPTS: u32 = 1000;
/// How many growth steps [`BackoffPolicy::exponential_ms`] takes one multiplication at a time
/// before it switches to binary exponentiation.
pub const EXACT_STEPS: u32 = 1024;

/// How the exponential delay is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// The exponential delay itself: `min(cap, base·multiplier^(n−1))`.
    None,
    /// Uniform in `[0, d]` (AWS "full jitter").
    #[default]
    Full,
    /// `d/2` plus uniform in `[0, d/2]`.
    Equal,
    /// `min(cap, uniform[base, 3·previous])` (AWS "decorrelated jitter").
    Decorrelated,
}

/// A backoff policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct BackoffPolicy {
    /// The first delay, ms (default 500).
    pub base_ms: u64,
    /// Growth per attempt, finite and at least 1 (default 2).
    pub multiplier: f64,
    /// The largest backoff delay, ms (default 60,000). Server hints may exceed it.
    pub cap_ms: u64,
    /// Jitter (default full).
    pub jitter: Jitter,
    /// The most attempts in all, the first included (default 8).
    pub max_attempts: u32,
    /// Give up rather than schedule an attempt later than `started_at + deadline_ms`.
    pub deadline_ms: Option<u64>,
    /// Statuses worth retrying (default 429, 502, 503, 504).
    pub retry_statuses: Vec<u16>,
    /// Retry network errors (default true).
    pub retry_network_errors: bool,
    /// Spread added above a server hint, as a percentage of it (default 10): many clients
    /// given the same `Retry-After` do not return in the same millisecond. 0 disables it.
    pub hint_spread_percent: u32,
    /// Give up when the server asks for a longer wait than this, ms (default 6 hours).
    pub max_wait_ms: u64,
}

map_only!(BackoffPolicy);

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            base_ms: 500,
            multiplier: 2.0,
            cap_ms: 60_000,
            jitter: Jitter::Full,
            max_attempts: 8,
            deadline_ms: None,
            retry_statuses: vec![429, 502, 503, 504],
            retry_network_errors: true,
            hint_spread_percent: 10,
            max_wait_ms: crate::headers::DEFAULT_MAX_WAIT_MS,
        }
    }
}

impl BackoffPolicy {
    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::new(ErrorCode::InvalidPolicy, m));
        if !self.multiplier.is_finite() || self.multiplier < 1.0 || self.multiplier > 1000.0 {
            return bad(msg!(
                "multiplier must be finite and 1..=1000, got ",
                self.multiplier
            ));
        }
        if self.base_ms == 0 || self.base_ms > MAX_DELAY_MS {
            return bad(msg!(
                "base_ms must be 1..=",
                MAX_DELAY_MS,
                ", got ",
                self.base_ms
            ));
        }
        if self.cap_ms < self.base_ms || self.cap_ms > MAX_DELAY_MS {
            return bad(msg!(
                "cap_ms must be base_ms..=",
                MAX_DELAY_MS,
                ", got ",
                self.cap_ms,
                " (base_ms ",
                self.base_ms,
                ")"
            ));
        }
        if self.max_attempts == 0 || self.max_attempts > MAX_ATTEMPTS {
            return bad(msg!(
                "max_attempts must be 1..=",
                MAX_ATTEMPTS,
                ", got ",
                self.max_attempts
            ));
        }
        if let Some(d) = self.deadline_ms {
            if d == 0 || d > MAX_DELAY_MS {
                return bad(msg!("deadline_ms must be 1..=", MAX_DELAY_MS, ", got ", d));
            }
        }
        if let Some(s) = self
            .retry_statuses
            .iter()
            .find(|s| !crate::headers::STATUSES.contains(*s))
        {
            return Err(Error::new(
                ErrorCode::InvalidStatus,
                msg!("retry_statuses must be 100..=599, got ", *s),
            ));
        }
        if self.hint_spread_percent > 100 {
            return bad(msg!(
                "hint_spread_percent must be 0..=100, got ",
                self.hint_spread_percent
            ));
        }
        if self.max_wait_ms == 0 || self.max_wait_ms > MAX_DELAY_MS {
            return bad(msg!(
                "max_wait_ms must be 1..=",
                MAX_DELAY_MS,
                ", got ",
                self.max_wait_ms
            ));
        }
        Ok(())
    }

    /// The un-jittered delay before retry `n` (n ≥ 1): `min(cap, base·multiplier^(n−1))`,
    /// computed by repeated IEEE multiplication (no `powf`), so it is identical everywhere.
    ///
    /// The first [`EXACT_STEPS`] multiplications are done one by one (every attempt a policy
    /// can allow, since [`MAX_ATTEMPTS`] is smaller); any further ones by binary exponentiation
    /// of `multiplier`, also plain IEEE multiplications, so any `n` (up to `u32::MAX`) costs at
    /// most about 1,100 multiplications.
    pub fn exponential_ms(&self, n: u32) -> u64 {
        let mut d = self.base_ms as f64;
        let cap = self.cap_ms as f64;
        let steps = n.saturating_sub(1);
        let exact = steps.min(EXACT_STEPS);
        for _ in 0..exact {
            if d >= cap {
                break;
            }
            d *= self.multiplier;
        }
        let rest = steps - exact;
        if rest > 0 && d < cap {
            let next = d * self.multiplier;
            if next > d {
                // Still growing: d · multiplier^rest by squaring, stopping once it passes the cap.
                let (mut e, mut sq) = (rest, self.multiplier);
                while e > 0 && d < cap {
                    if e & 1 == 1 {
                        d *= sq;
                    }
                    e >>= 1;
                    sq *= sq;
                }
            }
            // Otherwise multiplying no longer changes d (multiplier 1, or below half an ulp).
        }
        if d >= cap {
            self.cap_ms
        } else {
            d as u64
        }
    }

    /// The jittered delay before retry `n` (n ≥ 1), given the previous delay (for decorrelated
    /// jitter; 0 for none) and the seed.
    pub fn delay_ms(&self, n: u32, prev_ms: u64, seed: u64) -> u64 {
        let rng = rng_for(seed, n, 0);
        let d = self.exponential_ms(n);
        match self.jitter {
            Jitter::None => d,
            Jitter::Full => uniform(rng, 0, d),
            Jitter::Equal => d / 2 + uniform(rng, 0, d - d / 2),
            Jitter::Decorrelated => {
                let hi = prev_ms
                    .max(self.base_ms)
                    .saturating_mul(3)
                    .max(self.base_ms);
                uniform(rng, self.base_ms, hi).min(self.cap_ms)
            }
        }
    }

    /// The delays of retries 1..=n for `seed`, with no server hints (a preview of the schedule).
    ///
    /// `n` is at most [`MAX_ATTEMPTS`] (no policy retries more often): a larger `n` is an
    /// `invalid_number` error, in every runtime, rather than a silently shorter list.
    pub fn schedule(&self, seed: u64, n: u32) -> Result<Vec<u64>> {
        if n > MAX_ATTEMPTS {
            return Err(Error::new(
                ErrorCode::InvalidNumber,
                msg!("schedule n must be 0..=", MAX_ATTEMPTS, ", got ", n),
            ));
        }
        let mut prev = 0;
        Ok((1..=n)
            .map(|i| {
                prev = self.delay_ms(i, prev, seed);
                prev
            })
            .collect())
    }
}

/// The random draw of one decision: ChaCha8 keyed by the seed, on the stream of the attempt and
/// the purpose (0: the backoff's jitter, 1: the spread over a server hint).
/// Not `Copy`: each one is drawn from once, as each `ChaCha8Rng` was.
struct Rng {
    seed: u64,
    stream: u64,
}

fn rng_for(seed: u64, attempt: u32, purpose: u64) -> Rng {
    Rng {
        seed,
        stream: (u64::from(attempt) << 8) | purpose,
    }
}

/// One ChaCha quarter round.
#[inline(always)]
fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// The first 64 bits of ChaCha8's keystream for `rng`: the number
/// `rand_chacha::ChaCha8Rng::seed_from_u64(seed)` then `set_stream(stream)` then `next_u64()`
/// gives (the 256-bit key expanded from the seed by PCG32 as `rand_core`'s `seed_from_u64` does,
/// block counter 0, the stream as the 64-bit nonce; the first two output words, low one first).
/// One block, computed directly: rand_chacha computes four at once, and its wide code is about
/// 4 KB of WebAssembly. `tests::draw_is_rand_chacha` checks the numbers are the same.
fn draw(rng: &Rng) -> u64 {
    let mut s = [0u32; 16];
    s[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    let mut pcg = rng.seed;
    for w in &mut s[4..12] {
        pcg = pcg
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(11_634_580_027_462_260_723);
        *w = ((((pcg >> 18) ^ pcg) >> 27) as u32).rotate_right((pcg >> 59) as u32);
    }
    s[14] = rng.stream as u32;
    s[15] = (rng.stream >> 32) as u32;
    let mut x = s;
    // 8 rounds: 4 double rounds, each on the columns, then on the diagonals.
    for _ in 0..4 {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    (u64::from(x[1].wrapping_add(s[1])) << 32) | u64::from(x[0].wrapping_add(s[0]))
}

/// Uniform integer in `[lo, hi]` by a 128-bit multiply (Lemire's method without rejection; the
/// bias is below 2^-64 × range).
fn uniform(rng: Rng, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    let span = u128::from(hi - lo) + 1;
    lo + ((u128::from(draw(&rng)) * span) >> 64) as u64
}

/// What happened to an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// A response, read by [`crate::headers::parse`].
    Response {
        /// Its reading.
        reading: Reading,
    },
    /// No response: connection refused or reset, timeout, DNS failure.
    NetworkError,
}

/// The progress of one logical call. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", default)]
pub struct RetryState {
    /// Attempts made so far (0 before the first).
    pub attempts: u32,
    /// When the first attempt started, epoch ms.
    pub started_at: u64,
    /// The seed of this call's jitter.
    pub seed: u64,
    /// The previous retry delay, ms (for decorrelated jitter).
    pub prev_delay_ms: u64,
    /// The server hint, ms, that the last retry honoured (None: it had none).
    pub last_hint_ms: Option<u64>,
    /// Consecutive throttles right after honouring a server hint.
    pub short_hints: u32,
}

map_only!(RetryState);

impl Default for RetryState {
    fn default() -> Self {
        RetryState::new(0, 0)
    }
}

impl RetryState {
    /// A new call started at `started_at` with jitter from `seed`.
    pub fn new(started_at: u64, seed: u64) -> Self {
        RetryState {
            attempts: 0,
            started_at,
            seed,
            prev_delay_ms: 0,
            last_hint_ms: None,
            short_hints: 0,
        }
    }
}

/// Why a retry waits as long as it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryReason {
    /// The jittered backoff delay (no server hint, or one shorter than it).
    Backoff,
    /// The server's hint, plus its spread.
    ServerHint,
    /// The server's hint proved too short before: its hint grown by 2^k, plus the backoff.
    Escalated,
}

/// Why a call gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GiveUpReason {
    /// The status is not one to retry.
    NotRetryable,
    /// `max_attempts` were made.
    MaxAttempts,
    /// The next attempt would fall after the deadline (or after [`MAX_TIME`], the end of time).
    Deadline,
    /// The shared retry budget is spent.
    RetryBudget,
    /// The server asks for a longer wait than `max_wait_ms`.
    WaitTooLong,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// The attempt succeeded (a status below 400 that is not a throttle).
    Done,
    /// Retry at `at`.
    Retry {
        /// Epoch ms of the next attempt.
        at: u64,
        /// `at − now`.
        delay_ms: u64,
        /// The number the next attempt will have (2 for the first retry).
        attempt: u32,
        /// Why this delay.
        reason: RetryReason,
    },
    /// Stop.
    GiveUp {
        /// Why.
        reason: GiveUpReason,
        /// Attempts made.
        attempts: u32,
    },
}

/// A retry budget shared across calls, like the AWS SDKs' retry quota: each retry takes tokens,
/// each success gives some back; when most calls fail, retries stop multiplying the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "crate::vocab::RetryBudgetIn")]
pub struct RetryBudget {
    /// The most tokens (default 500).
    pub capacity: u32,
    /// Tokens now (default: `capacity`, a full budget).
    pub tokens: u32,
    /// Cost of retrying a throttle or server error (default 5).
    pub retry_cost: u32,
    /// Cost of retrying a network error (default 10).
    pub network_cost: u32,
    /// Given back on a success (default 1).
    pub success_refund: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            capacity: 500,
            tokens: 500,
            retry_cost: 5,
            network_cost: 10,
            success_refund: 1,
        }
    }
}

impl RetryBudget {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        if self.capacity == 0 || self.tokens > self.capacity {
            return Err(Error::new(
                ErrorCode::InvalidPolicy,
                msg!(
                    "retry budget needs capacity >= 1 and tokens <= capacity, got ",
                    self.tokens,
                    "/",
                    self.capacity
                ),
            ));
        }
        Ok(())
    }
}

/// A validated policy that makes decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    policy: BackoffPolicy,
}

impl Backoff {
    /// Validates `policy`.
    pub fn new(policy: BackoffPolicy) -> Result<Self> {
        policy.validate()?;
        Ok(Backoff { policy })
    }

    /// The policy.
    pub fn policy(&self) -> &BackoffPolicy {
        &self.policy
    }

    /// Decides what follows an attempt that ended at `now` with `outcome`, updating `state`
    /// (and `budget`, when given). Times end at [`MAX_TIME`]: `now` beyond it counts as it,
    /// and a retry that would fall after it gives up with [`GiveUpReason::Deadline`].
    ///
    /// The server's word is a floor: a retry is never scheduled before the reading's
    /// `wait_ms`. When a throttle follows right after a retry that honoured a hint, the hint
    /// proved too short and is escalated (doubled per repeat, plus the jittered backoff).
    ///
    /// ```
    /// use pacekeeper::backoff::{Backoff, BackoffPolicy, Decision, Outcome, RetryReason, RetryState};
    /// use pacekeeper::headers::{parse, ParseOptions};
    /// let b = Backoff::new(BackoffPolicy::default()).unwrap();
    /// let mut st = RetryState::new(0, 42);
    /// let reading = parse(429, &[("Retry-After", "30")], None, 0, &ParseOptions::default()).unwrap();
    /// match b.decide(&mut st, &Outcome::Response { reading }, 0, None).unwrap() {
    ///     Decision::Retry { at, reason, .. } => {
    ///         assert!(at >= 30_000 && at <= 33_000);
    ///         assert_eq!(reason, RetryReason::ServerHint);
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn decide(
        &self,
        state: &mut RetryState,
        outcome: &Outcome,
        now: u64,
        budget: Option<&mut RetryBudget>,
    ) -> Result<Decision> {
        let p = &self.policy;
        if let Some(b) = &budget {
            b.validate()?;
        }
        let now = now.min(MAX_TIME);
        state.attempts = state.attempts.saturating_add(1);
        let attempts = state.attempts;
        let (retryable, hint, network, capped) = match outcome {
            Outcome::NetworkError => (p.retry_network_errors, None, true, false),
            Outcome::Response { reading } => {
                crate::headers::check_status(i64::from(reading.status))?;
                if reading.status < 400 && !reading.throttled {
                    if let Some(b) = budget {
                        b.tokens = b.tokens.saturating_add(b.success_refund).min(b.capacity);
                    }
                    state.short_hints = 0;
                    state.last_hint_ms = None;
                    return Ok(Decision::Done);
                }
                let retryable = reading.throttled || p.retry_statuses.contains(&reading.status);
                (retryable, reading.wait_ms, false, reading.capped)
            }
        };
        let give_up = |reason| Ok(Decision::GiveUp { reason, attempts });
        if !retryable {
            return give_up(GiveUpReason::NotRetryable);
        }
        if capped || hint.is_some_and(|h| h > p.max_wait_ms) {
            return give_up(GiveUpReason::WaitTooLong);
        }
        if attempts >= p.max_attempts {
            return give_up(GiveUpReason::MaxAttempts);
        }
        let backoff = p.delay_ms(attempts, state.prev_delay_ms, state.seed);
        let (delay, reason) = match hint {
            Some(h) => {
                let escalate = state.last_hint_ms.is_some();
                let short = if escalate {
                    state.short_hints.saturating_add(1)
                } else {
                    0
                };
                let rng = rng_for(state.seed, attempts, 1);
                if escalate {
                    // The hint we honoured last time was not enough: grow the larger of the two
                    // hints by 2^k and add the backoff on top.
                    let last = state.last_hint_ms.unwrap_or(0);
                    let grown = h.max(last).saturating_mul(1u64 << short.min(16));
                    let d = grown.saturating_add(backoff).min(p.max_wait_ms.max(h));
                    state.short_hints = short;
                    (d, RetryReason::Escalated)
                } else {
                    state.short_hints = 0;
                    let spread = h.saturating_mul(u64::from(p.hint_spread_percent)) / 100;
                    let d = h.saturating_add(uniform(rng, 0, spread));
                    if backoff > d {
                        (backoff, RetryReason::Backoff)
                    } else {
                        (d, RetryReason::ServerHint)
                    }
                }
            }
            None => (backoff, RetryReason::Backoff),
        };
        let at = now.saturating_add(delay);
        // Times end at MAX_TIME: a retry due later falls after every deadline (retrying at
        // MAX_TIME instead would be early, before the server's hint).
        let deadline = p.deadline_ms.map_or(MAX_TIME, |dl| {
            state.started_at.saturating_add(dl).min(MAX_TIME)
        });
        if at > deadline {
            return give_up(GiveUpReason::Deadline);
        }
        if let Some(b) = budget {
            let cost = if network {
                b.network_cost
            } else {
                b.retry_cost
            };
            if b.tokens < cost {
                return give_up(GiveUpReason::RetryBudget);
            }
            b.tokens -= cost;
        }
        state.prev_delay_ms = delay;
        state.last_hint_ms = hint;
        Ok(Decision::Retry {
            at,
            delay_ms: delay,
            attempt: attempts + 1,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};

    /// The one-block ChaCha8 draw gives rand_chacha's numbers (which every vector's jitter
    /// was recorded with), over seeds and streams of every magnitude.
    #[test]
    fn draw_is_rand_chacha() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut seeds = vec![0, 1, 42, u64::MAX, 1 << 63, (1 << 53) - 1];
        for _ in 0..2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            seeds.push(x);
        }
        for (i, &seed) in seeds.iter().enumerate() {
            let attempt = [0, 1, 2, 7, 1000, u32::MAX][i % 6];
            for purpose in [0, 1] {
                let mut want = ChaCha8Rng::seed_from_u64(seed);
                want.set_stream((u64::from(attempt) << 8) | purpose);
                assert_eq!(
                    super::draw(&super::rng_for(seed, attempt, purpose)),
                    want.next_u64(),
                    "seed {seed} attempt {attempt} purpose {purpose}"
                );
            }
        }
    }

    use super::*;
    use crate::headers::{parse, ParseOptions};

    fn reading(status: u16, h: &[(&str, &str)]) -> Reading {
        parse(status, h, None, 0, &ParseOptions::default()).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn schedule_is_deterministic_and_bounded() {
        let p = BackoffPolicy::default();
        let a = p.schedule(7, 10).unwrap_or_default();
        assert_eq!(a.len(), 10);
        assert_eq!(p.schedule(7, 10), Ok(a.clone()));
        assert_ne!(p.schedule(8, 10), Ok(a.clone()));
        for (i, d) in a.iter().enumerate() {
            assert!(*d <= p.exponential_ms(i as u32 + 1));
        }
        assert_eq!(p.schedule(7, 0), Ok(vec![]));
        assert_eq!(p.schedule(7, MAX_ATTEMPTS).map(|v| v.len()), Ok(1000));
        for n in [MAX_ATTEMPTS + 1, 10_001, u32::MAX] {
            assert_eq!(
                p.schedule(7, n).map_err(|e| e.code),
                Err(ErrorCode::InvalidNumber)
            );
        }
    }

    #[test]
    fn retries_end_at_max_time() {
        let b = Backoff::new(BackoffPolicy {
            jitter: Jitter::None,
            ..Default::default()
        })
        .unwrap_or_else(|e| unreachable!("{e}"));
        let r = Outcome::Response {
            reading: reading(429, &[("retry-after", "100")]),
        };
        let deadline = Decision::GiveUp {
            reason: GiveUpReason::Deadline,
            attempts: 1,
        };
        for now in [MAX_TIME - 400, MAX_TIME - 1, MAX_TIME, u64::MAX] {
            for outcome in [&r, &Outcome::NetworkError] {
                let mut s = RetryState::new(now, 1);
                assert_eq!(b.decide(&mut s, outcome, now, None), Ok(deadline));
            }
        }
        // The last retry that fits: exactly at MAX_TIME.
        let mut s = RetryState::new(0, 1);
        assert_eq!(
            b.decide(&mut s, &Outcome::NetworkError, MAX_TIME - 500, None),
            Ok(Decision::Retry {
                at: MAX_TIME,
                delay_ms: 500,
                attempt: 2,
                reason: RetryReason::Backoff
            })
        );
    }

    #[test]
    fn gives_up_with_reasons() {
        let b = Backoff::new(BackoffPolicy {
            max_attempts: 2,
            ..Default::default()
        })
        .unwrap_or_else(|e| unreachable!("{e}"));
        let mut s = RetryState::new(0, 1);
        let r = Outcome::Response {
            reading: reading(404, &[]),
        };
        assert_eq!(
            b.decide(&mut s, &r, 0, None),
            Ok(Decision::GiveUp {
                reason: GiveUpReason::NotRetryable,
                attempts: 1
            })
        );
        let mut s = RetryState::new(0, 1);
        let r = Outcome::Response {
            reading: reading(503, &[]),
        };
        assert!(matches!(
            b.decide(&mut s, &r, 0, None),
            Ok(Decision::Retry { attempt: 2, .. })
        ));
        assert_eq!(
            b.decide(&mut s, &r, 10, None),
            Ok(Decision::GiveUp {
                reason: GiveUpReason::MaxAttempts,
                attempts: 2
            })
        );
    }

    #[test]
    fn escalates_short_hints() {
        let b = Backoff::new(BackoffPolicy {
            jitter: Jitter::None,
            ..Default::default()
        })
        .unwrap_or_else(|e| unreachable!("{e}"));
        let mut s = RetryState::new(0, 1);
        let r = Outcome::Response {
            reading: reading(429, &[("retry-after", "2")]),
        };
        let d1 = b.decide(&mut s, &r, 0, None);
        assert!(matches!(
            d1,
            Ok(Decision::Retry {
                reason: RetryReason::ServerHint,
                ..
            })
        ));
        let d2 = b.decide(&mut s, &r, 2_300, None);
        match d2 {
            Ok(Decision::Retry {
                delay_ms,
                reason: RetryReason::Escalated,
                ..
            }) => {
                assert!(delay_ms >= 4_000, "{delay_ms}")
            }
            other => unreachable!("{other:?}"),
        }
    }
}
