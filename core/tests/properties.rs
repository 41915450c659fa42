//! Property tests for the engine's invariants.

use pacekeeper::backoff::{Backoff, BackoffPolicy, Decision, Jitter, Outcome, RetryState};
use pacekeeper::bucket::{Limit, Limiter, LimiterConfig, Verdict};
use pacekeeper::headers::{parse, ParseOptions};
use pacekeeper::plan::{plan, replan, BatchOutcome, PlanRequest};
use proptest::prelude::*;

fn limit_strategy() -> impl Strategy<Value = Limit> {
    (1u32..50, 1u64..5_000, 1u32..30).prop_map(|(amount, period_ms, burst)| Limit {
        amount,
        period_ms,
        burst,
    })
}

/// Tokens admitted by `l` in any closed window of `w` ms never exceed burst + ⌊amount·w/period⌋.
fn assert_window_budget(admitted: &[(u64, u32)], l: &Limit, w: u64) -> Result<(), TestCaseError> {
    let budget = u64::from(l.burst) + u64::from(l.amount) * w / l.period_ms;
    for (i, &(start, _)) in admitted.iter().enumerate() {
        let used: u64 = admitted[i..]
            .iter()
            .take_while(|(t, _)| *t <= start + w)
            .map(|(_, c)| u64::from(*c))
            .sum();
        prop_assert!(
            used <= budget,
            "window [{start}, {}] admitted {used} > budget {budget} for {l:?}",
            start + w
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_window_admits_more_than_the_budget(
        limits in prop::collection::vec(limit_strategy(), 1..=3),
        steps in prop::collection::vec((0u64..400, 1u32..4, any::<bool>()), 1..200),
    ) {
        let mut lim = Limiter::new(LimiterConfig { limits: limits.clone(), ..Default::default() }).unwrap();
        let mut now = 1_000_000u64;
        let mut admitted: Vec<(u64, u32)> = Vec::new();
        for (dt, cost, reserve) in steps {
            now += dt;
            let v = if reserve { lim.reserve("k", cost, now) } else { lim.check("k", cost, now) }.unwrap();
            match v {
                Verdict::Allow { .. } => admitted.push((now, cost)),
                Verdict::Wait { until, wait_ms } => {
                    prop_assert!(until > now);
                    prop_assert_eq!(until - now, wait_ms);
                    if reserve {
                        admitted.push((until, cost));
                    }
                }
                Verdict::Never { cost: c, capacity } => prop_assert!(c > capacity),
            }
        }
        admitted.sort_unstable();
        for l in &limits {
            for w in [0, 1, l.period_ms / 2, l.period_ms, l.period_ms * 3, 10_000] {
                assert_window_budget(&admitted, l, w)?;
            }
        }
    }

    #[test]
    fn a_throttle_holds_every_request_until_the_server_time(
        limit in limit_strategy(),
        retry_after_s in 0u64..120,
        probes in prop::collection::vec(0u64..200_000, 1..50),
    ) {
        let mut lim = Limiter::new(LimiterConfig { limits: vec![limit], ..Default::default() }).unwrap();
        let now = 5_000_000u64;
        let ra = retry_after_s.to_string();
        let reading = parse(429, &[("Retry-After", ra.as_str())], None, now, &ParseOptions::default()).unwrap();
        lim.observe("k", &reading, now).unwrap();
        for p in probes {
            let t = now + p;
            match lim.check("k", 1, t).unwrap() {
                Verdict::Allow { .. } => prop_assert!(t >= now + retry_after_s * 1000),
                Verdict::Wait { until, .. } => prop_assert!(until > t),
                Verdict::Never { .. } => {}
            }
        }
    }

    #[test]
    fn no_retry_before_the_server_time(
        seed in any::<u64>(),
        retry_after in prop::option::of(0u64..100_000),
        reset in prop::option::of(0u64..100_000),
        body_secs in prop::option::of(0u64..1_000),
        status in prop::sample::select(vec![429u16, 503, 502, 504, 500, 403]),
        jitter in prop::sample::select(vec![Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated]),
        attempts in 0u32..6,
    ) {
        let now = 1_700_000_000_000u64;
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(r) = retry_after { headers.push(("Retry-After".into(), r.to_string())); }
        if let Some(r) = reset {
            headers.push(("X-RateLimit-Remaining".into(), "0".into()));
            headers.push(("X-RateLimit-Reset".into(), r.to_string()));
        }
        let body = body_secs.map(|s| format!("Retry the request in [{s}] seconds"));
        let reading = parse(status, &headers, body.as_deref(), now, &ParseOptions::default()).unwrap();
        let floor = reading.wait_ms;
        let b = Backoff::new(BackoffPolicy { jitter, max_attempts: 100, ..Default::default() }).unwrap();
        let mut st = RetryState::new(now, seed);
        st.attempts = attempts;
        if let Decision::Retry { at, delay_ms, .. } = b.decide(&mut st, &Outcome::Response { reading }, now, None).unwrap() {
            prop_assert_eq!(at, now + delay_ms);
            if let Some(f) = floor {
                prop_assert!(delay_ms >= f, "retry after {delay_ms} ms before the server's {f} ms");
            }
        }
    }

    #[test]
    fn jitter_stays_within_its_bounds(
        seed in any::<u64>(),
        base in 1u64..5_000,
        extra in 0u64..100_000,
        mult_tenths in 10u32..50,
        n in 1u32..40,
        prev in 0u64..200_000,
    ) {
        let cap = base + extra;
        let p = |jitter| BackoffPolicy {
            base_ms: base, cap_ms: cap, multiplier: f64::from(mult_tenths) / 10.0, jitter, ..Default::default()
        };
        let d = p(Jitter::None).delay_ms(n, prev, seed);
        prop_assert!(d >= base.min(cap) && d <= cap);
        prop_assert_eq!(d, p(Jitter::None).exponential_ms(n));
        let full = p(Jitter::Full).delay_ms(n, prev, seed);
        prop_assert!(full <= d);
        let equal = p(Jitter::Equal).delay_ms(n, prev, seed);
        prop_assert!(equal >= d / 2 && equal <= d);
        let dec = p(Jitter::Decorrelated).delay_ms(n, prev, seed);
        prop_assert!(dec >= base.min(cap) && dec <= cap);
        prop_assert!(dec <= prev.max(base).saturating_mul(3));
        // The same seed gives the same schedule.
        prop_assert_eq!(p(Jitter::Full).schedule(seed, 20).ok(), p(Jitter::Full).schedule(seed, 20).ok());
    }

    #[test]
    fn plans_cover_every_record_exactly_once(
        records in 0u64..20_000,
        per in 1u32..1_200,
        sizes in prop::option::of(prop::collection::vec(1u64..300, 0..400)),
        rounds in prop::collection::vec(prop::collection::vec(0u8..3, 0..60), 0..4),
    ) {
        let req = PlanRequest {
            records,
            max_batch_bytes: sizes.as_ref().map(|_| 1_000),
            sizes: sizes.clone(),
            max_batch_records: per,
            overhead_bytes: 2,
            limits: vec![Limit::new(300, 60_000).with_burst(5)],
            cost_per_batch: 1,
        };
        let n = sizes.as_ref().map_or(records, |s| s.len() as u64);
        let mut p = plan(&req, 1_000).unwrap();
        let mut done: Vec<(u64, u64)> = Vec::new();
        let check_cover = |p: &pacekeeper::plan::Plan, done: &[(u64, u64)]| -> Result<(), TestCaseError> {
            let mut ranges: Vec<(u64, u64)> = done.to_vec();
            ranges.extend(p.batches.iter().map(|b| (b.start, b.end)));
            ranges.sort_unstable();
            let mut next = 0;
            for (s, e) in ranges {
                prop_assert_eq!(s, next, "gap or overlap at {}", s);
                prop_assert!(e > s && e - s <= u64::from(per));
                next = e;
            }
            prop_assert_eq!(next, n);
            for w in p.batches.windows(2) {
                prop_assert!(w[0].send_at <= w[1].send_at);
            }
            Ok(())
        };
        check_cover(&p, &done)?;
        let mut now = 1_000;
        for round in rounds {
            now += 5_000;
            let outcomes: Vec<BatchOutcome> = p.batches.iter().zip(round.iter().cycle()).map(|(b, r)| match r {
                0 => BatchOutcome::Done { index: b.index },
                1 => BatchOutcome::Failed { index: b.index },
                _ => BatchOutcome::Throttled { index: b.index, retry_at: now + 30_000 },
            }).collect();
            if round.is_empty() { continue; }
            for (b, o) in p.batches.iter().zip(&outcomes) {
                if matches!(o, BatchOutcome::Done { .. }) { done.push((b.start, b.end)); }
            }
            let throttled = outcomes.iter().any(|o| matches!(o, BatchOutcome::Throttled { .. }));
            p = replan(&req, &p, &outcomes, now).unwrap();
            if throttled {
                prop_assert!(p.batches.iter().all(|b| b.send_at >= now + 30_000));
            }
            check_cover(&p, &done)?;
        }
    }

    #[test]
    fn parse_never_panics_and_caps_waits(
        status in 100u16..600,
        headers in prop::collection::vec((
            prop::sample::select(vec![
                "retry-after", "Date", "x-ratelimit-reset", "x-ratelimit-remaining", "x-ratelimit-limit",
                "ratelimit", "ratelimit-policy", "ratelimit-reset", "inin-ratelimit-count",
                "inin-ratelimit-allowed", "inin-ratelimit-reset", "x-shopify-shop-api-call-limit",
                "x-ratelimit-reset-after", "X-Other",
            ]),
            prop_oneof![
                "\\PC{0,40}",
                "[0-9]{0,25}",
                "-?[0-9]{1,8}(\\.[0-9]{0,6})?",
                "\"[a-z]{1,5}\";[rqtw]=-?[0-9]{1,18}(;[a-z]{1,2}=[0-9a-z:=]{1,6})?",
                "(Mon|Sun), [0-3][0-9] (Jan|Feb|Nov) [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT",
            ],
        ), 0..12),
        body in prop::option::of("\\PC{0,80}"),
        now in any::<u64>(),
        max_wait in 1u64..100_000_000,
    ) {
        let opts = ParseOptions { max_wait_ms: max_wait, ..Default::default() };
        let r = parse(status, &headers, body.as_deref(), now, &opts).unwrap();
        for w in [r.wait_ms, r.retry_after_ms, r.reset_ms].into_iter().flatten() {
            prop_assert!(w <= max_wait);
        }
        if let (Some(rem), Some(l)) = (r.remaining, r.limit) { prop_assert!(rem <= l); }
        // Whatever came out, the limiter and backoff take it without panicking.
        let mut lim = Limiter::new(LimiterConfig { limits: vec![Limit::new(5, 1000)], adaptive: Some(Default::default()), ..Default::default() }).unwrap();
        lim.observe("k", &r, now).unwrap();
        let _ = lim.check("k", 1, now).unwrap();
        let b = Backoff::new(BackoffPolicy::default()).unwrap();
        let _ = b.decide(&mut RetryState::new(now, now), &Outcome::Response { reading: r }, now, None).unwrap();
    }

    #[test]
    fn limiter_never_panics_at_extremes(
        ops in prop::collection::vec((0u8..7, prop_oneof![any::<u64>(), Just(u64::MAX), Just(0u64)], 1u32..1_000_001), 1..60),
        adaptive in any::<bool>(),
    ) {
        let mut lim = Limiter::new(LimiterConfig {
            limits: if adaptive { vec![] } else { vec![Limit { amount: 1_000_000, period_ms: 30 * 86_400_000, burst: 1_000_000 }, Limit::new(1, 1)] },
            adaptive: adaptive.then(Default::default),
            max_in_flight: Some(3),
            ..Default::default()
        }).unwrap();
        for (op, t, cost) in ops {
            match op {
                0 => { lim.check("k", cost, t).unwrap(); }
                1 => { lim.reserve("k", cost, t).unwrap(); }
                2 => { lim.block_until("k", t).unwrap(); }
                3 => {
                    let ra = (t % 100_000).to_string();
                    let r = parse(429, &[("Retry-After", ra.as_str())], None, t, &ParseOptions::default()).unwrap();
                    lim.observe("k", &r, t).unwrap();
                }
                4 => { lim.acquire("k").unwrap(); }
                5 => { lim.release("k").unwrap(); }
                _ => { lim.prune(t); }
            }
        }
    }

    #[test]
    fn restored_state_decides_the_same(
        steps in prop::collection::vec((0u64..500, 1u32..3), 1..60),
        cut in 0usize..60,
    ) {
        let cfg = LimiterConfig { limits: vec![Limit::new(3, 1000).with_burst(4), Limit::new(20, 60_000)], ..Default::default() };
        let mut a = Limiter::new(cfg.clone()).unwrap();
        let mut now = 0;
        for (i, (dt, cost)) in steps.iter().enumerate() {
            now += dt;
            if i == cut {
                let json = serde_json::to_string(a.state()).unwrap();
                let restored = serde_json::from_str(&json).unwrap();
                a = Limiter::from_state(cfg.clone(), restored).unwrap();
            }
            let mut b = a.clone();
            prop_assert_eq!(a.check("k", *cost, now).unwrap(), b.check("k", *cost, now).unwrap());
        }
    }
}
