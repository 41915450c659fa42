//! The single-limit bucket of `pk_bucket_step` / `pk_bucket_observe`, restored from a TAT.

use crate::{non_neg, opt, out, to_u32, BUCKET_OUT_FIELDS, PK_NEVER};
use pacekeeper::bucket::{KeyState, Limit, Limiter, LimiterConfig, LimiterState, Verdict};
use pacekeeper::headers::Reading;
use pacekeeper::Error;

/// The key of the single-key limiter behind the bucket functions.
const KEY: &str = "k";

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
