//! Shared budgets: one model of a budget shared by many processes and hosts, and its Redis twin.
//!
//! A *budget* (one per OAuth client, tenant, ...) holds up to [`MAX_SHARED_LIMITS`] GCRA limits
//! checked and committed all-or-nothing (a denial writes nothing), a lockout instant learnt from a
//! 429 (a `Retry-After` seen by one host stops every host), in-flight leases that expire (a killed
//! process frees its capacity after the lease's time-to-live), refunds and reservations (a slot
//! booked ahead, at most `max_wait_us` away).
//!
//! The state is a small explicit map ([`State`]: a hash of integer fields and a set of leases) and
//! the model is one function, [`step`]`(state, request, now) -> reply`. The Lua script
//! ([`SCRIPT`], run by Redis or Valkey with `EVALSHA`) is its line-by-line twin, so a budget behaves
//! the same in memory ([`MemoryStore`]) and in Redis. Everything is integer microseconds below
//! 2^53: Lua 5.1 numbers are doubles, and with only `+ - *` and comparisons on such integers the
//! script computes the same bits as the Rust model.
//!
//! # The wire protocol every runtime's Redis shell follows
//!
//! 1. `keys = `[`keys`]`(budget_id)`, `args = `[`encode`]`(&request, now)` (all strings).
//! 2. Send `EVALSHA <`[`script_sha1`]`()> 2 <keys[0]> <keys[1]> <args...>`: one round trip per decision.
//! 3. If the server answers an error that [`is_noscript`] recognises (after a restart, a failover or a
//!    `SCRIPT FLUSH`), send the same call as `EVAL <`[`SCRIPT`]`> 2 ...` (which also caches it).
//! 4. Pass the reply (an array of integers) to [`decode`]. Any other error, a timeout or a
//!    connection failure is a [`StoreError`], never a rate denial: hand it to [`fallback`].
//!
//! `now` is `None` to use the server's `TIME` (one clock for every host; waits come back as
//! durations, [`Reply::wait_us`]), or `Some(epoch µs)` for hosts that refuse `TIME` in scripts
//! (caller-clock mode). With caller clocks skewed by at most `δ`, one limit admits at most
//! `⌈δ / interval⌉` more than its burst over any window (the budget's TAT, written by the clock
//! furthest behind, is read by the clock furthest ahead); `tests/redis` measures it.
//!
//! Presence: [`Request::Heartbeat`] keeps a member (`p<id>` in the hash) alive for its TTL; its
//! reply counts the live members, the peers a degraded process divides each limit by.
//!
//! Keys: `pk:{<id>}:s` (hash) and `pk:{<id>}:l` (sorted set), the id escaped (`%` → `%25`, `{` →
//! `%7B`, `}` → `%7D`) so both keys always share one Redis Cluster hash tag. Both expire
//! (`PEXPIRE`) `idle_ttl_us` after the last instant the state still matters, so idle budgets vanish.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod fallback;
mod sha1;

pub use fallback::{Fallback, FallbackConfig, Route, StorePolicy};

/// The Lua script, Redis/Valkey's twin of [`step`].
pub const SCRIPT: &str = include_str!("budget.lua");

static SCRIPT_SHA1_HEX: [u8; 40] = sha1::sha1_hex(SCRIPT.as_bytes());

/// The SHA1 of [`SCRIPT`] in lowercase hex, as `SCRIPT LOAD` answers it (for `EVALSHA`).
pub fn script_sha1() -> &'static str {
    core::str::from_utf8(&SCRIPT_SHA1_HEX).unwrap_or("")
}

/// The SHA1 of any bytes, in lowercase hex (as Redis computes a script's).
pub fn sha1_hex(data: &[u8]) -> String {
    String::from_utf8_lossy(&sha1::sha1_hex(data)).into_owned()
}

