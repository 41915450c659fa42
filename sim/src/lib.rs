//! A deterministic virtual-time simulator over the pacekeeper [`Pacer`].
//!
//! Server models × client strategies × workloads, all in virtual milliseconds: a run is a pure
//! function of its inputs and seed. Each request takes [`LATENCY_MS`] to come back; the server
//! decides at the instant the request is sent.

use pacekeeper::httpdate::format_http_date;
use pacekeeper::pacer::{After, Pacer, PacerConfig, Step};
use pacekeeper::{parse, BackoffPolicy, Limit, Outcome, ParseOptions};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// The round trip of every request, virtual ms.
pub const LATENCY_MS: u64 = 20;
/// The most attempts any strategy makes for one call (then the call is lost).
pub const MAX_ATTEMPTS: u32 = 30;
/// A run stops after this much virtual time (what is unfinished is lost).
pub const HORIZON_MS: u64 = 3_600_000;
/// The server clock's lead over the clients' in the skewed-clock model.
pub const SKEW_MS: u64 = 37_000;

/// A server model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServerKind {
    /// A token bucket (`rate` per second, `burst`); `X-RateLimit-*` on every response, the reset
    /// being the whole seconds until the next token when none is left; `Retry-After` on a 429.
    TokenBucket,
    /// `burst` requests per window of `burst / rate` seconds, reset at the window's end.
    FixedWindow,
    /// At most `burst` requests in any window of `burst / rate` seconds.
    SlidingWindow,
    /// A fixed window whose 429 always says `Retry-After: 1`, however far the window's end is.
    LyingRetryAfter,
    /// A token bucket that answers a client's request sent before the `Retry-After` it gave that
    /// client with another 429 and a lockout 2 s longer.
    StrictPenalty,
    /// A fixed window whose `Retry-After` is an HTTP-date and whose `Date` runs 37 s ahead.
    SkewedClock,
    /// A token bucket where 10 % of requests are lost on the network (no response).
    Faults,
}

impl ServerKind {
    /// Every model.
    pub const ALL: [ServerKind; 7] = [
        ServerKind::TokenBucket,
        ServerKind::FixedWindow,
        ServerKind::SlidingWindow,
        ServerKind::LyingRetryAfter,
        ServerKind::StrictPenalty,
        ServerKind::SkewedClock,
        ServerKind::Faults,
    ];

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::TokenBucket => "token bucket",
            ServerKind::FixedWindow => "fixed window",
            ServerKind::SlidingWindow => "sliding window",
            ServerKind::LyingRetryAfter => "lying Retry-After",
            ServerKind::StrictPenalty => "strict penalty",
            ServerKind::SkewedClock => "skewed clock",
            ServerKind::Faults => "10% faults",
        }
    }
}

/// A client strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    /// pacekeeper's pacer, default configuration (learning; `max_attempts` raised to
    /// [`MAX_ATTEMPTS`] like every other strategy here).
    Pacekeeper,
    /// pacekeeper's pacer configured with the server's rate and burst.
    PacekeeperConfigured,
    /// Retry every 5 s.
    Fixed5s,
    /// Exponential backoff, no jitter, headers ignored (AWS "no jitter"; tenacity's exponential).
    Exponential,
    /// urllib3-style: `Retry-After` when present (an HTTP-date read against the client's own
    /// clock), else `0.5 s · 2^(n−1)`.
    Urllib3,
    /// AWS full jitter, headers ignored.
    FullJitter,
    /// AWS equal jitter, headers ignored.
    EqualJitter,
    /// AWS decorrelated jitter, headers ignored.
    DecorrelatedJitter,
    /// Knows the server's state: sends exactly when it would admit.
    Oracle,
}

