//! Many callers on one budget: caller clocks skewed by δ, and 4 workers on their own threads.

use super::common::{acquire, lim, store, T0};
use pacekeeper::shared::{step, Kind, State};
use pacekeeper_redis_tests::{RedisStore, Server};
use std::time::{Duration, Instant};

/// Caller clocks skewed by δ: admissions in any true-time window exceed burst + span/interval by
/// at most ⌈δ / interval⌉ (the bound documented in `pacekeeper::shared`).
#[test]
fn skewed_caller_clocks_overshoot_by_at_most_skew_over_interval() {
    let Some(s) = Server::start() else { return };
    let mut st = store(&s);
    let (interval, burst) = (100_000u64, 3u64);
    for (skew, id) in [
        (0u64, "skew0"),
        (250_000, "skew250"),
        (1_000_000, "skew1000"),
    ] {
        let req = acquire(vec![lim(interval, burst)]);
        let mut admitted = Vec::new();
        let mut t = T0;
        for i in 0..2000u64 {
            t += 5_000; // true time, 5 ms steps: 10 s in all
                        // Two processes: one on time, one ahead by `skew`; they alternate.
            let clock = if i % 2 == 0 { t } else { t + skew };
            let r = st.call(id, &req, Some(clock)).unwrap();
            if r.kind == Kind::Allow {
                admitted.push(t);
            }
        }
        let extra = skew.div_ceil(interval);
        let mut worst = 0i64;
        for (i, &start) in admitted.iter().enumerate() {
            for (j, &end) in admitted[i..].iter().enumerate() {
                let allowed = burst + (end - start) / interval;
                worst = worst.max(j as i64 + 1 - allowed as i64);
            }
        }
        assert!(
            worst <= extra as i64,
            "skew {skew}: overshoot {worst} > {extra}"
        );
        // Liveness: at least the rate over 10 s.
        assert!(
            admitted.len() as u64 >= 10_000_000 / interval,
            "{}",
            admitted.len()
        );
        eprintln!(
            "skew {skew} µs: {} admitted, worst overshoot {worst} (bound {extra})",
            admitted.len()
        );
    }
}

/// 4 workers (own connections, own threads) hammer one budget for a bounded 2 s, waiting as told.
/// Replayed in server-time order into one core model, every admission must be admissible, and
/// the admissions must reach ≥ 90 % of the theoretical maximum (burst + elapsed / interval).
#[test]
fn four_workers_on_one_budget_admit_only_what_one_model_admits_and_near_the_maximum() {
    let Some(s) = Server::start() else { return };
    let limits = vec![lim(10_000, 5), lim(50_000, 40)]; // 100/s burst 5, and 20/s burst 40
    let req = acquire(limits.clone());
    let run_for = Duration::from_secs(2);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (addr, req) = (s.addr, req.clone());
            std::thread::spawn(move || {
                let mut st = RedisStore::new(addr, Duration::from_millis(500));
                let start = Instant::now();
                let mut admitted = Vec::new();
                let mut calls = 0;
                while start.elapsed() < run_for && calls < 100_000 {
                    calls += 1;
                    let r = st.call("herd", &req, None).unwrap();
                    match r.kind {
                        Kind::Allow => admitted.push(r.now_us),
                        Kind::Wait => {
                            std::thread::sleep(Duration::from_micros(r.wait_us.min(100_000)))
                        }
                        k => panic!("{k:?}"),
                    }
                }
                admitted
            })
        })
        .collect();
    let mut all: Vec<u64> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    all.sort_unstable();
    let mut model = State::default();
    for &t in &all {
        assert_eq!(
            step(&mut model, &req, t).unwrap().kind,
            Kind::Allow,
            "at {t}"
        );
    }
    let span = all.last().unwrap() - all.first().unwrap();
    // The binding limit over 2 s: 20/s with a burst of 40.
    let max = (40 + span / 50_000).min(5 + span / 10_000);
    assert!(all.len() as u64 <= max, "{} > {max}", all.len());
    assert!(
        all.len() as u64 * 10 >= max * 9,
        "liveness: {} of {max}",
        all.len()
    );
    eprintln!(
        "4 workers: {} admitted of a theoretical {max} over {span} µs",
        all.len()
    );
}
