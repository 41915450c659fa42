//! Parsing of rate-limit response headers into one normalized [`Reading`].
//!
//! Understood, with names matched case-insensitively:
//!
//! | family | headers |
//! |---|---|
//! | RFC 9110 | `Retry-After` (delta-seconds or HTTP-date in all three forms; fractional seconds accepted leniently), `Date` |
//! | IETF draft-10 | `RateLimit-Policy` and `RateLimit` structured-field lists (`q`, `qu`, `w`, `pk`; `r`, `t`, `pk`) |
//! | IETF draft-07 and older | `RateLimit: limit=, remaining=, reset=`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` |
//! | common | `X-RateLimit-Limit/-Remaining/-Reset` (and `X-Rate-Limit-*`), `X-RateLimit-Reset-After` |
//! | Genesys Cloud | `inin-ratelimit-allowed`, `inin-ratelimit-count`, `inin-ratelimit-reset`, and the 429 body `Retry the request in [N] seconds` |
//! | Shopify | `X-Shopify-Shop-Api-Call-Limit: used/limit` |
//!
//! When several families give a limit, the first present in the order of the table wins (the
//! IETF fields are the most precise). Repeated headers are combined conservatively: the longest
//! wait, the smallest remaining count, the latest reset.
//!
//! ## `X-RateLimit-Reset` interpretation ([`ResetMode::Auto`])
//! The value is ambiguous in the wild. By magnitude: a value of at least 10^12 is epoch
//! milliseconds, at least 10^9 is epoch seconds (GitHub), anything smaller is seconds remaining.
//! An epoch in the past means 0. [`ParseOptions::reset_mode`] forces one interpretation.
//!
//! Malformed values never panic: each is listed in [`Reading::rejected`] with a reason, and the
//! rest of the reading is kept. Every wait is capped at [`ParseOptions::max_wait_ms`]
//! (default 6 hours); [`Reading::capped`] tells when the cap applied.

use crate::error::{Error, ErrorCode, Result};
use crate::httpdate::parse_http_date;
use crate::msg::msg;
use crate::sf::{param, Bare, Member, Members};
use serde::{Deserialize, Serialize};

/// The default cap on any wait: 6 hours.
pub const DEFAULT_MAX_WAIT_MS: u64 = 6 * 60 * 60 * 1000;
/// The largest `max_wait_ms` accepted: 30 days.
pub const MAX_MAX_WAIT_MS: u64 = 30 * 24 * 60 * 60 * 1000;
const MAX_REJECTED_VALUE_LEN: usize = 64;
/// The largest count (limit, remaining) accepted: 2^53 − 1, exact in every binding's numbers.
pub const MAX_COUNT: u64 = (1 << 53) - 1;
const MAX_POLICIES: usize = 16;
const MAX_RETRY_AFTER: usize = 4;

/// How to read `X-RateLimit-Reset` (and `X-Rate-Limit-Reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetMode {
    /// Decide by magnitude (see the module documentation).
    #[default]
    Auto,
    /// Epoch seconds (GitHub, Twitter).
    EpochSeconds,
    /// Epoch milliseconds.
    EpochMillis,
    /// Seconds remaining until the reset.
    DeltaSeconds,
}

/// Options for [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParseOptions {
    /// The cap on any wait, in ms (1 ms to 30 days; default 6 hours).
    pub max_wait_ms: u64,
    /// How to read `X-RateLimit-Reset`.
    pub reset_mode: ResetMode,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_wait_ms: DEFAULT_MAX_WAIT_MS,
            reset_mode: ResetMode::Auto,
        }
    }
}

impl ParseOptions {
    /// Checks the options' ranges.
    pub fn validate(&self) -> Result<()> {
        if self.max_wait_ms == 0 || self.max_wait_ms > MAX_MAX_WAIT_MS {
            return Err(Error::new(
                ErrorCode::InvalidOption,
                msg!(
                    "max_wait_ms must be 1..=",
                    MAX_MAX_WAIT_MS,
                    ", got ",
                    self.max_wait_ms
                ),
            ));
        }
        Ok(())
    }
}