impl Strategy {
    /// Every strategy.
    pub const ALL: [Strategy; 9] = [
        Strategy::Oracle,
        Strategy::Pacekeeper,
        Strategy::PacekeeperConfigured,
        Strategy::Fixed5s,
        Strategy::Exponential,
        Strategy::Urllib3,
        Strategy::FullJitter,
        Strategy::EqualJitter,
        Strategy::DecorrelatedJitter,
    ];

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Pacekeeper => "pacekeeper",
            Strategy::PacekeeperConfigured => "pacekeeper configured",
            Strategy::Fixed5s => "fixed 5 s",
            Strategy::Exponential => "exponential, no jitter",
            Strategy::Urllib3 => "urllib3 Retry-After",
            Strategy::FullJitter => "full jitter",
            Strategy::EqualJitter => "equal jitter",
            Strategy::DecorrelatedJitter => "decorrelated jitter",
            Strategy::Oracle => "oracle",
        }
    }
}

/// A workload: who calls, how often, against which keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// A short name.
    pub name: &'static str,
    /// Client processes (each with its own pacer).
    pub instances: u32,
    /// Concurrent workers per instance.
    pub workers: u32,
    /// Calls per worker, made one after another.
    pub calls: u32,
    /// Distinct keys (tenants); worker `w` of every instance uses key `w % keys`.
    pub keys: u32,
    /// The server's rate per key, requests per second.
    pub rate: u32,
    /// The server's burst per key.
    pub burst: u32,
}

impl Workload {
    /// 100 clients, one call each, contending for one resource (the AWS backoff study's set-up).
    pub const CONTENTION: Workload = Workload {
        name: "contention: 100 clients, 1 resource",
        instances: 100,
        workers: 1,
        calls: 1,
        keys: 1,
        rate: 10,
        burst: 5,
    };
    /// 1,000 tenants in one process, 10 calls each, each tenant with its own budget.
    pub const TENANTS: Workload = Workload {
        name: "1,000 tenants",
        instances: 1,
        workers: 1000,
        calls: 10,
        keys: 1000,
        rate: 2,
        burst: 5,
    };
    /// 10 instances of one app, 3 workers each, sharing one token's budget.
    pub const SHARED_TOKEN: Workload = Workload {
        name: "10 instances sharing a token",
        instances: 10,
        workers: 3,
        calls: 20,
        keys: 1,
        rate: 5,
        burst: 10,
    };
}

/// What a run measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metrics {
    /// Requests sent.
    pub calls: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Requests sent before the instant a 429's `Retry-After` named to the same caller.
    pub early: u64,
    /// Calls given up (or unfinished at the horizon).
    pub lost: u64,
    /// When the last call finished, virtual ms.
    pub completion_ms: u64,
}

impl Metrics {
    fn add(&mut self, o: &Metrics) {
        self.calls += o.calls;
        self.throttled += o.throttled;
        self.early += o.early;
        self.lost += o.lost;
        self.completion_ms += o.completion_ms;
    }
}

#[derive(Debug, Clone, Default)]
struct KeyServer {
    /// Token bucket: milli-tokens and when they were counted.
    milli: u64,
    at: u64,
    /// Windows: the current window's start and count; the sliding log.
    window_start: u64,
    count: u32,
    log: Vec<u64>,
    /// Strict penalty: no request from a client before its lockout.
    lockout: BTreeMap<usize, u64>,
}

/// A server's answer: status and headers, or a lost request.
#[derive(Debug, Clone)]
enum Answer {
    Response(u16, Vec<(String, String)>),
    Lost,
}

struct Server {
    kind: ServerKind,
    rate: u64,
    burst: u64,
    keys: BTreeMap<u32, KeyServer>,
    rng: ChaCha8Rng,
}

