//! Hand-written checks of the properties some shared vectors name (`tests/vectors/*.json`), made
//! independently of their recorded `expect`: a vector's name is a promise, and this file keeps it.
use pacekeeper::backoff::{Backoff, BackoffPolicy, Decision, Outcome, RetryState};
use pacekeeper::bucket::{Limit, Limiter, LimiterConfig, Verdict};
use pacekeeper::headers::{parse, ParseOptions, Reading, ResetMode, DEFAULT_MAX_WAIT_MS};

const NOW: u64 = 1_700_000_000_000;
const MAX_SAFE: u64 = 9_007_199_254_740_991;

fn read(status: u16, headers: &[(&str, &str)], now: u64, mode: ResetMode) -> Option<Reading> {
    let opts = ParseOptions {
        reset_mode: mode,
        ..ParseOptions::default()
    };
    parse(status, headers, None, now, &opts).ok()
}

fn reset(value: &str, mode: ResetMode) -> Option<(Option<u64>, bool)> {
    let h = [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", value)];
    read(200, &h, NOW, mode).map(|r| (r.reset_ms, r.capped))
}

/// "hint spread stays within 10 percent": a 100 s Retry-After with `hint_spread_percent: 10`
/// waits 100..=110 s for every seed, and the spread is used (not always the bare hint).
#[test]
fn hint_spread_stays_within_10_percent() {
    let policy = BackoffPolicy {
        hint_spread_percent: 10,
        ..BackoffPolicy::default()
    };
    let backoff = Backoff::new(policy).ok();
    let reading = read(429, &[("Retry-After", "100")], NOW, ResetMode::Auto);
    let (Some(backoff), Some(reading)) = (backoff, reading) else {
        panic!("policy and reading are valid");
    };
    let outcome = Outcome::Response { reading };
    let mut delays = Vec::new();
    for seed in 0..500 {
        let mut state = RetryState::new(NOW, seed);
        match backoff.decide(&mut state, &outcome, NOW, None) {
            Ok(Decision::Retry { delay_ms, .. }) => delays.push(delay_ms),
            other => panic!("seed {seed}: {other:?}"),
        }
    }
    let (min, max) = (delays.iter().min(), delays.iter().max());
    assert!(
        min >= Some(&100_000) && max <= Some(&110_000),
        "{min:?}..{max:?}"
    );
    assert!(
        max.zip(min).is_some_and(|(a, b)| a - b > 5_000),
        "the spread is used: {min:?}..{max:?}"
    );
}

/// "x-ratelimit-reset magnitude boundary ...": in auto mode a value below 10^9 is seconds from
/// now, below 10^12 epoch seconds, else epoch milliseconds — each boundary read as the explicit
/// mode reads it, and differently from the mode on its other side.
#[test]
fn x_ratelimit_reset_magnitude_boundaries() {
    let cases = [
        (
            "999999999",
            ResetMode::DeltaSeconds,
            ResetMode::EpochSeconds,
        ),
        (
            "1000000000",
            ResetMode::EpochSeconds,
            ResetMode::DeltaSeconds,
        ),
        (
            "999999999999",
            ResetMode::EpochSeconds,
            ResetMode::EpochMillis,
        ),
        (
            "1000000000000",
            ResetMode::EpochMillis,
            ResetMode::EpochSeconds,
        ),
    ];
    for (value, mode, other) in cases {
        let auto = reset(value, ResetMode::Auto);
        assert!(auto.is_some(), "{value}");
        assert_eq!(auto, reset(value, mode), "{value} is read as {mode:?}");
        assert_ne!(
            auto,
            reset(value, other),
            "{value} is not read as {other:?}"
        );
    }
    // Seconds from now: ~31.7 years, capped at the maximum wait.
    assert_eq!(
        reset("999999999", ResetMode::Auto),
        Some((Some(DEFAULT_MAX_WAIT_MS), true))
    );
    // Epoch seconds of 2001 and epoch ms of 2001: in the past, so no wait.
    assert_eq!(reset("1000000000", ResetMode::Auto), Some((Some(0), false)));
    assert_eq!(
        reset("1000000000000", ResetMode::Auto),
        Some((Some(0), false))
    );
}

/// "now near 2^53": times at the largest safe integer neither overflow nor lose precision.
#[test]
fn now_near_2_pow_53() {
    let h = [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "30")];
    let r = read(429, &h, MAX_SAFE, ResetMode::Auto);
    assert_eq!(r.as_ref().and_then(|r| r.wait_ms), Some(30_000));
    assert_eq!(r.as_ref().and_then(|r| r.reset_ms), Some(30_000));

    let config = LimiterConfig {
        limits: vec![Limit::new(1_000_000, 2_592_000_000)],
        ..LimiterConfig::default()
    };
    let Ok(mut lim) = Limiter::new(config) else {
        panic!("valid config")
    };
    assert!(matches!(
        lim.check("k", 1_000_000, 0),
        Ok(Verdict::Allow { .. })
    ));
    // 1,000,000 tokens per period are kept in units of 1/1,000,000 ms: a u64 of them ends in
    // the year 2554, so at 2^53 - 1 the bucket cannot record a request and admits nothing (it
    // used to saturate and admit every request, burst or not).
    let never = Ok(Verdict::Never {
        cost: 1,
        capacity: 0,
    });
    for _ in 0..3 {
        assert_eq!(lim.check("k", 1, MAX_SAFE), never);
    }
    // Up to 2,047 tokens per period every time to 2^53 - 1 is recorded: exact to the end.
    let config = LimiterConfig {
        limits: vec![Limit::new(2_047, 2_592_000_000)],
        ..LimiterConfig::default()
    };
    let Ok(mut lim) = Limiter::new(config) else {
        panic!("valid config")
    };
    assert!(matches!(
        lim.check("k", 2_047, 0),
        Ok(Verdict::Allow { .. })
    ));
    // Refilled long before 2^53 - 1: a whole bucket less one, exactly.
    let v = lim.check("k", 1, MAX_SAFE);
    assert!(
        matches!(
            v,
            Ok(Verdict::Allow {
                remaining: Some(2_046),
                ..
            })
        ),
        "{v:?}"
    );
    assert!(matches!(
        lim.check("k", 2_046, MAX_SAFE),
        Ok(Verdict::Allow { remaining: Some(0) })
    ));
    // The bucket is empty: the next token is due after the end of time, so it never comes.
    assert_eq!(lim.check("k", 1, MAX_SAFE - 10), never);
    assert_eq!(lim.check("k", 1, MAX_SAFE), never);
}
