//! Property tests for hostile servers and hostile input (issue 12): every wait capped whatever
//! its source, values from a server never an error, bounded outputs, O(log n) backoff.

use pacekeeper::backoff::{BackoffPolicy, EXACT_STEPS};
use pacekeeper::bucket::{AdaptiveConfig, Limiter, LimiterConfig, Verdict};
use pacekeeper::headers::{parse, ParseOptions, ResetMode, MAX_COUNT, MAX_REJECTED};
use pacekeeper::httpdate::parse_rfc3339;
use pacekeeper::plan::{plan, PlanRequest, MAX_BATCHES};
use pacekeeper::ErrorCode;
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "retry-after",
    "retry-after-ms",
    "x-ms-retry-after-ms",
    "date",
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-reset-after",
    "x-ratelimit-max",
    "x-ratelimit-interval-milliseconds",
    "x-ratelimit-limit-daily",
    "x-ratelimit-daily-remaining",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-output-tokens-remaining",
    "x-hubspot-ratelimit-secondly-remaining",
    "x-hubspot-ratelimit-interval-milliseconds",
    "inin-ratelimit-allowed",
    "inin-ratelimit-count",
    "inin-ratelimit-reset",
    "x-shopify-shop-api-call-limit",
    "x-gorgias-account-api-call-limit",
    "sforce-limit-info",
];

/// Values a hostile server might send: huge numbers, signs, fractions, dates, durations,
/// structured fields with huge windows, garbage.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        (0u64..1_000_000_000_000_000).prop_map(|n| n.to_string()),
        "[+-]?[0-9]{1,25}(\\.[0-9]{0,12})?",
        "[0-9]{1,4}(h|m|s|ms|us|ns){1,3}[0-9]{0,3}(s|ms)?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?",
        (0u64..1_000_000_000_000_000, 0u64..1_000_000_000_000_000)
            .prop_map(|(q, w)| format!("\"p\";q={q};w={w}, \"o\";q=1;w=1")),
        (0u64..1_000_000_000_000_000, 0u64..1_000_000_000_000_000)
            .prop_map(|(r, t)| format!("\"p\";r={r};t={t}")),
        "[0-9]{1,20}/[0-9]{1,20}",
        "api-usage=[0-9]{1,20}/[0-9]{1,20}(; per-app-api-usage=[0-9]{1,5}/[0-9]{1,5}\\(appName=x\\))?",
        "\\PC{0,40}",
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (prop::sample::select(NAMES).prop_map(str::to_owned), value()),
        0..12,
    )
}

