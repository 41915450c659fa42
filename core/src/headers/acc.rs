//! The accumulator: header values in, one [`Reading`] out.

use super::ietf::{member_text, most_restrictive, policy_member, state_member, MAX_WINDOW_S};
use super::names::{Name, Part, Win};
use super::values::{
    first_member, parse_count, parse_decimal_seconds_ms, parse_go_duration, parse_uint,
};
use super::{
    body_retry_seconds, ParseOptions, Reading, RejectReason, Rejection, ResetMode, Source,
    WaitSource, MAX_COUNT, MAX_REJECTED, MAX_STRUCTURED_FIELD_BYTES, MAX_STRUCTURED_FIELD_MEMBERS,
};
use crate::httpdate::{parse_http_date, parse_rfc3339};
use crate::sf::{Bare, Member, Members};

const MAX_REJECTED_VALUE_LEN: usize = 64;
/// Marks a rejected value cut at [`MAX_REJECTED_VALUE_LEN`] characters.
const ELLIPSIS: &str = "…";
const MAX_POLICIES: usize = 16;
pub(crate) const MAX_RETRY_AFTER: usize = 4;
const WINDOWS: usize = 10;

// Indices of `Acc::simple`: the trio's limit, remaining and reset (ms) first, then
// `X-RateLimit-*`'s limit, remaining, reset and window (ms), `-Reset-After` and `-Max`, then
// Genesys' allowed, count and reset.
const S_TRIO: usize = 0;
const S_X: usize = 3;
const S_X_RESET_AFTER: usize = 7;
const S_X_MAX: usize = 8;
const S_ININ: usize = 9;
const SIMPLE: usize = 12;

/// How a single-valued header is read.
#[derive(Clone, Copy)]
enum Read {
    /// A count ([`Acc::uint`]).
    Count,
    /// A reset ([`Acc::reset`]).
    Reset,
    /// Seconds ([`Acc::seconds`]).
    Seconds,
}

/// (limit, remaining, reset_ms, window_ms) of one window.
type Quad = [Option<u64>; 4];

pub(crate) struct Acc<'a> {
    opts: ParseOptions,
    now: u64,
    reading: Reading,
    /// The first `MAX_RETRY_AFTER` Retry-After values (more repeats are ignored).
    retry_after: [&'a str; MAX_RETRY_AFTER],
    retry_after_n: usize,
    /// The longest `retry-after-ms` (capped).
    retry_after_ms: Option<u64>,
    date: Option<&'a str>,
    policy_fields: Vec<&'a str>,
    state_fields: Vec<&'a str>,
    /// The single-valued fields of the `RateLimit-*` trio, `X-RateLimit-*` and `inin-ratelimit-*`
    /// families, indexed by the `S_*` constants.
    simple: [Option<u64>; SIMPLE],
    /// Vendor windows, indexed by [`Win`].
    windows: [Quad; WINDOWS],
    /// `used/limit` call limits (Shopify, Gorgias, Salesforce): the one with the fewest left.
    call_limit: Option<(u64, u64)>,
    draft07: Option<[Option<u64>; 3]>,
    /// Rejections beyond `MAX_REJECTED − 1`, counted only.
    omitted: usize,
}

fn min_opt(a: Option<u64>, b: u64) -> Option<u64> {
    Some(a.map_or(b, |a| a.min(b)))
}
fn max_opt(a: Option<u64>, b: u64) -> Option<u64> {
    Some(a.map_or(b, |a| a.max(b)))
}

/// Of several (limit, remaining, reset, window) windows, the binding one: the fewest remaining
/// (ties: the latest reset); without any remaining count, the first with anything.
fn binding(windows: &[Quad]) -> Option<Quad> {
    let (mut best, mut first): (Option<&Quad>, Option<&Quad>) = (None, None);
    for w in windows {
        if w[1].is_some() {
            // Strictly fewer remaining, or as many and a later reset: the first such wins.
            if best.is_none_or(|b| w[1] < b[1] || (w[1] == b[1] && w[2] > b[2])) {
                best = Some(w);
            }
        } else if first.is_none() && w.iter().any(Option::is_some) {
            first = Some(w);
        }
    }
    best.or(first).copied()
}

