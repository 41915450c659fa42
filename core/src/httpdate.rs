//! HTTP-date parsing (RFC 9110 §5.6.7): IMF-fixdate, obsolete RFC 850 and asctime forms, and
//! RFC 3339 / ISO 8601 timestamps (as some rate-limit reset headers carry), converted to Unix
//! epoch milliseconds without touching any clock.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS_SHORT: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const DAYS_LONG: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month 1..=12, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

fn month_index(s: &str) -> Option<u32> {
    MONTHS.iter().position(|m| *m == s).map(|i| i as u32 + 1)
}

fn digits(s: &str, len: usize) -> Option<u32> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn time_of_day(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split(':');
    let h = digits(it.next()?, 2)?;
    let m = digits(it.next()?, 2)?;
    let sec = digits(it.next()?, 2)?;
    if it.next().is_some() || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some((h, m, sec.min(59)))
}

fn to_epoch_ms(year: i64, month: u32, day: u32, (h, m, s): (u32, u32, u32)) -> Option<u64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
    u64::try_from(secs).ok().map(|v| v.saturating_mul(1000))
}

fn two(b: &[u8], i: usize) -> Option<u32> {
    let (x, y) = (*b.get(i)?, *b.get(i + 1)?);
    (x.is_ascii_digit() && y.is_ascii_digit())
        .then(|| u32::from(x - b'0') * 10 + u32::from(y - b'0'))
}

/// Three bytes packed into a word, for comparing day and month names without a loop of slices.
const fn word3(b: &[u8]) -> u32 {
    (b[0] as u32) | (b[1] as u32) << 8 | (b[2] as u32) << 16
}

const DAY_WORDS: [u32; 7] = {
    let mut w = [0u32; 7];
    let mut i = 0;
    while i < 7 {
        w[i] = word3(DAYS_SHORT[i].as_bytes());
        i += 1;
    }
    w
};

const MONTH_WORDS: [u32; 12] = {
    let mut w = [0u32; 12];
    let mut i = 0;
    while i < 12 {
        w[i] = word3(MONTHS[i].as_bytes());
        i += 1;
    }
    w
};

/// The fixed-width IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, 29 bytes) by position: the
/// form servers send, so the common case costs no splitting.
fn imf_fixdate_fast(b: &[u8]) -> Option<u64> {
    let b: &[u8; 29] = b.try_into().ok()?;
    if b[3] != b','
        || b[4] != b' '
        || b[7] != b' '
        || b[11] != b' '
        || b[16] != b' '
        || b[19] != b':'
        || b[22] != b':'
        || b[25] != b' '
        || word3(&b[26..]) != word3(b"GMT")
    {
        return None;
    }
    if !DAY_WORDS.contains(&word3(&b[..3])) {
        return None;
    }
    let day = two(b, 5)?;
    let m = word3(&b[8..]);
    let month = MONTH_WORDS.iter().position(|w| *w == m)? as u32 + 1;
    let year = two(b, 12)? * 100 + two(b, 14)?;
    let (h, mi, sec) = (two(b, 17)?, two(b, 20)?, two(b, 23)?);
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    to_epoch_ms(i64::from(year), month, day, (h, mi, sec.min(59)))
}

/// Parses an HTTP-date in any of the three forms recipients must accept, returning epoch ms.
///
/// For the two-digit years of RFC 850, a year more than 50 years after `now_ms` is taken to be
/// in the previous century, as RFC 9110 requires.
pub fn parse_http_date(value: &str, now_ms: u64) -> Option<u64> {
    let v = value.trim_ascii();
    if let Some(ms) = imf_fixdate_fast(v.as_bytes()) {
        return Some(ms);
    }
    if let Some((wd, rest)) = v.split_once(", ") {
        if DAYS_SHORT.contains(&wd) {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            let mut p = rest.split(' ');
            let day = digits(p.next()?, 2)?;
            let month = month_index(p.next()?)?;
            let year = digits(p.next()?, 4)?;
            let tod = time_of_day(p.next()?)?;
            if p.next()? != "GMT" || p.next().is_some() {
                return None;
            }
            return to_epoch_ms(i64::from(year), month, day, tod);
        }
        if DAYS_LONG.contains(&wd) {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let mut p = rest.split(' ');
            let mut d = p.next()?.split('-');
            let day = digits(d.next()?, 2)?;
            let month = month_index(d.next()?)?;
            let yy = i64::from(digits(d.next()?, 2)?);
            if d.next().is_some() {
                return None;
            }
            let tod = time_of_day(p.next()?)?;
            if p.next()? != "GMT" || p.next().is_some() {
                return None;
            }
            let now_year = civil_from_days(i64::try_from(now_ms / 86_400_000).unwrap_or(0)).0;
            let mut year = 2000 + yy;
            if year > now_year + 50 {
                year -= 100;
            }
            return to_epoch_ms(year, month, day, tod);
        }
        return None;
    }
    // asctime: Sun Nov  6 08:49:37 1994
    let wd = v.get(..4)?;
    if !DAYS_SHORT.iter().any(|d| wd.strip_suffix(' ') == Some(*d)) {
        return None;
    }
    let rest = v.get(4..)?;
    let month = month_index(rest.get(..3)?)?;
    if rest.get(3..4)? != " " {
        return None;
    }
    let day_s = rest.get(4..6)?;
    let day = if let Some(d) = day_s.strip_prefix(' ') {
        digits(d, 1)?
    } else {
        digits(day_s, 2)?
    };
    let mut p = rest.get(6..)?.split(' ');
    if !p.next()?.is_empty() {
        return None;
    }
    let tod = time_of_day(p.next()?)?;
    let year = digits(p.next()?, 4)?;
    if p.next().is_some() {
        return None;
    }
    to_epoch_ms(i64::from(year), month, day, tod)
}

