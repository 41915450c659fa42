//! The pacer's shared mode: where [`Pacer`] consults a store (see the pacer's module docs,
//! "Shared budgets").

use super::{After, Outcome, Pacer, Step};
use crate::error::{Error, ErrorCode, Result};
use crate::msg::msg;
use crate::shared::fallback::{FallbackConfig, StorePolicy};
use crate::shared::{self, Request, MAX_COUNT, MAX_DURATION_US};
use serde::{Deserialize, Serialize};
#[cfg(feature = "store")]
use {
    super::{unknown, NeverReason, Phase},
    crate::bucket::Limit,
    crate::shared::fallback::{Event, Fallback, Route},
    crate::shared::{Kind, Reason, Reply, SharedLimit, StoreError, StoreErrorKind, MAX_NOW_US},
    crate::MAX_TIME,
    std::collections::VecDeque,
};

/// The longest duration option, ms (2^40 µs).
const MAX_MS: u64 = MAX_DURATION_US / 1000;

/// How a [`Pacer`] shares its budgets through a store ([`super::PacerConfig::shared`]). The
/// budget of a key is the key itself (1..=256 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharedPacing {
    /// An in-flight lease's time-to-live (default 30,000; 0: no leases). A killed process's
    /// requests stop counting this long after they were sent.
    pub lease_ttl_ms: u64,
    /// How long an idle budget outlives its last relevant instant in the store (default
    /// 600,000; at least 1).
    pub idle_ttl_ms: u64,
    /// How far ahead the store may book a slot (default 10,000; 0: only now). Further ahead,
    /// the store answers "wait" and the ticket asks again then.
    pub max_reserve_ms: u64,
    /// Send this process's clock with each call instead of the store's `TIME` (default false:
    /// one clock, the store's, for every host).
    pub caller_clock: bool,
    /// What to do while the store fails (default `degrade`).
    pub policy: StorePolicy,
    /// While the store fails, one call probes it this often (default 1,000; at least 1).
    pub probe_interval_ms: u64,
    /// The processes sharing each budget: a degraded process keeps a `1/peers` share of every
    /// limit (default 0: as counted through heartbeats; 1 until counted).
    pub peers: u64,
    /// With `peers` 0, how often this process tells each budget it uses that it is alive
    /// (a `Heartbeat` lasting 3 × this; the reply counts the live processes). Default 5,000;
    /// 0: no heartbeats.
    pub heartbeat_ms: u64,
}

impl Default for SharedPacing {
    fn default() -> Self {
        SharedPacing {
            lease_ttl_ms: 30_000,
            idle_ttl_ms: 600_000,
            max_reserve_ms: 10_000,
            caller_clock: false,
            policy: StorePolicy::Degrade,
            probe_interval_ms: 1_000,
            peers: 0,
            heartbeat_ms: 5_000,
        }
    }
}

impl SharedPacing {
    /// Checks every field (and that this build has the `store` feature).
    pub fn validate(&self) -> Result<()> {
        if cfg!(not(feature = "store")) {
            return Err(Error::new(
                ErrorCode::InvalidOption,
                "shared: this build paces in memory only (no cargo feature `store`)",
            ));
        }
        let range = |v: u64, min: u64, name: &str| -> Result<()> {
            if (min..=MAX_MS).contains(&v) {
                Ok(())
            } else {
                Err(Error::new(
                    ErrorCode::InvalidOption,
                    msg!(
                        "shared.",
                        name,
                        " must be ",
                        min,
                        "..=",
                        MAX_MS,
                        ", got ",
                        v
                    ),
                ))
            }
        };
        range(self.lease_ttl_ms, 0, "lease_ttl_ms")?;
        range(self.idle_ttl_ms, 1, "idle_ttl_ms")?;
        range(self.max_reserve_ms, 0, "max_reserve_ms")?;
        range(self.probe_interval_ms, 1, "probe_interval_ms")?;
        if self.heartbeat_ms > MAX_MS / 3 {
            return Err(Error::new(
                ErrorCode::InvalidOption,
                msg!(
                    "shared.heartbeat_ms must be at most ",
                    MAX_MS / 3,
                    ", got ",
                    self.heartbeat_ms
                ),
            ));
        }
        if self.peers > MAX_COUNT {
            return Err(Error::new(
                ErrorCode::InvalidOption,
                msg!(
                    "shared.peers must be at most ",
                    MAX_COUNT,
                    ", got ",
                    self.peers
                ),
            ));
        }
        Ok(())
    }