/// The header family that gave a reading's limit, remaining count and reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `RateLimit-Policy` / `RateLimit` structured fields (draft-ietf-httpapi-ratelimit-headers-10).
    Ietf,
    /// Draft-07's single `RateLimit: limit=, remaining=, reset=` dictionary.
    IetfDraft07,
    /// The `RateLimit-Limit` / `-Remaining` / `-Reset` trio.
    RatelimitTrio,
    /// `X-RateLimit-*` or `X-Rate-Limit-*`.
    XRatelimit,
    /// Genesys Cloud `inin-ratelimit-*`.
    Genesys,
    /// `X-Shopify-Shop-Api-Call-Limit`.
    Shopify,
}

/// Where a reading's wait came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitSource {
    /// The `Retry-After` header.
    RetryAfter,
    /// An exhausted quota's reset time.
    Reset,
    /// The Genesys 429 body text `Retry the request in [N] seconds`.
    Body,
}

/// Why a header value was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Not a number where one was required.
    NotANumber,
    /// A negative number.
    Negative,
    /// A number too large to represent (it counts as the maximum wait where it was a wait).
    TooLarge,
    /// Neither delta-seconds nor a valid HTTP-date.
    BadDate,
    /// Not a valid structured field (RFC 9651); the whole field is ignored.
    BadStructuredField,
    /// A structured-field member lacks a required parameter or has one of the wrong type; that member is ignored.
    BadMember,
    /// Values that contradict each other (e.g. a used count above the limit).
    Inconsistent,
}

/// One rejected header value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The header's name, lower-case.
    pub header: String,
    /// The value (at most 64 characters).
    pub value: String,
    /// Why it was rejected.
    pub reason: RejectReason,
}

/// A quota policy from `RateLimit-Policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The policy's name (a string or token in the field).
    pub name: String,
    /// `q`: the quota.
    pub quota: u64,
    /// `qu`: the quota unit (`requests` when absent).
    pub quota_unit: String,
    /// `w`: the window in seconds, when given.
    pub window_s: Option<u64>,
    /// `pk`: the partition key, as lower-case hex of its bytes.
    pub partition_key: Option<String>,
}

/// A policy's current state from `RateLimit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyState {
    /// The policy's name.
    pub name: String,
    /// `r`: the remaining quota.
    pub remaining: u64,
    /// `t`: seconds until the quota resets, when given.
    pub reset_s: Option<u64>,
    /// `pk`: the partition key, as lower-case hex of its bytes.
    pub partition_key: Option<String>,
}

/// The normalized rate-limit reading of one response. All durations are ms from `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The HTTP status.
    pub status: u16,
    /// The server refused for rate: a 429, or a 503 with `Retry-After`.
    pub throttled: bool,
    /// The wait that `Retry-After` asked for, in ms (HTTP-dates converted with the `Date` header).
    pub retry_after_ms: Option<u64>,
    /// `Retry-After` carried fractional seconds, outside the RFC grammar, and was accepted leniently.
    pub retry_after_lenient: bool,
    /// The quota of the most restrictive limit.
    pub limit: Option<u64>,
    /// Requests remaining in it.
    pub remaining: Option<u64>,
    /// Ms until it resets.
    pub reset_ms: Option<u64>,
    /// Its window in ms, when the server told it (`w` of `RateLimit-Policy`).
    pub window_ms: Option<u64>,
    /// The header family that gave `limit`, `remaining` and `reset_ms`.
    pub source: Option<Source>,
    /// All `RateLimit-Policy` policies.
    pub policies: Vec<Policy>,
    /// All `RateLimit` states.
    pub states: Vec<PolicyState>,
    /// The server's floor: no request before `now + wait_ms`. Set from `Retry-After`, else from an
    /// exhausted quota's reset, else (on a 429) from the body text.
    pub wait_ms: Option<u64>,
    /// Where `wait_ms` came from.
    pub wait_source: Option<WaitSource>,
    /// The server's clock minus ours, in ms, from the `Date` header.
    pub date_skew_ms: Option<i64>,
    /// Some wait exceeded `max_wait_ms` and was cut to it.
    pub capped: bool,
    /// Rejected values, in header order.
    pub rejected: Vec<Rejection>,
}