/// Parses an RFC 3339 / ISO 8601 extended-format timestamp to epoch ms, rounding fractions of
/// a millisecond up: `2024-01-01T12:00:00Z`, `2024-01-01T12:00:00.123456Z`,
/// `2024-01-01T12:00:00+02:00`, `+0200` or `+02`, minute precision `2021-05-18T14:40Z` (Jira),
/// a space or lower-case `t` for the `T`, lower-case `z`. A zone is required (a local time says
/// nothing absolute); leap second 60 counts as 59. None for anything else, or before 1970.
pub fn parse_rfc3339(value: &str) -> Option<u64> {
    let b = value.trim_ascii().as_bytes();
    if b.len() < 17 || b.len() > 64 {
        return None;
    }
    let year = i64::from(two(b, 0)? * 100 + two(b, 2)?);
    if *b.get(4)? != b'-' || *b.get(7)? != b'-' || !matches!(*b.get(10)?, b'T' | b't' | b' ') {
        return None;
    }
    let (month, day, hour) = (two(b, 5)?, two(b, 8)?, two(b, 11)?);
    if *b.get(13)? != b':' {
        return None;
    }
    let minute = two(b, 14)?;
    let mut i = 16;
    let mut second = 0;
    let mut frac_ms = 0u64;
    if b.get(i) == Some(&b':') {
        second = two(b, i + 1)?;
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            let mut round_up = false;
            while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                if i - start < 3 {
                    frac_ms = frac_ms * 10 + u64::from(d - b'0');
                } else if *d != b'0' {
                    round_up = true;
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            for _ in (i - start)..3 {
                frac_ms *= 10;
            }
            frac_ms += u64::from(round_up);
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // The zone: Z, or ±HH[:MM], or ±HHMM.
    let offset_min: i64 = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [_, _] => (two(rest, 0)?, 0),
                [_, _, b':', _, _] => (two(rest, 0)?, two(rest, 3)?),
                [_, _, _, _] => (two(rest, 0)?, two(rest, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let v = i64::from(h * 60 + m);
            if *sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    let local = to_epoch_ms(year, month, day, (hour, minute, second.min(59)))?;
    let utc = i128::from(local) - i128::from(offset_min) * 60_000 + i128::from(frac_ms);
    u64::try_from(utc).ok()
}

/// Formats epoch ms as an IMF-fixdate (used by tests and examples to build headers).
pub fn format_http_date(epoch_ms: u64) -> String {
    let secs = epoch_ms / 1000;
    let days = (secs / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    let rem = secs % 86_400;
    let wd = ((days % 7) + 10) % 7; // 1970-01-01 was a Thursday (index 3)
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS_SHORT[wd as usize % 7],
        d,
        MONTHS[(m as usize).saturating_sub(1) % 12],
        y,
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 784_111_777_000; // Sun, 06 Nov 1994 08:49:37 GMT

    #[test]
    fn three_forms() {
        let now = 1_700_000_000_000;
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(T)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now),
            Some(T)
        );
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994", now), Some(T));
        assert_eq!(format_http_date(T), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 9999999999 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(s, 0), None, "{s}");
        }
    }

    #[test]
    fn rfc3339_forms() {
        let t = 1_700_000_000_000; // 2023-11-14T22:13:20Z
        for (s, want) in [
            ("2023-11-14T22:13:20Z", Some(t)),
            ("2023-11-14t22:13:20z", Some(t)),
            ("2023-11-14 22:13:20Z", Some(t)),
            ("2023-11-14T22:13:20.5Z", Some(t + 500)),
            ("2023-11-14T22:13:20.123456Z", Some(t + 124)),
            ("2023-11-14T22:13:20.000Z", Some(t)),
            ("2023-11-15T00:13:20+02:00", Some(t)),
            ("2023-11-15T00:13:20+0200", Some(t)),
            ("2023-11-15T00:13:20+02", Some(t)),
            ("2023-11-14T17:13:20-05:00", Some(t)),
            ("2023-11-14T22:13Z", Some(t - 20_000)),
            ("2023-11-14T22:13:60Z", Some(t + 39_000)),
            ("2023-11-14T22:13:20", None),
            ("2023-11-14T24:00:00Z", None),
            ("2023-02-29T00:00:00Z", None),
            ("2023-11-14T22:13:20.Z", None),
            ("2023-11-14T22:13:20+2:00", None),
            ("1969-12-31T23:59:59Z", None),
            ("2023-11-14T22:13:20Zjunk", None),
            ("1700000000", None),
        ] {
            assert_eq!(parse_rfc3339(s), want, "{s}");
        }
    }

    #[test]
    fn roundtrip_many_days() {
        let mut t = 0u64;
        while t < 4_000_000_000_000 {
            assert_eq!(parse_http_date(&format_http_date(t), t), Some(t));
            t += 86_400_000 * 37 + 3_723_000;
        }
    }
}