/// The wire layout version (`ARGV[1]`); the script refuses any other.
pub const WIRE_LAYOUT: &str = "1";
/// At most this many limits per budget.
pub const MAX_SHARED_LIMITS: usize = 3;
/// Largest `now` (epoch µs, about year 2112): keeps every sum below 2^53.
pub const MAX_NOW_US: u64 = 1 << 52;
/// Largest duration argument (lease TTL, idle TTL, max wait, lockout): 2^40 µs, about 12.7 days.
pub const MAX_DURATION_US: u64 = 1 << 40;
/// Largest `interval × burst` and `interval × cost` of a limit: 2^48 µs, about 8.9 years.
pub const MAX_SPAN_US: u64 = 1 << 48;
/// Largest cost, burst and in-flight cap.
pub const MAX_COUNT: u64 = 1 << 20;
/// Longest budget id in bytes.
pub const MAX_ID_LEN: usize = 256;

/// One GCRA limit: one token every `interval_us`, at most `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedLimit {
    /// Microseconds per token (the emission interval).
    pub interval_us: u64,
    /// The bucket's capacity.
    pub burst: u64,
}

impl SharedLimit {
    /// `amount` per `period_ms` with a burst: the interval rounded up (never faster than asked).
    pub fn from_rate(amount: u64, period_ms: u64, burst: u64) -> Result<SharedLimit> {
        if amount == 0 {
            return Err(Error::new(
                ErrorCode::InvalidLimit,
                "amount must be at least 1",
            ));
        }
        let us = period_ms.saturating_mul(1000);
        let limit = SharedLimit {
            interval_us: us.div_ceil(amount),
            burst,
        };
        limit.validate()?;
        Ok(limit)
    }

    fn validate(&self) -> Result<()> {
        if self.interval_us == 0 || self.burst == 0 || self.burst > MAX_COUNT {
            return Err(Error::new(
                ErrorCode::InvalidLimit,
                "interval_us and burst must be at least 1, burst at most 2^20",
            ));
        }
        if self.interval_us.saturating_mul(self.burst) > MAX_SPAN_US {
            return Err(Error::new(
                ErrorCode::InvalidLimit,
                "interval_us × burst must be at most 2^48 µs",
            ));
        }
        Ok(())
    }
}

/// One call to a budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Take `cost` tokens from every limit at once, or none. With `lease_ttl_us > 0` the call also
    /// takes an in-flight lease (its id in the reply) that expires `lease_ttl_us` after the send
    /// instant; with `max_inflight > 0` it is refused while that many leases are live. A slot up to
    /// `max_wait_us` ahead is booked (reserved); further, the reply says how long to wait.
    Acquire {
        /// Tokens to take (1..=2^20, at most every limit's burst).
        cost: u64,
        /// The configured limits (ignored while the budget holds learnt limits).
        limits: Vec<SharedLimit>,
        /// Lease time-to-live (0: no lease).
        #[serde(default)]
        lease_ttl_us: u64,
        /// Live-lease cap (0: none).
        #[serde(default)]
        max_inflight: u64,
        /// Reserve a slot at most this far ahead (0: only now).
        #[serde(default)]
        max_wait_us: u64,
        /// How long the budget outlives its last relevant instant.
        idle_ttl_us: u64,
    },
    /// End a lease (0: none) and give back `refund` tokens of a request that did not count.
    Release {
        /// The lease id from [`Reply::lease`] (0: none).
        lease: u64,
        /// Tokens to give back (0: none).
        #[serde(default)]
        refund: u64,
        /// The configured limits (ignored while the budget holds learnt limits).
        #[serde(default)]
        limits: Vec<SharedLimit>,
        /// How long the budget outlives its last relevant instant.
        idle_ttl_us: u64,
    },
    /// Nothing is sent on this budget for `for_us` (a 429's `Retry-After`), from any host.
    Lockout {
        /// The lockout's length from now.
        for_us: u64,
        /// How long the budget outlives its last relevant instant.
        idle_ttl_us: u64,
    },
    /// A process is alive for `ttl_us` (its presence, counted by every process as its peers):
    /// `member` 0 takes a new id. The reply (reason [`Reason::Presence`]) carries the member id
    /// in `lease` and the number of live members in `wait_us`; expired members are dropped.
    Heartbeat {
        /// The member id from an earlier reply (0: a new one).
        member: u64,
        /// How long the presence lasts (1..=2^40 µs).
        ttl_us: u64,
        /// How long the budget outlives its last relevant instant.
        idle_ttl_us: u64,
    },
    /// Replace the configured limits of every process with these (none: forget learnt limits).
    Learn {
        /// The learnt limits.
        limits: Vec<SharedLimit>,
        /// How long the budget outlives its last relevant instant.
        idle_ttl_us: u64,
    },
}