    /// The fallback's settings.
    pub fn fallback(&self) -> FallbackConfig {
        FallbackConfig {
            policy: self.policy,
            probe_interval_us: self.probe_interval_ms.saturating_mul(1000),
            peers: self.peers,
        }
    }
}

/// One call for the shell to send to the store: `EVALSHA <sha1> 2 <keys> <args>` (see
/// [`crate::shared`]'s wire protocol).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCall {
    /// The budget (the key).
    pub budget: String,
    /// The model's request.
    pub request: Request,
    /// The caller's clock (epoch µs) in caller-clock mode; none: the store's `TIME`.
    pub now_us: Option<u64>,
}

impl StoreCall {
    /// `KEYS` of the call.
    pub fn keys(&self) -> Result<[String; 2]> {
        shared::keys(&self.budget)
    }

    /// `ARGV` of the call.
    pub fn args(&self) -> Result<Vec<String>> {
        shared::encode(&self.request, self.now_us)
    }
}

/// A pacer limit as the store's: `amount` per `period_ms` (interval rounded up), its burst.
#[cfg(feature = "store")]
pub(super) fn shared_limit(l: &Limit) -> Result<SharedLimit> {
    SharedLimit::from_rate(u64::from(l.amount), l.period_ms, u64::from(l.burst))
}

/// The caller's clock in µs, within the model's range.
#[cfg(feature = "store")]
fn micros(now_ms: u64) -> u64 {
    now_ms.saturating_mul(1000).clamp(1, MAX_NOW_US)
}

/// The shared mode's state: the fallback, the calls to send and the events to emit.
#[cfg(feature = "store")]
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SharedRt {
    config: SharedPacing,
    fallback: Fallback,
    outbox: VecDeque<StoreCall>,
    events: VecDeque<Event>,
    /// This process's member id in the budgets' presence (0: none yet).
    member: u64,
    /// The next heartbeat is due at this instant (ms).
    next_heartbeat: u64,
}

/// No shared mode in this build (never constructed).
#[cfg(not(feature = "store"))]
#[derive(Debug, Clone, PartialEq)]
pub(super) enum SharedRt {}

#[cfg(feature = "store")]
impl SharedRt {
    pub(super) fn new(config: SharedPacing) -> Result<Self> {
        Ok(SharedRt {
            config,
            fallback: Fallback::new(config.fallback())?,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            member: 0,
            next_heartbeat: 0,
        })
    }

    fn event(&mut self, e: Option<Event>) {
        if let Some(e) = e {
            self.events.push_back(e);
        }
    }
}

#[cfg(feature = "store")]
fn not_shared() -> Error {
    Error::new(
        ErrorCode::InvalidState,
        "the pacer has no shared store (config.shared)",
    )
}

impl Pacer {
    /// Starts a request of `cost` for `key` at `now`. In shared mode, a request this process
    /// would send is [`Step::Consult`] instead (unless the store is failing: see
    /// [`SharedPacing::policy`]).
    pub fn begin(&mut self, key: &str, cost: u32, now: u64) -> Result<Step> {
        let step = self.begin_local(key, cost, now)?;
        self.gate(step)
    }

    /// Asks again for a waiting ticket (after [`Step::Wait`] or [`After::Retry`]).
    pub fn resume(&mut self, ticket: u64, now: u64) -> Result<Step> {
        #[cfg(feature = "store")]
        if let Some(step) = self.resume_shared(ticket, now)? {
            return Ok(step);
        }
        let step = self.resume_local(ticket, now)?;
        self.gate(step)
    }