fn mode() -> impl Strategy<Value = ResetMode> {
    prop::sample::select(vec![
        ResetMode::Auto,
        ResetMode::EpochSeconds,
        ResetMode::EpochMillis,
        ResetMode::DeltaSeconds,
        ResetMode::DeltaMillis,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whatever the server sends: a reading (never an error), every wait within the cap, every
    /// number exact in every binding, the lists bounded.
    #[test]
    fn server_values_never_fail_and_waits_are_capped(
        hs in headers(),
        status in prop::sample::select(vec![200u16, 403, 429, 503]),
        now in prop_oneof![Just(1_700_000_000_000u64), 0u64..=MAX_COUNT],
        cap in prop_oneof![Just(ParseOptions::default().max_wait_ms), 1u64..=2_592_000_000],
        reset_mode in mode(),
    ) {
        let opts = ParseOptions { max_wait_ms: cap, reset_mode };
        let r = parse(status, &hs, Some("Retry the request in [99999999999] seconds"), now, &opts);
        let r = r.map_err(|e| TestCaseError::fail(format!("{e} for {hs:?}")))?;
        for w in [r.wait_ms, r.retry_after_ms, r.reset_ms].into_iter().flatten() {
            prop_assert!(w <= cap, "wait {w} > cap {cap} for {hs:?}");
        }
        for n in [r.limit, r.remaining, r.window_ms].into_iter().flatten() {
            prop_assert!(n <= MAX_COUNT, "{n} for {hs:?}");
        }
        prop_assert!(r.rejected.len() <= MAX_REJECTED);
        prop_assert!(r.policies.len() <= 16 && r.states.len() <= 16);
        for p in &r.policies {
            prop_assert!(p.window_s.unwrap_or(0).saturating_mul(1000) <= MAX_COUNT);
        }
    }

    /// A learnt `RateLimit-Policy` window, a reset, a lockout or an adaptive rate never make a
    /// request wait longer than the limiter's cap.
    #[test]
    fn limiter_waits_from_the_server_are_capped(
        cap in prop_oneof![Just(ParseOptions::default().max_wait_ms), 1u64..=86_400_000],
        steps in prop::collection::vec(
            (0u64..1_000_000_000_000_000, 0u64..1_000_000_000_000_000, 0u64..1_000_000,
             0u64..1_000_000_000_000_000, prop::sample::select(vec![200u16, 429, 503]),
             prop::option::of(0u64..100_000_000), 0u64..100_000),
            1..12),
        adaptive in any::<bool>(),
        min_milli_rps in 1u32..1000,
    ) {
        let config = LimiterConfig {
            adaptive: adaptive.then_some(AdaptiveConfig {
                initial_milli_rps: min_milli_rps,
                min_milli_rps,
                ..AdaptiveConfig::default()
            }),
            ..LimiterConfig::default()
        };
        let mut l = Limiter::new(config).unwrap().with_max_wait_ms(cap).unwrap();
        let mut now = 1_700_000_000_000u64;
        for (q, w, r, t, status, retry_after, dt) in steps {
            now += dt;
            let policy = format!("\"p\";q={q};w={w}");
            let state = format!("\"p\";r={r};t={t}");
            let ra = retry_after.map(|s| s.to_string()).unwrap_or_default();
            let hs = [("RateLimit-Policy", policy.as_str()), ("RateLimit", state.as_str()),
                      ("Retry-After", ra.as_str())];
            let reading = parse(status, &hs, None, now, &ParseOptions::default()).unwrap();
            l.observe("k", &reading, now).unwrap();
            match l.check("k", 1, now).unwrap() {
                Verdict::Wait { wait_ms, .. } => prop_assert!(wait_ms <= cap, "{wait_ms} > {cap} after {hs:?}"),
                Verdict::Allow { .. } => {}
                Verdict::Never { .. } => prop_assert!(false, "cost 1 never fits"),
            }
        }
    }

    /// The delay is exactly what repeated IEEE multiplication gives for every attempt a policy
    /// can allow (and up to `EXACT_STEPS + 1`), within an ulp beyond, monotone, within
    /// [base, cap], and any attempt number (up to `u32::MAX`) is quick.
    #[test]
    fn backoff_delay_matches_repeated_multiplication(
        base_ms in 1u64..100_000,
        extra in 0u64..10_000_000_000,
        multiplier in prop_oneof![Just(1.0f64), Just(2.0), 1.0f64..1.001, 1.0f64..3.0, 1.0f64..1000.0],
        n in 1u32..=1100,
        big in any::<u32>(),
    ) {
        let p = BackoffPolicy { base_ms, cap_ms: base_ms + extra, multiplier, ..BackoffPolicy::default() };
        let reference = |n: u32| {
            let (mut d, cap) = (p.base_ms as f64, p.cap_ms as f64);
            for _ in 1..n {
                if d >= cap { break; }
                d *= p.multiplier;
            }
            if d >= cap { p.cap_ms } else { d as u64 }
        };
        if n <= EXACT_STEPS + 1 {
            prop_assert_eq!(p.exponential_ms(n), reference(n));
        } else {
            // Past the exact steps, binary exponentiation may round differently by an ulp.
            let (a, b) = (p.exponential_ms(n) as f64, reference(n) as f64);
            prop_assert!((a - b).abs() <= 1.0 + b * 1e-9, "{a} vs {b}");
        }
        let big = big.max(n);
        let d = p.exponential_ms(big);
        prop_assert!(d >= p.exponential_ms(n) && d <= p.cap_ms);
        prop_assert!(p.delay_ms(big, 0, 7) <= p.cap_ms);
    }

    /// `sizes` obeys the batch limit as `records` does: a plan or a coded error.
    #[test]
    fn plan_with_sizes_is_bounded(n in 0usize..3000, per in 1u32..4) {
        let req = PlanRequest {
            records: 0,
            sizes: Some(vec![1; n]),
            max_batch_records: per,
            max_batch_bytes: None,
            overhead_bytes: 0,
            limits: vec![],
            cost_per_batch: 1,
        };
        // (The limit itself, 1,000,000 batches, is checked at and beyond it by plan's unit test.)
        match plan(&req, 0) {
            Ok(p) => {
                prop_assert!(p.batches.len() as u64 <= MAX_BATCHES);
                prop_assert_eq!(p.batches.last().map_or(0, |b| b.end), n as u64);
            }
            Err(e) => prop_assert_eq!(e.code, ErrorCode::InvalidBatch),
        }
    }

    /// RFC 3339 timestamps written with any fraction and zone read back to the instant.
    #[test]
    fn rfc3339_roundtrip(ms in 0u64..253_402_300_799_000, offset_min in -1439i64..=1439) {
        let secs = ms / 1000;
        let local = (secs as i64 + offset_min * 60).max(0) as u64;
        prop_assume!(secs as i64 + offset_min * 60 >= 0);
        let days = (local / 86_400) as i64;
        // Civil date of `days` (Hinnant).
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        let rem = local % 86_400;
        let sign = if offset_min < 0 { '-' } else { '+' };
        let s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}{sign}{:02}:{:02}",
            rem / 3600, rem / 60 % 60, rem % 60, ms % 1000,
            offset_min.abs() / 60, offset_min.abs() % 60
        );
        prop_assert_eq!(parse_rfc3339(&s), Some(ms), "{}", s);
    }
}