impl Reading {
    /// An empty reading for `status` (no headers understood).
    pub fn empty(status: u16) -> Self {
        Reading {
            status,
            throttled: status == 429,
            retry_after_ms: None,
            retry_after_lenient: false,
            limit: None,
            remaining: None,
            reset_ms: None,
            window_ms: None,
            source: None,
            policies: Vec::new(),
            states: Vec::new(),
            wait_ms: None,
            wait_source: None,
            date_skew_ms: None,
            capped: false,
            rejected: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Name {
    RetryAfter,
    Date,
    RlPolicy,
    RateLimit,
    RlLimit,
    RlRemaining,
    RlReset,
    XLimit,
    XRemaining,
    XReset,
    XResetAfter,
    IninAllowed,
    IninCount,
    IninReset,
    Shopify,
}

fn classify(name: &str) -> Option<Name> {
    let n = name.trim_ascii();
    // Dispatch on length first: one or two case-insensitive compares per header.
    let candidates: &[(&str, Name)] = match n.len() {
        4 => &[("date", Name::Date)],
        9 => &[("ratelimit", Name::RateLimit)],
        11 => &[("retry-after", Name::RetryAfter)],
        15 => &[
            ("ratelimit-limit", Name::RlLimit),
            ("ratelimit-reset", Name::RlReset),
        ],
        16 => &[("ratelimit-policy", Name::RlPolicy)],
        17 => &[
            ("x-ratelimit-limit", Name::XLimit),
            ("x-ratelimit-reset", Name::XReset),
        ],
        18 => &[
            ("x-rate-limit-limit", Name::XLimit),
            ("x-rate-limit-reset", Name::XReset),
        ],
        19 => &[("ratelimit-remaining", Name::RlRemaining)],
        20 => &[
            ("inin-ratelimit-count", Name::IninCount),
            ("inin-ratelimit-reset", Name::IninReset),
        ],
        21 => &[("x-ratelimit-remaining", Name::XRemaining)],
        22 => &[
            ("inin-ratelimit-allowed", Name::IninAllowed),
            ("x-rate-limit-remaining", Name::XRemaining),
        ],
        23 => &[("x-ratelimit-reset-after", Name::XResetAfter)],
        24 => &[("x-rate-limit-reset-after", Name::XResetAfter)],
        29 => &[("x-shopify-shop-api-call-limit", Name::Shopify)],
        _ => return None,
    };
    candidates
        .iter()
        .find(|(k, _)| eq_lower(n.as_bytes(), k.as_bytes()))
        .map(|(_, v)| *v)
}

/// `name` equals the lower-case `lower`, ignoring ASCII case (lengths are equal by the caller's
/// dispatch; the last byte, where equal-length names differ most, is compared first).
#[inline]
fn eq_lower(name: &[u8], lower: &[u8]) -> bool {
    // Most names arrive lower-case (HTTP/2 requires it; Node and most proxies lower-case them).
    name == lower
        || (name.last().map(u8::to_ascii_lowercase) == lower.last().copied()
            && name.eq_ignore_ascii_case(lower))
}

/// The first member of a list value ("5, 5" from merged repeats), without parameters when
/// `params` ("100;w=60").
#[inline]
fn first_member(value: &str, params: bool) -> &str {
    let end = value
        .bytes()
        .position(|b| b == b',' || (params && b == b';'));
    end.and_then(|i| value.get(..i)).unwrap_or(value)
}

/// A parsed unsigned number, or why not.
fn parse_uint(s: &str) -> core::result::Result<u64, RejectReason> {
    let s = s.trim_ascii();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RejectReason::NotANumber);
    }
    if neg && digits.bytes().any(|b| b != b'0') {
        return Err(RejectReason::Negative);
    }
    let mut v: u64 = 0;
    for b in digits.bytes() {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(RejectReason::TooLarge)?;
    }
    Ok(v)
}

/// Decimal seconds (`2`, `2.5`, `0.001`) to ms, rounding up. Returns (ms, had a fraction).
fn parse_decimal_seconds_ms(s: &str) -> core::result::Result<(u64, bool), RejectReason> {
    let s = s.trim_ascii();
    let dot = s.bytes().position(|b| b == b'.');
    match dot.map(|i| (&s[..i], &s[i + 1..])) {
        None => parse_uint(s).map(|v| (v.saturating_mul(1000), false)),
        Some((int, frac)) => {
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(RejectReason::NotANumber);
            }
            let int_part = if int.is_empty() || int == "-" || int == "+" {
                match int {
                    "-" => {
                        return Err(if frac.bytes().any(|b| b != b'0') {
                            RejectReason::Negative
                        } else {
                            RejectReason::NotANumber
                        })
                    }
                    _ => 0,
                }
            } else {
                parse_uint(int)?
            };
            if int.starts_with('-') && (int_part > 0 || frac.bytes().any(|b| b != b'0')) {
                return Err(RejectReason::Negative);
            }
            let mut ms: u64 = 0;
            let fb = frac.as_bytes();
            for i in 0..3 {
                ms = ms * 10 + fb.get(i).map_or(0, |b| u64::from(b - b'0'));
            }
            if fb.iter().skip(3).any(|b| *b != b'0') {
                ms += 1;
            }
            Ok((int_part.saturating_mul(1000).saturating_add(ms), true))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[usize::from(b >> 4)] as char);
        s.push(H[usize::from(b & 15)] as char);
    }
    s
}

