//! `make demo`: what the engine decides for the two classic Genesys Cloud jobs, with no network.
//!
//! 1. A messaging sender fires 100 messages against a burst of 15, then 1 per second.
//! 2. A bulk sync pushes 10,000 contacts in batches of 500 under 300 requests per minute, and
//!    gets one 429 with `Retry-After: 30` half-way through.
//!
//! Everything printed comes from the engine's own output; the clock is simulated.

use pacekeeper::backoff::{Backoff, BackoffPolicy, Decision, Outcome, RetryState};
use pacekeeper::bucket::{Limit, Limiter, LimiterConfig, Verdict};
use pacekeeper::headers::{parse, ParseOptions};
use pacekeeper::plan::{plan, replan, BatchOutcome, PlanRequest};

const T0: u64 = 1_700_000_000_000;

fn secs(ms: u64) -> String {
    format!("{:>7.3} s", ms as f64 / 1000.0)
}

fn main() -> Result<(), pacekeeper::Error> {
    messaging()?;
    println!();
    bulk()?;
    println!();
    retry_after()?;
    Ok(())
}

fn messaging() -> Result<(), pacekeeper::Error> {
    println!("== Messaging: 100 sends, a burst of 15 then 1 per second ==");
    let mut limiter = Limiter::new(LimiterConfig {
        limits: vec![Limit::new(1, 1_000).with_burst(15)],
        ..Default::default()
    })?;
    // Every send reserves its slot at t=0: the engine staggers them instead of letting all 100
    // fire and 85 bounce off a 429.
    let mut slots = Vec::with_capacity(100);
    for _ in 0..100 {
        let at = match limiter.reserve("messaging", 1, T0)? {
            Verdict::Allow { .. } => T0,
            Verdict::Wait { until, .. } => until,
            Verdict::Never { cost, capacity } => {
                return Err(pacekeeper::Error::new(
                    pacekeeper::ErrorCode::InvalidCost,
                    format!("cost {cost} above burst {capacity}"),
                ))
            }
        };
        slots.push(at - T0);
    }
    let immediate = slots.iter().filter(|s| **s == 0).count();
    println!("sends at t=0: {immediate}");
    for (i, s) in slots.iter().enumerate() {
        if i < 3 || (14..18).contains(&i) || i >= 98 {
            println!("  send #{:<3} at {}", i + 1, secs(*s));
        } else if i == 3 || i == 18 {
            println!("  ...");
        }
    }
    println!(
        "last send at {} — zero 429s expected",
        secs(*slots.last().unwrap_or(&0))
    );
    Ok(())
}

fn bulk() -> Result<(), pacekeeper::Error> {
    println!(
        "== Bulk sync: 10,000 contacts in batches of 500 under 300 requests/min (burst 15) =="
    );
    let req = PlanRequest {
        records: 10_000,
        sizes: None,
        max_batch_records: 500,
        max_batch_bytes: None,
        overhead_bytes: 0,
        limits: vec![Limit::new(300, 60_000).with_burst(15)],
        cost_per_batch: 1,
    };
    let p = plan(&req, T0)?;
    println!(
        "{} batches, estimated duration {}",
        p.batches.len(),
        secs(p.duration_ms)
    );
    for b in p
        .batches
        .iter()
        .take(3)
        .chain(p.batches.iter().skip(14).take(3))
    {
        println!(
            "  batch {:>2}: contacts {:>5}..{:<5} send at {}",
            b.index,
            b.start,
            b.end,
            secs(b.send_at - T0)
        );
    }
    // Batch 10 came back 429 Retry-After: 30; batches 0..=9 succeeded.
    let outcomes: Vec<BatchOutcome> = (0..10)
        .map(|index| BatchOutcome::Done { index })
        .chain([BatchOutcome::Throttled {
            index: 10,
            retry_at: T0 + 30_000,
        }])
        .collect();
    let p2 = replan(&req, &p, &outcomes, T0 + 100)?;
    println!(
        "after a 429 (Retry-After: 30) on batch 10: {} batches left, first at {}, finishing at {}",
        p2.batches.len(),
        secs(p2.batches.first().map_or(0, |b| b.send_at - T0)),
        secs(p2.finish_at - T0)
    );
    let covered: u64 =
        (0..10).map(|_| 500).sum::<u64>() + p2.batches.iter().map(|b| b.end - b.start).sum::<u64>();
    println!("contacts covered exactly once: {covered} of 10000");
    Ok(())
}

fn retry_after() -> Result<(), pacekeeper::Error> {
    println!("== A WFM sync meets 429 Retry-After: 30 (and would have retried every 5 s) ==");
    let headers = [
        ("Retry-After", "30"),
        ("inin-ratelimit-allowed", "300"),
        ("inin-ratelimit-count", "300"),
        ("inin-ratelimit-reset", "30"),
    ];
    let reading = parse(429, &headers, None, T0, &ParseOptions::default())?;
    println!(
        "reading: throttled={} wait={:?} ms from {:?}, limit={:?} remaining={:?}",
        reading.throttled, reading.wait_ms, reading.wait_source, reading.limit, reading.remaining
    );
    let backoff = Backoff::new(BackoffPolicy::default())?;
    for (tenant, seed) in [("tenant-a", 1u64), ("tenant-b", 2), ("tenant-c", 3)] {
        let mut st = RetryState::new(T0, seed);
        let d = backoff.decide(
            &mut st,
            &Outcome::Response {
                reading: reading.clone(),
            },
            T0,
            None,
        )?;
        if let Decision::Retry {
            delay_ms, reason, ..
        } = d
        {
            println!("  {tenant}: retry in {} ({reason:?}) — never before 30 s, spread so tenants do not stampede", secs(delay_ms));
        }
    }
    Ok(())
}
