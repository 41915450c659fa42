//! Flat host values: a list of `f64` read front to back (NaN: "none" or "the core's default"),
//! and lists of strings joined with NUL. No `core::fmt` (the WebAssembly module's size budget):
//! messages are concatenated.

use crate::{err, safe_int, Error, ErrorCode, Result};
use std::borrow::Cow;

/// `set! { dst => Option; ... }`: each value given (not NaN: `Some`) replaces the default.
macro_rules! set {
    ($($dst:expr => $v:expr;)*) => { $(if let Some(v) = $v { $dst = v; })* };
}
pub(crate) use set;

/// Reads a flat `&[f64]` front to back; past the end every slot is NaN. A bad number does not
/// return at once: the reader keeps the first error and hands out `None`/0 from then on, and
/// [`Rd::check`] or [`Rd::end`] returns it (one error exit per value instead of one per slot:
/// the WebAssembly module's size budget).
#[derive(Debug)]
pub struct Rd<'a> {
    v: &'a [f64],
    i: usize,
    bad: Option<Error>,
    /// The group being read (`backoff.`), before each slot's name in messages.
    pre: &'a str,
}

impl<'a> Rd<'a> {
    /// A reader at the start of `v`.
    pub fn new(v: &'a [f64]) -> Self {
        let (i, bad, pre) = (0, None, "");
        Rd { v, i, bad, pre }
    }

    /// Runs `f` on the slots of the group `pre` (their names prefixed with it in messages): one
    /// reader for a layout read alone (`baseMs`) and inside a larger one (`backoff.baseMs`).
    pub fn group<T>(&mut self, pre: &'a str, f: impl FnOnce(&mut Self) -> T) -> T {
        let outer = core::mem::replace(&mut self.pre, pre);
        let v = f(self);
        self.pre = outer;
        v
    }

    /// Keeps `what rule` (the slot's name with its group's prefix) as the error `code`, unless
    /// an earlier error is kept.
    #[inline(never)]
    pub fn bad(&mut self, code: ErrorCode, what: &str, rule: &str) {
        if self.bad.is_none() {
            self.bad = Some(err(code, [self.pre, what, rule].concat()));
        }
    }

    /// The next number as it is (NaN past the end).
    pub fn raw(&mut self) -> f64 {
        let x = self.v.get(self.i).copied().unwrap_or(f64::NAN);
        self.i += 1;
        x
    }

    /// True while numbers are left.
    pub fn more(&self) -> bool {
        self.i < self.v.len()
    }

    /// The first error kept, if any.
    pub fn check(&mut self) -> Result<()> {
        self.bad.take().map_or(Ok(()), Err)
    }

    /// [`Rd::check`], then `invalid_argument` when numbers are left over.
    pub fn end(&mut self, what: &str) -> Result<()> {
        self.check()?;
        if self.more() {
            let m = [what, ": more numbers than its slots"].concat();
            return Err(err(ErrorCode::InvalidArgument, m));
        }
        Ok(())
    }

    /// None for NaN, else a safe integer ≥ 0.
    pub fn opt(&mut self, what: &str) -> Option<u64> {
        let v = self.raw();
        let n = safe_int(v).and_then(|i| u64::try_from(i).ok());
        if n.is_none() && !v.is_nan() {
            self.bad_number(what, " must be a safe integer >= 0");
        }
        n
    }

    /// [`Rd::bad`] with `invalid_number`.
    pub fn bad_number(&mut self, what: &str, rule: &str) {
        self.bad(ErrorCode::InvalidNumber, what, rule);
    }

    /// None for NaN, else a finite number.
    pub fn float(&mut self, what: &str) -> Option<f64> {
        let v = self.raw();
        if v.is_infinite() {
            self.bad_number(what, " must be finite");
        }
        (!v.is_nan()).then_some(v)
    }

    /// A safe integer ≥ 0 that must be there (0 after an error).
    pub fn uint(&mut self, what: &str) -> u64 {
        self.opt(what).unwrap_or_else(|| {
            self.bad_number(what, " must be a safe integer >= 0");
            0
        })
    }

    /// [`Rd::opt`] within `u32` (beyond it `invalid_number`, as serde has it).
    pub fn u32(&mut self, what: &str) -> Option<u32> {
        let v = self.opt(what)?;
        let n = u32::try_from(v).ok();
        if n.is_none() {
            self.bad_number(what, " must be at most 4294967295");
        }
        n
    }