/// Why a call waits (or never succeeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Nothing held it back.
    None,
    /// The limit at this index (0-based) of the limits in force.
    Limit(u8),
    /// The budget's lockout.
    Lockout,
    /// The live-lease cap.
    InFlight,
    /// A heartbeat's answer: `lease` is the member id, `wait_us` the live members.
    Presence,
}

/// What a budget answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Send now.
    Allow,
    /// A slot was booked: send after `wait_us`.
    Reserved,
    /// Denied, nothing written: try again after `wait_us`.
    Wait,
    /// Denied forever: the cost exceeds a limit's burst.
    Never,
    /// Release, lockout or learn done.
    Done,
}

/// A budget's reply; identical from [`step`] and from the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The answer.
    pub kind: Kind,
    /// For `Reserved`/`Wait`: µs from `now_us` to the send slot; for a lockout: µs it still lasts.
    pub wait_us: u64,
    /// For an acquire: the new lease id (0: none). For a release: 1 if the lease was live.
    pub lease: u64,
    /// What held the call back.
    pub reason: Reason,
    /// The instant the budget used (the server's `TIME` in server-clock mode).
    pub now_us: u64,
    /// The keys' new time-to-live in ms (0: not changed).
    pub expire_ms: u64,
}

/// A budget's stored state: the hash's fields and the leases (id → expiry µs), as in Redis.
///
/// Hash fields: `t1..t3` each limit's theoretical arrival time, `lk` the lockout instant, `seq` the
/// last lease (and member) id, `ln` the number of learnt limits and `le1..3`/`lb1..3` their
/// intervals and bursts, `p<member>` each live member's presence expiry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The state hash (`pk:{id}:s`).
    pub hash: BTreeMap<String, u64>,
    /// The lease set (`pk:{id}:l`): lease id → expiry (epoch µs).
    pub leases: BTreeMap<u64, u64>,
}

impl State {
    fn get(&self, field: &str) -> i64 {
        self.hash.get(field).map_or(0, |&v| v as i64)
    }

    fn set(&mut self, field: String, v: i64) {
        self.hash.insert(field, v.max(0) as u64);
    }
}

fn check(ok: bool, code: ErrorCode, msg: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::new(code, msg))
    }
}

