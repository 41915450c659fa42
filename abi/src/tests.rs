//! Unit tests of the ABI on the native target: the exported functions are called exactly as a
//! host calls them (addresses from `pk_alloc`, answers as little-endian f64 in linear memory).

use super::*;

pub(crate) const NOW: i64 = 1_700_000_000_000;

/// A buffer from pk_alloc, freed on drop (and the free must succeed).
pub(crate) struct Buf {
    pub ptr: usize,
    pub len: usize,
}

impl Buf {
    pub fn new(len: usize) -> Buf {
        let ptr = pk_alloc(len);
        assert_ne!(ptr, 0, "pk_alloc({len})");
        Buf { ptr, len }
    }
    pub fn with(bytes: &[u8]) -> Buf {
        let b = Buf::new(bytes.len().max(1));
        assert_eq!(mem::write(b.ptr, bytes, "test"), Ok(()));
        b
    }
    /// The answer slots, NaN as None, as integers.
    pub fn slots(&self) -> Vec<Option<i64>> {
        let bytes = mem::read(self.ptr, OUT_SLOTS * 8, "test").unwrap_or_default();
        let f = |c: &[u8]| f64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        let slot = |c: &[u8]| Some(f(c)).filter(|v| !v.is_nan()).map(|v| v as i64);
        bytes.chunks_exact(8).map(slot).collect()
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        assert_eq!(pk_free(self.ptr, self.len), 0);
    }
}

/// The error code of a return value, if it is one.
pub(crate) fn error_code_of(ret: i64) -> Option<ErrorCode> {
    let i = usize::try_from(PK_ERR_BASE.checked_sub(ret)?).ok()?;
    ErrorCode::ALL.get(i).copied()
}

pub(crate) fn last_error() -> String {
    let b = Buf::new(256);
    let n = pk_last_error(b.ptr, b.len);
    let bytes = mem::read(b.ptr, (n as usize).min(b.len), "test").unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

pub(crate) fn new_pacer(config: &str) -> i64 {
    let c = Buf::with(config.as_bytes());
    pk_pacer_new(c.ptr, config.len())
}

#[test]
fn version_and_error_codes() {
    assert_eq!(pk_abi_version(), 2);
    for (i, c) in ErrorCode::ALL.iter().enumerate() {
        assert_eq!(error_return(*c), -100 - i as i64);
        assert_eq!(error_code_of(error_return(*c)), Some(*c));
    }
    assert_eq!(error_return(ErrorCode::InvalidArgument), -109);
    assert_eq!(error_return(ErrorCode::InvalidNumber), -110);
    assert_eq!(error_code_of(-1), None);
    assert_eq!(error_code_of(-99), None);
    let past_the_end = -100 - ErrorCode::ALL.len() as i64;
    assert_eq!(error_code_of(past_the_end), None);
}

#[test]
fn header_blocks_give_their_pairs() {
    let block = String::from_utf8_lossy(
        b"HTTP/1.1 200 OK\r\n\r\n  X-A :  1 \r\nno colon here\r\nBad Name: x\r\n:empty\nY: a: b\n\xff\xfe: v",
    );
    assert_eq!(
        header_pairs(&block),
        [("X-A", "1"), ("Y", "a: b"), ("\u{fffd}\u{fffd}", "v")]
    );
    assert!(header_pairs("").is_empty());
    assert!(header_pairs("HTTP/1.1 429 Too Many Requests\r\n").is_empty());
}

#[test]
fn pointers_are_checked() {
    let before = mem::live_count();
    let b = Buf::new(16);
    let voc = |ptr: usize, len: usize| pk_vocabulary(ptr, len, 0, 0);
    assert!(mem::write(b.ptr, b"jitters_________", "t").is_ok());
    // Inside: fine. Past the end, before the start, unknown, overflowing: invalid_argument.
    assert_eq!(voc(b.ptr, 7), "none,full,equal,decorrelated".len() as i64);
    assert_eq!(voc(b.ptr, 17), -109);
    assert!(
        last_error().contains("not inside a buffer"),
        "{}",
        last_error()
    );
    assert_eq!(voc(b.ptr + 8, 9), -109);
    assert_eq!(voc(8, 4), -109);
    assert_eq!(voc(usize::MAX, 2), -109);
    assert_eq!(voc(0, 1), -109);
    // An output buffer too small for its answer.
    let h = new_pacer("");
    let k = Buf::with(b"k");
    assert_eq!(pk_pacer_begin(h, k.ptr, 1, 1, NOW, b.ptr), -109);
    assert_eq!(pk_pacer_open_tickets(h), 0, "nothing began");
    assert_eq!(pk_pacer_free(h), 0);
    // Allocation limits and frees.
    assert_eq!(pk_alloc(0), 0);
    assert_eq!(pk_alloc(mem::MAX_ALLOC + 1), 0);
    let p = pk_alloc(10);
    assert_eq!(pk_free(p, 11), -109);
    assert_eq!(pk_free(p + 1, 10), -109);
    assert_eq!(pk_free(p, 10), 0);
    assert_eq!(pk_free(p, 10), -109, "double free");
    assert_eq!(voc(p, 1), -109, "use after free");
    drop((b, k));
    assert_eq!(mem::live_count(), before);
}

#[test]
fn last_error_copies_at_most_cap() {
    assert_eq!(new_pacer("{"), -109);
    let full = last_error();
    assert!(full.starts_with("invalid_argument: config: "), "{full}");
    let b = Buf::new(4);
    assert_eq!(pk_last_error(b.ptr, 4), full.len() as i64);
    let head = mem::read(b.ptr, 4, "t").unwrap_or_default();
    assert_eq!(head, &full.as_bytes()[..4]);
    assert_eq!(pk_last_error(0, 0), full.len() as i64);
}

mod pacer;
mod vectors;
