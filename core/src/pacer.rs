//! The whole client policy as a sans-IO state machine: when to send, wait, retry, probe, give up.
//!
//! A [`Pacer`] never reads a clock, sleeps or does I/O. A shell (a JS or Python helper, a JMeter
//! script, the simulator) drives it:
//!
//! 1. [`Pacer::begin`]`(key, cost, now)` → [`Step::Go`] (send now), [`Step::Wait`] (sleep until
//!    `until`, then call [`Pacer::resume`] with the same ticket) or [`Step::Never`];
//! 2. after the response, [`Pacer::finish`]`(ticket, outcome, now)` → [`After::Done`],
//!    [`After::Retry`] (sleep until `at`, then [`Pacer::resume`]) or [`After::GiveUp`];
//! 3. [`Pacer::cancel`] drops a ticket the shell abandons (a waiter, or a request it aborted).
//!
//! ## The policy
//! - **A throttle's instant is a floor.** On a 429 (or a 503 with `Retry-After`), nothing is sent
//!   for the key before `now + wait_ms` (`Retry-After`, else the published reset, else the Genesys
//!   body): every waiter is re-booked after it.
//! - **A 2xx "quota exhausted" with a whole-second reset is an interval.** A reset of `v` whole
//!   seconds (delta seconds, or an epoch in whole seconds) means the server's instant lies in
//!   `(v−1, v]` seconds. When a rate is known (configured, preset, or learnt with a window the
//!   server told: IETF `w`) the quota holds only until `v − 1` s and the rate decides inside the
//!   interval; otherwise (no rate, or a window only estimated from resets) it holds until `v`.
//!   A reset with a millisecond part is taken as exact.
//! - **The answer time bounds the server's schedule.** A request may reach the server as late
//!   as its answer: after a 2xx answered at `now` with `n` requests still in flight, every limit
//!   in force keeps its next slot at least `(1 + n)` emission intervals after `now`, so pacing at
//!   exactly the server's rate never runs ahead of a server that received a request late.
//! - **No more than a burst in flight.** With a rate known, a key keeps at most its smallest
//!   burst (in cost) in flight: every request out may reach the server at once, as late as its
//!   answer, and a burst is all a server paced exactly takes at once. Slots are still booked by
//!   the rate; one that comes while the burst is out waits for an answer (a finish rebooks the
//!   key), polling every [`PacerConfig::probe_poll_ms`]. Before the first answer this is the
//!   only bound (a loaded machine answers the first burst late, and the next request would
//!   arrive with it). Not in shared mode (the store books every slot there).
//! - **A configured bucket the server counts follows its count.** When a 2xx names a limit equal
//!   to a configured limit's burst (the server counts that bucket), its count, taken at the
//!   request's arrival and read at the answer, bounds the server's schedule: what it says is left
//!   (less what is in flight, never more than the answer time's own bound allows) may go now,
//!   even when the pacer's own schedule (answers read late) is later. Once the count was seen
//!   to come back before the reset it named (a request sent after one count was read, itself
//!   counted, found as many left or more, before that reset or naming the same instant; or it
//!   found fewer and named a later epoch second before that reset came, where a fixed window
//!   names its own end to every request that reaches it: a token bucket, not a window), the
//!   reset is that bucket's time until full and no quota is held on top of the configured rate.
//! - **In-flight discount.** A 2xx `remaining` counts what the server had seen; the key's other
//!   requests still in flight are subtracted from it. A count read out of order (its request was
//!   sent before one whose answer was already read) may miss requests the server saw after it:
//!   it only tightens, and it teaches no refill. Requests are not always counted in the order
//!   they were sent (threads race to the socket): the lowest count answered while a request was
//!   in flight, and its own, stands.
//! - **Probing.** A key with no rate known (no configured limit, no preset, nothing learnt) sends
//!   one request at a time at first (a first probe for an unknown tenant); each success doubles the
//!   window of requests in flight, up to [`PacerConfig::max_window`]; a throttle shrinks it to one,
//!   so after a lockout one probe goes, not every waiter. A key that starts from a preset (the
//!   API's documented limit, not this server's burst) sends its first request alone too; its
//!   answer makes the rate known, and the count it carries sets how many follow at once.
//!   A learning key whose answers carry no count, limit or reset (a server that speaks only
//!   through its 429s: a Genesys body, an HTTP-date `Retry-After`) sends one request at a time,
//!   even once a rate is learnt: whatever else is in flight when such a server throttles may
//!   reach it inside the lockout its 429 announces, and nothing tells the client beforehand
//!   when that comes (a paced rate rarely needs more than one request in flight).
//! - **Learning.** With [`PacerConfig::learn`], a key learns `limit` per window: the window is the
//!   IETF `w` when given, else the longest reset seen for that limit once two readings carried
//!   it (a reset in whole seconds counts as the shortest time it can mean, `v − 1` s, rounded up
//!   to a whole second: an epoch second read late in a second is not a two-second window) (Genesys `inin-ratelimit-*`, `X-RateLimit-*`, the draft trio).
//!   Where the reset is in whole seconds, the rate is also learnt from the counts: over a chain
//!   of readings, the tokens the server gave back (`used₀ + accepted since − usedₖ`) in the
//!   chain's time teach a refill faster than a second can say (see `Pacer::learn_counts`).
//!   Where the answers carry no count at all (a Genesys 429 body only, an HTTP-date
//!   `Retry-After`), a throttle cycle teaches the rate: one less than the requests that got
//!   through since the key's first send (or the last floor), per the time to the new floor;
//!   each clean learnt amount shortens that window by a quarter, the next throttle learns again.
//!   Such a rate covers a whole cycle, lockout included: at a throttle its bucket is empty and
//!   refills at that rate through the lockout, so after the floor what came back goes (other
//!   limits have one token at the floor).
//!   A new learnt limit keeps what the old one had in use (its requests are no fresher for a new
//!   estimate of the rate): no learnt change starts a full bucket.
//!   With whole-second resets, a learnt limit of the server's own amount follows its count both
//!   ways (what the server says is left may go now), and on a key whose learnt window is at
//!   most 2 s a whole-second reset holds the quota only until `v − 1` s: the learnt rate paces
//!   inside the interval. Once the server is seen refilling (as for a configured bucket above),
//!   such a reset holds no quota at all: the learnt rate, following the count, paces.
//! - **FIFO.** Waiters of a key are served in ticket order. A `Wait` books a slot: waiters get
//!   staggered `until`s, and a shell that sleeps until `until` and resumes is never overtaken by a
//!   later `begin`. A booked slot goes only if what was actually sent leaves room at
//!   the `resume` (sleepers that woke late went later than booked; their slots would otherwise
//!   leave as one burst with the ones on time): otherwise it is booked again. A reading that lowers the quota or a throttle releases every booked slot and
//!   books them again, in order, from the new state (no avoidable 429).
//! - **Retries** follow [`Backoff`] (its policy, jitter seeded per ticket from
//!   [`PacerConfig::seed`], and the shared [`RetryBudget`]), never before the key's floor. A
//!   retried ticket keeps its place in the queue.
//!
//! ## Shared budgets: the store option
//! With [`PacerConfig::shared`] ([`SharedPacing`]) the pacer paces many processes on one budget
//! per key (the budget id is the key) through a store running [`crate::shared`]'s model (Redis
//! or Valkey with [`crate::shared::SCRIPT`], or [`crate::shared::MemoryStore`]). Still sans-IO:
//!
//! - Where this process's policy would answer [`Step::Go`], the answer is [`Step::Consult`]:
//!   the ticket passed local admission (it counts as in flight). The shell sends
//!   [`Pacer::store_call`]`(ticket)` (an `Acquire`: the cost, the limits in force — configured,
//!   else the learnt one, else none — a lease, a reservation at most `max_reserve_ms` ahead),
//!   then reports the reply (or why the call failed) with [`Pacer::consulted`], which answers a
//!   step again: `Allow` → `Go`; `Reserved` → `Wait` (the next `resume` at or after `until`
//!   goes without asking again); `Wait` → `Wait` (the next `resume` asks again); `Never` →
//!   `Never`. A reply held back by another host's lockout also sets this key's floor.
//! - An outbox, sent fire-and-forget ([`Pacer::poll_store`], outcomes to
//!   [`Pacer::store_done`]): a lease's release when its ticket ends, a `Lockout` for a 429/503
//!   with a wait (so every host stops), a `Learn` when the learnt limit changes, and (with
//!   `peers` 0) a `Heartbeat` every `heartbeat_ms` on the budget being consulted, whose reply
//!   counts the processes alive: the peers of a degraded share.
//! - A booked slot that a throttle seen since puts inside a lockout is dropped (its lease
//!   released, no refund) and asked for again after the floor: booked slots are never pushed
//!   to one instant. Slots booked before another host's 429 and not yet known to be inside its
//!   lockout go as booked: `max_reserve_ms` bounds that overlap.
//! - The `store` cargo feature (on by default) carries all of this; the WebAssembly modules
//!   build without it and refuse `shared`.
//! - A failed store call is never a rate denial: [`SharedPacing::policy`] decides (`degrade`: a
//!   local model holding a `1/peers` share of each limit and the lockouts learnt, no consult;
//!   `deny`: [`Step::Never`] with [`NeverReason::StoreDenied`]; `allow`: [`Step::Go`]), and one
//!   call per `probe_interval_ms` asks the store again. Transitions come out of
//!   [`Pacer::poll_event`] (`store_down`, `store_up`).
//! - Without `shared` nothing changes: no consult, an empty outbox.
//!
//! ## Bad input
//! An unknown ticket (or one already finished) is [`ErrorCode::UnknownTicket`]; finishing a
//! ticket that is waiting, or resuming one in flight, is [`ErrorCode::TicketState`]. Time going
//! backwards is a documented no-op: a `now` below the latest seen is read as the latest seen.
//!
//! ```
//! use pacekeeper::pacer::{After, Pacer, PacerConfig, Step};
//! use pacekeeper::{parse, Limit, Outcome, ParseOptions};
//! let mut p = Pacer::new(PacerConfig {
//!     limits: vec![Limit::new(5, 1000).with_burst(1)],
//!     ..PacerConfig::default()
//! }).unwrap();
//! let Step::Go { ticket } = p.begin("tenant-a", 1, 0).unwrap() else { unreachable!() };
//! // A second caller at the same instant waits for the next slot, 200 ms later.
//! assert_eq!(p.begin("tenant-a", 1, 0).unwrap(), Step::Wait { ticket: 2, until: 200 });
//! let reading = parse(200, &[("X-RateLimit-Remaining", "7")], None, 50, &ParseOptions::default()).unwrap();
//! assert_eq!(p.finish(ticket, &Outcome::Response { reading }, 50).unwrap(), After::Done);
//! // Answered at 50: the server may have seen it only then, so the next slot is 50 + 200.
//! assert_eq!(p.resume(2, 200).unwrap(), Step::Wait { ticket: 2, until: 250 });
//! assert_eq!(p.resume(2, 250).unwrap(), Step::Go { ticket: 2 });
//! ```

