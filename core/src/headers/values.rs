//! Header values: numbers, decimal seconds, Go-style durations.

use super::RejectReason;

/// The first member of a list value ("5, 5" from merged repeats), without parameters when
/// `params` ("100;w=60").
#[inline]
pub(crate) fn first_member(value: &str, params: bool) -> &str {
    let end = value
        .bytes()
        .position(|b| b == b',' || (params && b == b';'));
    end.and_then(|i| value.get(..i)).unwrap_or(value)
}

/// A parsed unsigned number, or why not.
pub(crate) fn parse_uint(s: &str) -> core::result::Result<u64, RejectReason> {
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
pub(crate) fn parse_decimal_seconds_ms(s: &str) -> core::result::Result<(u64, bool), RejectReason> {
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

pub(crate) fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[usize::from(b >> 4)] as char);
        s.push(H[usize::from(b & 15)] as char);
    }
    s
}

/// A count (limit, remaining): an unsigned integer, or a decimal with a fraction, floored
/// (`598.0` → 598, as some servers send floats).
pub(crate) fn parse_count(s: &str) -> core::result::Result<u64, RejectReason> {
    let s = s.trim_ascii();
    match s.split_once('.') {
        None => parse_uint(s),
        Some((int, frac)) => {
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(RejectReason::NotANumber);
            }
            match int {
                "" | "+" => Ok(0),
                "-" => Err(if frac.bytes().any(|b| b != b'0') {
                    RejectReason::Negative
                } else {
                    RejectReason::NotANumber
                }),
                _ if int.starts_with('-') && frac.bytes().any(|b| b != b'0') => {
                    Err(RejectReason::Negative)
                }
                _ => parse_uint(int),
            }
        }
    }
}

/// A Go `time.Duration` string (`1s`, `6m0s`, `20ms`, `1h2m3.5s`, `1.5µs`) as OpenAI sends in
/// `x-ratelimit-reset-*`, to ms rounded up. None when the value is not one.
pub(crate) fn parse_go_duration(s: &str) -> Option<core::result::Result<u64, RejectReason>> {
    let b = s.trim_ascii().as_bytes();
    // Only values that start with a digit or '.' and end in a unit letter (or `µ`'s last
    // byte never ends one: units end in `s`, `m` or `h`) are tried here.
    if !b.first().is_some_and(|c| c.is_ascii_digit() || *c == b'.')
        || !b.last().is_some_and(u8::is_ascii_alphabetic)
    {
        return None;
    }
    let bad = Some(Err(RejectReason::NotANumber));
    // Nanoseconds, saturating (u64 ns is 584 years: far past any cap).
    let mut total_ns: u64 = 0;
    let mut i = 0;
    while i < b.len() {
        let (mut whole, mut frac_ns, mut digits, mut dots) = (0u64, 0u64, 0usize, 0usize);
        let num_start = i;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit() || **c == b'.') {
            if c == b'.' {
                dots += 1;
            } else if dots == 0 {
                whole = whole.saturating_mul(10).saturating_add(u64::from(c - b'0'));
                digits += 1;
            }
            i += 1;
        }
        let num = b.get(num_start..i).unwrap_or_default();
        let unit_start = i;
        while b
            .get(i)
            .is_some_and(|c| !(c.is_ascii_digit() || *c == b'.'))
        {
            i += 1;
        }
        let per_unit: u64 = match b.get(unit_start..i).unwrap_or_default() {
            b"h" => 3_600_000_000_000,
            b"m" => 60_000_000_000,
            b"s" => 1_000_000_000,
            b"ms" => 1_000_000,
            b"us" | [0xC2, 0xB5, b's'] | [0xCE, 0xBC, b's'] => 1_000,
            b"ns" => 1,
            _ => return bad,
        };
        if dots > 1 || num.len() == dots || digits > 20 {
            return bad;
        }
        // The fraction, exact to the nanosecond, rounded up beyond it.
        if dots == 1 {
            let frac = num.iter().skip_while(|c| **c != b'.').skip(1);
            let mut scale = per_unit;
            for d in frac {
                if scale >= 10 {
                    scale /= 10;
                    frac_ns += u64::from(d - b'0') * scale;
                } else if *d != b'0' {
                    frac_ns += 1;
                    break;
                }
            }
        }
        total_ns = total_ns
            .saturating_add(whole.saturating_mul(per_unit))
            .saturating_add(frac_ns);
    }
    if total_ns == u64::MAX {
        return Some(Err(RejectReason::TooLarge));
    }
    Some(Ok(total_ns.div_ceil(1_000_000)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (s, ms) in [
            ("1s", 1000),
            ("6m0s", 360_000),
            ("20ms", 20),
            ("0s", 0),
            ("1h2m3.5s", 3_723_500),
            ("59.274s", 59_274),
            ("1.5µs", 1),
            ("100ns", 1),
            ("0.0001s", 1),
            (".5s", 500),
            ("2h", 7_200_000),
        ] {
            assert_eq!(parse_go_duration(s), Some(Ok(ms)), "{s}");
        }
        for s in ["1", "s", "-1s", "abc"] {
            assert_eq!(parse_go_duration(s), None, "{s}");
        }
        for s in ["1x", "1.2.3s", "1sm", "1 s", "99999999999999999999999h"] {
            assert!(matches!(parse_go_duration(s), Some(Err(_))), "{s}");
        }
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("598.0"), Ok(598));
        assert_eq!(parse_count("598.9"), Ok(598));
        assert_eq!(parse_count(" 7 "), Ok(7));
        assert_eq!(parse_count("-1.5"), Err(RejectReason::Negative));
        assert_eq!(parse_count("-0.0"), Ok(0));
        assert_eq!(parse_count("1."), Err(RejectReason::NotANumber));
        assert_eq!(parse_count("1e3"), Err(RejectReason::NotANumber));
    }
}
