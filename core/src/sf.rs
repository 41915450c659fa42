//! Structured fields (RFC 9651): Lists and Dictionaries, parsed and validated here.
//!
//! The parser keeps only what the rate-limit fields use (a member's bare item and its parameters,
//! in order) and validates everything else as RFC 9651 says (decimals, booleans, dates, display
//! strings, inner lists). It accepts and rejects exactly what the `sfv` crate (0.16, RFC 9651
//! mode) does and gives the same items: `tests::same_as_sfv` compares the two over generated
//! fields, with `sfv` (through its visitor API, `oracle.rs`) as the oracle. Written here because
//! `sfv`'s general parser (with base64) was about 9 KB of the WebAssembly module.
//! Repeated keys resolve as RFC 9651 says: the last value wins ([`param`], [`Members::get`]).

#[cfg(test)]
mod oracle;

/// What the rate-limit fields need of a bare item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bare {
    /// An sf-integer.
    Int(i64),
    /// An sf-string.
    Str(String),
    /// An sf-token.
    Token(String),
    /// An sf-binary (byte sequence).
    Bytes(Vec<u8>),
    /// A decimal, boolean, date or display string: never valid where the fields are read.
    Other,
}

/// A list member or dictionary value.
#[derive(Debug, PartialEq)]
pub(crate) enum Member<'de> {
    /// An item with its parameters in wire order.
    Item(Bare, Vec<(&'de str, Bare)>),
    /// An inner list (validated, not kept).
    InnerList,
}

/// The last value of parameter `key`, if any.
pub(crate) fn param<'m>(params: &'m [(&str, Bare)], key: &str) -> Option<&'m Bare> {
    params.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The members of a list (keys empty) or a dictionary, in wire order.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Members<'de>(pub(crate) Vec<(&'de str, Member<'de>)>);

impl<'de> Members<'de> {
    /// Parses `input` as a List; `None` if it is not a valid one.
    pub(crate) fn list(input: &'de str) -> Option<Members<'de>> {
        let mut p = Parser { input, i: 0 };
        let mut out = Members::default();
        p.whole(|p| {
            let m = p.list_entry()?;
            out.0.push(("", m));
            Some(())
        })?;
        Some(out)
    }

    /// Parses `input` as a Dictionary; `None` if it is not a valid one.
    pub(crate) fn dictionary(input: &'de str) -> Option<Members<'de>> {
        let mut p = Parser { input, i: 0 };
        let mut out = Members::default();
        p.whole(|p| {
            let key = p.key()?;
            let m = if p.eat(b'=') {
                p.list_entry()?
            } else {
                Member::Item(Bare::Other, p.params()?)
            };
            out.0.push((key, m));
            Some(())
        })?;
        Some(out)
    }

    /// The last value of dictionary key `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Option<&Member<'de>> {
        self.0.iter().rev().find(|(k, _)| *k == key).map(|(_, m)| m)
    }
}

/// A cursor over the field's bytes. Every method returns `None` for input that is not valid.
struct Parser<'de> {
    input: &'de str,
    i: usize,
}

const fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// A base64 digit's value (the standard alphabet).
fn base64_digit(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes an sf-binary's content as `sfv` does (the `base64` crate's standard alphabet, padding
/// optional, trailing bits allowed): every complete group of four but the last holds digits only;
/// the last group (the 1–4 bytes left) has at least two digits, and padding only after them.
fn base64(s: &[u8]) -> Option<Vec<u8>> {
    let rem = s.len() % 4;
    if rem == 1 {
        return None;
    }
    let last = s.len().saturating_sub(if rem == 0 { 4 } else { rem });
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let (mut acc, mut bits, mut padded) = (0u32, 0u32, false);
    for (i, &c) in s.iter().enumerate() {
        if c == b'=' {
            if i < last + 2 {
                return None;
            }
            padded = true;
            continue;
        }
        if padded {
            return None;
        }
        acc = (acc << 6) | base64_digit(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

impl<'de> Parser<'de> {
    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.i).copied()
    }

    /// Steps over `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn skip(&mut self, ws: fn(u8) -> bool) {
        while self.peek().is_some_and(ws) {
            self.i += 1;
        }
    }

    /// The bytes from `start` up to here.
    fn since(&self, start: usize) -> Option<&'de str> {
        self.input.get(start..self.i)
    }

    /// A whole List or Dictionary: SP, members separated by commas (with optional whitespace
    /// around them, no trailing comma), SP, the end.
    fn whole(&mut self, mut member: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        let sp = |c| c == b' ';
        let ows = |c| c == b' ' || c == b'\t';
        self.skip(sp);
        while self.peek().is_some() {
            member(self)?;
            self.skip(ows);
            if self.peek().is_none() {
                break;
            }
            if !self.eat(b',') {
                return None;
            }
            self.skip(ows);
            self.peek()?;
        }
        self.skip(sp);
        self.peek().is_none().then_some(())
    }

    /// An item with its parameters, or an inner list.
    fn list_entry(&mut self) -> Option<Member<'de>> {
        if !self.eat(b'(') {
            let bare = self.bare()?;
            return Some(Member::Item(bare, self.params()?));
        }
        loop {
            self.skip(|c| c == b' ');
            if self.eat(b')') {
                self.params()?;
                return Some(Member::InnerList);
            }
            self.bare()?;
            self.params()?;
            match self.peek() {
                Some(b' ' | b')') => {}
                _ => return None,
            }
        }
    }

    /// `;key[=bare]` parameters, in wire order (a key without a value is `?1`, kept as `Other`).
    fn params(&mut self) -> Option<Vec<(&'de str, Bare)>> {
        let mut out = Vec::new();
        while self.eat(b';') {
            self.skip(|c| c == b' ');
            let key = self.key()?;
            let value = if self.eat(b'=') {
                self.bare()?
            } else {
                Bare::Other
            };
            out.push((key, value));
        }
        Some(out)
    }

    /// A key: lowercase letter or `*`, then lowercase letters, digits, `_-.*`.
    fn key(&mut self) -> Option<&'de str> {
        let start = self.i;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_lowercase() || c == b'*')
        {
            return None;
        }
        self.i += 1;
        self.skip(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-' | b'*' | b'.')
        });
        self.since(start)
    }

    fn bare(&mut self) -> Option<Bare> {
        let c = self.peek()?;
        self.i += 1;
        Some(match c {
            b'?' => {
                self.peek().filter(|c| matches!(c, b'0' | b'1'))?;
                self.i += 1;
                Bare::Other
            }
            b'"' => Bare::Str(self.string()?),
            b':' => {
                let start = self.i;
                while !self.eat(b':') {
                    self.peek()?;
                    self.i += 1;
                }
                Bare::Bytes(base64(self.input.as_bytes().get(start..self.i - 1)?)?)
            }
            b'@' => {
                // A date: an integer number of seconds.
                self.number()??;
                Bare::Other
            }
            b'%' => {
                self.display_string()?;
                Bare::Other
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'*' => {
                let start = self.i - 1;
                self.skip(|c| is_tchar(c) || c == b':' || c == b'/');
                Bare::Token(self.since(start)?.to_owned())
            }
            b'-' | b'0'..=b'9' => {
                self.i -= 1;
                match self.number()? {
                    Some(n) => Bare::Int(n),
                    None => Bare::Other,
                }
            }
            _ => return None,
        })
    }

    /// An sf-integer (`Some(Some(n))`: at most 15 digits) or an sf-decimal (`Some(None)`: at
    /// most 12 digits, a point, 1–3 digits).
    fn number(&mut self) -> Option<Option<i64>> {
        let neg = self.eat(b'-');
        let mut n: i64 = 0;
        let mut digits = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            digits += 1;
            if digits > 15 {
                return None;
            }
            self.i += 1;
            n = n * 10 + i64::from(c - b'0');
        }
        if digits == 0 {
            return None;
        }
        if !self.eat(b'.') {
            return Some(Some(if neg { -n } else { n }));
        }
        if digits > 12 {
            return None;
        }
        let mut frac = 0;
        while let Some(b'0'..=b'9') = self.peek() {
            frac += 1;
            if frac > 3 {
                return None;
            }
            self.i += 1;
        }
        (frac > 0).then_some(None)
    }

    /// An sf-string's content (after its opening quote), unescaped.
    fn string(&mut self) -> Option<String> {
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return Some(out),
                b'\\' => {
                    let e = self.peek().filter(|e| matches!(e, b'\\' | b'"'))?;
                    self.i += 1;
                    out.push(char::from(e));
                }
                0x20..=0x7e => out.push(char::from(c)),
                _ => return None,
            }
        }
    }

    /// Validates a display string (after its `%`): a quote, printable ASCII with `%xx`
    /// (lowercase hex) escapes, a quote; the escaped bytes must make valid UTF-8.
    fn display_string(&mut self) -> Option<()> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return core::str::from_utf8(&out).ok().map(|_| ()),
                b'%' => {
                    let mut octet = 0u8;
                    for _ in 0..2 {
                        let h = self.peek()?;
                        let v = match h {
                            b'0'..=b'9' => h - b'0',
                            b'a'..=b'f' => h - b'a' + 10,
                            _ => return None,
                        };
                        self.i += 1;
                        octet = (octet << 4) | v;
                    }
                    out.push(octet);
                }
                0x20..=0x7e => out.push(c),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_members_and_params_last_wins() {
        let m = Members::list(r#"a;q=1;q=2, "b";pk=:AQI=:, (x y);z, 5;w=60"#)
            .unwrap_or_else(|| unreachable!());
        assert_eq!(m.0.len(), 4);
        let Member::Item(Bare::Token(name), params) = &m.0[0].1 else {
            unreachable!("{m:?}")
        };
        assert_eq!(name, "a");
        assert_eq!(param(params, "q"), Some(&Bare::Int(2)));
        let Member::Item(Bare::Str(name), params) = &m.0[1].1 else {
            unreachable!("{m:?}")
        };
        assert_eq!(name, "b");
        assert_eq!(param(params, "pk"), Some(&Bare::Bytes(vec![1, 2])));
        assert!(matches!(m.0[2].1, Member::InnerList));
        assert!(
            matches!(&m.0[3].1, Member::Item(Bare::Int(5), p) if param(p, "w") == Some(&Bare::Int(60)))
        );
    }

    #[test]
    fn invalid_fields_are_none() {
        assert!(Members::list("a;q=").is_none());
        assert!(Members::list("(a b").is_none());
        assert!(Members::dictionary("limit=1, =2").is_none());
    }

    #[test]
    fn dictionary_last_wins_and_bare_keys() {
        let d = Members::dictionary("limit=100, remaining=5, limit=7, flag")
            .unwrap_or_else(|| unreachable!());
        assert!(matches!(
            d.get("limit"),
            Some(Member::Item(Bare::Int(7), _))
        ));
        assert!(matches!(
            d.get("remaining"),
            Some(Member::Item(Bare::Int(5), _))
        ));
        assert!(matches!(d.get("flag"), Some(Member::Item(Bare::Other, _))));
        assert!(d.get("reset").is_none());
    }

    /// The hand-written parser against `sfv` over generated fields: the same verdict (valid or
    /// not) and the same members, items and parameters, as a List and as a Dictionary.
    #[test]
    fn same_as_sfv() {
        const PARTS: &[&str] = &[
            "a",
            "b",
            "k",
            "*",
            "x-y",
            "T",
            "t/1:2",
            "a.b",
            "_",
            "1",
            "0",
            "-",
            "-5",
            "12",
            "123456789012",
            "1234567890123",
            "999999999999999",
            "1234567890123456",
            ".",
            "5.",
            "5.2",
            "5.25",
            "5.250",
            "5.2500",
            "\"",
            "\\",
            "\\\"",
            "s",
            "\"ok\"",
            ":",
            "::",
            "AQI=",
            "AQI",
            "AQ==",
            "AQ=",
            "A",
            "AB",
            "ABC",
            "ABCD",
            "=",
            "==",
            "+/",
            "a=",
            "?",
            "?0",
            "?1",
            "?2",
            "@",
            "@1",
            "@-1",
            "@1.5",
            "%",
            "%\"",
            "%\"a\"",
            "%c3%a9",
            "%c3",
            "%ff",
            "%FF",
            "%2",
            "(",
            ")",
            "()",
            "(a b)",
            ",",
            ", ",
            ";",
            "; ",
            " ",
            "  ",
            "\t",
            "w=60",
            "q=",
            "q",
            "pk=:AQ==:",
            "=",
            "\u{e9}",
            "\u{7f}",
            "\u{1}",
            "r=5;w=1",
            "A=1",
            "limit=100",
            ";pk=:x:",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let (mut valid_lists, mut valid_dicts) = (0, 0);
        for _ in 0..200_000 {
            let n = 1 + next(8);
            let field: String = (0..n).map(|_| PARTS[next(PARTS.len())]).collect();
            let (ours, theirs) = (Members::list(&field), oracle::list(&field));
            assert_eq!(ours, theirs, "list {field:?}");
            valid_lists += usize::from(ours.is_some());
            let (ours, theirs) = (Members::dictionary(&field), oracle::dictionary(&field));
            assert_eq!(ours, theirs, "dictionary {field:?}");
            valid_dicts += usize::from(ours.is_some());
        }
        // Both verdicts are well represented.
        assert!(
            valid_lists > 10_000 && valid_dicts > 4_000,
            "{valid_lists} {valid_dicts}"
        );
    }

    #[test]
    fn base64_as_the_base64_crate() {
        let digits = b"AQI+/=z9";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 11) as usize;
            let s: Vec<u8> = (0..len)
                .map(|i| digits[((x >> (8 + 3 * i)) & 7) as usize])
                .collect();
            let field = format!(":{}:", String::from_utf8_lossy(&s));
            let want = oracle::list(&field);
            assert_eq!(Members::list(&field), want, "{field}");
        }
    }
}