    /// [`Rd::opt`] saturated to `u32::MAX` (the core's own range check then names the field).
    pub fn u32_sat(&mut self, what: &str) -> Option<u32> {
        self.opt(what).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// None for NaN, else 0 or 1.
    pub fn flag(&mut self, what: &str) -> Option<bool> {
        match self.opt(what)? {
            n @ (0 | 1) => Some(n == 1),
            _ => {
                self.bad(ErrorCode::InvalidArgument, what, " must be 0 or 1");
                None
            }
        }
    }

    /// None for NaN, else an index into one of the core's `ALL` lists (`from`).
    pub fn index<T>(&mut self, what: &str, from: fn(usize) -> Option<T>) -> Option<T> {
        let i = self.opt(what)?;
        let v = usize::try_from(i).ok().and_then(from);
        if v.is_none() {
            self.bad(ErrorCode::InvalidOption, what, ": unknown index");
        }
        v
    }

    /// A list length (at most `max`; 0 after an error).
    pub fn len(&mut self, what: &str, max: usize) -> usize {
        let n = self.uint(what);
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= max)
            .unwrap_or_else(|| {
                self.bad(ErrorCode::InvalidArgument, what, ": too long");
                0
            })
    }
}

/// The most items in one flat list.
pub const MAX_ITEMS: usize = 1 << 20;

/// The most items a configuration's list (limits, retry statuses) is read with.
pub const MAX_LIST: u64 = 1024;

/// A u64 the core keeps within 2^53, as a host number.
pub fn num(v: u64) -> f64 {
    v as f64
}

/// An index as a host number.
pub fn idx(i: usize) -> f64 {
    i as f64
}

/// A flag as a host number (0 or 1).
pub fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// An optional u64 as a host number, NaN for none.
pub fn opt(v: Option<u64>) -> f64 {
    v.map_or(f64::NAN, num)
}

/// Splits a NUL-joined string list. Inside an item, `\u{1}\u{3}` stands for NUL and `\u{1}\u{2}`
/// for `\u{1}` (hosts escape with [`escape_into`]'s rule; most items need nothing).
pub fn split(s: &str) -> impl Iterator<Item = Cow<'_, str>> {
    s.split('\0').map(|item| {
        if !item.contains('\u{1}') {
            return Cow::Borrowed(item);
        }
        let mut out = String::with_capacity(item.len());
        let mut chars = item.chars();
        while let Some(c) = chars.next() {
            // `\u{1}` escapes the next character: NUL for `\u{3}`, else `\u{1}`.
            let nul = c == '\u{1}' && chars.next() == Some('\u{3}');
            out.push(if nul { '\0' } else { c });
        }
        Cow::Owned(out)
    })
}

/// One item of a NUL-joined list (the inverse of [`split`]).
pub fn escape_into(out: &mut String, item: &str) {
    for c in item.chars() {
        match c {
            '\0' => out.push_str("\u{1}\u{3}"),
            '\u{1}' => out.push_str("\u{1}\u{2}"),
            c => out.push(c),
        }
    }
}

/// The next string of a [`split`] list (when none is left, `n` keeps `invalid_argument`).
pub fn next_str<'a>(
    n: &mut Rd<'_>,
    it: &mut impl Iterator<Item = Cow<'a, str>>,
    what: &str,
) -> String {
    it.next().map(Cow::into_owned).unwrap_or_else(|| {
        n.bad(ErrorCode::InvalidArgument, what, " is missing");
        String::new()
    })
}

/// The number of slots of a layout (its names joined by commas).
pub const fn count(names: &str) -> usize {
    let (b, mut i, mut n) = (names.as_bytes(), 0, 1);
    while i < b.len() {
        n += (b[i] == b',') as usize;
        i += 1;
    }
    n
}

/// Limits from `count, (amount, periodMs, burst)...` (a NaN count: none; a NaN burst: the
/// core's default, `amount`; beyond u32 `invalid_number`, as serde has it).
pub fn limits(n: &mut Rd<'_>, what: &str) -> Vec<pacekeeper::Limit> {
    // A NaN count: none (the core's default).
    let count = n.opt(what).unwrap_or(0);
    if count > MAX_LIST {
        n.bad(ErrorCode::InvalidArgument, what, ": too long");
    }
    let count = count.min(MAX_LIST);
    let mut v = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let amount = n.u32("limits.amount").unwrap_or(0);
        let l = pacekeeper::Limit::new(amount, n.uint("limits.periodMs"));
        v.push(n.u32("limits.burst").map_or(l, |b| l.with_burst(b)));
    }
    v
}

/// `count, (amount, periodMs, burst)...`.
pub fn push_limits(out: &mut Vec<f64>, limits: &[pacekeeper::Limit]) {
    out.push(idx(limits.len()));
    for l in limits {
        out.extend([f64::from(l.amount), num(l.period_ms), f64::from(l.burst)]);
    }
}
