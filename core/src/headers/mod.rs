//! Parsing of rate-limit response headers into one normalized [`Reading`].
//!
//! Understood, with names matched case-insensitively:
//!
//! | family | headers | [`Source`] |
//! |---|---|---|
//! | RFC 9110 | `Retry-After` (delta-seconds or HTTP-date in all three forms; fractional seconds accepted leniently, a sign never), `Date` | |
//! | Azure, OpenAI | `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds; the longer of these and `Retry-After` wins) | |
//! | IETF draft-10 | `RateLimit-Policy` and `RateLimit` structured-field lists (`q`, `qu`, `w`, `pk`; `r`, `t`, `pk`) | `ietf` |
//! | IETF draft-07 and older | `RateLimit: limit=, remaining=, reset=`, then `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (GitLab) | `ietf_draft07`, `ratelimit_trio` |
//! | common (GitHub, X/Twitter, Discord, Jira, HighLevel) | `X-RateLimit-Limit/-Remaining/-Reset` (and `X-Rate-Limit-*`), `X-RateLimit-Reset-After`, `X-RateLimit-Max`, `X-RateLimit-Interval-Milliseconds`, `X-RateLimit-Limit-Daily`, `X-RateLimit-Daily-Remaining` | `x_ratelimit` |
//! | OpenAI | `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (resets as Go durations: `1s`, `6m0s`, `20ms`) | `x_ratelimit` |
//! | Anthropic | `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}` (resets as RFC 3339) | `x_ratelimit` |
//! | HubSpot | `X-HubSpot-RateLimit-Max/-Remaining/-Interval-Milliseconds`, `-Secondly`, `-Secondly-Remaining`, `-Daily`, `-Daily-Remaining` | `x_ratelimit` |
//! | Genesys Cloud | `inin-ratelimit-allowed`, `inin-ratelimit-count`, `inin-ratelimit-reset`, and the 429 body `Retry the request in [N] seconds` | `genesys` |
//! | call limits | `X-Shopify-Shop-Api-Call-Limit`, `X-Gorgias-Account-Api-Call-Limit` (`used/limit`), Salesforce `Sforce-Limit-Info: api-usage=used/limit` | `shopify` |
//!
//! When several families give a limit, the first present in the order of the table wins (the
//! IETF fields are the most precise). Within a family that sends several windows (OpenAI's
//! requests and tokens, HubSpot's interval, second and day), the binding window is the one with
//! the fewest remaining (ties: the latest reset). Repeated headers are combined conservatively:
//! the longest wait, the smallest remaining count, the latest reset. Counts may be decimals
//! (`598.0`): they are floored.
//!
//! ## Reset values ([`ResetMode::Auto`])
//! `X-RateLimit-Reset`, `RateLimit-Reset` and the vendor `*-reset` headers may carry an
//! HTTP-date, an RFC 3339 / ISO 8601 timestamp (`2024-01-01T12:00:00.5Z`, `+02:00` zones,
//! minute precision `2021-05-18T14:40Z` as Jira sends), a Go duration (`6m0s`), or a number. A
//! number is ambiguous in the wild: by magnitude, a value of at least 10^12 is epoch
//! milliseconds, at least 10^9 is epoch seconds (GitHub, GitLab), anything smaller is seconds
//! remaining. An epoch in the past means 0. [`ParseOptions::reset_mode`] forces one reading of
//! numbers ([`ResetMode::DeltaMillis`]: milliseconds remaining).
//!
//! ## Bounds
//! Malformed values never panic or fail the parse: each is listed in [`Reading::rejected`] with
//! a reason, and the rest of the reading is kept. Every wait is capped at
//! [`ParseOptions::max_wait_ms`] (default 6 hours); [`Reading::capped`] tells when the cap
//! applied. Every count is at most [`MAX_COUNT`] (2^53 − 1) and a `RateLimit-Policy` window
//! whose ms would exceed it is rejected (`too_large`), so every number is exact in every
//! binding. A structured field (all lines of `RateLimit-Policy`, or of `RateLimit`, joined)
//! longer than [`MAX_STRUCTURED_FIELD_BYTES`] is rejected whole (`too_large`); of a list, only
//! the first [`MAX_STRUCTURED_FIELD_MEMBERS`] members are read (one `too_large` rejection
//! says how many there were) and at most 16 policies and 16 states are kept. At most
//! [`MAX_REJECTED`] rejections are listed: when more occur, the last entry has header `*`,
//! reason `too_large` and a value saying how many more were not listed. Only the first
//! [`MAX_BODY_SCAN`] bytes of a body are searched.