impl<'a> Acc<'a> {
    pub(crate) fn new(opts: ParseOptions, now: u64, status: u16) -> Self {
        Acc {
            opts,
            now,
            reading: Reading::empty(status),
            retry_after: [""; MAX_RETRY_AFTER],
            retry_after_n: 0,
            retry_after_ms: None,
            date: None,
            policy_fields: Vec::new(),
            state_fields: Vec::new(),
            simple: [None; SIMPLE],
            windows: [[None; 4]; WINDOWS],
            call_limit: None,
            draft07: None,
            omitted: 0,
        }
    }

    fn reject(&mut self, header: &str, value: &str, reason: RejectReason) {
        if self.reading.rejected.len() + 1 >= MAX_REJECTED {
            self.omitted += 1;
            return;
        }
        // The first 64 characters, and `…` when there were more.
        let cut = (0..value.len())
            .filter(|&i| value.is_char_boundary(i))
            .nth(MAX_REJECTED_VALUE_LEN);
        let mut v = value
            .get(..cut.unwrap_or(value.len()))
            .unwrap_or(value)
            .to_owned();
        if cut.is_some() {
            // A `str`, not a `char`: no UTF-8 encoder in the wasm module.
            v.push_str(ELLIPSIS);
        }
        self.reading.rejected.push(Rejection {
            header: header.trim_ascii().to_ascii_lowercase(),
            value: v,
            reason,
        });
    }