use crate::backoff::{Backoff, BackoffPolicy, Decision, GiveUpReason, Outcome, RetryBudget};
use crate::backoff::{RetryReason, RetryState};
use crate::bucket::{Limit, MAX_AMOUNT, MAX_COST, MAX_KEY_LEN, MAX_LIMITS};
use crate::error::{Error, ErrorCode, Result};
use crate::headers::{ParseOptions, Reading};
use crate::map::VecMap;
use crate::msg::msg;
use crate::shape::map_only;
use crate::MAX_TIME;
use serde::{Deserialize, Serialize};

mod store;
pub use store::{SharedPacing, StoreCall};

/// The Genesys Cloud documented limit: 300 requests per minute per client-credentials token.
pub const GENESYS_LIMIT: Limit = Limit {
    amount: 300,
    period_ms: 60_000,
    burst: 300,
};

/// A starting point for keys of a known API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Genesys Cloud: start from [`GENESYS_LIMIT`] (as a learnt limit, so `inin-ratelimit-*`
    /// readings refine it).
    Genesys,
}

/// The configuration of a [`Pacer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct PacerConfig {
    /// Limits every key obeys (at most [`MAX_LIMITS`]). Empty: the rate is learnt or probed.
    pub limits: Vec<Limit>,
    /// A starting learnt limit for every key.
    pub preset: Option<Preset>,
    /// Learn each key's rate from readings (default true).
    pub learn: bool,
    /// The retry policy (default: [`BackoffPolicy::default`]).
    pub backoff: BackoffPolicy,
    /// A retry budget shared by every call (default none).
    pub retry_budget: Option<RetryBudget>,
    /// The seed of every ticket's jitter (default 0).
    pub seed: u64,
    /// How long a waiter held back by the probe window sleeps before asking again, ms
    /// (default 100; 1..=60,000).
    pub probe_poll_ms: u64,
    /// The widest probe window a key with no known rate reaches (default 64; 1..=1,000,000).
    pub max_window: u32,
    /// How responses were parsed (only `max_wait_ms` matters here; informative for shells).
    pub parse: ParseOptions,
    /// Pace through a store shared by many processes (see [the module docs](self#shared-budgets-the-store-option));
    /// none (the default): this process alone, in memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<SharedPacing>,
}

map_only!(PacerConfig);

impl Default for PacerConfig {
    fn default() -> Self {
        PacerConfig {
            limits: Vec::new(),
            preset: None,
            learn: true,
            backoff: BackoffPolicy::default(),
            retry_budget: None,
            seed: 0,
            probe_poll_ms: 100,
            max_window: 64,
            parse: ParseOptions::default(),
            shared: None,
        }
    }
}