/// Checks a request's ranges (what keeps every value below 2^53).
pub fn validate(req: &Request) -> Result<()> {
    let dur = |v: u64, name: &str| check(v <= MAX_DURATION_US, ErrorCode::InvalidOption, name);
    let limits = |ls: &[SharedLimit]| -> Result<()> {
        check(
            ls.len() <= MAX_SHARED_LIMITS,
            ErrorCode::TooManyLimits,
            "at most 3 limits per budget",
        )?;
        ls.iter().try_for_each(SharedLimit::validate)
    };
    // `count` tokens of every limit within MAX_SPAN_US (`rule` names which count).
    let spans = |ls: &[SharedLimit], count: u64, rule: &str| -> Result<()> {
        ls.iter().try_for_each(|l| {
            check(
                l.interval_us.saturating_mul(count) <= MAX_SPAN_US,
                ErrorCode::InvalidCost,
                rule,
            )
        })
    };
    match req {
        Request::Acquire {
            cost,
            limits: ls,
            lease_ttl_us,
            max_inflight,
            max_wait_us,
            idle_ttl_us,
        } => {
            check(
                (1..=MAX_COUNT).contains(cost),
                ErrorCode::InvalidCost,
                "cost must be 1..=2^20",
            )?;
            limits(ls)?;
            spans(ls, *cost, "interval_us × cost must be at most 2^48 µs")?;
            check(
                *max_inflight <= MAX_COUNT,
                ErrorCode::InvalidOption,
                "max_inflight must be at most 2^20",
            )?;
            dur(*lease_ttl_us, "lease_ttl_us must be at most 2^40 µs")?;
            dur(*max_wait_us, "max_wait_us must be at most 2^40 µs")?;
            dur(*idle_ttl_us, "idle_ttl_us must be at most 2^40 µs")
        }
        Request::Release {
            lease,
            refund,
            limits: ls,
            idle_ttl_us,
        } => {
            check(
                *lease < MAX_NOW_US,
                ErrorCode::InvalidOption,
                "lease id out of range",
            )?;
            check(
                *refund <= MAX_COUNT,
                ErrorCode::InvalidCost,
                "refund must be at most 2^20",
            )?;
            limits(ls)?;
            spans(ls, *refund, "interval_us × refund must be at most 2^48 µs")?;
            dur(*idle_ttl_us, "idle_ttl_us must be at most 2^40 µs")
        }
        Request::Lockout {
            for_us,
            idle_ttl_us,
        } => {
            dur(*for_us, "for_us must be at most 2^40 µs")?;
            dur(*idle_ttl_us, "idle_ttl_us must be at most 2^40 µs")
        }
        Request::Learn {
            limits: ls,
            idle_ttl_us,
        } => {
            limits(ls)?;
            dur(*idle_ttl_us, "idle_ttl_us must be at most 2^40 µs")
        }
        Request::Heartbeat {
            member,
            ttl_us,
            idle_ttl_us,
        } => {
            check(
                *member < MAX_NOW_US,
                ErrorCode::InvalidOption,
                "member id out of range",
            )?;
            check(
                (1..=MAX_DURATION_US).contains(ttl_us),
                ErrorCode::InvalidOption,
                "ttl_us must be 1..=2^40 µs",
            )?;
            dur(*idle_ttl_us, "idle_ttl_us must be at most 2^40 µs")
        }
    }
}

fn check_now(now: u64) -> Result<()> {
    check(
        (1..=MAX_NOW_US).contains(&now),
        ErrorCode::InvalidNumber,
        "now_us must be 1..=2^52",
    )
}

/// The model: the budget's state after `req` at `now` (epoch µs), and the reply. A denial leaves
/// `state` untouched. Line by line the twin of [`SCRIPT`].
pub fn step(state: &mut State, req: &Request, now: u64) -> Result<Reply> {
    validate(req)?;
    check_now(now)?;
    Ok(step_unchecked(state, req, now as i64))
}

fn learnt(state: &State) -> Option<Vec<(i64, i64)>> {
    let n = state.get("ln");
    (n > 0).then(|| {
        (1..=n.min(3))
            .map(|i| (state.get(&format!("le{i}")), state.get(&format!("lb{i}"))))
            .collect()
    })
}

fn in_force(state: &State, configured: &[SharedLimit]) -> Vec<(i64, i64)> {
    learnt(state).unwrap_or_else(|| {
        configured
            .iter()
            .map(|l| (l.interval_us as i64, l.burst as i64))
            .collect()
    })
}

fn expire(state: &mut State, tat: &[i64; 3], lk: i64, now: i64, idle: i64) -> u64 {
    let mut hz = tat[0].max(tat[1]).max(tat[2]).max(lk);
    if let Some(&last) = state.leases.values().max() {
        hz = hz.max(last as i64);
    }
    let ttl = (hz - now).max(0) + idle;
    ((ttl + 999) / 1000).max(1) as u64
}

fn reply(kind: Kind, wait: i64, lease: u64, reason: Reason, now: i64, expire_ms: u64) -> Reply {
    Reply {
        kind,
        wait_us: wait.max(0) as u64,
        lease,
        reason,
        now_us: now as u64,
        expire_ms,
    }
}

fn limit_reason(i: usize) -> Reason {
    Reason::Limit(i as u8)
}

