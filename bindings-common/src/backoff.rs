//! The core backoff, retry state and retry budget across a boundary: the policy flat
//! ([`POLICY_SLOTS`], then the retry statuses: a count, NaN for the core's default list, then
//! the statuses), the budget ([`BUDGET_SLOTS`]; NaN `tokens`: a full budget) and one decision
//! per call ([`decide`]). NaN in a slot: the core's default. Seeds cross as text.

use crate::flat::{flag, idx, num, opt, set, Rd};
use crate::{err, seed, ErrorCode, Result};
use pacekeeper::backoff::{Decision, Jitter, Outcome, RetryBudget, RetryState};
use pacekeeper::{Backoff, BackoffPolicy};

/// The named scalar slots of a flat backoff policy, in order.
pub const POLICY_SLOTS: &str = "baseMs,multiplier:float,capMs,jitter:jitters,maxAttempts,\
    deadlineMs,retryNetworkErrors:bool,hintSpreadPercent,maxWaitMs";

/// The slots of a retry budget, in order.
pub const BUDGET_SLOTS: &str = "capacity,tokens,retryCost,networkCost,successRefund";
const BUDGET_LEN: usize = crate::flat::count(BUDGET_SLOTS);

/// The numeric slots of a retry state (its seed crosses as text), in order.
pub const STATE_SLOTS: &str = "attempts,startedAt,prevDelayMs,lastHintMs,shortHints";
const STATE_LEN: usize = crate::flat::count(STATE_SLOTS);

/// How many numbers [`decide`] writes into `out`.
pub const OUT_SLOTS: usize = 4;

/// A [`BackoffPolicy`] from its flat form.
pub fn policy_of(flat: &[f64]) -> Result<BackoffPolicy> {
    let mut n = Rd::new(flat);
    let mut p = BackoffPolicy::default();
    policy_scalars(&mut n, &mut p);
    retry_statuses(&mut n, &mut p);
    n.end("backoff policy")?;
    Ok(p)
}

/// The [`POLICY_SLOTS`] into `p` (NaN: as it is; in the pacer's layout too, `backoff.*`).
pub(crate) fn policy_scalars(n: &mut Rd<'_>, p: &mut BackoffPolicy) {
    set! {
        p.base_ms => n.opt("baseMs");
        p.multiplier => n.float("multiplier");
        p.cap_ms => n.opt("capMs");
        p.jitter => n.index("jitter", Jitter::from_index);
        p.max_attempts => n.u32("maxAttempts");
    }
    p.deadline_ms = n.opt("deadlineMs");
    set! {
        p.retry_network_errors => n.flag("retryNetworkErrors");
        p.hint_spread_percent => n.u32("hintSpreadPercent");
        p.max_wait_ms => n.opt("maxWaitMs");
    }
}

/// The retry statuses: a count (NaN: the core's default list), then the statuses.
pub(crate) fn retry_statuses(n: &mut Rd<'_>, p: &mut BackoffPolicy) {
    if let Some(count) = n.opt("retryStatuses") {
        let mut v = Vec::new();
        for _ in 0..count.min(crate::flat::MAX_LIST) {
            let s = n.uint("retryStatuses");
            v.push(u16::try_from(s).unwrap_or_else(|_| {
                n.bad_number("retryStatuses", " must be at most 65535");
                0
            }));
        }
        p.retry_statuses = v;
    }
}

/// A policy in its flat form (every slot filled in; `deadlineMs` NaN for none).
pub fn policy_flat(p: &BackoffPolicy) -> Vec<f64> {
    let mut v = vec![
        num(p.base_ms),
        p.multiplier,
        num(p.cap_ms),
        idx(p.jitter.index()),
        f64::from(p.max_attempts),
        opt(p.deadline_ms),
        flag(p.retry_network_errors),
        f64::from(p.hint_spread_percent),
        num(p.max_wait_ms),
        idx(p.retry_statuses.len()),
    ];
    v.extend(p.retry_statuses.iter().map(|&s| f64::from(s)));
    v
}