impl PacerConfig {
    /// A configuration for the Genesys Cloud Platform API: the [`Preset::Genesys`] limit, refined
    /// from `inin-ratelimit-*`.
    pub fn genesys() -> Self {
        PacerConfig {
            preset: Some(Preset::Genesys),
            ..PacerConfig::default()
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        if self.limits.len() > MAX_LIMITS {
            return Err(Error::new(
                ErrorCode::TooManyLimits,
                msg!("at most ", MAX_LIMITS, " limits, got ", self.limits.len()),
            ));
        }
        for l in &self.limits {
            l.validate()?;
        }
        if let Some(b) = &self.retry_budget {
            b.validate()?;
        }
        self.backoff.validate()?;
        self.parse.validate()?;
        if !(1..=60_000).contains(&self.probe_poll_ms) {
            return Err(Error::new(
                ErrorCode::InvalidOption,
                msg!("probe_poll_ms must be 1..=60000, got ", self.probe_poll_ms),
            ));
        }
        if !(1..=MAX_AMOUNT).contains(&self.max_window) {
            return Err(Error::new(
                ErrorCode::InvalidOption,
                msg!(
                    "max_window must be 1..=",
                    MAX_AMOUNT,
                    ", got ",
                    self.max_window
                ),
            ));
        }
        if let Some(sh) = &self.shared {
            sh.validate()?;
            #[cfg(feature = "store")]
            for l in &self.limits {
                store::shared_limit(l).map_err(|e| {
                    Error::new(
                        ErrorCode::InvalidLimit,
                        msg!("a limit the shared store cannot hold: ", e.message),
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// Why a request can never be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeverReason {
    /// Its cost exceeds the burst of a limit in force.
    CostAboveBurst,
    /// The shared store is failing and its policy is `deny` (never a rate denial: try later).
    StoreDenied,
}

/// The answer to [`Pacer::begin`] and [`Pacer::resume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Step {
    /// Send now; report the response with [`Pacer::finish`].
    Go {
        /// The request's ticket.
        ticket: u64,
    },
    /// Sleep until `until`, then call [`Pacer::resume`] with this ticket. The slot is booked.
    Wait {
        /// The request's ticket (it holds its place in the key's queue).
        ticket: u64,
        /// Epoch ms.
        until: u64,
    },
    /// Never sendable under the limits in force; no ticket is kept.
    Never {
        /// Why.
        reason: NeverReason,
        /// The smallest burst in force.
        capacity: u32,
    },
    /// Shared mode: the ticket passed this process's policy (it counts as in flight); ask the
    /// store with [`Pacer::store_call`], then report the reply with [`Pacer::consulted`].
    Consult {
        /// The request's ticket.
        ticket: u64,
    },
}

/// The answer to [`Pacer::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum After {
    /// The call succeeded; the ticket is closed.
    Done,
    /// Sleep until `at`, then call [`Pacer::resume`] with the same ticket.
    Retry {
        /// Epoch ms: the ticket's booked slot, never before the key's floor.
        at: u64,
        /// The number the next attempt will have (2 for the first retry).
        attempt: u32,
        /// Why the backoff chose its delay (the slot may be later still).
        reason: RetryReason,
    },
    /// Stop; the ticket is closed.
    GiveUp {
        /// Why.
        reason: GiveUpReason,
        /// Attempts made.
        attempts: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Phase {
    /// In the key's queue; `booked` is its slot (None: held back by the probe window).
    Waiting {
        booked: Option<u64>,
        not_before: u64,
    },
    /// Sent at `at`.
    InFlight { at: u64 },
    /// Shared mode: admitted here at `at`, asking the store (counts as in flight).
    Consulting { at: u64 },
    /// Shared mode: the store booked its slot at `until` (counts as in flight); its next
    /// `resume` at or after `until` goes without asking again.
    Reserved { until: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Ticket {
    /// The index of its key's lane.
    lane: usize,
    cost: u32,
    phase: Phase,
    retry: RetryState,
    /// Consecutive throttles of this call that carried a wait.
    #[serde(default)]
    throttles: u32,
    /// When its current wait began (its `begin`, or the `finish` that sent it back to wait):
    /// it waits at most [`Pacer::max_wait_ms`] from there.
    #[serde(default)]
    since: u64,
    /// Shared mode: the store's in-flight lease (0: none), released when the ticket ends.
    #[serde(default)]
    lease: u64,
}

impl Lane {
    /// A request of `cost` was sent.
    fn sent(&mut self, cost: u32) {
        self.in_flight = self.in_flight.saturating_add(1);
        self.in_cost = self.in_cost.saturating_add(cost);
    }

    /// A request of `cost` is no longer in flight.
    fn back(&mut self, cost: u32) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.in_cost = self.in_cost.saturating_sub(cost);
    }
}

/// The GCRA state of one key against one limit, in units of 1/amount ms (exact integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
struct Gates {
    /// Theoretical arrival times of what was sent.
    sent: [u64; MAX_LIMITS + 1],
    /// The same plus the booked slots.
    booked: [u64; MAX_LIMITS + 1],
}

/// What the pacer knows of one key. Plain data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lane {
    gates: Gates,
    /// A learnt limit (amount per period), used when no limit is configured.
    learnt: Option<(u32, u64)>,
    /// The learnt limit's window was told (IETF `w`) or preset, not estimated from resets.
    #[serde(default)]
    learnt_exact: bool,
    /// No request before this instant (a throttle's floor), epoch ms.
    pub floor: u64,
    /// Requests the quota still allows before `quota_until` (sent ones taken).
    pub quota_left: u32,
    /// The quota holds while `now < quota_until`.
    pub quota_until: u64,
    /// Requests in flight.
    pub in_flight: u32,
    /// Their cost (see `Pacer::burst_in_flight`).
    #[serde(default)]
    in_cost: u32,
    /// The probe window (requests in flight allowed while no rate is known).
    pub window: u32,
    /// Waiting tickets, in order.
    queue: Vec<u64>,
    /// The quota still allowed counting the booked slots.
    booked_quota: u32,
    /// Learning: the limit last seen, the longest window estimate from its readings (ms) and how
    /// many readings.
    seen_limit: u64,
    seen_reset_ms: u64,
    seen_count: u32,
    /// The last 2xx reading's reset instant and how much of its limit was used then.
    #[serde(default)]
    full_at: u64,
    #[serde(default)]
    full_used: u64,
    /// The server's reset moved later as requests were used: it is a token bucket's time until
    /// full, and one token returns every `reset / used`.
    #[serde(default)]
    bucket: bool,
    /// The most of the limit used in a reading since the key was seen to be a token bucket, and
    /// the longest refill time estimated since.
    #[serde(default)]
    bucket_used: u64,
    #[serde(default)]
    bucket_w: u64,
    /// The learnt limit is still the preset's (the server has not named another amount).
    #[serde(default)]
    preset: bool,
    /// The server answered a request of the key.
    #[serde(default)]
    heard: bool,
    /// Learning from throttles (a server whose answers carry no count): the learnt limit came
    /// from a throttle cycle; the cycle's start (the key's first send, then each throttle's
    /// floor), its accepted answers, and the accepted answers since the rate was last raised.
    #[serde(default)]
    thr_learnt: bool,
    #[serde(default)]
    cycle_from: Option<u64>,
    #[serde(default)]
    cycle_ok: u32,
    #[serde(default)]
    since_raise: u32,
    /// Learning from counts: accepted responses seen on the key, and the previous reading's
    /// used count and accepted number.
    #[serde(default)]
    accepted: u64,
    #[serde(default)]
    prev_used: u64,
    #[serde(default)]
    prev_n: u64,
    /// The chain of readings the refill is measured over: its first reading's time, used count,
    /// accepted number (plus what was in flight then) and reset horizon; `chain_on` when open.
    #[serde(default)]
    chain_on: bool,
    #[serde(default)]
    chain_at: u64,
    #[serde(default)]
    chain_used: u64,
    #[serde(default)]
    chain_n: u64,
    #[serde(default)]
    chain_until: u64,
    /// The learnt limit comes from the refill counted over a chain (see `Pacer::learn_counts`).
    #[serde(default)]
    counted: bool,
    /// The key's last accepted answer carried no count, limit or reset (a server that speaks
    /// only through its 429s): one request in flight, even once a rate is learnt (a second one
    /// could reach the server inside a lockout the first one's 429 announces).
    #[serde(default)]
    bare: bool,
    /// The latest send time among the requests whose answers were read: the answer of a request
    /// sent before it is read out of order (see `Pacer::finish_local`).
    #[serde(default)]
    read_sent: u64,
    /// The last few 2xx counts read: (answered at, remaining).
    #[serde(default)]
    recent: Vec<(u64, u64)>,
    /// The reset instant each of `recent` named (0: none); a list of its own, so that a state
    /// saved before it was kept still loads (it is rebuilt as unknown when the lengths differ).
    #[serde(default)]
    resets: Vec<u64>,
    /// The server's count came back before the reset it had named (a request sent after that
    /// count was read saw more left): the server refills as it goes, a token bucket, and its
    /// reset is its time until full, not the end of a window.
    #[serde(default)]
    refills: bool,
}

/// The pacer. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq)]
pub struct Pacer {
    config: PacerConfig,
    backoff: Backoff,
    budget: Option<RetryBudget>,
    /// Key → index into `lanes` (lanes are never dropped while the pacer lives).
    keys: VecMap<String, usize>,
    lanes: Vec<Lane>,
    tickets: VecMap<u64, Ticket>,
    next_ticket: u64,
    last_now: u64,
    /// Lane index → its key (shared mode's budget ids).
    #[cfg(feature = "store")]
    names: Vec<String>,
    /// Shared mode: the fallback, the outbox and the events.
    shared: Option<store::SharedRt>,
}

/// The serialisable state of a [`Pacer`] (everything but its configuration): keys, their lanes,
/// open tickets, the retry budget's tokens, the ticket counter and the latest time seen.
/// Save it with serde and restore it with [`Pacer::from_state`] under the same configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacerState {
    budget: Option<RetryBudget>,
    keys: VecMap<String, usize>,
    lanes: Vec<Lane>,
    tickets: VecMap<u64, Ticket>,
    next_ticket: u64,
    last_now: u64,
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::new(
            ErrorCode::InvalidKey,
            msg!("key must be 1..=", MAX_KEY_LEN, " bytes, got ", key.len()),
        ));
    }
    Ok(())
}

fn unknown(ticket: u64) -> Error {
    Error::new(
        ErrorCode::UnknownTicket,
        msg!("no open ticket ", ticket, " (unknown, or already finished)"),
    )
}

/// SplitMix64: a ticket's jitter seed from the pacer's seed.
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The limits in force for a lane: configured, then the learnt one (slot `MAX_LIMITS`).
fn limits_of(config: &PacerConfig, lane: &Lane) -> ([Option<Limit>; MAX_LIMITS + 1], usize) {
    let mut out = [None; MAX_LIMITS + 1];
    let mut n = 0;
    for (i, l) in config.limits.iter().take(MAX_LIMITS).enumerate() {
        out[i] = Some(*l);
        n += 1;
    }
    if config.limits.is_empty() {
        if let Some((a, p)) = lane.learnt {
            out[MAX_LIMITS] = Some(Limit::new(a, p));
            n += 1;
        }
    }
    (out, n)
}

fn scale(l: &Limit, ms: u64) -> u64 {
    ms.saturating_mul(u64::from(l.amount))
}

fn tau(l: &Limit) -> u64 {
    u64::from(l.burst).saturating_mul(l.period_ms)
}

/// The earliest ms at or after `t` at which `tat` admits `cost`: the bucket's own rule
/// ([`Limit::earliest`]), so a TAT that no longer fits a u64 (near the end of time, for large
/// amounts) admits nothing (`u64::MAX`) instead of saturating into a free pass.
fn gcra_earliest(l: &Limit, tat: u64, cost: u32, t: u64) -> u64 {
    l.earliest(tat, cost, t).map_or(t, |at| at.max(t))
}

fn gcra_consume(l: &Limit, tat: u64, cost: u32, at: u64) -> u64 {
    tat.max(scale(l, at))
        .saturating_add(u64::from(cost).saturating_mul(l.period_ms))
}

/// The shortest horizon of a chain of readings counted for the refill (see `Pacer::learn_counts`):
/// a longer chain dilutes the counts' rounding and what was in flight at its start.
const CHAIN_MS: u64 = 2000;
/// How many recent counts a key keeps (see `Lane::recent`).
const RECENT: usize = 16;

/// The most requests in flight at a chain's first reading (each may or may not be in its count:
/// they are taken as counted, which can only underestimate the refill).
const CHAIN_IN_FLIGHT: u32 = 2;

/// True when a reset of `reset` ms read at `now` came in whole seconds (a delta in seconds, an
/// epoch second, an HTTP-date): it says little below a second.
fn whole_seconds(reset: u64, now: u64) -> bool {
    reset % 1000 == 0 || now.saturating_add(reset) % 1000 == 0
}

/// A reset read `now` that names a whole epoch second and is no whole number of seconds from
/// now: an epoch second, not a delta (a delta that lands on a whole second too is taken as one).
fn epoch_second(reset: u64, now: u64) -> bool {
    reset % 1000 != 0 && now.saturating_add(reset) % 1000 == 0
}

/// A window of at least `reset`, rounded up to a whole second (one second at least).
fn whole_second_window(reset: u64) -> u64 {
    reset.div_ceil(1000).saturating_mul(1000).max(1000)
}

/// The time a token bucket takes to refill `limit` tokens when `used` of them refill in
/// `reset` ms (its time until full).
fn refill_ms(reset: u64, limit: u64, used: u64) -> u64 {
    reset.saturating_mul(limit).div_ceil(used)
}

/// The smallest TAT leaving at most `tokens` in the bucket at `at`.
fn gcra_floor(l: &Limit, at: u64, tokens: u64) -> u64 {
    scale(l, at)
        .saturating_add(tau(l))
        .saturating_sub(tokens.saturating_mul(l.period_ms))
}

impl Pacer {
    /// A pacer with `config`, no keys and no tickets yet.
    pub fn new(config: PacerConfig) -> Result<Self> {
        config.validate()?;
        let backoff = Backoff::new(config.backoff.clone())?;
        #[cfg(feature = "store")]
        let shared = config.shared.map(store::SharedRt::new).transpose()?;
        #[cfg(not(feature = "store"))]
        let shared = None;
        Ok(Pacer {
            #[cfg(feature = "store")]
            names: Vec::new(),
            shared,
            budget: config.retry_budget,
            backoff,
            config,
            keys: VecMap::new(),
            lanes: Vec::new(),
            tickets: VecMap::new(),
            next_ticket: 1,
            last_now: 0,
        })
    }

    /// A copy of the state, for persistence.
    pub fn state(&self) -> PacerState {
        PacerState {
            budget: self.budget,
            keys: self.keys.clone(),
            lanes: self.lanes.clone(),
            tickets: self.tickets.clone(),
            next_ticket: self.next_ticket,
            last_now: self.last_now,
        }
    }

    /// Restores a pacer saved with [`Pacer::state`]. A state that does not hang together (a key
    /// or ticket pointing at no lane, a ticket id not below the counter, a waiter missing from
    /// its queue) is [`ErrorCode::InvalidState`].
    pub fn from_state(config: PacerConfig, state: PacerState) -> Result<Self> {
        let mut p = Pacer::new(config)?;
        let bad = |what: &str| Error::new(ErrorCode::InvalidState, msg!("pacer state: ", what));
        let n = state.lanes.len();
        if state.keys.len() != n || state.keys.values().any(|i| *i >= n) {
            return Err(bad("keys and lanes disagree"));
        }
        for k in state.keys.keys() {
            check_key(k).map_err(|e| bad(&e.message))?;
        }
        for (id, t) in &state.tickets {
            if t.lane >= n || *id == 0 || *id >= state.next_ticket {
                return Err(bad("a ticket points at no lane or beyond the counter"));
            }
            let queued = state.lanes[t.lane].queue.contains(id);
            if queued != matches!(t.phase, Phase::Waiting { .. }) {
                return Err(bad(
                    "a waiting ticket is not queued, or a queued one is in flight",
                ));
            }
        }
        if let Some(b) = &state.budget {
            b.validate()?;
        }
        if state.budget.is_some() != p.budget.is_some() {
            return Err(bad("the retry budget does not match the configuration"));
        }
        p.budget = state.budget;
        #[cfg(feature = "store")]
        {
            p.names = vec![String::new(); n];
            for (k, i) in &state.keys {
                p.names[*i].clone_from(k);
            }
        }
        p.keys = state.keys;
        p.lanes = state.lanes;
        p.tickets = state.tickets;
        p.next_ticket = state.next_ticket.max(1);
        p.last_now = state.last_now;
        Ok(p)
    }

    /// The configuration.
    pub fn config(&self) -> &PacerConfig {
        &self.config
    }

    /// What the pacer knows of `key`, if anything.
    pub fn lane(&self, key: &str) -> Option<&Lane> {
        self.keys.get(key).and_then(|i| self.lanes.get(*i))
    }

    /// The shared retry budget, if one is configured.
    pub fn retry_budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }

    /// Open tickets (waiting or in flight).
    pub fn open_tickets(&self) -> usize {
        self.tickets.len()
    }

    /// The learnt limit of `key` (amount per period ms), if any.
    pub fn learnt(&self, key: &str) -> Option<Limit> {
        self.lane(key)
            .and_then(|l| l.learnt)
            .map(|(a, p)| Limit::new(a, p))
    }

    /// The latest time seen, `now` included; times end at [`MAX_TIME`].
    fn clock(&mut self, now: u64) -> u64 {
        self.last_now = self.last_now.max(now.min(MAX_TIME));
        self.last_now
    }

    fn fresh_lane(&self) -> Lane {
        let learnt = match self.config.preset {
            Some(Preset::Genesys) if self.config.limits.is_empty() => {
                Some((GENESYS_LIMIT.amount, GENESYS_LIMIT.period_ms))
            }
            _ => None,
        };
        Lane {
            learnt,
            learnt_exact: learnt.is_some(),
            preset: learnt.is_some(),
            window: 1,
            ..Lane::default()
        }
    }

    /// A rate is known: configured, or learnt — a preset's only once the server answered the key
    /// (a preset is the API's documented limit, not this server's burst: the first request of a
    /// key goes alone, and its answer's count sets how many follow at once).
    fn rate_known(config: &PacerConfig, lane: &Lane) -> bool {
        !config.limits.is_empty() || (lane.learnt.is_some() && (lane.heard || !lane.preset))
    }

    /// How many more requests the probe window lets go (u32::MAX when a rate is known; one in
    /// flight on a learning key whose server speaks only through its 429s, see `Lane::bare`).
    fn window_room(config: &PacerConfig, lane: &Lane) -> u32 {
        if !config.limits.is_empty() || (Self::rate_known(config, lane) && !lane.bare) {
            u32::MAX
        } else if lane.bare {
            1u32.saturating_sub(lane.in_flight)
        } else {
            lane.window.saturating_sub(lane.in_flight)
        }
    }

    /// With a rate known, a request of `cost` would put more than the smallest burst in flight.
    /// Every request in flight may reach the server at once, as late as its answer: a burst is
    /// all a server paced exactly accepts at once, so a key sends no more before an answer
    /// comes back (its slots are booked by the rate alone; one that comes while the burst is in
    /// flight waits for an answer). Not in shared mode: there the store books every slot, and
    /// a ticket counts as in flight from its consult on, before it is sent.
    fn burst_in_flight(config: &PacerConfig, lane: &Lane, cost: u32) -> bool {
        config.shared.is_none()
            && Self::rate_known(config, lane)
            && Self::min_burst(config, lane).is_some_and(|b| lane.in_cost.saturating_add(cost) > b)
    }

    /// The earliest instant ≥ `t` at which `cost` fits the booked state.
    fn earliest(config: &PacerConfig, lane: &Lane, cost: u32, t: u64, booked: bool) -> u64 {
        let mut e = t.max(lane.floor);
        let left = if booked {
            lane.booked_quota
        } else {
            lane.quota_left
        };
        if e < lane.quota_until && left < cost {
            e = lane.quota_until;
        }
        let (limits, _) = limits_of(config, lane);
        for (i, l) in limits.iter().enumerate() {
            if let Some(l) = l {
                let tat = if booked {
                    lane.gates.booked[i]
                } else {
                    lane.gates.sent[i]
                };
                e = e.max(gcra_earliest(l, tat, cost, e));
            }
        }
        e
    }

    fn min_burst(config: &PacerConfig, lane: &Lane) -> Option<u32> {
        let (limits, _) = limits_of(config, lane);
        limits.iter().flatten().map(|l| l.burst).min()
    }

    /// Takes `cost` at `at` in the booked state (and the sent state too when `sent`).
    fn take(config: &PacerConfig, lane: &mut Lane, cost: u32, at: u64, sent: bool) {
        let (limits, _) = limits_of(config, lane);
        for (i, l) in limits.iter().enumerate() {
            if let Some(l) = l {
                lane.gates.booked[i] = gcra_consume(l, lane.gates.booked[i], cost, at);
                if sent {
                    lane.gates.sent[i] = gcra_consume(l, lane.gates.sent[i], cost, at);
                }
            }
        }
        if at < lane.quota_until {
            lane.booked_quota = lane.booked_quota.saturating_sub(cost);
            if sent {
                lane.quota_left = lane.quota_left.saturating_sub(cost);
            }
        }
    }

    fn begin_local(&mut self, key: &str, cost: u32, now: u64) -> Result<Step> {
        check_key(key)?;
        if cost == 0 || cost > MAX_COST {
            return Err(Error::new(
                ErrorCode::InvalidCost,
                msg!("cost must be 1..=", MAX_COST, ", got ", cost),
            ));
        }
        let now = self.clock(now);
        let cap = self.wait_cap();
        let li = match self.keys.get(key) {
            Some(i) => *i,
            None => {
                let fresh = self.fresh_lane();
                self.lanes.push(fresh);
                let i = self.lanes.len() - 1;
                self.keys.insert(key.to_owned(), i);
                #[cfg(feature = "store")]
                self.names.push(key.to_owned());
                i
            }
        };
        let config = &self.config;
        let Some(lane) = self.lanes.get_mut(li) else {
            return Err(Error::new(ErrorCode::InvalidState, "key vanished"));
        };
        if let Some(b) = Self::min_burst(config, lane) {
            if cost > b {
                return Ok(Step::Never {
                    reason: NeverReason::CostAboveBurst,
                    capacity: b,
                });
            }
        }
        let id = self.next_ticket;
        self.next_ticket = self.next_ticket.saturating_add(1);
        let seed = mix(config.seed, id);
        let mut ticket = Ticket {
            lane: li,
            cost,
            phase: Phase::InFlight { at: now },
            retry: RetryState::new(now, seed),
            throttles: 0,
            since: now,
            lease: 0,
        };
        let room = Self::window_room(config, lane);
        let step = if !Self::has_ready_waiters(lane, &self.tickets, now)
            && room > 0
            && Self::earliest(config, lane, cost, now, true) <= now
            && !Self::burst_in_flight(config, lane, cost)
        {
            Self::take(config, lane, cost, now, true);
            lane.sent(cost);
            Step::Go { ticket: id }
        } else {
            let booked_ahead = Self::booked_waiters(lane, &self.tickets);
            let until = if room > booked_ahead {
                let mut at = Self::earliest(config, lane, cost, now, true);
                if at > MAX_TIME {
                    // It fits only after the end of time: never (as `Limiter::check` says).
                    return Ok(Step::Never {
                        reason: NeverReason::CostAboveBurst,
                        capacity: 0,
                    });
                }
                at = at.max(Self::last_booked(lane, &self.tickets, now));
                Self::take(config, lane, cost, at, false);
                ticket.phase = Phase::Waiting {
                    booked: Some(at),
                    not_before: now,
                };
                at
            } else {
                ticket.phase = Phase::Waiting {
                    booked: None,
                    not_before: now,
                };
                now.saturating_add(config.probe_poll_ms).max(lane.floor)
            };
            // Its slot is now, but the burst is in flight: it waits for an answer.
            let until = if until <= now && Self::burst_in_flight(config, lane, cost) {
                now.saturating_add(config.probe_poll_ms)
            } else {
                until
            };
            lane.queue.push(id);
            Step::Wait {
                ticket: id,
                until: until.min(now.saturating_add(cap)).min(MAX_TIME),
            }
        };
        self.tickets.insert(id, ticket);
        Ok(step)
    }

    fn booked_waiters(lane: &Lane, tickets: &VecMap<u64, Ticket>) -> u32 {
        let n = lane
            .queue
            .iter()
            .filter(|t| {
                matches!(
                    tickets.get(t).map(|t| t.phase),
                    Some(Phase::Waiting {
                        booked: Some(_),
                        ..
                    })
                )
            })
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// A waiter on its own backoff (a network error's retry) does not hold the key: only
    /// waiters whose `not_before` is not past the key's floor (or now) count for FIFO.
    fn holds_key(lane: &Lane, not_before: u64, now: u64) -> bool {
        not_before <= lane.floor.max(now)
    }

    fn has_ready_waiters(lane: &Lane, tickets: &VecMap<u64, Ticket>, now: u64) -> bool {
        lane.queue
            .iter()
            .any(|t| match tickets.get(t).map(|t| t.phase) {
                Some(Phase::Waiting { not_before, .. }) => Self::holds_key(lane, not_before, now),
                _ => false,
            })
    }

    fn last_booked(lane: &Lane, tickets: &VecMap<u64, Ticket>, now: u64) -> u64 {
        lane.queue
            .iter()
            .filter_map(|t| match tickets.get(t).map(|t| t.phase) {
                Some(Phase::Waiting {
                    booked: Some(b),
                    not_before,
                }) if Self::holds_key(lane, not_before, now) => Some(b),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Releases every booked slot of `key` and books its waiters again, in ticket order, from
    /// what was sent and the current floor, quota and window.
    fn rebook(&mut self, li: usize, now: u64) {
        let config = &self.config;
        let Some(lane) = self.lanes.get_mut(li) else {
            return;
        };
        lane.gates.booked = lane.gates.sent;
        lane.booked_quota = lane.quota_left;
        if lane.queue.is_empty() {
            return;
        }
        let mut room = Self::window_room(config, lane);
        let mut last = 0u64;
        for qi in 0..lane.queue.len() {
            let id = lane.queue[qi];
            let Some(t) = self.tickets.get_mut(&id) else {
                continue;
            };
            let Phase::Waiting { not_before, .. } = t.phase else {
                continue;
            };
            if room == 0 {
                t.phase = Phase::Waiting {
                    booked: None,
                    not_before,
                };
                continue;
            }
            room -= 1;
            let mut at = Self::earliest(config, lane, t.cost, now.max(not_before), true);
            // FIFO: not before an earlier waiter, unless that one waits on its own backoff.
            at = at.max(last);
            Self::take(config, lane, t.cost, at, false);
            if Self::holds_key(lane, not_before, now) {
                last = at;
            }
            t.phase = Phase::Waiting {
                booked: Some(at),
                not_before,
            };
        }
    }

    fn resume_local(&mut self, ticket: u64, now: u64) -> Result<Step> {
        let now = self.clock(now);
        let cap = self.wait_cap();
        let t = self.tickets.get(&ticket).ok_or_else(|| unknown(ticket))?;
        // Held as long as the cap allows: it goes now, whatever holds the key.
        let deadline = t.since.saturating_add(cap);
        let forced = now >= deadline;
        let Phase::Waiting { booked, .. } = t.phase else {
            return Err(Error::new(
                ErrorCode::TicketState,
                msg!("ticket ", ticket, " is in flight: finish or cancel it"),
            ));
        };
        let li = t.lane;
        let cost = t.cost;
        // A booked slot goes only if what was actually sent leaves room now: sleepers that woke
        // late went later than booked, and slots kept for them would otherwise leave as one
        // burst with the ones on time.
        let late = booked.is_some_and(|b| b <= now)
            && !forced
            && self
                .lanes
                .get(li)
                .is_some_and(|lane| Self::earliest(&self.config, lane, cost, now, false) > now);
        let booked = match booked {
            Some(b) if !late => Some(b),
            _ => {
                self.rebook(li, now);
                match self.tickets.get(&ticket).map(|t| t.phase) {
                    Some(Phase::Waiting { booked, .. }) => booked,
                    _ => None,
                }
            }
        };
        let config = &self.config;
        let Some(lane) = self.lanes.get_mut(li) else {
            return Err(Error::new(ErrorCode::InvalidState, "key vanished"));
        };
        let wait = match booked {
            Some(at) if at > now && !forced => Some(at.min(deadline)),
            None if !forced => Some(
                now.saturating_add(config.probe_poll_ms)
                    .max(lane.floor)
                    .min(deadline),
            ),
            _ => None,
        };
        match wait {
            Some(until) if until > MAX_TIME || (until == MAX_TIME && now == MAX_TIME) => {
                // Its slot lies past the end of time: it never goes, and leaves the queue.
                lane.queue.retain(|x| *x != ticket);
                self.tickets.remove(&ticket);
                self.rebook(li, now);
                Ok(Step::Never {
                    reason: NeverReason::CostAboveBurst,
                    capacity: 0,
                })
            }
            Some(until) => Ok(Step::Wait { ticket, until }),
            // Its slot came, but the burst is in flight: it waits for an answer (a finish
            // rebooks the key and wakes its waiters), its slot kept.
            None if !forced && Self::burst_in_flight(config, lane, cost) => Ok(Step::Wait {
                ticket,
                until: now.saturating_add(config.probe_poll_ms).min(deadline),
            }),
            None => {
                let Some(t) = self.tickets.get_mut(&ticket) else {
                    return Err(unknown(ticket));
                };
                // Sent at its booked slot, or now when the cap sends it early (or unbooked).
                let at = now;
                let (limits, _) = limits_of(config, lane);
                for (i, l) in limits.iter().enumerate() {
                    if let Some(l) = l {
                        lane.gates.sent[i] = gcra_consume(l, lane.gates.sent[i], t.cost, at);
                    }
                }
                if at < lane.quota_until {
                    lane.quota_left = lane.quota_left.saturating_sub(t.cost);
                }
                lane.queue.retain(|x| *x != ticket);
                lane.sent(t.cost);
                t.phase = Phase::InFlight { at: now };
                if booked.is_none_or(|b| b > now) {
                    // Its booked slot (if any) is free again: the waiters behind move up.
                    self.rebook(li, now);
                }
                Ok(Step::Go { ticket })
            }
        }
    }

    /// The longest a request waits on what the server said or what was learnt from it (a
    /// lockout, a quota, a learnt window, a probe window, a retry's backoff): the smaller of
    /// `parse.max_wait_ms` and `backoff.max_wait_ms`. A request held that long is sent as it is
    /// (the server decides), so no key stays blocked for longer. Configured limits are the
    /// caller's own word and are not cut, as in [`crate::bucket::Limiter::with_max_wait_ms`]:
    /// with limits configured, their slots are waited in full.
    pub fn max_wait_ms(&self) -> u64 {
        self.config
            .parse
            .max_wait_ms
            .min(self.config.backoff.max_wait_ms)
    }

    /// [`Pacer::max_wait_ms`] where it applies: no limit configured (learnt or probed rates);
    /// no cap (`u64::MAX`) under configured limits.
    fn wait_cap(&self) -> u64 {
        if self.config.limits.is_empty() {
            self.max_wait_ms()
        } else {
            u64::MAX
        }
    }

    /// Drops a ticket: a waiter leaves the queue (its slot goes to the next), a request in flight
    /// stops counting as in flight.
    pub fn cancel(&mut self, ticket: u64) -> Result<()> {
        let t = self
            .tickets
            .remove(&ticket)
            .ok_or_else(|| unknown(ticket))?;
        let now = self.last_now;
        if let Some(lane) = self.lanes.get_mut(t.lane) {
            match t.phase {
                Phase::InFlight { .. } | Phase::Consulting { .. } | Phase::Reserved { .. } => {
                    lane.back(t.cost);
                }
                Phase::Waiting { .. } => lane.queue.retain(|x| *x != ticket),
            }
        }
        #[cfg(feature = "store")]
        if t.lease > 0 {
            // No refund, even of a booked slot never used: a GCRA refund cannot free that slot
            // alone, it would move later bookings earlier (the slot is lost, never overspent).
            self.push_release(t.lane, t.lease, 0, now);
        }
        self.rebook(t.lane, now);
        Ok(())
    }

    fn finish_local(&mut self, ticket: u64, outcome: &Outcome, now: u64) -> Result<After> {
        let now = self.clock(now);
        let t = self.tickets.get(&ticket).ok_or_else(|| unknown(ticket))?;
        if !matches!(t.phase, Phase::InFlight { .. }) {
            return Err(Error::new(
                ErrorCode::TicketState,
                msg!("ticket ", ticket, " is waiting, not in flight"),
            ));
        }
        let (li, cost) = (t.lane, t.cost);
        let mut retry = t.retry;
        let sent_at = match t.phase {
            Phase::InFlight { at } => at,
            // Checked above: in flight.
            _ => now,
        };
        let hint = match outcome {
            Outcome::Response { reading } if reading.throttled => {
                reading.wait_ms.filter(|h| *h > 0)
            }
            _ => None,
        };
        let throttles = if hint.is_some() {
            t.throttles.saturating_add(1)
        } else {
            0
        };
        let mut decision = self
            .backoff
            .decide(&mut retry, outcome, now, self.budget.as_mut())?;
        if let (Some(h), Decision::Retry { at, delay_ms, .. }) = (hint, &mut decision) {
            if throttles >= 2 {
                // The hint was honoured and the call was throttled again: others contend for
                // the same instant. Keep the hint as the floor and spread the return above it
                // by the jittered backoff (growing with each repeat), not by a doubled hint.
                let p = self.backoff.policy();
                let extra = p.delay_ms(throttles - 1, retry.prev_delay_ms, retry.seed);
                *delay_ms = h.saturating_add(extra);
                *at = now.saturating_add(*delay_ms);
            }
        }
        if let Some(t) = self.tickets.get_mut(&ticket) {
            t.retry = retry;
            t.throttles = throttles;
            t.since = now;
        }
        let config = &self.config;
        let Some(lane) = self.lanes.get_mut(li) else {
            return Err(Error::new(ErrorCode::InvalidState, "key vanished"));
        };
        lane.back(cost);
        Self::sent_once(lane, sent_at);
        if let Outcome::Response { reading } = outcome {
            // A count read out of order (its request was sent before one whose answer was read
            // already) may only tighten: requests sent after it and answered since may have
            // reached the server after it did, and that count does not include them.
            let fresh = sent_at >= lane.read_sent;
            lane.read_sent = lane.read_sent.max(sent_at);
            Self::observe(config, lane, reading, now, fresh, sent_at);
            if reading.throttled {
                lane.window = 1;
                if reading.wait_ms.unwrap_or(0) == 0 {
                    if let Decision::Retry { at, .. } = decision {
                        // No hint: the backoff's instant stands as the floor.
                        lane.floor = lane.floor.max(at);
                    }
                }
            } else if reading.status < 400 {
                lane.window = lane.window.saturating_mul(2).min(config.max_window);
            }
        }
        let after = match decision {
            Decision::Done => After::Done,
            Decision::GiveUp { reason, attempts } => After::GiveUp { reason, attempts },
            Decision::Retry {
                at,
                attempt,
                reason,
                ..
            } => {
                let at = at.max(lane.floor);
                // Back into the queue at its place (ticket order).
                let pos = lane.queue.partition_point(|x| *x < ticket);
                lane.queue.insert(pos, ticket);
                if let Some(t) = self.tickets.get_mut(&ticket) {
                    t.phase = Phase::Waiting {
                        booked: None,
                        not_before: at,
                    };
                }
                After::Retry {
                    at,
                    attempt,
                    reason,
                }
            }
        };
        if !matches!(after, After::Retry { .. }) {
            self.tickets.remove(&ticket);
        }
        self.rebook(li, now);
        if let After::Retry {
            attempt, reason, ..
        } = after
        {
            let at = match self.tickets.get(&ticket).map(|t| t.phase) {
                Some(Phase::Waiting {
                    booked: Some(b), ..
                }) => b,
                Some(Phase::Waiting { not_before, .. }) => not_before,
                _ => now,
            };
            return Ok(After::Retry {
                at: at.min(now.saturating_add(self.wait_cap())).min(MAX_TIME),
                attempt,
                reason,
            });
        }
        Ok(after)
    }

    /// Applies a reading received at `now` to a lane.
    fn observe(
        config: &PacerConfig,
        lane: &mut Lane,
        r: &Reading,
        now: u64,
        fresh: bool,
        sent_at: u64,
    ) {
        lane.heard = true;
        if config.learn && !r.throttled && r.status < 400 {
            lane.bare = r.limit.is_none() && r.remaining.is_none() && r.reset_ms.is_none();
        }
        if config.learn && config.limits.is_empty() {
            Self::learn(lane, r, now, fresh);
        }
        let blind = config.learn
            && config.limits.is_empty()
            && r.limit.is_none()
            && r.remaining.is_none()
            && (lane.learnt.is_none() || lane.thr_learnt);
        if r.throttled {
            let wait = r.wait_ms.unwrap_or(0);
            let floor = now.saturating_add(wait);
            if blind && wait > 0 {
                Self::learn_throttle(lane, floor, now);
            }
            lane.floor = lane.floor.max(floor);
            lane.quota_left = 0;
            lane.quota_until = lane.quota_until.max(lane.floor);
            // Every bucket empty until the floor, one token at it. A rate learnt from throttle
            // cycles is what the server sustains over a whole cycle, its lockout included: its
            // bucket is empty at the throttle and refills at that rate through the lockout (the
            // server's own refilled at least as fast), so the next cycle starts with what came
            // back, not with one token. Nothing goes before the floor either way.
            let (limits, _) = limits_of(config, lane);
            let thr = lane.thr_learnt;
            for (i, l) in limits.iter().enumerate() {
                if let Some(l) = l {
                    let mut f = gcra_floor(l, lane.floor, 1);
                    if thr && i == MAX_LIMITS {
                        f = f.min(gcra_floor(l, now, 0));
                    }
                    lane.gates.sent[i] = lane.gates.sent[i].max(f);
                }
            }
            return;
        }
        if blind && r.status < 400 {
            Self::learn_success(lane, now);
        }
        Self::answered(config, lane, now);
        let Some(rem) = r.remaining else {
            return;
        };
        // What the server had counted, less what is still in flight on this key.
        // Requests are not always counted in the order they were sent (threads race to the
        // socket): a count answered while this request was in flight may have been taken after
        // it. The lowest of those counts (and this one) less what is still in flight is left.
        let seen = lane
            .recent
            .iter()
            .filter(|(at, _)| *at >= sent_at)
            .map(|(_, r)| *r)
            .fold(rem, u64::min);
        // The last count read before this request was sent: the server took it earlier.
        if lane.resets.len() != lane.recent.len() {
            lane.resets = vec![0; lane.recent.len()];
        }
        let before = lane
            .recent
            .iter()
            .zip(&lane.resets)
            .rfind(|((at, _), _)| *at <= sent_at)
            .map(|((_, r), reset)| (*r, *reset));
        if lane.recent.len() >= RECENT {
            lane.recent.remove(0);
            lane.resets.remove(0);
        }
        lane.recent.push((now, rem));
        lane.resets
            .push(r.reset_ms.map_or(0, |reset| now.saturating_add(reset)));
        let left = seen.saturating_sub(u64::from(lane.in_flight));
        let left32 = u32::try_from(left).unwrap_or(u32::MAX);
        let (limits, _) = limits_of(config, lane);
        let mut counts_ours = false;
        for (i, l) in limits.iter().enumerate() {
            if let Some(l) = l {
                let f = gcra_floor(l, now, left);
                // A learnt limit of the server's own amount follows its count both ways when the
                // reset is in whole seconds: what the server says is left (less what is in
                // flight) may go now, even when the learnt rate (a whole second's) is slower than
                // the server's (how else would a faster rate ever show?). With a reset to the
                // millisecond the learnt rate is the server's own and stays a ceiling (a count
                // read out of order could be high), as a configured limit always does.
                let follows = i == MAX_LIMITS
                    && fresh
                    && r.limit == Some(u64::from(l.amount))
                    && r.reset_ms.is_some_and(|reset| whole_seconds(reset, now));
                // A configured limit whose bucket is the one the server counts (its burst is the
                // server's limit) follows the count both ways too: the count is the server's at
                // the request's arrival, at most its answer, so the server's schedule is at most
                // `left` tokens short of full now (those in flight taken), never later than the
                // answer time alone says; with no more than a burst in flight, what is left may
                // go now. Not in shared mode (the store books every slot there).
                let counted = i < MAX_LIMITS
                    && fresh
                    && config.shared.is_none()
                    && r.limit == Some(u64::from(l.burst));
                lane.gates.sent[i] = if follows {
                    counts_ours = true;
                    f
                } else if counted {
                    counts_ours = true;
                    f.max(Self::answer_bound(l, lane, now))
                } else {
                    lane.gates.sent[i].max(f)
                };
            }
        }
        if let Some(reset) = r.reset_ms {
            let reset_at = now.saturating_add(reset);
            let whole = whole_seconds(reset, now);
            // This request reached the server after the last count read before it was sent,
            // and took a token itself: as many left now or more, before the reset that count
            // named (less a whole second's rounding) or naming the same instant again (a
            // window's end names the same instant only inside that window), is a refill no
            // window gives.
            // So is a later epoch second, fewer left, named before that count's reset came: a
            // fixed window names its own end to every request that reaches it before that end
            // (an epoch second is exact, where a delta in whole seconds wobbles with the answer's
            // delay); a bucket's time until full moves later as tokens are used. (A window
            // server whose clock runs ahead of ours can name its next end before ours says the
            // last one came: read as a refill, that costs at most a 429, whose wait is a floor.)
            let slack = if whole { 1000 } else { 0 };
            if before.is_some_and(|(r0, reset0)| {
                (rem >= r0 && (now.saturating_add(slack) < reset0 || reset_at == reset0))
                    || (rem <= r0
                        && now < reset0
                        && reset_at > reset0
                        && epoch_second(reset, now)
                        && reset0 % 1000 == 0)
            }) {
                lane.refills = true;
            }
            let used = r.limit.map(|l| l.saturating_sub(rem));
            if let Some(used) = used {
                // A window's reset stays put as requests are used (a whole-second delta wobbles
                // by under a second); a token bucket's time until full moves later.
                let slack = if whole { 1000 } else { 0 };
                if lane.full_at > 0
                    && used > lane.full_used
                    && reset_at > lane.full_at.saturating_add(slack)
                {
                    lane.bucket = true;
                }
                lane.full_at = reset_at;
                lane.full_used = used;
            }
            // Only a rate told or configured decides inside the interval: a window estimated from
            // resets can be short (a token bucket's reset is often its time until full).
            let trusted = !config.limits.is_empty() || (lane.learnt.is_some() && lane.learnt_exact);
            // A whole-second reset on a key whose learnt window is two seconds at most: the
            // server has never said anything takes longer to come back, and the interval
            // (v−1, v] spans its whole resolution. The quota holds until `v − 1` (now, for a
            // delta of 1 s; an epoch second read late in a second names the next one, whose
            // interval begins within the second) and the learnt rate paces inside it, so the
            // counts that come back teach the rate (`learn_counts`); a fixed window ending later
            // in that second answers such a request with a 429 whose instant is the same `v`
            // (one throttle, one request in flight, no time lost).
            let short_window = lane.learnt.is_some_and(|(_, p)| p <= 2000);
            let until = if counts_ours && lane.refills {
                // The server counts a configured bucket (or the learnt limit of its own amount)
                // and was seen to refill as it goes: its reset is that bucket's time until full,
                // and the rate, following the count, says when each token is back (no quota to
                // hold on top of it).
                now
            } else if let (true, Some(used)) = (lane.bucket, used.filter(|u| *u > 0)) {
                // A token bucket: `rem` now, the next token one `reset / used` from now.
                now.saturating_add(reset.div_ceil(used))
            } else if whole && (trusted || short_window) {
                // (v−1, v]: the rate decides inside the interval.
                reset_at.saturating_sub(1000).max(now)
            } else {
                reset_at
            };
            if fresh {
                lane.quota_left = left32;
                lane.quota_until = until;
            } else if until > now {
                lane.quota_left = lane.quota_left.min(left32);
            }
        }
    }

    /// A response the server accepted, answered at `now`: the request reached the server by
    /// then, not necessarily when it was sent. A request that arrives late (a loaded machine, a
    /// slow network) moves the server's schedule later than the send-time schedule, and the next
    /// request sent on time would be early for it. The one bound a client knows is the answer
    /// time: the server's theoretical arrival time is at most one emission interval after `now`
    /// plus one for each request still in flight (the oracle of `bench/outcome` keeps the same
    /// bound). Every limit in force keeps at least that, so pacing at exactly the server's rate
    /// never runs ahead of it (one round trip of slack, spent only while the bucket is empty).
    fn answered(config: &PacerConfig, lane: &mut Lane, now: u64) {
        let (limits, _) = limits_of(config, lane);
        for (i, l) in limits.iter().enumerate() {
            if let Some(l) = l {
                lane.gates.sent[i] = lane.gates.sent[i].max(Self::answer_bound(l, lane, now));
            }
        }
    }

    /// The answer time's bound on `l`'s schedule (see [`Pacer::answered`]): one emission
    /// interval after `now` for the request answered and one for each still in flight.
    fn answer_bound(l: &Limit, lane: &Lane, now: u64) -> u64 {
        let ahead = u64::from(lane.in_flight).saturating_add(1);
        scale(l, now).saturating_add(ahead.saturating_mul(l.period_ms))
    }

    /// Learns the rate from how fast the server's count comes back, when its reset is in whole
    /// seconds and says nothing below a second (a token bucket refilling in 200 ms reads "reset:
    /// 1" as well as one refilling in 1 s). Readings are chained: over a chain, the server gave
    /// back `refill = used₀ + accepted since − usedₖ` (the requests in flight at the chain's
    /// first reading are counted as already used by it, so the refill is never overestimated by
    /// them) in `now − t₀` ms, so `limit` tokens return in `limit × (now − t₀) / (refill − 1)` (one
    /// token less for the counts' rounding). A chain ends at its first reading's reset horizon
    /// (2 s at least) and when one step gives back half the limit or more at once (a window
    /// restarting, or a bucket left full: the refill is capped).
    /// A chain of 150 ms or more that gave back 4 tokens or more sets the learnt limit (as told:
    /// the rate decides inside a whole-second reset). A fixed window's count never comes back
    /// inside a chain, so it teaches nothing here. Returns true when the learnt limit is counted.
    fn learn_counts(
        lane: &mut Lane,
        limit: u64,
        rem: u64,
        reset: u64,
        now: u64,
        fresh: bool,
    ) -> bool {
        let used = limit.saturating_sub(rem);
        lane.accepted = lane.accepted.saturating_add(1);
        if !fresh {
            // A count read out of order says less than the one read before it: accepted, not
            // chained (its `used` would show tokens coming back that never did).
            return lane.counted;
        }
        let n = lane.accepted;
        let step = lane
            .prev_used
            .saturating_add(n.saturating_sub(lane.prev_n))
            .saturating_sub(used);
        let restart = step.saturating_mul(2) >= limit.max(2);
        lane.prev_used = used;
        lane.prev_n = n;
        if !lane.chain_on || restart || now > lane.chain_until || used == 0 {
            // A new chain from this reading (a bucket left full starts none, nor a reading with
            // many requests in flight: how many of them the server had counted is unknown).
            lane.chain_on = used > 0 && lane.in_flight <= CHAIN_IN_FLIGHT;
            lane.chain_at = now;
            lane.chain_used = used;
            lane.chain_n = n.saturating_add(u64::from(lane.in_flight));
            lane.chain_until = now.saturating_add(reset.max(CHAIN_MS));
            return lane.counted;
        }
        let dt = now.saturating_sub(lane.chain_at);
        let refill = lane
            .chain_used
            .saturating_add(n.saturating_sub(lane.chain_n))
            .saturating_sub(used);
        if dt < 150 || refill < 4 {
            return lane.counted;
        }
        let w = limit
            .saturating_mul(dt)
            .div_ceil(refill - 1)
            .clamp(1, crate::bucket::MAX_PERIOD_MS);
        // Only a rate faster than a whole second's window says more than the reset does.
        if w >= whole_second_window(reset) {
            return lane.counted;
        }
        let amount = limit as u32;
        let changed = lane.learnt.is_none_or(|(a, p)| {
            a != amount
                || w.saturating_mul(100) > p.saturating_mul(103)
                || w.saturating_mul(100) < p.saturating_mul(97)
        });
        if changed || !lane.counted {
            Self::set_learnt(lane, amount, w, now);
        }
        lane.learnt_exact = true;
        lane.counted = true;
        true
    }

    /// A throttle on a key whose answers teach no rate (no count, no limit: a Genesys 429 body
    /// only, an HTTP-date `Retry-After`): the cycle since the key's first send (or the last
    /// floor) got `cycle_ok` requests through until this floor, so the server sustains that many
    /// per cycle. One less (its burst may be below what got through while it refilled) per the
    /// cycle becomes the learnt limit: after the floor the key is paced at that rate instead of
    /// probing into the next lockout with every request in flight. Raised by
    /// `learn_success`, learnt again at the next throttle.
    fn learn_throttle(lane: &mut Lane, floor: u64, now: u64) {
        if let Some(from) = lane.cycle_from {
            if lane.cycle_ok >= 2 && floor > from {
                let amount = (lane.cycle_ok - 1).min(MAX_AMOUNT);
                let period = (floor - from).min(crate::bucket::MAX_PERIOD_MS);
                Self::set_learnt(lane, amount, period, now);
                lane.learnt_exact = false;
                lane.thr_learnt = true;
            }
        }
        lane.cycle_from = Some(floor);
        lane.cycle_ok = 0;
        lane.since_raise = 0;
    }

    /// A request of the key was sent at `at`: the first throttle cycle starts at the key's first
    /// send (its first answer comes later, and a cycle measured from it would be short).
    fn sent_once(lane: &mut Lane, at: u64) {
        if lane.cycle_from.is_none() {
            lane.cycle_from = Some(at);
        }
    }

    /// A success on a key learning from throttles: counted for the cycle; once a whole learnt
    /// amount went through without a throttle, the learnt window shrinks by a quarter (a
    /// cycle's count underestimates a server that refills faster than its whole-second lockout
    /// says), until a throttle learns it again.
    fn learn_success(lane: &mut Lane, now: u64) {
        lane.cycle_ok = lane.cycle_ok.saturating_add(1);
        if let (true, Some((amount, period))) = (lane.thr_learnt, lane.learnt) {
            lane.since_raise = lane.since_raise.saturating_add(1);
            if lane.since_raise >= amount {
                Self::set_learnt(lane, amount, (period.saturating_mul(3) / 4).max(1), now);
                lane.thr_learnt = true;
                lane.since_raise = 0;
            }
        }
    }

    /// Learns `limit` per window from a reading received at `now`.
    fn learn(lane: &mut Lane, r: &Reading, now: u64, fresh: bool) {
        let Some(limit) = r.limit.filter(|l| (1..=u64::from(MAX_AMOUNT)).contains(l)) else {
            return;
        };
        let amount = limit as u32;
        if let (false, false, false, Some(rem), Some(reset)) = (
            r.throttled,
            lane.bucket,
            lane.preset,
            r.remaining,
            r.reset_ms,
        ) {
            if whole_seconds(reset, now) && Self::learn_counts(lane, limit, rem, reset, now, fresh)
            {
                return;
            }
        }
        if let Some(w) = r
            .window_ms
            .filter(|w| (1..=crate::bucket::MAX_PERIOD_MS).contains(w))
        {
            Self::set_learnt(lane, amount, w, now);
            lane.learnt_exact = true;
            return;
        }
        let Some(reset) = r.reset_ms else {
            return;
        };
        if limit != lane.seen_limit {
            lane.seen_limit = limit;
            lane.seen_reset_ms = 0;
            lane.seen_count = 0;
            lane.bucket_used = 0;
            lane.bucket_w = 0;
        }
        if lane.preset && lane.learnt.is_some_and(|(a, _)| a != amount) {
            // The server names another amount than the preset's: its window is not the preset's
            // either. Start from this reading's reset (a whole second at least) and learn on.
            lane.preset = false;
            let w = whole_second_window(reset).min(crate::bucket::MAX_PERIOD_MS);
            Self::set_learnt(lane, amount, w, now);
            lane.learnt_exact = false;
            lane.seen_reset_ms = w;
            lane.seen_count = 1;
            return;
        }
        // A token bucket (see `observe`): its reset is the time until full, so `limit` tokens
        // refill in `reset × limit / used`, best read when most of it is used. This replaces a
        // preset's window too (the preset's minute is a fixed window's).
        if let (true, Some(rem)) = (lane.bucket, r.remaining) {
            let used = limit.saturating_sub(rem);
            if used > 0 && used >= lane.bucket_used {
                lane.bucket_used = used;
                // The longest estimate seen: a reset read at the answer is short by the time the
                // answer took (a slow answer reads a bucket nearly full as refilling at once).
                let w = refill_ms(reset, limit, used)
                    .max(lane.bucket_w)
                    .clamp(1, crate::bucket::MAX_PERIOD_MS);
                lane.bucket_w = w;
                Self::set_learnt(lane, amount, w, now);
                lane.learnt_exact = false;
            }
            return;
        }
        // A window estimate from this reading. A reset in whole seconds (a delta in seconds, an
        // epoch second, an HTTP-date) says little below a second: the window is at least the
        // shortest time the reset can mean, rounded up to a whole second. A reset to the millisecond (epoch ms, a delta in ms,
        // a Go duration) is a token bucket's time until full as precisely as a fixed window's time
        // left: `limit` tokens refill in `reset × limit / used` — exact for a bucket, never
        // shorter than a fixed window's time left, and the quota (`remaining` until the reset)
        // still bounds a fixed window.
        let estimate = if whole_seconds(reset, now) {
            // The instant named lies in `(reset − 1 s, reset]`: an epoch second read 829 ms
            // into a second is 1,171 ms away for an end that may be 172 ms away.
            whole_second_window(reset.saturating_sub(999))
        } else {
            let used = r
                .remaining
                .map_or(limit, |rem| limit.saturating_sub(rem))
                .max(1);
            refill_ms(reset, limit, used).max(1)
        };
        lane.seen_reset_ms = lane.seen_reset_ms.max(estimate);
        lane.seen_count = lane.seen_count.saturating_add(1);
        // The window is the longest estimate seen, never shorter than the window already known
        // (a preset's, or an earlier estimate's).
        let known = lane.learnt.map(|(_, p)| p);
        let exact = lane.learnt_exact;
        if lane.seen_count >= 2 || known.is_some() {
            let w = lane
                .seen_reset_ms
                .max(known.unwrap_or(0))
                .clamp(1, crate::bucket::MAX_PERIOD_MS);
            Self::set_learnt(lane, amount, w, now);
            // A preset's window stays told; the amount is refined from `limit`.
            lane.learnt_exact = exact && known == Some(w);
        }
    }

    /// A new learnt limit; its bucket starts over (the reading's `remaining` then bounds it).
    /// Sets the learnt limit. What the old limit had in use stays in use under the new one (its
    /// requests in flight or recently sent are no fresher for a new estimate of the rate): each
    /// gate keeps its tokens in use at `now`, re-expressed in the new limit's units.
    fn set_learnt(lane: &mut Lane, amount: u32, period_ms: u64, now: u64) {
        lane.thr_learnt = false;
        if lane.learnt == Some((amount, period_ms)) {
            return;
        }
        let old = lane.learnt.replace((amount, period_ms));
        for g in [
            &mut lane.gates.sent[MAX_LIMITS],
            &mut lane.gates.booked[MAX_LIMITS],
        ] {
            *g = match old {
                Some((a0, p0)) => {
                    // in use: (tat - now*a0) units of 1/a0 ms = that / p0 tokens
                    let used = u128::from(g.saturating_sub(now.saturating_mul(u64::from(a0))));
                    let units = (used * u128::from(period_ms)).div_ceil(u128::from(p0.max(1)));
                    now.saturating_mul(u64::from(amount))
                        .saturating_add(u64::try_from(units).unwrap_or(u64::MAX))
                }
                None => 0,
            };
        }
    }
}
