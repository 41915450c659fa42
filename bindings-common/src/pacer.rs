//! The core pacer (`pacekeeper::pacer`) across a boundary, once per step; napi and wasm-bindgen
//! export `NativePacer` over [`HostPacer`].
//!
//! - **Configuration**: the [`CONFIG_SLOTS`] (the vocabulary `pacerConfig`; `path[:kind]` per
//!   slot, NaN the core's default), then the retry statuses (a count, NaN for the core's default
//!   list, then the statuses) and the limits (as the limiter's). The seed crosses as decimal text.
//! - **Answers**: a step's action is its index in `steps`, a finish's in `afters`; the rest goes
//!   into `out` ([`OUT_SLOTS`]): `ticket, until|at, attempt|attempts|capacity, reason` (NaN where
//!   the action has none; a reason as its index in its vocabulary).
//! - **Responses**: `finish` parses the response with the configured parse options. A header the
//!   core refuses came from the server: the reading falls back to the bare status, so a hostile
//!   server never turns into a thrown error (a bad status still is `invalid_status`).
//!
//! No `core::fmt` outside the store crossings (native only; the WebAssembly module's size budget).

use crate::backoff::{budget_of, policy_scalars, retry_statuses};
use crate::flat::{idx, num as n, set, Rd};
use crate::{err, uint, uint32, ErrorCode, Result};
use pacekeeper::backoff::Outcome;
use pacekeeper::headers::ResetMode;
use pacekeeper::pacer::{After, Pacer, PacerConfig, Preset, Step};
#[cfg(feature = "store")]
use pacekeeper::{
    pacer::{SharedPacing, StoreCall},
    shared::{fallback::Event, Reply, StoreError, StoreErrorKind, StorePolicy},
};

/// The scalar slots every pacer configuration has (see [`CONFIG_SLOTS`]).
macro_rules! base_slots {
    () => {
        "learn:bool,preset:presets,probePollMs,maxWindow,parse.maxWaitMs,\
        parse.resetMode:resetModes,retryBudget:bool,retryBudget.capacity,retryBudget.tokens,\
        retryBudget.retryCost,retryBudget.networkCost,retryBudget.successRefund,backoff.baseMs,\
        backoff.multiplier:float,backoff.capMs,backoff.jitter:jitters,backoff.maxAttempts,\
        backoff.deadlineMs,backoff.retryNetworkErrors:bool,backoff.hintSpreadPercent,\
        backoff.maxWaitMs"
    };
}

/// The named scalar slots of a flat pacer configuration, in order (see the module docs). The
/// `shared.*` slots (the pacer's store option) exist only with the `store` feature: the
/// WebAssembly module paces in memory only, and a `shared` option is then unknown there.
#[cfg(feature = "store")]
pub const CONFIG_SLOTS: &str = concat!(
    base_slots!(),
    ",shared:bool,shared.leaseTtlMs,shared.idleTtlMs,shared.maxReserveMs,shared.callerClock:bool,\
    shared.policy:storePolicies,shared.probeIntervalMs,shared.peers,shared.heartbeatMs"
);
/// See above.
#[cfg(not(feature = "store"))]
pub const CONFIG_SLOTS: &str = base_slots!();

/// How many numbers an answer writes into `out`.
pub const OUT_SLOTS: usize = 4;