/// A list of many members costs the parse no more than the bounds allow and says so.
#[test]
fn a_hundred_thousand_members_are_bounded() {
    let field: String = (0..100_000)
        .map(|i| format!("\"p{i}\";q=1;w=1"))
        .collect::<Vec<_>>()
        .join(", ");
    let r = parse(
        200,
        &[("RateLimit-Policy", field.as_str())],
        None,
        0,
        &ParseOptions::default(),
    )
    .unwrap();
    assert!(r.policies.is_empty());
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].header, "ratelimit-policy");
    let small: String = (0..700)
        .map(|i| format!("p{i};q=1"))
        .collect::<Vec<_>>()
        .join(",");
    let r = parse(
        200,
        &[("RateLimit-Policy", small.as_str())],
        None,
        0,
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(r.policies.len(), 16);
    assert_eq!(r.rejected.len(), 1, "{:?}", r.rejected);
    assert_eq!(r.rejected[0].value, "700 members");
}

/// The 49.7-day wait of issue 12: a learnt `q=1;w=4294967` with `r=0` waits at most the cap.
#[test]
fn issue_12_learnt_window_is_capped() {
    let mut l = Limiter::new(LimiterConfig::default()).unwrap();
    let now = 1_700_000_000_000;
    let hs = [
        ("RateLimit-Policy", "\"p\";q=1;w=4294967"),
        ("RateLimit", "\"p\";r=0"),
    ];
    let r = parse(200, &hs, None, now, &ParseOptions::default()).unwrap();
    l.observe("k", &r, now).unwrap();
    // No reset was given: the first request goes, the next one waits the (capped) interval.
    assert!(matches!(
        l.check("k", 1, now).unwrap(),
        Verdict::Allow { .. }
    ));
    assert_eq!(
        l.check("k", 1, now).unwrap(),
        Verdict::Wait {
            until: now + l.max_wait_ms(),
            wait_ms: l.max_wait_ms()
        }
    );
    assert_eq!(l.max_wait_ms(), 6 * 3_600_000);
    assert_eq!(
        Limiter::new(LimiterConfig::default())
            .unwrap()
            .with_max_wait_ms(0)
            .map_err(|e| e.code),
        Err(ErrorCode::InvalidOption)
    );
}

/// Issue 12: `Backoff(multiplier=1.0).delay_ms(2**32-1, 0, 1)` took seconds; now a few
/// thousand multiplications at most, with the values repeated multiplication would give.
#[test]
fn backoff_huge_attempts() {
    let one = BackoffPolicy {
        multiplier: 1.0,
        jitter: pacekeeper::backoff::Jitter::None,
        ..BackoffPolicy::default()
    };
    assert_eq!(one.exponential_ms(u32::MAX), one.base_ms);
    assert_eq!(one.delay_ms(u32::MAX, 0, 1), one.base_ms);
    let slow = BackoffPolicy {
        base_ms: 1,
        multiplier: 1.000_000_1,
        cap_ms: 2_592_000_000,
        ..BackoffPolicy::default()
    };
    // 1.0000001^(2^32 − 2) ≈ e^429: far past the cap.
    assert_eq!(slow.exponential_ms(u32::MAX), slow.cap_ms);
    // 1.0000001^(10^6) ≈ 1.105: still 1 ms once truncated.
    assert_eq!(slow.exponential_ms(1_000_001), 1);
    // 1.0000001^(10^8) ≈ e^10 ≈ 22,026 ms.
    let d = slow.exponential_ms(100_000_001);
    assert!((22_000..=22_050).contains(&d), "{d}");
}
