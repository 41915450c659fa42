//! The IETF fields' members (`RateLimit-Policy`, `RateLimit`) and the choice among them.

use super::values::hex;
use super::{Policy, PolicyState, RejectReason, MAX_COUNT};
use crate::sf::{param, Bare, Member};

/// The longest `w` accepted, in seconds: its ms (2^53 − 1 at most) stay exact in every binding.
pub(crate) const MAX_WINDOW_S: u64 = MAX_COUNT / 1000;

/// (limit, remaining, reset_ms, window_s).
pub(crate) type IetfPick = (Option<u64>, u64, Option<u64>, Option<u64>);

/// The IETF state with the fewest remaining (ties: the longest reset), with its policy.
pub(crate) fn most_restrictive(states: &[PolicyState], policies: &[Policy]) -> Option<IetfPick> {
    let s = states.iter().min_by(|a, b| {
        a.remaining
            .cmp(&b.remaining)
            .then(b.reset_s.unwrap_or(0).cmp(&a.reset_s.unwrap_or(0)))
    })?;
    let p = policies
        .iter()
        .find(|p| p.name == s.name && p.partition_key == s.partition_key);
    let p = p.or_else(|| policies.iter().find(|p| p.name == s.name));
    Some((
        p.map(|p| p.quota),
        s.remaining,
        s.reset_s.map(|t| t.saturating_mul(1000)),
        p.and_then(|p| p.window_s),
    ))
}

fn member_name(bare: &Bare) -> Option<String> {
    match bare {
        Bare::Str(s) | Bare::Token(s) => Some(s.clone()),
        _ => None,
    }
}

fn param_uint(params: &[(&str, Bare)], key: &str) -> core::result::Result<Option<u64>, ()> {
    match param(params, key) {
        None => Ok(None),
        Some(Bare::Int(n)) => u64::try_from(*n).map(Some).map_err(|_| ()),
        Some(_) => Err(()),
    }
}

fn param_pk(params: &[(&str, Bare)]) -> core::result::Result<Option<String>, ()> {
    match param(params, "pk") {
        None => Ok(None),
        Some(Bare::Bytes(b)) => Ok(Some(hex(b))),
        Some(_) => Err(()),
    }
}

/// A policy, or why its member is ignored.
pub(crate) fn policy_member(entry: &Member<'_>) -> Result<Policy, RejectReason> {
    let bad = RejectReason::BadMember;
    let Member::Item(bare, params) = entry else {
        return Err(bad);
    };
    let window = |params: &[(&str, Bare)]| match param_uint(params, "w") {
        Ok(Some(w)) if w > MAX_WINDOW_S => Err(RejectReason::TooLarge),
        Ok(w) => Ok(w),
        Err(()) => Err(bad),
    };
    // Draft-07 and older: `RateLimit-Policy: 100;w=60` — an unnamed integer quota.
    if let Bare::Int(q) = bare {
        let quota = u64::try_from(*q).map_err(|_| bad)?;
        let window_s = window(params)?;
        return Ok(Policy {
            name: String::new(),
            quota,
            quota_unit: "requests".to_owned(),
            window_s,
            partition_key: None,
        });
    }
    let name = member_name(bare).ok_or(bad)?;
    let quota = param_uint(params, "q").ok().flatten().ok_or(bad)?;
    let window_s = window(params)?;
    let quota_unit = match param(params, "qu") {
        None => "requests".to_owned(),
        Some(Bare::Str(s)) => s.clone(),
        Some(_) => return Err(bad),
    };
    let partition_key = param_pk(params).map_err(|()| bad)?;
    Ok(Policy {
        name,
        quota,
        quota_unit,
        window_s,
        partition_key,
    })
}

pub(crate) fn state_member(entry: &Member<'_>) -> Option<PolicyState> {
    let Member::Item(bare, params) = entry else {
        return None;
    };
    let name = member_name(bare)?;
    let remaining = param_uint(params, "r").ok()??;
    let reset_s = param_uint(params, "t").ok()?;
    let partition_key = param_pk(params).ok()?;
    Some(PolicyState {
        name,
        remaining,
        reset_s,
        partition_key,
    })
}

pub(crate) fn member_text(entry: &Member<'_>) -> String {
    match entry {
        Member::Item(bare, _) => member_name(bare).unwrap_or_else(|| "<member>".to_owned()),
        Member::InnerList => "<inner list>".to_owned(),
    }
}
