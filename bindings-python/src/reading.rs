//! `parse_headers` (with the response headers from Python objects) and the reading it returns:
//! `Reading`, `Policy`, `PolicyState`, `Rejection`.

use crate::convert::{clock_or, data_json, native, opt_safe, str_arg, to_str, to_u64, wrong, Now};
use crate::errors::{type_err, R};
use pacekeeper::backoff::Outcome;
use pacekeeper::headers::Rejection as CoreRejection;
use pacekeeper::headers::{check_status, parse, ParseOptions, Policy as CorePolicy};
use pacekeeper::headers::{PolicyState as CorePolicyState, Reading as CoreReading};
use pacekeeper_bindings_common::{from_value, reading::status_of};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use serde_json::Value;

/// Reads a response's rate-limit headers (and a Genesys 429 body) into a :class:`Reading`.
///
/// ``now`` is epoch ms (default: the system clock); ``max_wait_ms`` caps every wait;
/// ``reset_mode`` names how ``X-RateLimit-Reset`` is read. ``None`` takes the core's default
/// for either option.
#[pyfunction]
#[pyo3(signature = (status, headers, body=None, *, now=None, max_wait_ms=None, reset_mode=None))]
pub(crate) fn parse_headers(
    status: &Bound<'_, PyAny>,
    headers: &Bound<'_, PyAny>,
    body: Option<&Bound<'_, PyAny>>,
    now: Option<Now>,
    max_wait_ms: Option<&Bound<'_, PyAny>>,
    reset_mode: Option<&Bound<'_, PyAny>>,
) -> R<Reading> {
    // Checked by the core's rule, reported where its parse would (after the options).
    let status = to_u64(status, "status")?;
    let status =
        u16::try_from(status).or_else(|_| check_status(i64::try_from(status).unwrap_or(i64::MAX)));
    let pairs = header_pairs(headers)?;
    let body = body.map(|b| to_str(b, "body")).transpose()?;
    let mut opts = ParseOptions::default();
    opts.max_wait_ms = opt_safe(max_wait_ms, "max_wait_ms")?.unwrap_or(opts.max_wait_ms);
    if let Some(mode) = reset_mode {
        // The core's names; an unknown one is the core's `invalid_option`.
        opts.reset_mode = str_arg(mode, "reset_mode")?.parse()?;
    }
    let reading = parse(status?, &pairs, body.as_deref(), clock_or(now), &opts)?;
    Ok(Reading(reading))
}

/// Header pairs from a list of ``(name, value)`` pairs, a ``dict`` (a value may be a list of
/// values) or any object with ``multi_items()`` (httpx) or ``items()`` (requests, urllib3,
/// ``email.message.Message``).
fn header_pairs(headers: &Bound<'_, PyAny>) -> R<Vec<(String, String)>> {
    let is_seq =
        |o: &Bound<'_, PyAny>| o.is_instance_of::<PyList>() || o.is_instance_of::<PyTuple>();
    let dict = headers.is_instance_of::<PyDict>();
    let items = if headers.is_none() {
        return Ok(Vec::new());
    } else if dict {
        headers.call_method0("items")?
    } else if is_seq(headers) {
        headers.clone()
    } else if headers.is_instance_of::<PyString>() || headers.is_instance_of::<PyBytes>() {
        return Err(type_err("headers must be a mapping or (name, value) pairs"));
    } else if headers.hasattr("multi_items")? {
        headers.call_method0("multi_items")?
    } else if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else {
        let expected = "a mapping, an object with items(), or (name, value) pairs";
        return Err(wrong("headers", expected, headers));
    };
    let mut out = Vec::new();
    for item in items.try_iter()? {
        // A `(name, value)` pair: a tuple or a list of two.
        let item = item?;
        let (name, value) = match (item.cast::<PyTuple>(), item.cast::<PyList>()) {
            (Ok(t), _) if t.len() == 2 => (t.get_item(0)?, t.get_item(1)?),
            (_, Ok(l)) if l.len() == 2 => (l.get_item(0)?, l.get_item(1)?),
            _ => return Err(type_err("headers must be (name, value) pairs")),
        };
        let name = to_str(&name, "header name")?;
        if dict && is_seq(&value) {
            for v in value.try_iter()? {
                out.push((name.clone(), to_str(&v?, "header value")?));
            }
        } else {
            out.push((name, to_str(&value, "header value")?));
        }
    }
    Ok(out)
}

/// A finished attempt's outcome: its :class:`Reading`, or ``None`` for a network error.
pub(crate) fn outcome_of(obj: &Bound<'_, PyAny>, what: &str) -> R<Outcome> {
    if obj.is_none() {
        return Ok(Outcome::NetworkError);
    }
    let expected = "a Reading from parse_headers() or None";
    let reading = native::<Reading>(obj, what, expected)?.get().0.clone();
    Ok(Outcome::Response { reading })
}

py_class!(
    /// One response's rate-limit information (immutable). ``to_dict()`` is the core's JSON.
    frozen Reading(CoreReading) eq show(limit, remaining, source, status, throttled, wait_ms, wait_source) |i| {
        status: u16,
        throttled: bool,
        retry_after_ms: Option<u64>,
        retry_after_lenient: bool,
        limit: Option<u64>,
        remaining: Option<u64>,
        reset_ms: Option<u64>,
        window_ms: Option<u64>,
        source: Option<&'static str> = i.source.map(|s| s.as_str()),
        policies: Vec<Policy> = i.policies.iter().cloned().map(Policy).collect(),
        states: Vec<PolicyState> = i.states.iter().cloned().map(PolicyState).collect(),
        wait_ms: Option<u64>,
        wait_source: Option<&'static str> = i.wait_source.map(|s| s.as_str()),
        date_skew_ms: Option<i64>,
        capped: bool,
        rejected: Vec<Rejection> = i.rejected.iter().cloned().map(Rejection).collect(),
    }
    /// A reading from the dict ``to_dict()`` returns.
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyAny>) -> R<Reading> {
        let v = data_json(d)?;
        // A number for the status meets the codec's status rule before the u16 field's own,
        // whatever shape `d` has (70000 is invalid_status, as in every runtime); a missing or
        // non-number status is serde's to report.
        if let Some(s) = v.get("status").and_then(Value::as_f64) {
            status_of(s)?;
        }
        Ok(Reading(from_value("reading", v)?))
    }
);

py_class!(
    /// One ``RateLimit-Policy`` item (immutable).
    frozen Policy(CorePolicy) show() |i| {
        name: String = i.name.clone(),
        quota: u64,
        quota_unit: String = i.quota_unit.clone(),
        window_s: Option<u64>,
        partition_key: Option<String> = i.partition_key.clone(),
    }
);

py_class!(
    /// One ``RateLimit`` item (immutable).
    frozen PolicyState(CorePolicyState) show() |i| {
        name: String = i.name.clone(),
        remaining: u64,
        reset_s: Option<u64>,
        partition_key: Option<String> = i.partition_key.clone(),
    }
);

py_class!(
    /// A header value that was rejected, with the reason (immutable).
    frozen Rejection(CoreRejection) show() |i| {
        header: String = i.header.clone(),
        value: String = i.value.clone(),
        reason: &'static str = i.reason.as_str(),
    }
);