fn step_unchecked(state: &mut State, req: &Request, now: i64) -> Reply {
    let mut tat = [state.get("t1"), state.get("t2"), state.get("t3")];
    let mut lk = state.get("lk");
    match req {
        Request::Acquire {
            cost,
            limits,
            lease_ttl_us,
            max_inflight,
            max_wait_us,
            idle_ttl_us,
        } => {
            let lim = in_force(state, limits);
            let cost = *cost as i64;
            for (i, &(_, b)) in lim.iter().enumerate() {
                if cost > b {
                    return reply(Kind::Never, 0, 0, limit_reason(i), now, 0);
                }
            }
            let (mut s, mut why) = (now, Reason::None);
            if lk > s {
                (s, why) = (lk, Reason::Lockout);
            }
            for (i, &(t, b)) in lim.iter().enumerate() {
                let e = tat[i] + cost * t - b * t;
                if e > s {
                    (s, why) = (e, limit_reason(i));
                }
            }
            if *max_inflight > 0 {
                let live = state.leases.values().filter(|&&e| e as i64 > now);
                let first = live.clone().min().map_or(0, |&e| e as i64);
                if live.count() as u64 >= *max_inflight {
                    return reply(Kind::Wait, s.max(first) - now, 0, Reason::InFlight, now, 0);
                }
            }
            let kind = if s > now {
                if s - now > *max_wait_us as i64 {
                    return reply(Kind::Wait, s - now, 0, why, now, 0);
                }
                Kind::Reserved
            } else {
                why = Reason::None;
                Kind::Allow
            };
            for (i, &(t, _)) in lim.iter().enumerate() {
                tat[i] = tat[i].max(s) + cost * t;
                state.set(format!("t{}", i + 1), tat[i]);
            }
            let mut lease = 0;
            if *lease_ttl_us > 0 {
                state.leases.retain(|_, e| *e as i64 > now);
                lease = (state.get("seq") + 1) as u64;
                state.set("seq".into(), lease as i64);
                state
                    .leases
                    .insert(lease, (s + *lease_ttl_us as i64) as u64);
            }
            let ms = expire(state, &tat, lk, now, *idle_ttl_us as i64);
            reply(kind, s - now, lease, why, now, ms)
        }
        Request::Release {
            lease,
            refund,
            limits,
            idle_ttl_us,
        } => {
            let lim = in_force(state, limits);
            let found = u64::from(*lease > 0 && state.leases.remove(lease).is_some());
            let mut wrote = false;
            if *refund > 0 {
                for (i, &(t, _)) in lim.iter().enumerate() {
                    if tat[i] > now {
                        tat[i] = (tat[i] - *refund as i64 * t).max(now);
                        state.set(format!("t{}", i + 1), tat[i]);
                        wrote = true;
                    }
                }
            }
            let ms = if wrote {
                expire(state, &tat, lk, now, *idle_ttl_us as i64)
            } else {
                0
            };
            reply(Kind::Done, 0, found, Reason::None, now, ms)
        }
        Request::Lockout {
            for_us,
            idle_ttl_us,
        } => {
            let mut ms = 0;
            if now + *for_us as i64 > lk {
                lk = now + *for_us as i64;
                state.set("lk".into(), lk);
                ms = expire(state, &tat, lk, now, *idle_ttl_us as i64);
            }
            reply(Kind::Done, lk - now, 0, Reason::Lockout, now, ms)
        }
        Request::Learn {
            limits,
            idle_ttl_us,
        } => {
            let forget = ["ln", "le1", "lb1", "le2", "lb2", "le3", "lb3"];
            if limits.is_empty() {
                for f in forget {
                    state.hash.remove(f);
                }
                return reply(Kind::Done, 0, 0, Reason::None, now, 0);
            }
            state.set("ln".into(), limits.len() as i64);
            for (i, l) in limits.iter().enumerate() {
                state.set(format!("le{}", i + 1), l.interval_us as i64);
                state.set(format!("lb{}", i + 1), l.burst as i64);
            }
            for f in &forget[1 + 2 * limits.len()..] {
                state.hash.remove(*f);
            }
            let ms = expire(state, &tat, lk, now, *idle_ttl_us as i64);
            reply(Kind::Done, 0, 0, Reason::None, now, ms)
        }
        Request::Heartbeat {
            member,
            ttl_us,
            idle_ttl_us,
        } => {
            let mut m = *member as i64;
            if m == 0 {
                m = state.get("seq") + 1;
                state.set("seq".into(), m);
            }
            state.set(format!("p{m}"), now + *ttl_us as i64);
            let dead: Vec<String> = state
                .hash
                .iter()
                .filter(|(k, v)| k.starts_with('p') && **v as i64 <= now)
                .map(|(k, _)| k.clone())
                .collect();
            for k in &dead {
                state.hash.remove(k);
            }
            let live = state.hash.keys().filter(|k| k.starts_with('p')).count();
            let ms = expire(state, &tat, lk, now, *idle_ttl_us as i64);
            reply(Kind::Done, live as i64, m as u64, Reason::Presence, now, ms)
        }
    }
}