struct Acc<'a> {
    opts: ParseOptions,
    now: u64,
    reading: Reading,
    /// The first `MAX_RETRY_AFTER` Retry-After values (more repeats are ignored).
    retry_after: [&'a str; MAX_RETRY_AFTER],
    retry_after_n: usize,
    date: Option<&'a str>,
    policy_fields: Vec<&'a str>,
    state_fields: Vec<&'a str>,
    // (limit, remaining, reset_ms) per family
    trio: [Option<u64>; 3],
    x: [Option<u64>; 3],
    x_reset_after: Option<u64>,
    inin: [Option<u64>; 3],
    shopify: Option<(u64, u64)>,
    draft07: Option<[Option<u64>; 3]>,
}

fn min_opt(a: Option<u64>, b: u64) -> Option<u64> {
    Some(a.map_or(b, |a| a.min(b)))
}
fn max_opt(a: Option<u64>, b: u64) -> Option<u64> {
    Some(a.map_or(b, |a| a.max(b)))
}

impl<'a> Acc<'a> {
    fn reject(&mut self, header: &str, value: &str, reason: RejectReason) {
        let mut v: String = value.chars().take(MAX_REJECTED_VALUE_LEN).collect();
        if v.len() < value.len() && v.chars().count() == MAX_REJECTED_VALUE_LEN {
            v.push('…');
        }
        self.reading.rejected.push(Rejection {
            header: header.to_ascii_lowercase(),
            value: v,
            reason,
        });
    }

    /// A wait in ms, capped. Returns None if rejected.
    fn cap(&mut self, ms: u64) -> u64 {
        if ms > self.opts.max_wait_ms {
            self.reading.capped = true;
            self.opts.max_wait_ms
        } else {
            ms
        }
    }

    fn uint(&mut self, name: &str, value: &str) -> Option<u64> {
        // A list value from merged repeated headers ("5, 5") takes the first member.
        // `RateLimit-Limit: 100;w=60` (draft-03) carries parameters after the number.
        let first = first_member(value, true);
        match parse_uint(first) {
            Ok(v) if v <= MAX_COUNT => Some(v),
            Ok(_) => {
                self.reject(name, value, RejectReason::TooLarge);
                None
            }
            Err(r) => {
                self.reject(name, value, r);
                None
            }
        }
    }

    /// Seconds to ms; too-large numbers count as the maximum wait.
    fn seconds(&mut self, name: &str, value: &str) -> Option<u64> {
        let first = first_member(value, false);
        match parse_decimal_seconds_ms(first) {
            Ok((ms, _)) => Some(self.cap(ms)),
            Err(RejectReason::TooLarge) => {
                self.reject(name, value, RejectReason::TooLarge);
                Some(self.cap(u64::MAX))
            }
            Err(r) => {
                self.reject(name, value, r);
                None
            }
        }
    }