fn secs_up(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

impl Server {
    fn new(kind: ServerKind, w: &Workload, seed: u64) -> Self {
        Server {
            kind,
            rate: u64::from(w.rate),
            burst: u64::from(w.burst),
            keys: BTreeMap::new(),
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5e4e_4e4e),
        }
    }

    fn window_ms(&self) -> u64 {
        (self.burst * 1000).div_ceil(self.rate)
    }

    fn is_bucket(&self) -> bool {
        matches!(
            self.kind,
            ServerKind::TokenBucket | ServerKind::StrictPenalty | ServerKind::Faults
        )
    }

    fn state(&mut self, key: u32, t: u64) -> &mut KeyServer {
        let (rate, burst, bucket, w) = (self.rate, self.burst, self.is_bucket(), self.window_ms());
        let s = self.keys.entry(key).or_insert_with(|| KeyServer {
            milli: burst * 1000,
            at: t,
            ..KeyServer::default()
        });
        if bucket {
            s.milli = (s.milli + (t - s.at.min(t)) * rate).min(burst * 1000);
            s.at = s.at.max(t);
        } else {
            let start = t / w * w;
            if start != s.window_start {
                s.window_start = start;
                s.count = 0;
            }
            s.log.retain(|x| x + w > t);
        }
        s
    }

    /// The earliest instant ≥ t at which the server admits a request for `key` (the oracle's view).
    fn admit_at(&mut self, key: u32, client: usize, t: u64) -> u64 {
        let (rate, burst, w, kind) = (self.rate, self.burst, self.window_ms(), self.kind);
        let bucket = self.is_bucket();
        let s = self.state(key, t);
        let base = if bucket {
            if s.milli >= 1000 {
                t
            } else {
                t + (1000 - s.milli).div_ceil(rate)
            }
        } else if kind == ServerKind::SlidingWindow {
            if (s.log.len() as u64) < burst {
                t
            } else {
                s.log.first().map_or(t, |x| x + w)
            }
        } else if u64::from(s.count) < burst {
            t
        } else {
            s.window_start + w
        };
        base.max(s.lockout.get(&client).copied().unwrap_or(0))
    }

    fn handle(&mut self, key: u32, client: usize, t: u64) -> Answer {
        if self.kind == ServerKind::Faults && self.rng.next_u64() % 10 == 0 {
            return Answer::Lost;
        }
        let (rate, burst, w, kind) = (self.rate, self.burst, self.window_ms(), self.kind);
        let bucket = self.is_bucket();
        let s = self.state(key, t);
        let mut h: Vec<(String, String)> = Vec::new();
        let hdr =
            |h: &mut Vec<(String, String)>, n: &str, v: u64| h.push((n.into(), v.to_string()));
        if kind == ServerKind::StrictPenalty {
            if let Some(l) = s.lockout.get_mut(&client).filter(|l| t < **l) {
                *l += 2000;
                hdr(&mut h, "Retry-After", secs_up(*l - t));
                return Answer::Response(429, h);
            }
        }
        if bucket {
            if s.milli >= 1000 {
                s.milli -= 1000;
                let rem = s.milli / 1000;
                let reset = if rem == 0 {
                    (1000 - s.milli).div_ceil(rate)
                } else {
                    (burst * 1000 - s.milli).div_ceil(rate)
                };
                hdr(&mut h, "X-RateLimit-Limit", burst);
                hdr(&mut h, "X-RateLimit-Remaining", rem);
                hdr(&mut h, "X-RateLimit-Reset", secs_up(reset));
                return Answer::Response(200, h);
            }
            let wait = (1000 - s.milli).div_ceil(rate);
            let ra = secs_up(wait).max(1);
            if kind == ServerKind::StrictPenalty {
                s.lockout.insert(client, t + ra * 1000);
            }
            hdr(&mut h, "Retry-After", ra);
            hdr(&mut h, "X-RateLimit-Limit", burst);
            hdr(&mut h, "X-RateLimit-Remaining", 0);
            hdr(&mut h, "X-RateLimit-Reset", ra);
            return Answer::Response(429, h);
        }
        let (used, end) = if kind == ServerKind::SlidingWindow {
            (s.log.len() as u64, s.log.first().map_or(t + w, |x| x + w))
        } else {
            (u64::from(s.count), s.window_start + w)
        };
        if used < burst {
            if kind == ServerKind::SlidingWindow {
                s.log.push(t);
            } else {
                s.count += 1;
            }
            let end = if kind == ServerKind::SlidingWindow {
                s.log.first().map_or(t + w, |x| x + w)
            } else {
                end
            };
            hdr(&mut h, "X-RateLimit-Limit", burst);
            hdr(&mut h, "X-RateLimit-Remaining", burst - used - 1);
            hdr(&mut h, "X-RateLimit-Reset", secs_up(end - t));
            return Answer::Response(200, h);
        }
        match kind {
            ServerKind::LyingRetryAfter => hdr(&mut h, "Retry-After", 1),
            ServerKind::SkewedClock => {
                let server_now = t + SKEW_MS;
                h.push(("Date".into(), format_http_date(server_now)));
                // HTTP-dates are whole seconds: round the instant up.
                let at = (server_now + (end - t)).div_ceil(1000) * 1000;
                h.push(("Retry-After".into(), format_http_date(at)));
            }
            _ => {
                hdr(&mut h, "Retry-After", secs_up(end - t).max(1));
                hdr(&mut h, "X-RateLimit-Limit", burst);
                hdr(&mut h, "X-RateLimit-Remaining", 0);
                hdr(&mut h, "X-RateLimit-Reset", secs_up(end - t).max(1));
            }
        }
        Answer::Response(429, h)
    }
}