fn push_num(out: &mut Vec<String>, v: u64) {
    out.push(v.to_string());
}

/// `ARGV` for `req`: `now` is `None` for the server's `TIME`, or the caller's clock (epoch µs).
pub fn encode(req: &Request, now: Option<u64>) -> Result<Vec<String>> {
    validate(req)?;
    if let Some(n) = now {
        check_now(n)?;
    }
    let (op, idle, cost, a6, maxin, a8, limits): (&str, u64, u64, u64, u64, u64, &[SharedLimit]) =
        match req {
            Request::Acquire {
                cost,
                limits,
                lease_ttl_us,
                max_inflight,
                max_wait_us,
                idle_ttl_us,
            } => (
                "a",
                *idle_ttl_us,
                *cost,
                *lease_ttl_us,
                *max_inflight,
                *max_wait_us,
                limits,
            ),
            Request::Release {
                lease,
                refund,
                limits,
                idle_ttl_us,
            } => ("r", *idle_ttl_us, *refund, *lease, 0, 0, limits),
            Request::Lockout {
                for_us,
                idle_ttl_us,
            } => ("l", *idle_ttl_us, 0, 0, 0, *for_us, &[]),
            Request::Learn {
                limits,
                idle_ttl_us,
            } => ("n", *idle_ttl_us, 0, 0, 0, 0, limits),
            Request::Heartbeat {
                member,
                ttl_us,
                idle_ttl_us,
            } => ("h", *idle_ttl_us, 0, *member, 0, *ttl_us, &[]),
        };
    let mut out = Vec::with_capacity(9 + 2 * limits.len());
    out.push(WIRE_LAYOUT.to_owned());
    out.push(op.to_owned());
    for v in [
        now.unwrap_or(0),
        idle,
        cost,
        a6,
        maxin,
        a8,
        limits.len() as u64,
    ] {
        push_num(&mut out, v);
    }
    for l in limits {
        push_num(&mut out, l.interval_us);
        push_num(&mut out, l.burst);
    }
    Ok(out)
}

/// The two keys of budget `id` (`KEYS[1]`, `KEYS[2]`): one Cluster hash tag whatever the id holds.
pub fn keys(id: &str) -> Result<[String; 2]> {
    check(
        !id.is_empty() && id.len() <= MAX_ID_LEN,
        ErrorCode::InvalidKey,
        "a budget id must be 1..=256 bytes",
    )?;
    let mut tag = String::with_capacity(id.len() + 8);
    for c in id.chars() {
        match c {
            '%' => tag.push_str("%25"),
            '{' => tag.push_str("%7B"),
            '}' => tag.push_str("%7D"),
            c => tag.push(c),
        }
    }
    Ok([format!("pk:{{{tag}}}:s"), format!("pk:{{{tag}}}:l")])
}

/// Why a store call failed. Never a rate denial: a denial is a [`Reply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreErrorKind {
    /// The store could not be reached, or the connection broke.
    #[serde(rename = "store_unavailable")]
    Unavailable,
    /// No answer within the command timeout.
    #[serde(rename = "store_timeout")]
    Timeout,
    /// The server answered an error (other than `NOSCRIPT`, which the shell handles).
    #[serde(rename = "store_server")]
    Server,
    /// The reply does not have the script's shape.
    #[serde(rename = "store_bad_reply")]
    BadReply,
}