/// A [`PacerConfig`] from its flat form (see the module docs) and the seed's decimal text
/// (empty: the core's default, 0). The slots are read in the order of [`CONFIG_SLOTS`]; the
/// options of a group that is off (`retryBudget`, `shared`) are checked, then dropped.
pub fn pacer_config(flat: &[f64], seed_text: &str) -> Result<PacerConfig> {
    let mut n = Rd::new(flat);
    let mut c = PacerConfig::default();
    set!(c.learn => n.flag("learn"););
    c.preset = n.index("preset", Preset::from_index);
    set! {
        c.probe_poll_ms => n.opt("probePollMs");
        c.max_window => n.u32("maxWindow");
        c.parse.max_wait_ms => n.opt("parse.maxWaitMs");
        c.parse.reset_mode => n.index("parse.resetMode", ResetMode::from_index);
    }
    let on = n.flag("retryBudget") == Some(true);
    let b = n.group("retryBudget.", budget_of);
    c.retry_budget = on.then_some(b); // as `shared` below
    n.group("backoff.", |n| policy_scalars(n, &mut c.backoff));
    #[cfg(feature = "store")]
    {
        let on = n.flag("shared") == Some(true);
        let mut sh = SharedPacing::default();
        n.group("shared.", |n| {
            set! {
                sh.lease_ttl_ms => n.opt("leaseTtlMs");
                sh.idle_ttl_ms => n.opt("idleTtlMs");
                sh.max_reserve_ms => n.opt("maxReserveMs");
                sh.caller_clock => n.flag("callerClock");
                sh.policy => n.index("policy", StorePolicy::from_index);
                sh.probe_interval_ms => n.opt("probeIntervalMs");
                sh.peers => n.opt("peers");
                sh.heartbeat_ms => n.opt("heartbeatMs");
            }
        });
        c.shared = on.then_some(sh); // off (`shared: false`): its slots checked, then dropped
    }
    // The lists: the retry statuses and the limits (as in the backoff's and the limiter's).
    n.group("backoff.", |n| retry_statuses(n, &mut c.backoff));
    c.limits = crate::flat::limits(&mut n, "limits");
    n.end("pacer config")?;
    if !seed_text.is_empty() {
        c.seed = crate::seed(seed_text)?;
    }
    Ok(c)
}

/// `out`'s first [`OUT_SLOTS`] numbers, or `invalid_argument` (checked before the core runs,
/// so a short buffer never leaves a ticket behind).
pub fn out_slots(out: &mut [f64]) -> Result<&mut [f64]> {
    let m = "out must hold at least 4 numbers";
    out.get_mut(..OUT_SLOTS)
        .ok_or_else(|| err(ErrorCode::InvalidArgument, m))
}

/// [`out_slots`], the ticket and the time of a step, checked in that order.
#[inline(never)]
pub fn step_args(out: &mut [f64], ticket: f64, now: f64) -> Result<(&mut [f64], u64, u64)> {
    Ok((out_slots(out)?, uint(ticket, "ticket")?, uint(now, "now")?))
}

/// A step into `out` (checked by [`out_slots`]); its action's index in `steps`.
pub fn write_step(step: Step, o: &mut [f64]) -> u32 {
    let nan = f64::NAN;
    let slots = match step {
        Step::Go { ticket } => [n(ticket), nan, nan, nan],
        Step::Wait { ticket, until } => [n(ticket), n(until), nan, nan],
        Step::Never { reason, capacity } => [nan, nan, f64::from(capacity), idx(reason.index())],
        Step::Consult { ticket } => [n(ticket), nan, nan, nan],
    };
    o[..OUT_SLOTS].copy_from_slice(&slots);
    u32::try_from(step.index()).unwrap_or(0)
}

/// A finish's answer into `out` (checked by [`out_slots`]; `ticket` is the one finished);
/// its action's index in `afters`.
pub fn write_after(ticket: u64, after: After, o: &mut [f64]) -> u32 {
    let nan = f64::NAN;
    let slots = match after {
        After::Done => [n(ticket), nan, nan, nan],
        After::Retry {
            at,
            attempt,
            reason,
        } => [n(ticket), n(at), f64::from(attempt), idx(reason.index())],
        After::GiveUp { reason, attempts } => {
            [n(ticket), nan, f64::from(attempts), idx(reason.index())]
        }
    };
    o[..OUT_SLOTS].copy_from_slice(&slots);
    u32::try_from(after.index()).unwrap_or(0)
}

/// The core pacer with host numbers in and out: what napi's and wasm's `NativePacer` wrap.
#[derive(Debug)]
pub struct HostPacer {
    /// The core pacer.
    pub core: Pacer,
}

impl HostPacer {
    /// A pacer from the flat configuration and the seed's decimal text (the JMeter ABI builds
    /// one from the core's own configuration, decoded from its JSON).
    pub fn new(flat: &[f64], seed: &str) -> Result<Self> {
        Pacer::new(pacer_config(flat, seed)?).map(|core| HostPacer { core })
    }

    /// `Pacer::begin`; the step's action index, the rest in `out`.
    pub fn begin(&mut self, key: &str, cost: f64, now: f64, out: &mut [f64]) -> Result<u32> {
        let (o, cost, now) = (out_slots(out)?, uint32(cost, "cost")?, uint(now, "now")?);
        Ok(write_step(self.core.begin(key, cost, now)?, o))
    }