    /// A ticket the store booked (its slot's time, not before the key's floor), or one still
    /// asking the store (an error); None for the others.
    #[cfg(feature = "store")]
    fn resume_shared(&mut self, ticket: u64, now: u64) -> Result<Option<Step>> {
        // The clock moves even for a bad ticket (as every step does).
        let now = self.clock(now);
        match self.tickets.get(&ticket).map(|t| t.phase) {
            None => Err(unknown(ticket)),
            Some(Phase::Reserved { until }) => {
                let (li, lease) = self
                    .tickets
                    .get(&ticket)
                    .map_or((0, 0), |t| (t.lane, t.lease));
                let floor = self.lanes.get(li).map_or(0, |l| l.floor);
                if floor > until {
                    // A throttle since: the slot lies in a lockout. Drop it and ask again after
                    // the floor (slots pushed to one instant would go as a burst). No refund: a
                    // GCRA refund cannot free this slot alone, it would move later bookings
                    // earlier (the slot is lost, never overspent).
                    if lease > 0 {
                        self.push_release(li, lease, 0, now);
                    }
                    if let Some(t) = self.tickets.get_mut(&ticket) {
                        t.lease = 0;
                    }
                    return self.requeue(ticket, floor, now).map(Some);
                }
                if now < until {
                    return Ok(Some(Step::Wait { ticket, until }));
                }
                if let Some(t) = self.tickets.get_mut(&ticket) {
                    t.phase = Phase::InFlight { at: now };
                }
                Ok(Some(Step::Go { ticket }))
            }
            Some(Phase::Consulting { .. }) => Err(Error::new(
                ErrorCode::TicketState,
                msg!(
                    "ticket ",
                    ticket,
                    " is asking the store: report its reply with consulted"
                ),
            )),
            _ => Ok(None),
        }
    }

    /// Reports how a request in flight ended at `now`. In shared mode it also queues what the
    /// store must learn ([`Pacer::poll_store`]): the lease's release, a throttle's lockout, a
    /// changed learnt limit.
    pub fn finish(&mut self, ticket: u64, outcome: &Outcome, now: u64) -> Result<After> {
        #[cfg(not(feature = "store"))]
        return self.finish_local(ticket, outcome, now);
        #[cfg(feature = "store")]
        self.finish_shared(ticket, outcome, now)
    }

    #[cfg(feature = "store")]
    fn finish_shared(&mut self, ticket: u64, outcome: &Outcome, now: u64) -> Result<After> {
        let now = self.clock(now);
        let Some(t) = self.tickets.get(&ticket) else {
            return Err(unknown(ticket));
        };
        if self.shared.is_none() {
            return self.finish_local(ticket, outcome, now);
        }
        if !matches!(t.phase, Phase::InFlight { .. }) {
            return Err(Error::new(
                ErrorCode::TicketState,
                msg!("ticket ", ticket, " is not in flight"),
            ));
        }
        let (li, lease) = (t.lane, t.lease);
        let learnt_before = self.lanes.get(li).and_then(|l| l.learnt);
        let after = self.finish_local(ticket, outcome, now)?;
        if let Some(t) = self.tickets.get_mut(&ticket) {
            t.lease = 0;
        }
        if lease > 0 {
            self.push_release(li, lease, 0, now);
        }
        let hint = match outcome {
            Outcome::Response { reading } if reading.throttled => {
                reading.wait_ms.filter(|h| *h > 0)
            }
            _ => None,
        };
        let idle_ttl_us = self.idle_ttl_us();
        if let Some(h) = hint {
            let for_us = h.saturating_mul(1000).min(MAX_DURATION_US);
            if let Some(sh) = self.shared.as_mut() {
                sh.fallback.on_lockout(micros(now).saturating_add(for_us));
            }
            self.push(
                li,
                Request::Lockout {
                    for_us,
                    idle_ttl_us,
                },
                now,
            );
        }
        let learnt_after = self.lanes.get(li).and_then(|l| l.learnt);
        if self.config.limits.is_empty() && learnt_after != learnt_before {
            let limits = self.store_limits(li);
            self.push(
                li,
                Request::Learn {
                    limits,
                    idle_ttl_us,
                },
                now,
            );
        }
        Ok(after)
    }

