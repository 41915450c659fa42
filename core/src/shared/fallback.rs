//! What to do when the store fails (down, paused, timing out): the pure decision part.
//!
//! The shell asks [`Fallback::route`] before each call. While the store answers: [`Route::Store`].
//! After a [`StoreError`](super::StoreError) ([`Fallback::on_error`]): per [`StorePolicy`] —
//! `Degrade` (the default) runs the same model locally ([`Fallback::local`]) with a `1/peers` share of
//! each limit and any lockout learnt while the store was up (the share starts empty: the shared
//! burst may be spent already); `Deny` refuses; `Allow` sends unpaced.
//! Every `probe_interval_us` one call is routed to the store as a [`Route::Probe`]; its success
//! ([`Fallback::on_reply`]) returns to shared mode. Transitions come back as [`Event`]s to emit.

use super::{MemoryStore, Reason, Reply, Request, SharedLimit, StoreError, MAX_COUNT};
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

/// The policy while the store is failing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorePolicy {
    /// A local limiter with a `1/peers` share of the budget; learnt lockouts kept.
    #[default]
    Degrade,
    /// Refuse every call until the store is back.
    Deny,
    /// Send without pacing until the store is back.
    Allow,
}

/// Fallback settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FallbackConfig {
    /// The policy while the store fails.
    pub policy: StorePolicy,
    /// How often a call probes the store while it is failing (µs, ≥ 1).
    pub probe_interval_us: u64,
    /// The number of processes sharing the budget (0: as counted by the shell, [`Fallback::set_peers`]).
    pub peers: u64,
}

impl Default for FallbackConfig {
    fn default() -> Self {
        FallbackConfig {
            policy: StorePolicy::Degrade,
            probe_interval_us: 1_000_000,
            peers: 0,
        }
    }
}

/// Where the next call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// The store is up: call it.
    Store,
    /// The store is failing and a probe is due: call it (report the outcome).
    Probe,
    /// Degraded: decide with [`Fallback::local`].
    Local,
    /// Policy `deny`: refuse.
    Deny,
    /// Policy `allow`: send.
    Allow,
}

/// A transition to report to the user. Its JSON names it in `event`: `{"event": "store_down",
/// "policy": ..., "peers": ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// The store failed; the policy now applies.
    StoreDown {
        /// The policy in force.
        policy: StorePolicy,
        /// The share divisor of a degraded limiter.
        peers: u64,
    },
    /// The store answered again; back to shared mode.
    StoreUp {
        /// How long it was down (µs, by the caller's clock).
        down_for_us: u64,
    },
}

/// The store-failure state machine of one process (pure: time comes in as `now`, epoch µs).
#[derive(Debug, Clone, PartialEq)]
pub struct Fallback {
    config: FallbackConfig,
    down_since: Option<u64>,
    next_probe: u64,
    peers_seen: u64,
    lockout_until: u64,
    local: MemoryStore,
    /// Budgets whose local share was started empty in this outage (see [`Fallback::local`]).
    primed: std::collections::BTreeSet<String>,
}

impl Fallback {
    /// A fallback in shared mode.
    pub fn new(config: FallbackConfig) -> Result<Fallback> {
        if config.probe_interval_us == 0 || config.probe_interval_us > super::MAX_DURATION_US {
            return Err(Error::new(
                ErrorCode::InvalidOption,
                "probe_interval_us must be 1..=2^40",
            ));
        }
        if config.peers > MAX_COUNT {
            return Err(Error::new(
                ErrorCode::InvalidOption,
                "peers must be at most 2^20",
            ));
        }
        Ok(Fallback {
            config,
            down_since: None,
            next_probe: 0,
            peers_seen: 1,
            lockout_until: 0,
            local: MemoryStore::new(),
            primed: std::collections::BTreeSet::new(),
        })
    }

    /// The processes counted through heartbeats while the store was up (used when `peers` is 0).
    pub fn set_peers(&mut self, seen: u64) {
        self.peers_seen = seen.clamp(1, MAX_COUNT);
    }

    /// The share divisor: the configured peers, else the counted ones (at least 1).
    pub fn peers(&self) -> u64 {
        if self.config.peers > 0 {
            self.config.peers
        } else {
            self.peers_seen
        }
    }

    /// Whether the store is considered down.
    pub fn is_down(&self) -> bool {
        self.down_since.is_some()
    }

