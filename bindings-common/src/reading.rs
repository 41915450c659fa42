//! A [`Reading`] across a boundary, one layout both ways. Out: [`crate::write_reading`]'s scalar
//! slots and, when a list is not empty, the lists ([`lists_text`]). In ([`reading_of`]): the
//! same first 13 slots (NaN for null; `dateSkewMs` may be negative), then the counts of
//! policies, states and rejections, then per policy `quota, windowS, hasPartitionKey`, per state
//! `remaining, resetS, hasPartitionKey`, per rejection its reason's index in `rejectReasons`;
//! the strings NUL-joined ([`split`]): per policy `name, quotaUnit[, partitionKey]`, per state
//! `name[, partitionKey]`, per rejection `header, value`.

use crate::flat::{escape_into, next_str, split, Rd, MAX_ITEMS};
use crate::{err, safe_int, ErrorCode, Result};
use pacekeeper::headers::{check_status, ParseOptions, ResetMode};
use pacekeeper::headers::{Policy, PolicyState, RejectReason, Rejection, Source, WaitSource};
use pacekeeper::msg::push_u64;
use pacekeeper::Reading;

/// A reading from its flat form (see the module docs; a flag is true when 1).
pub fn reading_of(nums: &[f64], strs: &str) -> Result<Reading> {
    let mut n = Rd::new(nums);
    let mut s = split(strs);
    let mut r = Reading::empty(status_of(n.raw())?);
    r.throttled = n.raw() == 1.0;
    r.retry_after_ms = n.opt("retryAfterMs");
    r.retry_after_lenient = n.raw() == 1.0;
    r.limit = n.opt("limit");
    r.remaining = n.opt("remaining");
    r.reset_ms = n.opt("resetMs");
    r.window_ms = n.opt("windowMs");
    r.source = n.index("source", Source::from_index);
    r.wait_ms = n.opt("waitMs");
    r.wait_source = n.index("waitSource", WaitSource::from_index);
    let skew = n.raw();
    r.date_skew_ms = safe_int(skew);
    if r.date_skew_ms.is_none() && !skew.is_nan() {
        n.bad_number("dateSkewMs", " must be a safe integer");
    }
    r.capped = n.raw() == 1.0;
    let np = n.len("policies", MAX_ITEMS);
    let ns = n.len("states", MAX_ITEMS);
    let nr = n.len("rejected", MAX_ITEMS);
    for _ in 0..np {
        let quota = n.uint("quota");
        let window_s = n.opt("windowS");
        let has_pk = n.raw() == 1.0;
        let name = next_str(&mut n, &mut s, "name");
        let quota_unit = next_str(&mut n, &mut s, "quotaUnit");
        r.policies.push(Policy {
            name,
            quota,
            quota_unit,
            window_s,
            partition_key: has_pk.then(|| next_str(&mut n, &mut s, "partitionKey")),
        });
    }
    for _ in 0..ns {
        let remaining = n.uint("remaining");
        let reset_s = n.opt("resetS");
        let has_pk = n.raw() == 1.0;
        let name = next_str(&mut n, &mut s, "name");
        r.states.push(PolicyState {
            name,
            remaining,
            reset_s,
            partition_key: has_pk.then(|| next_str(&mut n, &mut s, "partitionKey")),
        });
    }
    for _ in 0..nr {
        let Some(reason) = n.index("reason", RejectReason::from_index) else {
            n.check()?;
            return Err(err(ErrorCode::InvalidArgument, "reason is missing"));
        };
        let header = next_str(&mut n, &mut s, "header");
        let value = next_str(&mut n, &mut s, "value");
        r.rejected.push(Rejection {
            header,
            value,
            reason,
        });
    }
    n.end("reading")?;
    Ok(r)
}

/// A host number as a reading's status: the codec's number rule ([`crate::uint`]), then the
/// core's status rule ([`check_status`], as its parser applies it). Python's `Reading.from_dict`
/// applies it too, so a reading built by hand is refused alike in every runtime.
pub fn status_of(v: f64) -> Result<u16> {
    check_status(i64::try_from(crate::uint(v, "status")?).unwrap_or(i64::MAX))
}

/// The reading's lists in [`reading_of`]'s layout, as one text: the numbers after the 13 scalar
/// slots (comma-joined, `NaN` for none), NUL, then the strings (NUL-joined, [`escape_into`]).
pub fn lists_text(r: &Reading) -> String {
    let flag = |pk: &Option<String>| Some(u64::from(pk.is_some()));
    let len = |n: usize| Some(n as u64);
    let mut nums = Vec::from([r.policies.len(), r.states.len(), r.rejected.len()].map(len));
    let mut strs: Vec<&str> = Vec::new();
    for p in &r.policies {
        nums.extend([Some(p.quota), p.window_s, flag(&p.partition_key)]);
        strs.extend([&*p.name, &*p.quota_unit]);
        strs.extend(p.partition_key.as_deref());
    }
    for x in &r.states {
        nums.extend([Some(x.remaining), x.reset_s, flag(&x.partition_key)]);
        strs.push(&x.name);
        strs.extend(x.partition_key.as_deref());
    }
    for x in &r.rejected {
        nums.push(len(x.reason.index()));
        strs.extend([&*x.header, &*x.value]);
    }
    let mut out = String::new();
    for (i, v) in nums.into_iter().enumerate() {
        out.push_str(if i == 0 { "" } else { "," });
        match v {
            Some(v) => push_u64(&mut out, v),
            None => out.push_str("NaN"),
        }
    }
    for s in strs {
        out.push('\0');
        escape_into(&mut out, s);
    }
    out
}

/// Parses a response with host numbers into `out` ([`crate::write_reading`]); the lists
/// ([`lists_text`]) when one is not empty. `max_wait_ms` NaN: the core's default.
pub fn parse_into(
    status: u32,
    headers: &str,
    body: Option<&str>,
    now: f64,
    max_wait_ms: f64,
    mode: u32,
    out: &mut [f64],
) -> Result<Option<String>> {
    // The core's status rule, reported where its parse would (after the options).
    let status = u16::try_from(status).or_else(|_| check_status(i64::from(status)));
    let mut opts = ParseOptions::default();
    if !max_wait_ms.is_nan() {
        opts.max_wait_ms = crate::uint(max_wait_ms, "maxWaitMs")?;
    }
    opts.reset_mode = ResetMode::from_index(mode as usize)
        .ok_or_else(|| err(ErrorCode::InvalidOption, "unknown reset mode"))?;
    let now = crate::uint(now, "now")?;
    let r = pacekeeper::parse(status?, &crate::split_joined(headers), body, now, &opts)?;
    Ok(crate::write_reading(&r, out)?.then(|| lists_text(&r)))
}