    /// Whether the pacer consults a store ([`super::PacerConfig::shared`]).
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// A step this process's policy decided (a build without the `store` feature has no
    /// shared mode: `Pacer::new` refuses `shared`).
    #[cfg(not(feature = "store"))]
    #[allow(clippy::unnecessary_wraps)]
    fn gate(&mut self, step: Step) -> Result<Step> {
        Ok(step)
    }

    /// A step this process's policy decided, through the store in shared mode.
    #[cfg(feature = "store")]
    fn gate(&mut self, step: Step) -> Result<Step> {
        let Step::Go { ticket } = step else {
            return Ok(step);
        };
        let now = self.last_now;
        let Some(sh) = self.shared.as_mut() else {
            return Ok(step);
        };
        let route = sh.fallback.route(micros(now));
        let beat = sh.config.peers == 0
            && sh.config.heartbeat_ms > 0
            && now >= sh.next_heartbeat
            && route == Route::Store;
        if beat {
            sh.next_heartbeat = now.saturating_add(sh.config.heartbeat_ms);
            let request = Request::Heartbeat {
                member: sh.member,
                ttl_us: sh.config.heartbeat_ms.saturating_mul(3000),
                idle_ttl_us: sh.config.idle_ttl_ms.saturating_mul(1000),
            };
            if let Some(li) = self.tickets.get(&ticket).map(|t| t.lane) {
                self.push(li, request, now);
            }
        }
        self.route(ticket, route, now)
    }
}

/// Shared mode proper (the `store` feature).
#[cfg(feature = "store")]
impl Pacer {
    /// Whether the store is considered down (false outside shared mode).
    pub fn store_down(&self) -> bool {
        self.shared.as_ref().is_some_and(|s| s.fallback.is_down())
    }

    /// The processes counted sharing the budgets (through heartbeats), used for a degraded
    /// share when [`SharedPacing::peers`] is 0.
    pub fn set_peers(&mut self, seen: u64) {
        if let Some(sh) = self.shared.as_mut() {
            sh.fallback.set_peers(seen);
        }
    }

    /// The store call for a ticket that got [`Step::Consult`]: an `Acquire` of its cost under
    /// the limits in force (configured, else the learnt one, else none), with a lease, booking
    /// at most [`SharedPacing::max_reserve_ms`] ahead.
    pub fn store_call(&self, ticket: u64) -> Result<StoreCall> {
        let sh = self.shared.as_ref().ok_or_else(not_shared)?;
        let t = self.tickets.get(&ticket).ok_or_else(|| unknown(ticket))?;
        let Phase::Consulting { at } = t.phase else {
            return Err(Error::new(
                ErrorCode::TicketState,
                msg!("ticket ", ticket, " is not asking the store"),
            ));
        };
        let lease_ttl_us = sh.config.lease_ttl_ms.saturating_mul(1000);
        Ok(StoreCall {
            budget: self.names.get(t.lane).cloned().unwrap_or_default(),
            request: self.acquire(t.lane, t.cost, lease_ttl_us),
            now_us: sh.config.caller_clock.then(|| micros(at)),
        })
    }

