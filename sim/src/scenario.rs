//! What a simulation is made of: the server models, the client strategies, the workloads, and the
//! metrics a run returns.

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
    pub(crate) fn add(&mut self, o: &Metrics) {
        self.calls += o.calls;
        self.throttled += o.throttled;
        self.early += o.early;
        self.lost += o.lost;
        self.completion_ms += o.completion_ms;
    }
}