    fn x_reset(&mut self, name: &str, value: &str) -> Option<u64> {
        let first = first_member(value, false).trim_ascii();
        let mode = self.opts.reset_mode;
        let (raw, frac) = match parse_decimal_seconds_ms(first) {
            Ok(v) => v,
            Err(RejectReason::TooLarge) => {
                self.reject(name, value, RejectReason::TooLarge);
                return Some(self.cap(u64::MAX));
            }
            Err(r) => {
                self.reject(name, value, r);
                return None;
            }
        };
        // raw is the value × 1000 (ms if the value is in seconds).
        let value_units = raw / 1000;
        let mode = match mode {
            ResetMode::Auto if value_units >= 1_000_000_000_000 => ResetMode::EpochMillis,
            ResetMode::Auto if value_units >= 1_000_000_000 => ResetMode::EpochSeconds,
            ResetMode::Auto => ResetMode::DeltaSeconds,
            m => m,
        };
        let ms = match mode {
            ResetMode::EpochMillis => {
                if frac {
                    self.reject(name, value, RejectReason::NotANumber);
                    return None;
                }
                value_units.saturating_sub(self.now)
            }
            ResetMode::EpochSeconds => raw.saturating_sub(self.now),
            _ => raw,
        };
        Some(self.cap(ms))
    }

    fn header(&mut self, name: &str, kind: Name, value: &'a str) {
        match kind {
            Name::RetryAfter => {
                if let Some(slot) = self.retry_after.get_mut(self.retry_after_n) {
                    *slot = value;
                    self.retry_after_n += 1;
                }
            }
            Name::Date => {
                if self.date.is_none() {
                    self.date = Some(value);
                }
            }
            Name::RlPolicy => self.policy_fields.push(value),
            Name::RateLimit => self.state_fields.push(value),
            Name::RlLimit => {
                if let Some(v) = self.uint(name, value) {
                    self.trio[0] = min_opt(self.trio[0], v);
                }
            }
            Name::RlRemaining => {
                if let Some(v) = self.uint(name, value) {
                    self.trio[1] = min_opt(self.trio[1], v);
                }
            }
            Name::RlReset => {
                if let Some(v) = self.seconds(name, value) {
                    self.trio[2] = max_opt(self.trio[2], v);
                }
            }
            Name::XLimit => {
                if let Some(v) = self.uint(name, value) {
                    self.x[0] = min_opt(self.x[0], v);
                }
            }
            Name::XRemaining => {
                if let Some(v) = self.uint(name, value) {
                    self.x[1] = min_opt(self.x[1], v);
                }
            }
            Name::XReset => {
                if let Some(v) = self.x_reset(name, value) {
                    self.x[2] = max_opt(self.x[2], v);
                }
            }
            Name::XResetAfter => {
                if let Some(v) = self.seconds(name, value) {
                    self.x_reset_after = max_opt(self.x_reset_after, v);
                }
            }
            Name::IninAllowed => {
                if let Some(v) = self.uint(name, value) {
                    self.inin[0] = min_opt(self.inin[0], v);
                }
            }
            Name::IninCount => {
                if let Some(v) = self.uint(name, value) {
                    self.inin[1] = max_opt(self.inin[1], v);
                }
            }
            Name::IninReset => {
                if let Some(v) = self.seconds(name, value) {
                    self.inin[2] = max_opt(self.inin[2], v);
                }
            }
            Name::Shopify => {
                let parsed = value
                    .split_once('/')
                    .and_then(|(u, l)| Some((parse_uint(u).ok()?, parse_uint(l).ok()?)))
                    .filter(|(_, l)| *l <= MAX_COUNT);
                match parsed {
                    Some((_, 0)) => self.reject(name, value, RejectReason::Inconsistent),
                    Some((used, limit)) => {
                        if used > limit {
                            self.reject(name, value, RejectReason::Inconsistent);
                        }
                        self.shopify = Some((used.min(limit), limit));
                    }
                    _ => self.reject(name, value, RejectReason::NotANumber),
                }
            }
        }
    }