    /// `Pacer::resume`.
    pub fn resume(&mut self, ticket: f64, now: f64, out: &mut [f64]) -> Result<u32> {
        let (o, t, now) = step_args(out, ticket, now)?;
        Ok(write_step(self.core.resume(t, now)?, o))
    }

    /// `Pacer::cancel`.
    pub fn cancel(&mut self, ticket: f64) -> Result<()> {
        self.core.cancel(uint(ticket, "ticket")?)
    }

    /// Parses a response (its header `pairs`) and finishes `ticket` with it.
    pub fn finish(
        &mut self,
        ticket: f64,
        status: u32,
        pairs: &[(&str, &str)],
        body: Option<&str>,
        now: f64,
        out: &mut [f64],
    ) -> Result<u32> {
        let (o, t, now) = step_args(out, ticket, now)?;
        let status = pacekeeper::headers::check_status(i64::from(status))?;
        let opts = &self.core.config().parse;
        // A header the core refuses is the server's, not the caller's: the bare status.
        let reading = pacekeeper::parse(status, pairs, body, now, opts)
            .or_else(|_| pacekeeper::parse::<&str, &str>(status, &[], None, now, opts))?;
        let after = self.core.finish(t, &Outcome::Response { reading }, now)?;
        Ok(write_after(t, after, o))
    }

    /// Finishes `ticket` after a network error (no response).
    pub fn finish_network_error(&mut self, ticket: f64, now: f64, out: &mut [f64]) -> Result<u32> {
        let (o, t, now) = step_args(out, ticket, now)?;
        let after = self.core.finish(t, &Outcome::NetworkError, now)?;
        Ok(write_after(t, after, o))
    }

    /// The learnt limit of `key` into `out` (`amount, periodMs, burst`); false when none.
    pub fn learnt(&self, key: &str, out: &mut [f64]) -> Result<bool> {
        let o = out_slots(out)?;
        let l = self.core.learnt(key);
        if let Some(l) = l {
            let (amount, burst) = (f64::from(l.amount), f64::from(l.burst));
            o.copy_from_slice(&[amount, n(l.period_ms), burst, f64::NAN]);
        }
        Ok(l.is_some())
    }
}

#[cfg(feature = "store")]
/// A store call as one string safe for any key: `<L>:<key1><key2><arg>,<arg>,...` where `L`
/// is the length of each key in UTF-16 code units (the two keys always have the same length;
/// JavaScript's `substr` counts in those units), and the arguments (ASCII digits and letters)
/// are joined by commas.
pub fn store_call_text(call: &StoreCall) -> Result<String> {
    let [k1, k2] = call.keys()?;
    let l = k1.encode_utf16().count();
    Ok(format!("{l}:{k1}{k2}{}", call.args()?.join(",")))
}

#[cfg(feature = "store")]
/// A store event as text: `store_down,<policy>,<peers>` or `store_up,<downForUs>`.
pub fn event_text(e: Event) -> String {
    match e {
        Event::StoreDown { policy, peers } => format!("store_down,{},{peers}", policy.as_str()),
        Event::StoreUp { down_for_us } => format!("store_up,{down_for_us}"),
    }
}

#[cfg(feature = "store")]
/// A store's answer from the host: `error_code` (a name of `storeErrors`) when the call failed,
/// else the reply's numbers. A reply that is not six integers came from the server, not from
/// the caller: it is the store error `store_bad_reply`, never a thrown error.
pub fn store_reply(
    reply: &[f64],
    error_code: &str,
) -> Result<core::result::Result<Reply, StoreError>> {
    let (kind, message) = if !error_code.is_empty() {
        (error_code.parse()?, "reported by the shell")
    } else if let Some(ints) = reply
        .iter()
        .map(|&v| crate::safe_int(v))
        .collect::<Option<Vec<_>>>()
    {
        return Ok(pacekeeper::shared::decode(&ints)); // the core checks the count and ranges
    } else {
        (StoreErrorKind::BadReply, "a reply value is no safe integer")
    };
    let message = message.into();
    Ok(Err(StoreError { kind, message }))
}