    /// The lockout learnt from the store's replies (epoch µs, caller's clock).
    pub fn lockout_until(&self) -> u64 {
        self.lockout_until
    }

    /// Where the call at `now` goes. While down, at most one probe per `probe_interval_us`.
    pub fn route(&mut self, now: u64) -> Route {
        if self.down_since.is_none() {
            return Route::Store;
        }
        if now >= self.next_probe {
            self.next_probe = now.saturating_add(self.config.probe_interval_us);
            return Route::Probe;
        }
        match self.config.policy {
            StorePolicy::Degrade => Route::Local,
            StorePolicy::Deny => Route::Deny,
            StorePolicy::Allow => Route::Allow,
        }
    }

    /// The store answered `reply` (by the caller's clock, `now`): remember a lockout, recover.
    pub fn on_reply(&mut self, reply: &Reply, now: u64) -> Option<Event> {
        if reply.reason == Reason::Lockout {
            self.lockout_until = self.lockout_until.max(now.saturating_add(reply.wait_us));
        }
        self.down_since.take().map(|since| Event::StoreUp {
            down_for_us: now.saturating_sub(since),
        })
    }

    /// A 429 seen by this process while degraded (or ever): the local lockout.
    pub fn on_lockout(&mut self, until: u64) {
        self.lockout_until = self.lockout_until.max(until);
    }

    /// The store failed at `now`.
    pub fn on_error(&mut self, _error: &StoreError, now: u64) -> Option<Event> {
        if self.down_since.is_some() {
            return None;
        }
        self.down_since = Some(now);
        self.primed.clear();
        self.next_probe = now.saturating_add(self.config.probe_interval_us);
        Some(Event::StoreDown {
            policy: self.config.policy,
            peers: self.peers(),
        })
    }

    /// The limits of a degraded limiter: each interval × peers, each burst ÷ peers (at least 1).
    pub fn share(&self, limits: &[SharedLimit]) -> Vec<SharedLimit> {
        let p = self.peers();
        limits
            .iter()
            .map(|l| SharedLimit {
                interval_us: l.interval_us.saturating_mul(p).min(super::MAX_SPAN_US),
                burst: (l.burst / p).max(1),
            })
            .collect()
    }

    /// Decides `req` on budget `id` locally (policy `degrade`): the same model over the shared
    /// limits' `1/peers` share, behind the learnt lockout.
    pub fn local(&mut self, id: &str, req: &Request, now: u64) -> Result<Reply> {
        if self.lockout_until > now {
            let lock = Request::Lockout {
                for_us: (self.lockout_until - now).min(super::MAX_DURATION_US),
                idle_ttl_us: 0,
            };
            self.local.call(id, &lock, now)?;
        }
        if let Request::Acquire {
            limits,
            idle_ttl_us,
            ..
        } = req
        {
            if !limits.is_empty() && self.primed.insert(id.to_owned()) {
                // The share starts empty: the shared budget's burst may already be spent, so a
                // process that degrades takes its first token one share interval from now, and
                // the processes together never add a burst on top of the budget's.
                let share = self.share(limits);
                let burst = share.iter().map(|l| l.burst).min().unwrap_or(1);
                let prime = Request::Acquire {
                    cost: burst,
                    limits: share,
                    lease_ttl_us: 0,
                    max_inflight: 0,
                    max_wait_us: 0,
                    idle_ttl_us: *idle_ttl_us,
                };
                self.local.call(id, &prime, now)?;
            }
        }
        let scaled = match req {
            Request::Acquire {
                cost,
                limits,
                lease_ttl_us,
                max_inflight,
                max_wait_us,
                idle_ttl_us,
            } => Request::Acquire {
                cost: *cost,
                limits: self.share(limits),
                lease_ttl_us: *lease_ttl_us,
                max_inflight: max_inflight.div_ceil(self.peers()),
                max_wait_us: *max_wait_us,
                idle_ttl_us: *idle_ttl_us,
            },
            Request::Release {
                lease,
                refund,
                limits,
                idle_ttl_us,
            } => Request::Release {
                lease: *lease,
                refund: *refund,
                limits: self.share(limits),
                idle_ttl_us: *idle_ttl_us,
            },
            Request::Learn {
                limits,
                idle_ttl_us,
            } => Request::Learn {
                limits: self.share(limits),
                idle_ttl_us: *idle_ttl_us,
            },
            other => other.clone(),
        };
        self.local.call(id, &scaled, now)
    }
}