#[derive(Debug, Default)]
struct Queue {
    heap: BinaryHeap<Reverse<(u64, u64, usize, u8)>>,
    seq: u64,
}

impl Queue {
    /// Events at the same instant run in the order they were scheduled.
    fn push(&mut self, t: u64, id: usize, ev: Ev) {
        self.seq += 1;
        self.heap.push(Reverse((t, self.seq, id, ev as u8)));
    }

    fn pop(&mut self) -> Option<(u64, usize, u8)> {
        self.heap.pop().map(|Reverse((t, _, id, ev))| (t, id, ev))
    }
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    /// The worker wakes to send (or to resume its ticket).
    Wake,
    /// The response to the worker's request arrives.
    Reply,
}

#[derive(Debug, Clone)]
struct Worker {
    instance: usize,
    key: u32,
    calls_left: u32,
    attempt: u32,
    prev_delay: u64,
    ticket: Option<u64>,
    /// No request before this (the last Retry-After this worker was given).
    told_floor: u64,
    pending: Option<Answer>,
}

fn uniform(rng: &mut ChaCha8Rng, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    lo + rng.next_u64() % (hi - lo + 1)
}

const BASE_MS: u64 = 100;
const CAP_MS: u64 = 30_000;

fn expo(n: u32) -> u64 {
    BASE_MS
        .saturating_mul(1u64 << n.saturating_sub(1).min(20))
        .min(CAP_MS)
}