    fn finish_retry_after(&mut self) {
        let values = self.retry_after;
        let values = values.get(..self.retry_after_n).unwrap_or_default();
        let server_now = self.date.and_then(|d| parse_http_date(d, self.now));
        if let Some(sn) = server_now {
            self.reading.date_skew_ms = Some(if sn >= self.now {
                i64::try_from(sn - self.now).unwrap_or(i64::MAX)
            } else {
                -i64::try_from(self.now - sn).unwrap_or(i64::MAX)
            });
        }
        for &value in values {
            let v = value.trim_ascii();
            let parsed = if v.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) {
                match parse_http_date(v, server_now.unwrap_or(self.now)) {
                    Some(at) => Ok((at.saturating_sub(server_now.unwrap_or(self.now)), false)),
                    None => Err(RejectReason::BadDate),
                }
            } else {
                // Merged repeats ("30, 30") take the largest member.
                let mut best: Option<core::result::Result<(u64, bool), RejectReason>> = None;
                for part in v.split(',') {
                    let r = parse_decimal_seconds_ms(part);
                    best = Some(match (best, r) {
                        (Some(Ok(a)), Ok(b)) => Ok(if b.0 > a.0 { b } else { a }),
                        (Some(Ok(a)), Err(_)) => Ok(a),
                        (_, r) => r,
                    });
                }
                best.unwrap_or(Err(RejectReason::NotANumber))
            };
            let (ms, lenient) = match parsed {
                Ok(p) => p,
                Err(RejectReason::TooLarge) => {
                    self.reject("retry-after", value, RejectReason::TooLarge);
                    (u64::MAX, false)
                }
                Err(RejectReason::NotANumber) if !v.is_empty() && !v.starts_with('-') => {
                    self.reject("retry-after", value, RejectReason::BadDate);
                    continue;
                }
                Err(r) => {
                    self.reject("retry-after", value, r);
                    continue;
                }
            };
            let ms = self.cap(ms);
            self.reading.retry_after_lenient |= lenient;
            self.reading.retry_after_ms = max_opt(self.reading.retry_after_ms, ms);
        }
    }

    fn finish_ietf(&mut self) {
        let policy_fields = core::mem::take(&mut self.policy_fields);
        if !policy_fields.is_empty() {
            let joined = policy_fields.join(", ");
            match Members::list(joined.as_str()) {
                Some(list) => {
                    for (_, entry) in &list.0 {
                        match policy_member(entry) {
                            Some(p) if self.reading.policies.len() < MAX_POLICIES => {
                                self.reading.policies.push(p)
                            }
                            Some(_) => {}
                            None => {
                                let text = member_text(entry);
                                self.reject("ratelimit-policy", &text, RejectReason::BadMember)
                            }
                        }
                    }
                }
                None => self.reject(
                    "ratelimit-policy",
                    &joined,
                    RejectReason::BadStructuredField,
                ),
            }
        }
        let state_fields = core::mem::take(&mut self.state_fields);
        if state_fields.is_empty() {
            return;
        }
        let joined = state_fields.join(", ");
        if let Some(list) = Members::list(joined.as_str()) {
            for (_, entry) in &list.0 {
                match state_member(entry) {
                    Some(mut s) if self.reading.states.len() < MAX_POLICIES => {
                        if let Some(t) = s.reset_s {
                            let ms = self.cap(t.saturating_mul(1000));
                            s.reset_s = Some(ms / 1000);
                        }
                        self.reading.states.push(s)
                    }
                    Some(_) => {}
                    None => {
                        let text = member_text(entry);
                        self.reject("ratelimit", &text, RejectReason::BadMember)
                    }
                }
            }
            return;
        }
        // Draft-07: `RateLimit: limit=100, remaining=50, reset=5` (a dictionary).
        if let Some(dict) = Members::dictionary(joined.as_str()) {
            let get = |k: &str| -> Option<u64> {
                match dict.get(k) {
                    Some(Member::Item(Bare::Int(n), _)) => u64::try_from(*n).ok(),
                    _ => None,
                }
            };
            let (l, r, t) = (get("limit"), get("remaining"), get("reset"));
            if l.is_some() || r.is_some() || t.is_some() {
                let t = t.map(|t| self.cap(t.saturating_mul(1000)));
                self.draft07 = Some([l, r, t]);
                return;
            }
        }
        self.reject("ratelimit", &joined, RejectReason::BadStructuredField);
    }

    fn finish(mut self, status: u16, body: Option<&str>) -> Reading {
        self.finish_retry_after();
        self.finish_ietf();
        let r = &mut self.reading;
        // Pick the family that gives (limit, remaining, reset).
        let ietf = most_restrictive(&r.states, &r.policies);
        let x_reset = self.x[2].or(self.x_reset_after);
        let inin = match self.inin {
            [Some(a), Some(c), reset] => Some([Some(a), Some(a.saturating_sub(c)), reset]),
            [a, None, reset] if a.is_some() || reset.is_some() => Some([a, None, reset]),
            _ => None,
        };
        let families: [Family; 6] = [
            (
                Source::Ietf,
                ietf.map(|(l, rem, t, _)| [l, Some(rem), t]),
                ietf.and_then(|i| i.3),
            ),
            (
                Source::IetfDraft07,
                self.draft07,
                self.draft07.and_then(|[l, _, _]| {
                    r.policies
                        .iter()
                        .find(|p| Some(p.quota) == l)
                        .and_then(|p| p.window_s)
                }),
            ),
            (
                Source::RatelimitTrio,
                self.trio.iter().any(Option::is_some).then_some(self.trio),
                None,
            ),
            (
                Source::XRatelimit,
                (self.x[0].is_some() || self.x[1].is_some() || x_reset.is_some())
                    .then_some([self.x[0], self.x[1], x_reset]),
                None,
            ),
            (Source::Genesys, inin, None),
            (
                Source::Shopify,
                self.shopify.map(|(u, l)| [Some(l), Some(l - u), None]),
                None,
            ),
        ];
        if let Some((src, Some([l, rem, t]), w)) = families.into_iter().find(|f| f.1.is_some()) {
            r.source = Some(src);
            r.limit = l;
            r.remaining = rem;
            r.reset_ms = t;
            r.window_ms = w.map(|w| w.saturating_mul(1000));
            if let (Some(l), Some(rem)) = (l, rem) {
                if rem > l {
                    r.remaining = Some(l);
                }
            }
        }
        r.throttled = status == 429 || (status == 503 && r.retry_after_ms.is_some());
        if let Some(ra) = r.retry_after_ms {
            r.wait_ms = Some(ra);
            r.wait_source = Some(WaitSource::RetryAfter);
        } else if let (Some(0), Some(t)) = (r.remaining, r.reset_ms) {
            r.wait_ms = Some(t);
            r.wait_source = Some(WaitSource::Reset);
        } else if r.throttled && r.reset_ms.is_some() && r.remaining.is_none() {
            r.wait_ms = r.reset_ms;
            r.wait_source = Some(WaitSource::Reset);
        }
        if r.wait_ms.is_none() && r.throttled {
            if let Some(s) = body.and_then(body_retry_seconds) {
                let ms = s.saturating_mul(1000);
                let ms = if ms > self.opts.max_wait_ms {
                    r.capped = true;
                    self.opts.max_wait_ms
                } else {
                    ms
                };
                r.wait_ms = Some(ms);
                r.wait_source = Some(WaitSource::Body);
            }
        }
        self.reading
    }
}