    /// A wait in ms, capped.
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
        match parse_count(first) {
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

    /// A wait read from `value`: capped when read; a too-large number rejected and counted as
    /// the maximum wait; anything else rejected and dropped.
    fn settle(
        &mut self,
        name: &str,
        value: &str,
        read: core::result::Result<u64, RejectReason>,
    ) -> Option<u64> {
        match read {
            Ok(ms) => Some(self.cap(ms)),
            Err(r) => {
                self.reject(name, value, r);
                (r == RejectReason::TooLarge).then(|| self.cap(u64::MAX))
            }
        }
    }

    /// Seconds to ms; too-large numbers count as the maximum wait.
    fn seconds(&mut self, name: &str, value: &str) -> Option<u64> {
        let read = parse_decimal_seconds_ms(first_member(value, false)).map(|(ms, _)| ms);
        self.settle(name, value, read)
    }

    /// A reset: an HTTP-date, an RFC 3339 timestamp, a Go duration, or a number read by
    /// [`ParseOptions::reset_mode`]. Ms from now, capped.
    // One copy, whatever `parse`'s header types (smaller wasm).
    #[inline(never)]
    fn reset(&mut self, name: &str, value: &str) -> Option<u64> {
        let read = self.reset_ms(value);
        self.settle(name, value, read)
    }

    /// [`Acc::reset`]'s reading, uncapped.
    fn reset_ms(&self, value: &str) -> core::result::Result<u64, RejectReason> {
        let since = |at: Option<u64>| {
            at.map(|at| at.saturating_sub(self.now))
                .ok_or(RejectReason::BadDate)
        };
        let whole = value.trim_ascii();
        if whole
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic)
        {
            // An HTTP-date has a comma of its own: the whole value is the date.
            return since(parse_http_date(whole, self.now));
        }
        let first = first_member(value, false).trim_ascii();
        let b = first.as_bytes();
        if b.len() >= 10 && b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') {
            return since(parse_rfc3339(first));
        }
        if let Some(read) = parse_go_duration(first) {
            return read;
        }
        let (raw, frac) = parse_decimal_seconds_ms(first)?;
        // raw is the value × 1000 (ms if the value is in seconds).
        let value_units = raw / 1000;
        let mode = match self.opts.reset_mode {
            ResetMode::Auto if value_units >= 1_000_000_000_000 => ResetMode::EpochMillis,
            ResetMode::Auto if value_units >= 1_000_000_000 => ResetMode::EpochSeconds,
            ResetMode::Auto => ResetMode::DeltaSeconds,
            m => m,
        };
        Ok(match mode {
            ResetMode::EpochMillis if frac => return Err(RejectReason::NotANumber),
            ResetMode::EpochMillis => value_units.saturating_sub(self.now),
            ResetMode::EpochSeconds => raw.saturating_sub(self.now),
            ResetMode::DeltaMillis => raw.div_ceil(1000),
            _ => raw,
        })
    }

    /// A `used/limit` pair (`(appName=…)` and spaces after it ignored).
    fn used_of_limit(&mut self, name: &str, item: &str) {
        let parsed = item
            .split_once('/')
            .map(|(u, l)| (u, l.split('(').next().unwrap_or(l)))
            .and_then(|(u, l)| Some((parse_uint(u).ok()?, parse_uint(l).ok()?)))
            .filter(|(_, l)| *l <= MAX_COUNT);
        match parsed {
            Some((_, 0)) => self.reject(name, item, RejectReason::Inconsistent),
            Some((used, limit)) => {
                if used > limit {
                    self.reject(name, item, RejectReason::Inconsistent);
                }
                let pair = (used.min(limit), limit);
                // The pair with the fewest left binds.
                if self.call_limit.is_none_or(|(u, l)| limit - pair.0 < l - u) {
                    self.call_limit = Some(pair);
                }
            }
            _ => self.reject(name, item, RejectReason::NotANumber),
        }
    }

    fn window(&mut self, name: &str, win: Win, part: Part, value: &str) {
        let i = win as usize;
        let v = match part {
            Part::Limit | Part::Remaining | Part::IntervalMs => self.uint(name, value),
            Part::Reset => self.reset(name, value),
        };
        let Some(v) = v else { return };
        let Some(w) = self.windows.get_mut(i) else {
            return;
        };
        match part {
            Part::Limit => w[0] = min_opt(w[0], v),
            Part::Remaining => w[1] = min_opt(w[1], v),
            Part::Reset => w[2] = max_opt(w[2], v),
            Part::IntervalMs => w[3] = max_opt(w[3], v),
        }
        if w[3].is_none() {
            w[3] = win.window_ms();
        }
    }

    /// A single-valued header: how it is read, its index in `simple`, and whether repeats keep
    /// the largest value (else the smallest).
    fn simple_of(kind: Name) -> Option<(Read, usize, bool)> {
        Some(match kind {
            Name::RlLimit => (Read::Count, S_TRIO, false),
            Name::RlRemaining => (Read::Count, S_TRIO + 1, false),
            // By magnitude, as `X-RateLimit-Reset` (GitLab sends epoch seconds here).
            Name::RlReset => (Read::Reset, S_TRIO + 2, true),
            Name::XLimit => (Read::Count, S_X, false),
            Name::XRemaining => (Read::Count, S_X + 1, false),
            Name::XReset => (Read::Reset, S_X + 2, true),
            Name::XIntervalMs => (Read::Count, S_X + 3, true),
            Name::XResetAfter => (Read::Seconds, S_X_RESET_AFTER, true),
            Name::XMax => (Read::Count, S_X_MAX, false),
            Name::IninAllowed => (Read::Count, S_ININ, false),
            Name::IninCount => (Read::Count, S_ININ + 1, true),
            Name::IninReset => (Read::Seconds, S_ININ + 2, true),
            _ => return None,
        })
    }

    // One copy, whatever `parse`'s header types (smaller wasm).
    #[inline(never)]
    pub(crate) fn header(&mut self, name: &str, kind: Name, value: &'a str) {
        if let Some((read, i, keep_max)) = Self::simple_of(kind) {
            let v = match read {
                Read::Count => self.uint(name, value),
                Read::Reset => self.reset(name, value),
                Read::Seconds => self.seconds(name, value),
            };
            if let (Some(v), Some(slot)) = (v, self.simple.get_mut(i)) {
                *slot = if keep_max {
                    max_opt(*slot, v)
                } else {
                    min_opt(*slot, v)
                };
            }
            return;
        }
        match kind {
            Name::RetryAfter => {
                if let Some(slot) = self.retry_after.get_mut(self.retry_after_n) {
                    *slot = value;
                    self.retry_after_n += 1;
                }
            }
            Name::RetryAfterMs => {
                let first = first_member(value, false).trim_ascii();
                let read = if first.starts_with('+') {
                    Err(RejectReason::NotANumber)
                } else {
                    parse_decimal_seconds_ms(first).map(|(milli_ms, _)| milli_ms.div_ceil(1000))
                };
                if let Some(ms) = self.settle(name, value, read) {
                    self.retry_after_ms = max_opt(self.retry_after_ms, ms);
                }
            }
            // The first `Date` counts.
            Name::Date if self.date.is_none() => self.date = Some(value),
            Name::RlPolicy => self.policy_fields.push(value),
            Name::RateLimit => self.state_fields.push(value),
            Name::CallLimit => self.used_of_limit(name, value),
            Name::Sforce => {
                // `api-usage=18/5000; per-app-api-usage=17/250(appName=app)`; other items
                // (`api-bursts`) are not limits on this call.
                let mut any = false;
                let mut rest = value;
                // The first 8 items, split at `;` and `,` (by bytes: both are ASCII).
                for _ in 0..8 {
                    let end = rest
                        .bytes()
                        .position(|b| b == b';' || b == b',')
                        .unwrap_or(rest.len());
                    let item = rest.get(..end).unwrap_or_default();
                    if let Some((k, v)) = item.split_once('=') {
                        let k = k.trim_ascii();
                        if k.eq_ignore_ascii_case("api-usage")
                            || k.eq_ignore_ascii_case("per-app-api-usage")
                        {
                            any = true;
                            self.used_of_limit(name, v.trim_ascii());
                        }
                    }
                    match rest.get(end + 1..) {
                        Some(after) if end < rest.len() => rest = after,
                        _ => break,
                    }
                }
                if !any {
                    self.reject(name, value, RejectReason::NotANumber);
                }
            }
            Name::Window(win, part) => self.window(name, win, part, value),
            // A later `Date`, or a single-valued header (read above).
            _ => {}
        }
    }

    // One copy, whatever `parse`'s header types (smaller wasm).
    #[inline(never)]
    fn finish_retry_after(&mut self) {
        let values = self.retry_after;
        let values = values.get(..self.retry_after_n).unwrap_or_default();
        let mut server_now = None;
        if let Some(date) = self.date {
            server_now = parse_http_date(date, self.now);
            if server_now.is_none() {
                self.reject("date", date, RejectReason::BadDate);
            }
        }
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
                    // RFC 9110: delay-seconds = 1*DIGIT; a sign makes it neither form.
                    let r = if part.trim_ascii().starts_with('+') {
                        Err(RejectReason::BadDate)
                    } else {
                        parse_decimal_seconds_ms(part)
                    };
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
        if let Some(ms) = self.retry_after_ms {
            self.reading.retry_after_ms = max_opt(self.reading.retry_after_ms, ms);
        }
    }

    /// The fields of `name` joined, or None (rejected) when they exceed the size bound.
    fn joined(&mut self, name: &str, fields: &[&str]) -> Option<String> {
        let len: usize = fields.iter().map(|f| f.len() + 2).sum();
        if len > MAX_STRUCTURED_FIELD_BYTES + 2 {
            let head = fields.first().copied().unwrap_or_default();
            self.reject(name, head, RejectReason::TooLarge);
            return None;
        }
        Some(fields.join(", "))
    }

    /// Rejects the members of a list beyond the bound, at once.
    fn too_many_members(&mut self, name: &str, n: usize) {
        if n > MAX_STRUCTURED_FIELD_MEMBERS {
            let text = crate::msg::msg!(n, " members");
            self.reject(name, &text, RejectReason::TooLarge);
        }
    }

    // One copy, whatever `parse`'s header types (smaller wasm).
    #[inline(never)]
    fn finish_ietf(&mut self) {
        let policy_fields = core::mem::take(&mut self.policy_fields);
        if !policy_fields.is_empty() {
            if let Some(joined) = self.joined("ratelimit-policy", &policy_fields) {
                match Members::list(joined.as_str()) {
                    Some(list) => {
                        self.too_many_members("ratelimit-policy", list.0.len());
                        for (_, entry) in list.0.iter().take(MAX_STRUCTURED_FIELD_MEMBERS) {
                            match policy_member(entry) {
                                Ok(p) if self.reading.policies.len() < MAX_POLICIES => {
                                    self.reading.policies.push(p)
                                }
                                Ok(_) => {}
                                Err(reason) => {
                                    let text = member_text(entry);
                                    self.reject("ratelimit-policy", &text, reason)
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
        }
        let state_fields = core::mem::take(&mut self.state_fields);
        if state_fields.is_empty() {
            return;
        }
        let Some(joined) = self.joined("ratelimit", &state_fields) else {
            return;
        };
        if let Some(list) = Members::list(joined.as_str()) {
            self.too_many_members("ratelimit", list.0.len());
            for (_, entry) in list.0.iter().take(MAX_STRUCTURED_FIELD_MEMBERS) {
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

    // One copy, whatever `parse`'s header types (smaller wasm).
    #[inline(never)]
    pub(crate) fn finish(mut self, status: u16, body: Option<&str>) -> Reading {
        self.finish_retry_after();
        self.finish_ietf();
        if self.omitted > 0 {
            let text = crate::msg::msg!(self.omitted, " more rejected values not listed");
            self.reading.rejected.push(Rejection {
                header: "*".to_owned(),
                value: text,
                reason: RejectReason::TooLarge,
            });
        }
        let [t0, t1, t2, x0, x1, x2, x3, x_reset_after, x_max, i0, i1, i2] = self.simple;
        let trio = [t0, t1, t2];
        let r = &mut self.reading;
        // Pick the family that gives (limit, remaining, reset).
        let ietf = most_restrictive(&r.states, &r.policies);
        let x_main = [x0.or(x_max), x1, x2.or(x_reset_after), x3];
        let mut x_windows = [[None; 4]; WINDOWS + 1];
        x_windows[0] = x_main;
        x_windows[1..].copy_from_slice(&self.windows);
        let x = binding(&x_windows);
        let inin = match [i0, i1, i2] {
            [Some(a), Some(c), reset] => Some([Some(a), Some(a.saturating_sub(c)), reset]),
            [a, None, reset] if a.is_some() || reset.is_some() => Some([a, None, reset]),
            _ => None,
        };
        let seconds_to_ms = |w: u64| w.min(MAX_WINDOW_S) * 1000;
        // The first family present, in the order of the module documentation's table.
        let picked = if let Some((l, rem, t, w)) = ietf {
            Some((Source::Ietf, [l, Some(rem), t], w.map(seconds_to_ms)))
        } else if let Some(d @ [l, _, _]) = self.draft07 {
            let w = r
                .policies
                .iter()
                .find(|p| Some(p.quota) == l)
                .and_then(|p| p.window_s)
                .map(seconds_to_ms);
            Some((Source::IetfDraft07, d, w))
        } else if trio.iter().any(Option::is_some) {
            Some((Source::RatelimitTrio, trio, None))
        } else if let Some([l, rem, t, w]) = x {
            Some((Source::XRatelimit, [l, rem, t], w))
        } else if let Some(i) = inin {
            Some((Source::Genesys, i, None))
        } else {
            self.call_limit
                .map(|(u, l)| (Source::Shopify, [Some(l), Some(l - u), None], None))
        };
        if let Some((src, [l, rem, t], w)) = picked {
            r.source = Some(src);
            r.limit = l.map(|l| l.min(MAX_COUNT));
            r.remaining = rem.map(|rem| rem.min(MAX_COUNT));
            r.reset_ms = t;
            r.window_ms = w.map(|w| w.min(MAX_COUNT));
            if let (Some(l), Some(rem)) = (r.limit, r.remaining) {
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
