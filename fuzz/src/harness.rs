//! What each fuzz target runs, one function per target, with the invariants it checks.
//!
//! The same file is compiled into the core's stable test `core/tests/fuzz_replay.rs`, which runs
//! every file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` through these
//! functions: `make test` replays the corpus and every crash regression without nightly.
//!
//! A broken invariant panics (an `assert!`): libFuzzer records it as a crash.

use pacekeeper::backoff::{
    Backoff, BackoffPolicy, Decision, Jitter, Outcome, RetryBudget, RetryState,
};
use pacekeeper::bucket::{AdaptiveConfig, Limit, Limiter, LimiterConfig, Verdict};
use pacekeeper::headers::{parse, ParseOptions, Reading, ResetMode, MAX_COUNT};
use pacekeeper::plan::{plan as make_plan, replan, BatchOutcome, PlanRequest};

mod pacer;

pub use pacer::pacer;

/// The largest number any reading carries: exact in every binding (2^53 − 1).
const SAFE: u64 = MAX_COUNT;

/// Reads fixed-size numbers off the front of the input; zeros once it runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }
    /// A number from a few interesting ranges, chosen by one byte.
    fn num(&mut self) -> u64 {
        match self.u8() % 6 {
            0 => u64::from(self.u8()),
            1 => u64::from(self.u16()),
            2 => u64::from(self.u32()),
            3 => self.u64(),
            4 => SAFE - u64::from(self.u8()),
            _ => u64::MAX - u64::from(self.u8()),
        }
    }
    fn rest(&mut self) -> &[u8] {
        core::mem::take(&mut self.0)
    }
}

fn check_reading(r: &Reading, opts: &ParseOptions) {
    let cap = opts.max_wait_ms;
    for w in [r.wait_ms, r.retry_after_ms, r.reset_ms]
        .into_iter()
        .flatten()
    {
        assert!(w <= cap, "a wait above the cap: {w} > {cap} in {r:?}");
    }
    for n in [r.limit, r.remaining, r.window_ms].into_iter().flatten() {
        assert!(n <= SAFE, "an unsafe integer {n} in {r:?}");
    }
    if let (Some(l), Some(rem)) = (r.limit, r.remaining) {
        assert!(rem <= l, "remaining above limit in {r:?}");
    }
    assert!(r.rejected.len() <= pacekeeper::headers::MAX_REJECTED);
    assert!(r.policies.len() <= 16 && r.states.len() <= 16);
    for p in &r.policies {
        assert!(p.quota <= SAFE && p.window_s.unwrap_or(0) <= SAFE / 1000);
    }
    for s in &r.states {
        assert!(s.remaining <= SAFE && s.reset_s.unwrap_or(0) <= cap / 1000);
    }
    assert_eq!(r.wait_source.is_some(), r.wait_ms.is_some());
}

/// Header parsing: status (2 bytes), now (8), options (1 + 8); then `name: value` lines, and
/// after a line `---` the body.
pub fn headers(data: &[u8]) {
    let mut b = Bytes(data);
    let status = 100 + b.u16() % 520; // 100..=619: some invalid
    let now = b.num();
    let mode = match b.u8() % 6 {
        0 => ResetMode::EpochSeconds,
        1 => ResetMode::EpochMillis,
        2 => ResetMode::DeltaSeconds,
        3 => ResetMode::DeltaMillis,
        _ => ResetMode::Auto,
    };
    let max_wait_ms = match b.u8() % 3 {
        0 => b.num(),
        _ => ParseOptions::default().max_wait_ms,
    };
    let opts = ParseOptions {
        max_wait_ms,
        reset_mode: mode,
    };
    let text = String::from_utf8_lossy(b.rest()).into_owned();
    let (head, body) = match text.split_once("\n---\n") {
        Some((h, body)) => (h, Some(body)),
        None => (text.as_str(), None),
    };
    let headers: Vec<(&str, &str)> = head
        .split('\n')
        .map(|l| l.split_once(':').unwrap_or((l, "")))
        .collect();
    match parse(status, &headers, body, now, &opts) {
        Ok(r) => {
            assert!((100..=599).contains(&status) && opts.validate().is_ok());
            check_reading(&r, &opts);
            // Same input, same reading.
            assert_eq!(parse(status, &headers, body, now, &opts).ok(), Some(r));
        }
        Err(e) => assert!(
            !(100..=599).contains(&status) || opts.validate().is_err(),
            "{e}"
        ),
    }
}

fn limit(b: &mut Bytes<'_>) -> Limit {
    Limit {
        amount: b.u32() % 1_000_002,
        period_ms: b.num() % (31 * 24 * 3_600_000),
        burst: b.u32() % 1_000_002,
    }
}