/// A header family's (limit, remaining, reset_ms), and its window in seconds if known.
type Family = (Source, Option<[Option<u64>; 3]>, Option<u64>);

/// (limit, remaining, reset_ms, window_s).
type IetfPick = (Option<u64>, u64, Option<u64>, Option<u64>);

/// The IETF state with the fewest remaining (ties: the longest reset), with its policy.
fn most_restrictive(states: &[PolicyState], policies: &[Policy]) -> Option<IetfPick> {
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

fn policy_member(entry: &Member<'_>) -> Option<Policy> {
    let Member::Item(bare, params) = entry else {
        return None;
    };
    // Draft-07 and older: `RateLimit-Policy: 100;w=60` — an unnamed integer quota.
    if let Bare::Int(q) = bare {
        let quota = u64::try_from(*q).ok()?;
        let window_s = param_uint(params, "w").ok()?;
        return Some(Policy {
            name: String::new(),
            quota,
            quota_unit: "requests".to_owned(),
            window_s,
            partition_key: None,
        });
    }
    let name = member_name(bare)?;
    let quota = param_uint(params, "q").ok()??;
    let window_s = param_uint(params, "w").ok()?;
    let quota_unit = match param(params, "qu") {
        None => "requests".to_owned(),
        Some(Bare::Str(s)) => s.clone(),
        Some(_) => return None,
    };
    let partition_key = param_pk(params).ok()?;
    Some(Policy {
        name,
        quota,
        quota_unit,
        window_s,
        partition_key,
    })
}

fn state_member(entry: &Member<'_>) -> Option<PolicyState> {
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

fn member_text(entry: &Member<'_>) -> String {
    match entry {
        Member::Item(bare, _) => member_name(bare).unwrap_or_else(|| "<member>".to_owned()),
        Member::InnerList => "<inner list>".to_owned(),
    }
}

/// The N of a Genesys 429 body's `Retry the request in [N] seconds` (brackets optional).
pub fn body_retry_seconds(body: &str) -> Option<u64> {
    const NEEDLE: &str = "retry the request in";
    let lower_pos = body
        .as_bytes()
        .windows(NEEDLE.len())
        .position(|w| w.eq_ignore_ascii_case(NEEDLE.as_bytes()))?;
    let rest = body.get(lower_pos + NEEDLE.len()..)?.trim_start();
    let rest = rest.strip_prefix('[').unwrap_or(rest).trim_start();
    let end = rest
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    if end == 0 || end > 12 {
        return None;
    }
    let n: u64 = rest.get(..end)?.parse().ok()?;
    let after = rest.get(end..)?.trim_start();
    let after = after.strip_prefix(']').unwrap_or(after).trim_start();
    after
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case("second"))
        .map(|_| n)
}

/// Parses one response's rate-limit headers.
///
/// `headers` are (name, value) pairs in wire order; repeated names are allowed. `body` is
/// consulted only for a throttled response without a usable header. `now` is the receiving
/// time in epoch ms.
///
/// ```
/// use pacekeeper::headers::{parse, ParseOptions, WaitSource};
/// let headers = [
///     ("Retry-After", "30"),
///     ("inin-ratelimit-allowed", "300"),
///     ("inin-ratelimit-count", "300"),
///     ("inin-ratelimit-reset", "30"),
/// ];
/// let r = parse(429, &headers, None, 1_700_000_000_000, &ParseOptions::default()).unwrap();
/// assert!(r.throttled);
/// assert_eq!(r.wait_ms, Some(30_000));
/// assert_eq!(r.wait_source, Some(WaitSource::RetryAfter));
/// assert_eq!((r.limit, r.remaining), (Some(300), Some(0)));
/// ```
pub fn parse<N: AsRef<str>, V: AsRef<str>>(
    status: u16,
    headers: &[(N, V)],
    body: Option<&str>,
    now: u64,
    opts: &ParseOptions,
) -> Result<Reading> {
    if !(100..=599).contains(&status) {
        return Err(Error::new(
            ErrorCode::InvalidStatus,
            msg!("status must be 100..=599, got ", status),
        ));
    }
    opts.validate()?;
    let mut acc = Acc {
        opts: *opts,
        now,
        reading: Reading::empty(status),
        retry_after: [""; MAX_RETRY_AFTER],
        retry_after_n: 0,
        date: None,
        policy_fields: Vec::new(),
        state_fields: Vec::new(),
        trio: [None; 3],
        x: [None; 3],
        x_reset_after: None,
        inin: [None; 3],
        shopify: None,
        draft07: None,
    };
    for (n, v) in headers {
        let (n, v) = (n.as_ref(), v.as_ref());
        if let Some(kind) = classify(n) {
            acc.header(n, kind, v);
        }
    }
    Ok(acc.finish(status, body))
}
