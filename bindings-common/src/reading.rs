//! A [`Reading`] across a boundary. Out: [`crate::write_reading`]'s scalar slots and, when a list
//! is not empty, the JSON of `{policies, states, rejected}` ([`lists_json`], written by hand:
//! no serde in the WebAssembly module). In ([`reading_of`]): the same first 13 slots (NaN for
//! null; `dateSkewMs` may be negative), then the counts of policies, states and rejections, then
//! per policy `quota, windowS, hasPartitionKey`, per state `remaining, resetS, hasPartitionKey`,
//! per rejection its reason's index in `rejectReasons`; the strings NUL-joined ([`split`]): per
//! policy `name, quotaUnit[, partitionKey]`, per state `name[, partitionKey]`, per rejection
//! `header, value`.

use crate::flat::{next_str, split, Rd, MAX_ITEMS};
use crate::{err, ErrorCode, Result, MAX_SAFE};
use pacekeeper::headers::{Policy, PolicyState, RejectReason, Rejection, Source, WaitSource};
use pacekeeper::msg::push_u64;
use pacekeeper::Reading;

/// A reading from its flat form (see the module docs; a flag is true when 1).
pub fn reading_of(nums: &[f64], strs: &str) -> Result<Reading> {
    let mut n = Rd::new(nums);
    let mut s = split(strs);
    let status = n.opt("status");
    n.check()?;
    let status = status
        .and_then(|v| u16::try_from(v).ok())
        .ok_or_else(|| err(ErrorCode::InvalidStatus, "status must be 100..=599"))?;
    let mut r = Reading::empty(status);
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
    r.date_skew_ms = if skew.is_nan() {
        None
    } else if skew.fract() == 0.0 && skew.abs() <= MAX_SAFE {
        // Whole and within 2^53: exact.
        #[allow(clippy::cast_possible_truncation)]
        Some(skew as i64)
    } else {
        n.bad(
            ErrorCode::InvalidNumber,
            "dateSkewMs",
            " must be a safe integer",
        );
        None
    };
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

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize >> 4) & 15]));
                out.push(char::from(HEX[c as usize & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `"name":` then the value.
fn field(out: &mut String, first: bool, name: &str) {
    out.push_str(if first { "{\"" } else { ",\"" });
    out.push_str(name);
    out.push_str("\":");
}

fn opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
}

fn opt_u64(out: &mut String, v: Option<u64>) {
    match v {
        Some(v) => push_u64(out, v),
        None => out.push_str("null"),
    }
}

fn list<T>(out: &mut String, name: &str, items: &[T], item: impl Fn(&mut String, &T)) {
    out.push_str(name);
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(out, x);
        out.push('}');
    }
    out.push(']');
}

/// The JSON of `{policies, states, rejected}` in the core's shape (snake_case).
pub fn lists_json(r: &Reading) -> String {
    let mut o = String::from("{");
    list(&mut o, "\"policies\":", &r.policies, |o, p| {
        field(o, true, "name");
        json_str(o, &p.name);
        field(o, false, "quota");
        push_u64(o, p.quota);
        field(o, false, "quota_unit");
        json_str(o, &p.quota_unit);
        field(o, false, "window_s");
        opt_u64(o, p.window_s);
        field(o, false, "partition_key");
        opt_str(o, p.partition_key.as_deref());
    });
    list(&mut o, ",\"states\":", &r.states, |o, s| {
        field(o, true, "name");
        json_str(o, &s.name);
        field(o, false, "remaining");
        push_u64(o, s.remaining);
        field(o, false, "reset_s");
        opt_u64(o, s.reset_s);
        field(o, false, "partition_key");
        opt_str(o, s.partition_key.as_deref());
    });
    list(&mut o, ",\"rejected\":", &r.rejected, |o, x| {
        field(o, true, "header");
        json_str(o, &x.header);
        field(o, false, "value");
        json_str(o, &x.value);
        field(o, false, "reason");
        json_str(o, x.reason.as_str());
    });
    o.push('}');
    o
}

/// Parses a response with host numbers into `out` ([`crate::write_reading`]); the lists' JSON
/// when one is not empty. `max_wait_ms` NaN: the core's default.
pub fn parse_into(
    status: u32,
    headers: &str,
    body: Option<&str>,
    now: f64,
    max_wait_ms: f64,
    mode: u32,
    out: &mut [f64],
) -> Result<Option<String>> {
    let pairs = crate::split_joined(headers);
    let r = crate::parse(status, &pairs, body, now, max_wait_ms, mode)?;
    Ok(crate::write_reading(&r, out)?.then(|| lists_json(&r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_json_is_the_cores_json() {
        let pairs = [
            ("RateLimit-Policy", "\"burst\";q=100;w=60;pk=:YWJj:"),
            ("RateLimit", "\"burst\";r=0;t=30"),
            ("Retry-After", "soon\"\\"),
        ];
        let r = pacekeeper::parse(
            429,
            &pairs,
            None,
            0,
            &pacekeeper::headers::ParseOptions::default(),
        )
        .unwrap_or_else(|_| Reading::empty(429));
        let mine: serde_json::Value =
            serde_json::from_str(&lists_json(&r)).unwrap_or(serde_json::Value::Null);
        let theirs = serde_json::json!({
            "policies": r.policies, "states": r.states, "rejected": r.rejected
        });
        assert_eq!(mine, theirs);
        assert!(!r.policies.is_empty() || !r.rejected.is_empty());
    }
}
