//! Decisions through Redis on loopback from one process, one connection, one round trip each:
//! `make bench-redis` (starts its own redis-server). Prints p50/p99 latency and decisions/s.

use pacekeeper::shared::{self, Kind, Request, SharedLimit};
use pacekeeper_redis_tests::{RedisStore, Server};
use std::time::{Duration, Instant};

fn run(store: &mut RedisStore, label: &str, req: &Request, n: usize) {
    let mut lat = Vec::with_capacity(n);
    let (mut allowed, mut errors) = (0usize, 0usize);
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        match store.call(&format!("{label}-{}", i % 16), req, None) {
            Ok(r) if r.kind == Kind::Allow => allowed += 1,
            Ok(_) => {}
            Err(_) => errors += 1,
        }
        lat.push(t.elapsed());
    }
    let total = start.elapsed();
    lat.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{label:<34} n={n:>6}  p50 {:>6.1} µs  p99 {:>6.1} µs  {:>7.0} decisions/s  (allowed {allowed}, errors {errors})",
        us(lat[n / 2]),
        us(lat[n * 99 / 100]),
        n as f64 / total.as_secs_f64()
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let Some(server) = Server::start() else {
        eprintln!("bench-redis: no redis-server");
        std::process::exit(1);
    };
    let mut store = RedisStore::new(server.addr, Duration::from_secs(1));
    let limits = vec![
        SharedLimit {
            interval_us: 1,
            burst: 1_000_000,
        },
        SharedLimit {
            interval_us: 10,
            burst: 1_000_000,
        },
        SharedLimit {
            interval_us: 100,
            burst: 1_000_000,
        },
    ];
    let allow = Request::Acquire {
        cost: 1,
        limits: limits.clone(),
        lease_ttl_us: 0,
        max_inflight: 0,
        max_wait_us: 0,
        idle_ttl_us: 60_000_000,
    };
    let leased = Request::Acquire {
        cost: 1,
        limits,
        lease_ttl_us: 30_000_000,
        max_inflight: 1_000_000,
        max_wait_us: 0,
        idle_ttl_us: 60_000_000,
    };
    let deny = Request::Acquire {
        cost: 1,
        limits: vec![SharedLimit {
            interval_us: 1_000_000_000,
            burst: 1,
        }],
        lease_ttl_us: 0,
        max_inflight: 0,
        max_wait_us: 0,
        idle_ttl_us: 60_000_000,
    };
    run(&mut store, "warm-up", &allow, 2_000);
    run(&mut store, "acquire, 3 limits (allow, writes)", &allow, n);
    run(&mut store, "acquire, 3 limits + lease", &leased, n);
    run(&mut store, "acquire, denied (reads only)", &deny, n);
    // The same process with 4 connections (one per thread), as a pool would use them.
    let threads = 4;
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (addr, req) = (server.addr, allow.clone());
            std::thread::spawn(move || {
                let mut s = RedisStore::new(addr, Duration::from_secs(1));
                (0..n / threads)
                    .filter(|i| s.call(&format!("bench-{}", i % 16), &req, None).is_ok())
                    .count()
            })
        })
        .collect();
    let ok: usize = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    println!(
        "{:<34} n={ok:>6}  {:>7.0} decisions/s",
        "acquire, 3 limits, 4 connections",
        ok as f64 / start.elapsed().as_secs_f64()
    );
    // The same decision from Node and Python, beside bottleneck's and `limits`' Redis stores, on
    // the same server in the same run (interpreters from PK_BENCH_NODE / PK_BENCH_PYTHON).
    let keys = shared::keys("cross-runtime").unwrap_or_default();
    // One limit, as the competitors' stores check one.
    let single = Request::Acquire {
        cost: 1,
        limits: vec![SharedLimit {
            interval_us: 1,
            burst: 1_000_000,
        }],
        lease_ttl_us: 0,
        max_inflight: 0,
        max_wait_us: 0,
        idle_ttl_us: 60_000_000,
    };
    run(&mut store, "acquire, 1 limit (allow, writes)", &single, n);
    let args = shared::encode(&single, None).unwrap_or_default();
    let json = |v: &[String]| {
        let quoted: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
        format!("[{}]", quoted.join(","))
    };
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    for (var, script) in [
        ("PK_BENCH_NODE", "bench.js"),
        ("PK_BENCH_PYTHON", "bench.py"),
    ] {
        let Ok(interp) = std::env::var(var) else {
            println!("({var} unset: {script} skipped)");
            continue;
        };
        let status = std::process::Command::new(interp)
            .arg(format!("{root}/bench/redis/{script}"))
            .arg(server.addr.port().to_string())
            .arg(n.to_string())
            .arg(json(&keys))
            .arg(json(&args))
            .arg(shared::script_sha1())
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            println!("{script} failed: {status:?}");
        }
    }
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average during the run: {}", l.trim());
    }
}