// `as_str` (the stable codes `store_unavailable`, `store_timeout`, `store_server`,
// `store_bad_reply`), `ALL` and `FromStr` come from `crate::vocab` (the vocabulary `storeErrors`).

/// A failed store call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreError {
    /// What kind of failure.
    pub kind: StoreErrorKind,
    /// Details.
    pub message: String,
}

impl core::fmt::Display for StoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for StoreError {}

/// Whether a server error reply is Redis's "script not cached" (retry with `EVAL`).
pub fn is_noscript(error: &str) -> bool {
    error.trim_start_matches('-').starts_with("NOSCRIPT")
}

/// The script's reply (its six integers) as a [`Reply`].
pub fn decode(values: &[i64]) -> core::result::Result<Reply, StoreError> {
    let bad = |m: &str| StoreError {
        kind: StoreErrorKind::BadReply,
        message: m.to_owned(),
    };
    let [code, wait, lease, reason, now, ms] = values else {
        return Err(bad("expected 6 integers"));
    };
    if [*wait, *lease, *now, *ms]
        .iter()
        .any(|&v| !(0..=(1i64 << 53)).contains(&v))
    {
        return Err(bad("a value out of range"));
    }
    let kind = match code {
        0 => Kind::Allow,
        1 => Kind::Reserved,
        2 => Kind::Wait,
        3 => Kind::Never,
        4 => Kind::Done,
        _ => return Err(bad("unknown reply code")),
    };
    let reason = match reason {
        0 => Reason::None,
        1..=3 => Reason::Limit((*reason - 1) as u8),
        4 => Reason::Lockout,
        5 => Reason::InFlight,
        6 => Reason::Presence,
        _ => return Err(bad("unknown reason")),
    };
    Ok(Reply {
        kind,
        wait_us: *wait as u64,
        lease: *lease as u64,
        reason,
        now_us: *now as u64,
        expire_ms: *ms as u64,
    })
}

/// A reply as the script's six integers (the inverse of [`decode`]).
pub fn reply_values(r: &Reply) -> [i64; 6] {
    let code = match r.kind {
        Kind::Allow => 0,
        Kind::Reserved => 1,
        Kind::Wait => 2,
        Kind::Never => 3,
        Kind::Done => 4,
    };
    let reason = match r.reason {
        Reason::None => 0,
        Reason::Limit(i) => i64::from(i) + 1,
        Reason::Lockout => 4,
        Reason::InFlight => 5,
        Reason::Presence => 6,
    };
    [
        code,
        r.wait_us as i64,
        r.lease as i64,
        reason,
        r.now_us as i64,
        r.expire_ms as i64,
    ]
}

/// The in-process store: every budget's [`State`] run through [`step`], with the keys' expiry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryStore {
    budgets: BTreeMap<String, (State, u64)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `req` on budget `id` at `now` (epoch µs).
    pub fn call(&mut self, id: &str, req: &Request, now: u64) -> Result<Reply> {
        keys(id)?;
        validate(req)?;
        check_now(now)?;
        let entry = self.budgets.entry(id.to_owned()).or_default();
        if entry.1 != 0 && now >= entry.1 {
            *entry = (State::default(), 0);
        }
        let r = step_unchecked(&mut entry.0, req, now as i64);
        if r.expire_ms > 0 {
            entry.1 = now.saturating_add(r.expire_ms.saturating_mul(1000));
        }
        if entry.0.hash.is_empty() && entry.0.leases.is_empty() {
            self.budgets.remove(id);
        }
        Ok(r)
    }

    /// Budget `id`'s state, if it exists at `now`.
    pub fn state(&self, id: &str, now: u64) -> Option<&State> {
        self.budgets
            .get(id)
            .filter(|(_, exp)| *exp == 0 || now < *exp)
            .map(|(s, _)| s)
    }

    /// Drops expired budgets (memory only: expired ones already behave as absent).
    pub fn purge(&mut self, now: u64) {
        self.budgets.retain(|_, (_, exp)| *exp == 0 || now < *exp);
    }
}