/// Limiter steps: a config, then ops (check, reserve, peek, observe a parsed response, block,
/// acquire/release, prune) at increasing times.
pub fn limiter(data: &[u8]) {
    let mut b = Bytes(data);
    let n = b.u8() % 4;
    let limits: Vec<Limit> = (0..n).map(|_| limit(&mut b)).collect();
    let flags = b.u8();
    let adaptive = (flags & 1 == 1).then(|| AdaptiveConfig {
        initial_milli_rps: b.u32() % 2_000_000,
        min_milli_rps: b.u32() % 1_000_000,
        max_milli_rps: b.u32() % 2_000_000,
        decrease_percent: u32::from(b.u8()),
        increase_percent: u32::from(b.u8()),
    });
    let config = LimiterConfig {
        limits,
        learn: flags & 2 == 2,
        adaptive,
        max_in_flight: (flags & 4 == 4).then(|| u32::from(b.u8())),
    };
    let Ok(l) = Limiter::new(config) else { return };
    let cap = match flags >> 4 {
        0 => 1 + b.num() % (30 * 24 * 3_600_000),
        _ => ParseOptions::default().max_wait_ms,
    };
    let Ok(mut l) = l.with_max_wait_ms(cap) else {
        unreachable!("cap {cap} is in range")
    };
    let mut now = b.num() % (1 << 50);
    let keys = ["a", "b", "c"];
    // Keys the caller itself blocked or booked ahead: their waits are the caller's word.
    let mut own = [false; 3];
    for _ in 0..64 {
        if b.0.is_empty() {
            break;
        }
        let op = b.u8();
        let k = usize::from(op >> 6) % 3;
        let key = keys[k];
        now = now.saturating_add(u64::from(b.u16()));
        let cost = 1 + u32::from(b.u8() % 4);
        match op % 8 {
            0 | 1 => {
                let v = l.check(key, cost, now);
                check_verdict(v.ok(), now);
            }
            2 => {
                own[k] = true;
                check_verdict(l.reserve(key, cost, now).ok(), now)
            }
            3 => check_verdict(l.peek(key, cost, now).ok(), now),
            4 | 5 => {
                // A hostile server: any of a few headers with arbitrary numbers.
                let (q, w, r, t) = (b.num(), b.num(), b.num(), b.num());
                let policy = format!(
                    "\"p\";q={};w={}",
                    q % 1_000_000_000_000_000,
                    w % 1_000_000_000_000_000
                );
                let state = format!(
                    "\"p\";r={};t={}",
                    r % 1_000_000_000_000_000,
                    t % 1_000_000_000_000_000
                );
                let ra = (b.num() % 1_000_000_000).to_string();
                let status = [200, 429, 503][usize::from(b.u8() % 3)];
                let mut hs: Vec<(&str, &str)> =
                    vec![("RateLimit-Policy", &policy), ("RateLimit", &state)];
                if op & 8 == 8 {
                    hs.push(("Retry-After", &ra));
                }
                let opts = ParseOptions::default();
                if let Ok(reading) = parse(status, &hs, None, now, &opts) {
                    assert!(l.observe(key, &reading, now).is_ok());
                    // Whatever the server said, the next request waits no longer than the cap
                    // (configured limits aside: none are configured then).
                    if l.config().limits.is_empty() && !own[k] {
                        if let Ok(Verdict::Wait { wait_ms, .. }) = l.peek(key, 1, now) {
                            assert!(wait_ms <= cap, "{wait_ms} > cap {cap} after {hs:?}");
                        }
                    }
                }
            }
            6 => {
                own[k] = true;
                let until = now.saturating_add(b.num() % 100_000_000);
                assert!(l.block_until(key, until).is_ok());
            }
            _ => match op & 3 {
                0 => drop(l.acquire(key)),
                1 => drop(l.release(key)),
                _ => {
                    l.prune(now);
                }
            },
        }
    }
    // The state round-trips.
    assert!(Limiter::from_state(l.config().clone(), l.state().clone()).is_ok());
}

fn check_verdict(v: Option<Verdict>, now: u64) {
    match v {
        Some(Verdict::Wait { until, wait_ms }) => {
            assert!(until > now);
            assert_eq!(until - now, wait_ms);
        }
        Some(Verdict::Never { cost, capacity }) => assert!(cost > capacity),
        _ => {}
    }
}

