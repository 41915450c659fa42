//! Criterion benchmarks: pacekeeper's decisions beside the `governor` crate's check, in one run.
//!
//! `cargo bench -p pacekeeper --bench engine` (see BENCHMARKS.md).
#![allow(clippy::unwrap_used)] // a benchmark that fails should stop loudly

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};
use pacekeeper::backoff::{Backoff, BackoffPolicy, Outcome, RetryState};
use pacekeeper::bucket::{Limit, Limiter, LimiterConfig};
use pacekeeper::headers::{parse, ParseOptions};
use pacekeeper::plan::{plan, PlanRequest};
use std::hint::black_box;
use std::num::NonZeroU32;

const NOW: u64 = 1_700_000_000_000;

fn genesys_429() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Content-Type", "application/json"),
        ("Retry-After", "30"),
        ("inin-ratelimit-allowed", "300"),
        ("inin-ratelimit-count", "300"),
        ("inin-ratelimit-reset", "30"),
        (
            "inin-correlation-id",
            "7a1c2b3d-4e5f-6789-abcd-ef0123456789",
        ),
        ("Date", "Tue, 14 Nov 2023 22:13:20 GMT"),
    ]
}

fn checks(c: &mut Criterion) {
    let mut g = c.benchmark_group("check");
    // An allowed check on one key: 1,000,000 per second, so every call is admitted.
    let cfg = LimiterConfig {
        limits: vec![Limit::new(1_000_000, 1_000)],
        ..Default::default()
    };
    let mut ours = Limiter::new(cfg).unwrap();
    let mut now = NOW;
    g.bench_function("pacekeeper keyed check (1 limit)", |b| {
        b.iter(|| {
            now += 1;
            black_box(ours.check(black_box("tenant-a"), 1, now).unwrap())
        })
    });
    let cfg2 = LimiterConfig {
        limits: vec![Limit::new(1_000, 1_000), Limit::new(60_000, 60_000)],
        ..Default::default()
    };
    let mut ours2 = Limiter::new(cfg2).unwrap();
    let mut now2 = NOW;
    g.bench_function("pacekeeper keyed check (2 limits)", |b| {
        b.iter(|| {
            now2 += 1;
            black_box(ours2.check(black_box("tenant-a"), 1, now2).unwrap())
        })
    });
    let quota = Quota::per_second(NonZeroU32::new(1_000_000).unwrap());
    let clock = FakeRelativeClock::default();
    let direct = RateLimiter::direct_with_clock(quota, clock.clone());
    g.bench_function("governor direct check (fake clock)", |b| {
        b.iter(|| {
            clock.advance(std::time::Duration::from_micros(1));
            black_box(direct.check().is_ok())
        })
    });
    let kclock = FakeRelativeClock::default();
    let keyed = RateLimiter::hashmap_with_clock(quota, kclock.clone());
    let key = "tenant-a".to_string();
    g.bench_function("governor keyed check (hashmap, fake clock)", |b| {
        b.iter(|| {
            kclock.advance(std::time::Duration::from_micros(1));
            black_box(keyed.check_key(black_box(&key)).is_ok())
        })
    });
    g.finish();
}

fn parsing(c: &mut Criterion) {
    let headers = genesys_429();
    let body = r#"{"message":"Rate limit exceeded the maximum. Retry the request in [30] seconds","code":"too.many.requests.retry.after","status":429}"#;
    let opts = ParseOptions::default();
    c.bench_function("parse typical Genesys 429", |b| {
        b.iter(|| black_box(parse(429, black_box(&headers), Some(body), NOW, &opts).unwrap()))
    });
    let ra_only = [("Retry-After", "30")];
    c.bench_function("parse Retry-After only", |b| {
        b.iter(|| black_box(parse(429, black_box(&ra_only), None, NOW, &opts).unwrap()))
    });
    let no_date: Vec<_> = headers
        .iter()
        .copied()
        .filter(|(n, _)| *n != "Date")
        .collect();
    c.bench_function("parse Genesys 429 without Date", |b| {
        b.iter(|| black_box(parse(429, black_box(&no_date), None, NOW, &opts).unwrap()))
    });
    let ietf = [
        (
            "RateLimit-Policy",
            "\"burst\";q=100;w=60, \"daily\";q=1000;w=86400",
        ),
        ("RateLimit", "\"burst\";r=0;t=5, \"daily\";r=900;t=3600"),
    ];
    c.bench_function("parse IETF structured fields", |b| {
        b.iter(|| black_box(parse(429, black_box(&ietf), None, NOW, &opts).unwrap()))
    });
}

fn backoff(c: &mut Criterion) {
    let b = Backoff::new(BackoffPolicy::default()).unwrap();
    let reading = parse(429, &genesys_429(), None, NOW, &ParseOptions::default()).unwrap();
    let outcome = Outcome::Response { reading };
    c.bench_function("backoff decision after a 429", |bench| {
        bench.iter(|| {
            let mut st = RetryState::new(NOW, 42);
            black_box(b.decide(&mut st, black_box(&outcome), NOW, None).unwrap())
        })
    });
    c.bench_function("backoff decision, network error", |bench| {
        bench.iter(|| {
            let mut st = RetryState::new(NOW, 42);
            st.attempts = 3;
            black_box(
                b.decide(&mut st, &Outcome::NetworkError, NOW, None)
                    .unwrap(),
            )
        })
    });
}

fn plans(c: &mut Criterion) {
    let req = PlanRequest {
        records: 100_000,
        sizes: None,
        max_batch_records: 500,
        max_batch_bytes: None,
        overhead_bytes: 0,
        limits: vec![Limit::new(300, 60_000).with_burst(15)],
        cost_per_batch: 1,
    };
    c.bench_function("plan 100,000 records in batches of 500", |b| {
        b.iter(|| black_box(plan(black_box(&req), NOW).unwrap()))
    });
    let sized = PlanRequest {
        sizes: Some((0..100_000u64).map(|i| 100 + i % 400).collect()),
        max_batch_bytes: Some(256 * 1024),
        ..req.clone()
    };
    c.bench_function("plan 100,000 sized records (256 KiB batches)", |b| {
        b.iter_batched(
            || (),
            |_| black_box(plan(&sized, NOW).unwrap()),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, checks, parsing, backoff, plans);
criterion_main!(benches);