    /// Reports the store's reply to a ticket's [`Pacer::store_call`] (or why it failed) at
    /// `now`: `Allow` → [`Step::Go`]; `Reserved` → [`Step::Wait`] (its next `resume` at or
    /// after `until` goes without asking again); `Wait` → [`Step::Wait`] (the next `resume`
    /// asks again); `Never` → [`Step::Never`]. A failure is never a rate denial: the
    /// fallback's policy decides ([`SharedPacing::policy`]).
    pub fn consulted(
        &mut self,
        ticket: u64,
        reply: core::result::Result<Reply, StoreError>,
        now: u64,
    ) -> Result<Step> {
        let now = self.clock(now);
        let t = self.tickets.get(&ticket).ok_or_else(|| unknown(ticket))?;
        if !matches!(t.phase, Phase::Consulting { .. }) {
            return Err(Error::new(
                ErrorCode::TicketState,
                msg!("ticket ", ticket, " is not asking the store"),
            ));
        }
        let nu = micros(now);
        let reply = match reply {
            Ok(r) if r.kind == Kind::Done => Err(StoreError {
                kind: StoreErrorKind::BadReply,
                message: "an acquire answered done".into(),
            }),
            other => other,
        };
        let sh = self.shared.as_mut().ok_or_else(not_shared)?;
        match reply {
            Ok(r) => {
                let e = sh.fallback.on_reply(&r, nu);
                self.transition(e, now);
                self.apply(ticket, r, now)
            }
            Err(e) => {
                let e = sh.fallback.on_error(&e, nu);
                self.transition(e, now);
                let sh = self.shared.as_mut().ok_or_else(not_shared)?;
                let route = match sh.config.policy {
                    StorePolicy::Degrade => Route::Local,
                    StorePolicy::Deny => Route::Deny,
                    StorePolicy::Allow => Route::Allow,
                };
                self.route(ticket, route, now)
            }
        }
    }

    /// The next call to send without waiting for its answer (a lease's release, a lockout, a
    /// learnt limit); report its outcome with [`Pacer::store_done`].
    pub fn poll_store(&mut self) -> Option<StoreCall> {
        self.shared.as_mut().and_then(|s| s.outbox.pop_front())
    }

    /// The outcome of a call from [`Pacer::poll_store`], at `now`: a failure marks the store
    /// down, a reply after a failure brings it back.
    pub fn store_done(&mut self, reply: core::result::Result<Reply, StoreError>, now: u64) {
        let now = self.clock(now);
        if let Some(sh) = self.shared.as_mut() {
            let e = match reply {
                Ok(r) => {
                    if r.reason == Reason::Presence {
                        // A heartbeat's answer: our id, and the processes alive.
                        sh.member = r.lease;
                        sh.fallback.set_peers(r.wait_us);
                    }
                    sh.fallback.on_reply(&r, micros(now))
                }
                Err(e) => sh.fallback.on_error(&e, micros(now)),
            };
            self.transition(e, now);
        }
    }

    /// The fallback's transition (if any): emitted as an event; at either one the reserved
    /// slots are asked for again, and on recovery the shared burst is taken back.
    fn transition(&mut self, e: Option<Event>, now: u64) {
        let Some(e) = e else { return };
        if let Some(sh) = self.shared.as_mut() {
            sh.event(Some(e));
        }
        self.rescind_reserved(now);
        if matches!(e, Event::StoreUp { .. }) {
            self.prime_shared(now);
        }
    }

    /// The store is back: during the outage this process spent its degraded share, which the
    /// shared budget never saw, so it takes its share of the burst from the shared budget (a
    /// fire-and-forget acquire; a denial writes nothing). Together the processes start the
    /// shared budget empty instead of adding a whole burst on top of what they sent.
    fn prime_shared(&mut self, now: u64) {
        let Some(sh) = self.shared.as_ref() else {
            return;
        };
        let calls: Vec<(usize, Request)> = (0..self.names.len())
            .filter_map(|li| {
                let limits = self.store_limits(li);
                // The share a degraded process held (`Fallback::share`): its burst is what it spent.
                let burst = sh.fallback.share(&limits).iter().map(|l| l.burst).min()?;
                Some((
                    li,
                    Request::Acquire {
                        cost: burst,
                        limits,
                        lease_ttl_us: 0,
                        max_inflight: 0,
                        max_wait_us: 0,
                        idle_ttl_us: self.idle_ttl_us(),
                    },
                ))
            })
            .collect();
        for (li, request) in calls {
            self.push(li, request, now);
        }
    }