mod acc;
mod ietf;
mod names;
mod values;

use crate::error::{Error, ErrorCode, Result};
use crate::msg::msg;
use acc::Acc;
use names::classify;
use serde::{Deserialize, Serialize};

/// The default cap on any wait: 6 hours.
pub const DEFAULT_MAX_WAIT_MS: u64 = 6 * 60 * 60 * 1000;
/// The largest `max_wait_ms` accepted: 30 days.
pub const MAX_MAX_WAIT_MS: u64 = 30 * 24 * 60 * 60 * 1000;
/// The largest count (limit, remaining) accepted: 2^53 − 1, exact in every binding's numbers.
pub const MAX_COUNT: u64 = (1 << 53) - 1;
/// The most entries [`Reading::rejected`] holds (the last one may count those not listed).
pub const MAX_REJECTED: usize = 32;
/// The longest structured field read (`RateLimit-Policy` or `RateLimit`, all lines joined), bytes.
pub const MAX_STRUCTURED_FIELD_BYTES: usize = 8192;
/// The most members of a structured-field list that are read.
pub const MAX_STRUCTURED_FIELD_MEMBERS: usize = 64;
/// The most bytes of a body searched for the Genesys `Retry the request in [N] seconds`.
pub const MAX_BODY_SCAN: usize = 64 * 1024;

/// How to read a numeric reset (`X-RateLimit-Reset`, `RateLimit-Reset`, vendor `*-reset`).
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
    /// Milliseconds remaining until the reset.
    DeltaMillis,
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
    /// `X-RateLimit-*` or `X-Rate-Limit-*`, and the vendor families of that shape (OpenAI,
    /// Anthropic, HubSpot, HighLevel).
    XRatelimit,
    /// Genesys Cloud `inin-ratelimit-*`.
    Genesys,
    /// A `used/limit` call-limit header: `X-Shopify-Shop-Api-Call-Limit`,
    /// `X-Gorgias-Account-Api-Call-Limit`, Salesforce `Sforce-Limit-Info`.
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

/// The N of a Genesys 429 body's `Retry the request in [N] seconds` (brackets optional).
pub fn body_retry_seconds(body: &str) -> Option<u64> {
    const NEEDLE: &str = "retry the request in";
    let body = body
        .get(..MAX_BODY_SCAN.min(body.len()))
        .unwrap_or_else(|| {
            // Cut inside a character: back off to its start.
            let mut end = MAX_BODY_SCAN.min(body.len());
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            body.get(..end).unwrap_or_default()
        });
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

/// The lowest HTTP status the core reads.
pub const MIN_STATUS: u16 = 100;
/// The highest HTTP status the core reads.
pub const MAX_STATUS: u16 = 599;
/// The HTTP statuses the core reads (bindings that must tell a status from other numbers, such
/// as a response extractor, read these bounds, never restate them).
pub const STATUSES: core::ops::RangeInclusive<u16> = MIN_STATUS..=MAX_STATUS;

/// `status` (any host integer) as an HTTP status in [`STATUSES`], else `invalid_status`: the one
/// rule every binding applies through the core.
pub fn check_status(status: i64) -> Result<u16> {
    match u16::try_from(status) {
        Ok(s) if STATUSES.contains(&s) => Ok(s),
        _ => Err(Error::new(
            ErrorCode::InvalidStatus,
            msg!(
                "status must be 100..=599, got ",
                if status < 0 { "-" } else { "" },
                status.unsigned_abs()
            ),
        )),
    }
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
    check_status(i64::from(status))?;
    opts.validate()?;
    let mut acc = Acc::new(*opts, now, status);
    for (n, v) in headers {
        let (n, v) = (n.as_ref(), v.as_ref());
        if let Some(kind) = classify(n) {
            acc.header(n, kind, v);
        }
    }
    Ok(acc.finish(status, body))
}