/// The Retry-After a naive client reads: seconds, or an HTTP-date against its own clock.
fn naive_retry_after(h: &[(String, String)], t: u64) -> Option<u64> {
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

fn pacer_config(strategy: Strategy, w: &Workload, seed: u64) -> PacerConfig {
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

/// Runs one workload against one server model with one strategy.
pub fn run(kind: ServerKind, strategy: Strategy, w: &Workload, seed: u64) -> Metrics {
    let mut server = Server::new(kind, w, seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pacers: Vec<Pacer> = (0..w.instances)
        .map(|i| {
            Pacer::new(pacer_config(
                strategy,
                w,
                seed.wrapping_mul(1000) + u64::from(i),
            ))
            .unwrap_or_else(|e| unreachable!("{e}"))
        })
        .collect();
    let mut workers = Vec::new();
    for i in 0..w.instances {
        for k in 0..w.workers {
            workers.push(Worker {
                instance: i as usize,
                key: k % w.keys,
                calls_left: w.calls,
                attempt: 0,
                prev_delay: 0,
                ticket: None,
                told_floor: 0,
                pending: None,
            });
        }
    }
    let mut heap = Queue::default();
    for id in 0..workers.len() {
        heap.push(0, id, Ev::Wake);
    }
    let mut m = Metrics::default();
    let opts = ParseOptions::default();
    let pk = matches!(
        strategy,
        Strategy::Pacekeeper | Strategy::PacekeeperConfigured
    );
    while let Some((t, id, ev)) = heap.pop() {
        if t > HORIZON_MS {
            break;
        }
        let wk = &mut workers[id];
        let key_name = format!("key-{}", wk.key);
        if ev == Ev::Wake as u8 {
            if wk.calls_left == 0 {
                continue;
            }
            if pk {
                let p = &mut pacers[wk.instance];
                let step = match wk.ticket {
                    Some(tk) => p.resume(tk, t),
                    None => p.begin(&key_name, 1, t),
                };
                match step {
                    Ok(Step::Go { ticket }) => wk.ticket = Some(ticket),
                    Ok(Step::Wait { ticket, until }) => {
                        wk.ticket = Some(ticket);
                        heap.push(until.max(t + 1), id, Ev::Wake);
                        continue;
                    }
                    Ok(Step::Never { .. }) | Err(_) => {
                        m.lost += 1;
                        wk.calls_left = 0;
                        continue;
                    }
                }
            } else if strategy == Strategy::Oracle {
                let at = server.admit_at(wk.key, id, t);
                if at > t {
                    heap.push(at, id, Ev::Wake);
                    continue;
                }
            }
            m.calls += 1;
            if t < wk.told_floor {
                m.early += 1;
            }
            wk.pending = Some(server.handle(wk.key, id, t));
            heap.push(t + LATENCY_MS, id, Ev::Reply);
            continue;
        }
        // A reply.
        let answer = wk.pending.take().unwrap_or(Answer::Lost);
        let (ok, hint) = match &answer {
            Answer::Response(s, h) => {
                if *s == 429 {
                    m.throttled += 1;
                    // The instant the server named, in the client's time (the Date skew removed).
                    if let Ok(r) = parse(*s, h, None, t, &opts) {
                        wk.told_floor = wk.told_floor.max(t + r.wait_ms.unwrap_or(0));
                    }
                }
                (*s < 400, naive_retry_after(h, t))
            }
            Answer::Lost => (false, None),
        };
        let next_call = |wk: &mut Worker, m: &mut Metrics, heap: &mut Queue| {
            wk.calls_left -= 1;
            wk.attempt = 0;
            wk.prev_delay = 0;
            wk.ticket = None;
            m.completion_ms = m.completion_ms.max(t);
            if wk.calls_left > 0 {
                heap.push(t, id, Ev::Wake);
            }
        };
        if pk {
            let p = &mut pacers[wk.instance];
            let outcome = match &answer {
                Answer::Response(s, h) => match parse(*s, h, None, t, &opts) {
                    Ok(reading) => Outcome::Response { reading },
                    Err(_) => Outcome::NetworkError,
                },
                Answer::Lost => Outcome::NetworkError,
            };
            let tk = wk.ticket.unwrap_or(0);
            match p.finish(tk, &outcome, t) {
                Ok(After::Done) => next_call(wk, &mut m, &mut heap),
                Ok(After::Retry { at, .. }) => heap.push(at.max(t), id, Ev::Wake),
                Ok(After::GiveUp { .. }) | Err(_) => {
                    m.lost += 1;
                    next_call(wk, &mut m, &mut heap);
                }
            }
            continue;
        }
        if ok {
            next_call(wk, &mut m, &mut heap);
            continue;
        }
        wk.attempt += 1;
        if wk.attempt >= MAX_ATTEMPTS {
            m.lost += 1;
            next_call(wk, &mut m, &mut heap);
            continue;
        }
        let n = wk.attempt;
        let delay = match strategy {
            Strategy::Fixed5s => 5000,
            Strategy::Exponential => expo(n),
            Strategy::Urllib3 => hint.unwrap_or_else(|| 500u64 << (n - 1).min(16)),
            Strategy::FullJitter => uniform(&mut rng, 0, expo(n)),
            Strategy::EqualJitter => {
                let d = expo(n);
                d / 2 + uniform(&mut rng, 0, d / 2)
            }
            Strategy::DecorrelatedJitter => {
                let d = uniform(&mut rng, BASE_MS, wk.prev_delay.max(BASE_MS) * 3).min(CAP_MS);
                wk.prev_delay = d;
                d
            }
            // The oracle only meets faults: it asks the server again at once.
            _ => 0,
        };
        heap.push(t + delay, id, Ev::Wake);
    }
    m.lost += workers.iter().map(|w| u64::from(w.calls_left)).sum::<u64>();
    m
}

/// The sum of `runs` seeded runs (metrics are totals; divide by `runs` for means).
pub fn run_seeds(kind: ServerKind, strategy: Strategy, w: &Workload, runs: u64) -> Metrics {
    let mut total = Metrics::default();
    for seed in 1..=runs {
        total.add(&run(kind, strategy, w, seed));
    }
    total
}