    /// The store went down or came back: the slots booked by the other side (the shared budget
    /// before, or this process's degraded share during, an outage) are not counted by the side
    /// that decides now, so every reserved ticket asks again at its slot (never earlier). Without
    /// this, slots booked up to `max_reserve_ms` ahead go on top of what the new side admits, and
    /// the processes together exceed the budget across each transition.
    fn rescind_reserved(&mut self, now: u64) {
        let reserved: Vec<(u64, u64)> = self
            .tickets
            .iter()
            .filter_map(|(id, t)| match t.phase {
                Phase::Reserved { until } => Some((*id, until)),
                _ => None,
            })
            .collect();
        for (id, until) in reserved {
            // A ticket vanishing here is not an error of the caller's: nothing to requeue.
            let _ = self.requeue(id, until.max(now), now);
        }
    }

    /// The next store event to emit (`store_down`, `store_up`).
    pub fn poll_event(&mut self) -> Option<Event> {
        self.shared.as_mut().and_then(|s| s.events.pop_front())
    }

    fn idle_ttl_us(&self) -> u64 {
        self.shared
            .as_ref()
            .map_or(0, |s| s.config.idle_ttl_ms.saturating_mul(1000))
    }

    /// The limits in force for a lane, as the store's: configured, else the learnt one.
    fn store_limits(&self, li: usize) -> Vec<SharedLimit> {
        let Some(lane) = self.lanes.get(li) else {
            return Vec::new();
        };
        let (limits, _) = super::limits_of(&self.config, lane);
        limits
            .iter()
            .flatten()
            .filter_map(|l| shared_limit(l).ok())
            .take(shared::MAX_SHARED_LIMITS)
            .collect()
    }

    fn acquire(&self, li: usize, cost: u32, lease_ttl_us: u64) -> Request {
        let max_wait_us = self
            .shared
            .as_ref()
            .map_or(0, |s| s.config.max_reserve_ms.saturating_mul(1000));
        Request::Acquire {
            cost: u64::from(cost),
            limits: self.store_limits(li),
            lease_ttl_us,
            max_inflight: 0,
            max_wait_us,
            idle_ttl_us: self.idle_ttl_us(),
        }
    }

    fn push(&mut self, li: usize, request: Request, now: u64) {
        let budget = self.names.get(li).cloned().unwrap_or_default();
        if let Some(sh) = self.shared.as_mut() {
            let now_us = sh.config.caller_clock.then(|| micros(now));
            sh.outbox.push_back(StoreCall {
                budget,
                request,
                now_us,
            });
        }
    }

    pub(super) fn push_release(&mut self, li: usize, lease: u64, refund: u64, now: u64) {
        let request = Request::Release {
            lease,
            refund,
            limits: self.store_limits(li),
            idle_ttl_us: self.idle_ttl_us(),
        };
        self.push(li, request, now);
    }

    /// An admitted ticket (counted in flight) sent where `route` says.
    fn route(&mut self, ticket: u64, route: Route, now: u64) -> Result<Step> {
        let t = self
            .tickets
            .get_mut(&ticket)
            .ok_or_else(|| unknown(ticket))?;
        match route {
            Route::Store | Route::Probe => {
                t.phase = Phase::Consulting { at: now };
                Ok(Step::Consult { ticket })
            }
            Route::Allow => {
                t.phase = Phase::InFlight { at: now };
                Ok(Step::Go { ticket })
            }
            Route::Deny => {
                self.drop_admitted(ticket, now);
                Ok(Step::Never {
                    reason: NeverReason::StoreDenied,
                    capacity: 0,
                })
            }
            Route::Local => {
                let (li, cost) = (t.lane, t.cost);
                // No lease: this process counts its own requests in flight.
                let req = self.acquire(li, cost, 0);
                let budget = self.names.get(li).cloned().unwrap_or_default();
                let sh = self.shared.as_mut().ok_or_else(not_shared)?;
                let reply = sh.fallback.local(&budget, &req, micros(now))?;
                self.apply(ticket, reply, now)
            }
        }
    }