/// The [`BUDGET_SLOTS`] (NaN: the core's default).
pub(crate) fn budget_of(n: &mut Rd<'_>) -> RetryBudget {
    let mut b = RetryBudget::default();
    set!(b.capacity => n.u32("capacity"););
    // The core's default: a full budget.
    b.tokens = n.u32("tokens").unwrap_or(b.capacity);
    set! {
        b.retry_cost => n.u32("retryCost");
        b.network_cost => n.u32("networkCost");
        b.success_refund => n.u32("successRefund");
    }
    b
}

fn budget_nums(b: &RetryBudget) -> [f64; BUDGET_LEN] {
    let (retry, network, refund) = (b.retry_cost, b.network_cost, b.success_refund);
    [b.capacity, b.tokens, retry, network, refund].map(f64::from)
}

/// A retry budget with the core's defaults filled in (NaN slots), flat.
pub fn budget_flat(flat: &[f64]) -> Result<Vec<f64>> {
    let mut n = Rd::new(flat);
    let b = budget_of(&mut n);
    n.end("retry budget")?;
    Ok(budget_nums(&b).to_vec())
}

/// One decision of `backoff` (see the module docs). `io`: the retry state's [`STATE_SLOTS`],
/// then, when `budget`, the [`BUDGET_SLOTS`]; `reading`: the flat reading and its strings
/// ([`crate::reading::reading_of`]), none for a network error.
pub fn decide(
    backoff: &Backoff,
    io: &mut [f64],
    seed_text: &str,
    reading: Option<(&[f64], &str)>,
    now: f64,
    budget: bool,
    out: &mut [f64],
) -> Result<u32> {
    let need = STATE_LEN + if budget { BUDGET_LEN } else { 0 };
    if io.len() < need || out.len() < OUT_SLOTS {
        let m = "io or out holds too few numbers";
        return Err(err(ErrorCode::InvalidArgument, m));
    }
    let mut n = Rd::new(io);
    let attempts = n.u32("state.attempts").unwrap_or(0);
    let started_at = n.opt("state.startedAt").unwrap_or(0);
    n.check()?;
    let mut state = RetryState {
        attempts,
        started_at,
        seed: seed(seed_text)?,
        prev_delay_ms: n.opt("state.prevDelayMs").unwrap_or(0),
        last_hint_ms: n.opt("state.lastHintMs"),
        short_hints: n.u32("state.shortHints").unwrap_or(0),
    };
    let mut b = budget.then(|| budget_of(&mut n));
    n.check()?;
    let outcome = match reading {
        Some((nums, strs)) => Outcome::Response {
            reading: crate::reading::reading_of(nums, strs)?,
        },
        None => Outcome::NetworkError,
    };
    let now = crate::uint(now, "now")?;
    let d = backoff.decide(&mut state, &outcome, now, b.as_mut())?;
    io[..STATE_LEN].copy_from_slice(&[
        f64::from(state.attempts),
        num(state.started_at),
        num(state.prev_delay_ms),
        opt(state.last_hint_ms),
        f64::from(state.short_hints),
    ]);
    if let Some(b) = b {
        io[STATE_LEN..need].copy_from_slice(&budget_nums(&b));
    }
    let nan = f64::NAN;
    let slots = match d {
        Decision::Done => [nan; OUT_SLOTS],
        Decision::Retry {
            at,
            delay_ms,
            attempt,
            reason,
        } => [
            num(at),
            num(delay_ms),
            f64::from(attempt),
            idx(reason.index()),
        ],
        Decision::GiveUp { reason, attempts } => {
            [nan, nan, f64::from(attempts), idx(reason.index())]
        }
    };
    out[..OUT_SLOTS].copy_from_slice(&slots);
    Ok(u32::try_from(d.index()).unwrap_or(u32::MAX))
}
