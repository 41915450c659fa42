//! Error messages built without `core::fmt`.
//!
//! The engine's only text output is the message of an invalid-input error. Building those with
//! `format!` links the whole formatting machinery (integer and float formatting, `Debug` escapes
//! with their Unicode tables) into every binary, which is about a fifth of the WebAssembly module.
//! `msg!` concatenates string pieces and decimal numbers directly instead. Not part of the
//! engine's API: public (and hidden) only so that the WebAssembly binding can write its own
//! numbers the same way.

/// A piece of a message.
pub(crate) trait Piece {
    /// Appends this piece to `out`.
    fn push_to(&self, out: &mut String);
}

impl Piece for &str {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for String {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

/// Appends `n` in decimal.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(char::from(b));
    }
}

macro_rules! unsigned_piece {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn push_to(&self, out: &mut String) {
                push_u64(out, *self as u64);
            }
        }
    )*};
}
unsigned_piece!(u8, u16, u32, u64, usize);

impl Piece for f64 {
    /// Finite values as a decimal with at most six fraction digits (trailing zeros dropped),
    /// which is enough to name a bad multiplier; NaN and infinities by name.
    fn push_to(&self, out: &mut String) {
        let v = *self;
        if v.is_nan() {
            out.push_str("NaN");
            return;
        }
        if v < 0.0 {
            out.push('-');
        }
        let a = v.abs();
        if a.is_infinite() {
            out.push_str("inf");
            return;
        }
        if a >= 1e18 {
            // Beyond u64's exact range: the magnitude is what matters.
            out.push_str(if a >= 1e300 { "1e300+" } else { ">=1e18" });
            return;
        }
        let micro = (a * 1e6).round();
        let mut int = (micro / 1e6) as u64;
        let mut frac = (micro - (int as f64) * 1e6) as u64;
        if frac >= 1_000_000 {
            int += 1;
            frac -= 1_000_000;
        }
        push_u64(out, int);
        if frac > 0 {
            out.push('.');
            let mut digits = [b'0'; 6];
            let mut f = frac;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (f % 10) as u8;
                f /= 10;
            }
            let len = digits.iter().rposition(|&d| d != b'0').map_or(0, |p| p + 1);
            for &d in &digits[..len] {
                out.push(char::from(d));
            }
        }
    }
}

/// Concatenates pieces (`&str`, `String`, unsigned integers, `f64`) into a `String`.
macro_rules! msg {
    ($($piece:expr),+ $(,)?) => {{
        let mut out = String::new();
        $( $crate::msg::Piece::push_to(&$piece, &mut out); )+
        out
    }};
}
pub(crate) use msg;

#[cfg(test)]
mod tests {
    #[test]
    fn integers_and_strings() {
        assert_eq!(
            msg!("a ", 0u64, " b ", u64::MAX, " ", 7u8),
            format!("a 0 b {} 7", u64::MAX)
        );
        assert_eq!(msg!(String::from("x"), 42usize), "x42");
    }

    #[test]
    fn floats() {
        for (v, s) in [
            (0.5, "0.5"),
            (1.0, "1"),
            (-2.25, "-2.25"),
            (1_000.000_000_1, "1000"),
            (0.999_999_9, "1"),
            (1e-9, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e19, ">=1e18"),
            (1e301, "1e300+"),
            (123_456.789, "123456.789"),
        ] {
            assert_eq!(msg!(v), s, "{v}");
        }
    }
}