    /// A budget's reply to an admitted ticket's acquire.
    fn apply(&mut self, ticket: u64, r: Reply, now: u64) -> Result<Step> {
        let until = now.saturating_add(r.wait_us.div_ceil(1000)).min(MAX_TIME);
        let t = self
            .tickets
            .get_mut(&ticket)
            .ok_or_else(|| unknown(ticket))?;
        let li = t.lane;
        let step = match r.kind {
            Kind::Allow | Kind::Reserved if until <= now => {
                t.phase = Phase::InFlight { at: now };
                t.lease = r.lease;
                Step::Go { ticket }
            }
            Kind::Allow | Kind::Reserved => {
                t.phase = Phase::Reserved { until };
                t.lease = r.lease;
                Step::Wait { ticket, until }
            }
            Kind::Wait => {
                if r.reason == Reason::Lockout {
                    if let Some(lane) = self.lanes.get_mut(li) {
                        lane.floor = lane.floor.max(until);
                    }
                }
                return self.requeue(ticket, until, now);
            }
            Kind::Never | Kind::Done => {
                let capacity = self
                    .lanes
                    .get(li)
                    .and_then(|l| Self::min_burst(&self.config, l))
                    .unwrap_or(0);
                self.drop_admitted(ticket, now);
                return Ok(Step::Never {
                    reason: NeverReason::CostAboveBurst,
                    capacity,
                });
            }
        };
        if let Some(lane) = self.lanes.get_mut(li) {
            if r.reason == Reason::Lockout && r.kind != Kind::Allow {
                // Another host's throttle: nothing goes from here before it ends either.
                lane.floor = lane.floor.max(until);
            }
        }
        self.rebook(li, now);
        Ok(step)
    }

    /// An admitted ticket (counted in flight) back to the key's queue, not before `until`: it
    /// leaves the in-flight count, its tokens return to this process's limits, and its next
    /// `resume` asks again.
    fn requeue(&mut self, ticket: u64, until: u64, now: u64) -> Result<Step> {
        let t = self
            .tickets
            .get_mut(&ticket)
            .ok_or_else(|| unknown(ticket))?;
        let (li, cost) = (t.lane, t.cost);
        t.phase = Phase::Waiting {
            booked: None,
            not_before: until,
        };
        let config = &self.config;
        if let Some(lane) = self.lanes.get_mut(li) {
            lane.back(cost);
            refund(config, lane, cost, now);
            let pos = lane.queue.partition_point(|x| *x < ticket);
            lane.queue.insert(pos, ticket);
        }
        self.rebook(li, now);
        let booked = match self.tickets.get(&ticket).map(|t| t.phase) {
            Some(Phase::Waiting { booked, .. }) => booked,
            _ => None,
        };
        let at = booked.unwrap_or(until).max(until).min(MAX_TIME);
        Ok(Step::Wait { ticket, until: at })
    }

    /// Drops a ticket admitted here that will not be sent: it leaves the in-flight count and
    /// its tokens return to this process's limits.
    fn drop_admitted(&mut self, ticket: u64, now: u64) {
        let Some(t) = self.tickets.remove(&ticket) else {
            return;
        };
        let config = &self.config;
        if let Some(lane) = self.lanes.get_mut(t.lane) {
            lane.back(t.cost);
            refund(config, lane, t.cost, now);
        }
        self.rebook(t.lane, now);
    }
}

#[cfg(feature = "store")]
/// Gives `cost` back to every limit of a lane (never below a full bucket at `now`).
fn refund(config: &super::PacerConfig, lane: &mut super::Lane, cost: u32, now: u64) {
    let (limits, _) = super::limits_of(config, lane);
    for (i, l) in limits.iter().enumerate() {
        if let Some(l) = l {
            let back = u64::from(cost).saturating_mul(l.period_ms);
            lane.gates.sent[i] = lane.gates.sent[i]
                .saturating_sub(back)
                .max(super::scale(l, now));
        }
    }
}
