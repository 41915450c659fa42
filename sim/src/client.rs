//! What the hand-written client strategies compute (jitter, exponential delays, a naive Retry-After
//! reading) and the pacer configuration of the pacekeeper strategies.

use crate::scenario::{Strategy, Workload};
use crate::MAX_ATTEMPTS;
use pacekeeper::pacer::PacerConfig;
use pacekeeper::{BackoffPolicy, Limit};
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

pub(crate) fn uniform(rng: &mut ChaCha8Rng, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    lo + rng.next_u64() % (hi - lo + 1)
}

pub(crate) const BASE_MS: u64 = 100;
pub(crate) const CAP_MS: u64 = 30_000;

pub(crate) fn expo(n: u32) -> u64 {
    BASE_MS
        .saturating_mul(1u64 << n.saturating_sub(1).min(20))
        .min(CAP_MS)
}

/// The Retry-After a naive client reads: seconds, or an HTTP-date against its own clock.
pub(crate) fn naive_retry_after(h: &[(String, String)], t: u64) -> Option<u64> {
    let v = h
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))?
        .1
        .clone();
    if let Ok(s) = v.parse::<u64>() {
        return Some(s * 1000);
    }
    pacekeeper::httpdate::parse_http_date(&v, t).map(|at| at.saturating_sub(t))
}

pub(crate) fn pacer_config(strategy: Strategy, w: &Workload, seed: u64) -> PacerConfig {
    let mut c = PacerConfig {
        seed,
        backoff: BackoffPolicy {
            max_attempts: MAX_ATTEMPTS,
            ..BackoffPolicy::default()
        },
        ..PacerConfig::default()
    };
    if strategy == Strategy::PacekeeperConfigured {
        c.limits = vec![Limit::new(w.rate, 1000).with_burst(w.burst)];
    }
    c
}