/// Plans and replans: every record in exactly one batch, send times in order of planning.
pub fn plan(data: &[u8]) {
    let mut b = Bytes(data);
    let flags = b.u8();
    let sizes = (flags & 1 == 1).then(|| {
        let n = usize::from(b.u16() % 1024);
        (0..n).map(|_| b.num() % 100_000).collect::<Vec<u64>>()
    });
    let n = b.u8() % 3;
    let req = PlanRequest {
        records: b.num() % 20_000,
        sizes,
        max_batch_records: u32::from(b.u16()),
        max_batch_bytes: (flags & 2 == 2).then(|| b.num()),
        overhead_bytes: b.num() % 1000,
        limits: (0..n).map(|_| limit(&mut b)).collect(),
        cost_per_batch: u32::from(b.u8()),
    };
    let now = b.num() % (1 << 52);
    let Ok(p) = make_plan(&req, now) else { return };
    let total = req.sizes.as_ref().map_or(req.records, |s| s.len() as u64);
    let mut next = 0;
    for (i, batch) in p.batches.iter().enumerate() {
        assert_eq!(batch.index, i as u64);
        assert_eq!(batch.start, next);
        assert!(batch.end > batch.start);
        assert!(batch.send_at >= now && batch.send_at <= p.finish_at);
        next = batch.end;
    }
    assert_eq!(next, total);
    let outcomes: Vec<BatchOutcome> = p
        .batches
        .iter()
        .filter_map(|batch| match b.u8() % 4 {
            0 => Some(BatchOutcome::Done { index: batch.index }),
            1 => Some(BatchOutcome::Failed { index: batch.index }),
            2 => Some(BatchOutcome::Throttled {
                index: batch.index,
                retry_at: now.saturating_add(b.num() % 1_000_000_000),
            }),
            _ => None,
        })
        .collect();
    let later = now.saturating_add(u64::from(b.u32()));
    if let Ok(q) = replan(&req, &p, &outcomes, later) {
        let done = outcomes
            .iter()
            .filter(|o| matches!(o, BatchOutcome::Done { .. }))
            .count();
        assert_eq!(q.batches.len() + done, p.batches.len());
        for batch in &q.batches {
            assert!(batch.send_at >= later);
        }
    }
}

/// Backoff: delays for any attempt number (up to u32::MAX) are bounded and quick; decisions
/// honour the server's floor and the policy's limits.
pub fn backoff(data: &[u8]) {
    let mut b = Bytes(data);
    let jitter = match b.u8() % 4 {
        0 => Jitter::None,
        1 => Jitter::Full,
        2 => Jitter::Equal,
        _ => Jitter::Decorrelated,
    };
    let base_ms = 1 + b.num() % 100_000;
    let policy = BackoffPolicy {
        base_ms,
        multiplier: 1.0 + f64::from(b.u32()) / f64::from(u32::MAX) * f64::from(b.u8() % 8),
        cap_ms: base_ms.saturating_add(b.num() % 100_000_000),
        jitter,
        max_attempts: 1 + u32::from(b.u16()) % 1000,
        deadline_ms: None,
        hint_spread_percent: u32::from(b.u8() % 101),
        ..BackoffPolicy::default()
    };
    let Ok(backoff) = Backoff::new(policy.clone()) else {
        return;
    };
    let seed = b.u64();
    for _ in 0..4 {
        let n = b.u32().max(1);
        let d = policy.exponential_ms(n);
        assert!(d >= policy.base_ms.min(policy.cap_ms) && d <= policy.cap_ms);
        if n > 1 {
            assert!(policy.exponential_ms(n - 1) <= d, "not monotone at {n}");
        }
        assert!(policy.delay_ms(n, b.num(), seed) <= policy.cap_ms.max(policy.base_ms));
    }
    let mut st = RetryState::new(b.num() % (1 << 50), seed);
    let mut budget = RetryBudget::default();
    let mut now = st.started_at;
    for _ in 0..16 {
        if b.0.is_empty() {
            break;
        }
        let status = [200, 429, 500, 503, 404][usize::from(b.u8() % 5)];
        let ra = (b.num() % 100_000).to_string();
        let hs = [("Retry-After", ra.as_str())];
        let outcome = if b.u8() % 5 == 0 {
            Outcome::NetworkError
        } else {
            match parse(status, &hs, None, now, &ParseOptions::default()) {
                Ok(reading) => Outcome::Response { reading },
                Err(_) => Outcome::NetworkError,
            }
        };
        let floor = match &outcome {
            Outcome::Response { reading } => reading.wait_ms.unwrap_or(0),
            Outcome::NetworkError => 0,
        };
        match backoff.decide(&mut st, &outcome, now, Some(&mut budget)) {
            Ok(Decision::Retry { at, delay_ms, .. }) => {
                assert_eq!(at, now.saturating_add(delay_ms));
                assert!(delay_ms >= floor, "retry before the server's floor");
                now = at;
            }
            Ok(_) => break,
            Err(e) => unreachable!("decide failed: {e}"),
        }
    }
}
