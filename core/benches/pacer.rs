//! Criterion benchmarks: one pacer step beside today's `check` + `observe` + `decide`, in one run.
//!
//! `cargo bench -p pacekeeper --bench pacer` (see BENCHMARKS.md). Readings are parsed once,
//! outside the timed loop, on both sides.
#![allow(clippy::unwrap_used)] // a benchmark that fails should stop loudly

use criterion::{criterion_group, criterion_main, Criterion};
use pacekeeper::backoff::{Backoff, BackoffPolicy, Outcome, RetryState};
use pacekeeper::bucket::{Limit, Limiter, LimiterConfig};
use pacekeeper::headers::{parse, ParseOptions};
use pacekeeper::pacer::{After, Pacer, PacerConfig, Step};
use std::hint::black_box;

const NOW: u64 = 1_700_000_000_000;

fn reading(status: u16, h: &[(&str, &str)]) -> Outcome {
    let reading = parse(status, h, None, NOW, &ParseOptions::default()).unwrap();
    Outcome::Response { reading }
}

fn limit() -> Vec<Limit> {
    vec![Limit::new(1_000_000, 1_000)]
}

fn bench(c: &mut Criterion) {
    let ok = reading(
        200,
        &[
            ("X-RateLimit-Limit", "1000000"),
            ("X-RateLimit-Remaining", "999999"),
            ("X-RateLimit-Reset", "1"),
        ],
    );
    let unavailable = reading(503, &[]);
    let (Outcome::Response { reading: ok_r }, Outcome::Response { reading: un_r }) =
        (ok.clone(), unavailable.clone())
    else {
        unreachable!()
    };
    let mut g = c.benchmark_group("pacer vs check+decide");

    // A call that succeeds at once.
    let mut limiter = Limiter::new(LimiterConfig {
        limits: limit(),
        ..Default::default()
    })
    .unwrap();
    let backoff = Backoff::new(BackoffPolicy::default()).unwrap();
    let mut now = NOW;
    g.bench_function("today: check + observe + decide (success)", |b| {
        b.iter(|| {
            now += 1;
            black_box(limiter.check(black_box("tenant-a"), 1, now).unwrap());
            limiter.observe("tenant-a", &ok_r, now).ok();
            let mut st = RetryState::new(now, 7);
            black_box(backoff.decide(&mut st, black_box(&ok), now, None).unwrap())
        })
    });
    let mut pacer = Pacer::new(PacerConfig {
        limits: limit(),
        ..PacerConfig::default()
    })
    .unwrap();
    let mut now = NOW;
    g.bench_function("pacer: begin + finish (success)", |b| {
        b.iter(|| {
            now += 1;
            let Step::Go { ticket } = pacer.begin(black_box("tenant-a"), 1, now).unwrap() else {
                unreachable!()
            };
            black_box(pacer.finish(ticket, black_box(&ok), now).unwrap())
        })
    });

    // A call that fails once (503, no hint) and succeeds on its retry.
    let mut limiter = Limiter::new(LimiterConfig {
        limits: limit(),
        ..Default::default()
    })
    .unwrap();
    let mut now = NOW;
    g.bench_function("today: 2 x (check + observe + decide) (one retry)", |b| {
        b.iter(|| {
            now += 1;
            let mut st = RetryState::new(now, 7);
            black_box(limiter.check("tenant-a", 1, now).unwrap());
            limiter.observe("tenant-a", &un_r, now).ok();
            let d = backoff.decide(&mut st, &unavailable, now, None).unwrap();
            let pacekeeper::Decision::Retry { at, .. } = d else {
                unreachable!()
            };
            now = at;
            black_box(limiter.check("tenant-a", 1, now).unwrap());
            limiter.observe("tenant-a", &ok_r, now).ok();
            black_box(backoff.decide(&mut st, &ok, now, None).unwrap())
        })
    });
    let mut pacer = Pacer::new(PacerConfig {
        limits: limit(),
        ..PacerConfig::default()
    })
    .unwrap();
    let mut now = NOW;
    g.bench_function("pacer: begin + finish + resume + finish (one retry)", |b| {
        b.iter(|| {
            now += 1;
            let Step::Go { ticket } = pacer.begin("tenant-a", 1, now).unwrap() else {
                unreachable!()
            };
            let After::Retry { at, .. } = pacer.finish(ticket, &unavailable, now).unwrap() else {
                unreachable!()
            };
            now = at;
            let Step::Go { ticket } = pacer.resume(ticket, now).unwrap() else {
                unreachable!()
            };
            black_box(pacer.finish(ticket, &ok, now).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
