//! The only code in this crate that touches raw memory.
//!
//! Every buffer the host passes in must lie inside one allocation that [`alloc`] handed out and
//! that is still live. A registry of live allocations (start → length) is kept, and every read,
//! write and free is checked against it before any pointer is dereferenced, so a wrong pointer
//! or length from the host gives an `invalid_argument` error instead of undefined behaviour:
//! the module never reads or writes memory that Rust itself is using. All copies are byte
//! copies (no alignment is assumed) and inputs are copied out before outputs are written, so
//! overlapping buffers are harmless.
//!
//! The registry is per thread: on wasm32 that means per instance (an instance is not
//! thread-safe, so a host gives each thread its own).
#![allow(unsafe_code)]

use pacekeeper::{Error, ErrorCode};
use std::alloc::Layout;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The largest single allocation: 16 MiB.
pub const MAX_ALLOC: usize = 16 << 20;
/// The alignment of every allocation (so 8-byte numbers are naturally aligned).
const ALIGN: usize = 8;

thread_local! {
    static LIVE: RefCell<BTreeMap<usize, usize>> = const { RefCell::new(BTreeMap::new()) };
}

fn bad(message: String) -> Error {
    Error::new(ErrorCode::InvalidArgument, message)
}

/// Allocates `len` bytes (1..=16 MiB), zeroed, aligned to 8. Returns the address, or 0 when
/// `len` is out of range or memory is exhausted.
pub fn alloc(len: usize) -> usize {
    if len == 0 || len > MAX_ALLOC {
        return 0;
    }
    let Ok(layout) = Layout::from_size_align(len, ALIGN) else {
        return 0;
    };
    // SAFETY: `layout` has a non-zero size (checked above).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return 0;
    }
    let addr = ptr as usize;
    LIVE.with(|live| live.borrow_mut().insert(addr, len));
    addr
}

/// Frees an allocation made by [`alloc`]. `len` must be the length it was made with.
pub fn free(ptr: usize, len: usize) -> Result<(), Error> {
    let Some(l) = LIVE.with(|live| live.borrow().get(&ptr).copied()) else {
        return Err(bad(format!("free: no live allocation at {ptr}")));
    };
    if l != len {
        return Err(bad(format!(
            "free: allocation at {ptr} has length {l}, not {len}"
        )));
    }
    let layout =
        Layout::from_size_align(len, ALIGN).map_err(|_| bad(format!("free: bad length {len}")))?;
    LIVE.with(|live| live.borrow_mut().remove(&ptr));
    // SAFETY: `ptr` was returned by `alloc_zeroed` with exactly this layout (the registry says
    // so), and it is removed from the registry before being freed, so it is freed once.
    unsafe { std::alloc::dealloc(ptr as *mut u8, layout) };
    Ok(())
}

/// Checks that `[ptr, ptr + len)` lies inside one live allocation (an overflowing range never
/// does).
pub fn check(ptr: usize, len: usize, what: &str) -> Result<(), Error> {
    let fits =
        |(&start, &l): (&usize, &usize)| ptr.checked_add(len).is_some_and(|end| end <= start + l);
    if LIVE.with(|live| live.borrow().range(..=ptr).next_back().is_some_and(fits)) {
        return Ok(());
    }
    let m = format!("{what}: {len} bytes at {ptr} are not inside a buffer from pk_alloc");
    Err(bad(m))
}

/// A copy of `len` bytes at `ptr`; `len` 0 gives an empty vector whatever `ptr` is.
pub fn read(ptr: usize, len: usize, what: &str) -> Result<Vec<u8>, Error> {
    if len == 0 {
        return Ok(Vec::new());
    }
    check(ptr, len, what)?;
    let mut out = vec![0u8; len];
    // SAFETY: the source lies inside a live allocation of ours (checked), which no Rust
    // reference borrows; the destination is a fresh vector of `len` bytes.
    unsafe { std::ptr::copy(ptr as *const u8, out.as_mut_ptr(), len) };
    Ok(out)
}

/// Copies `bytes` to `ptr`.
pub fn write(ptr: usize, bytes: &[u8], what: &str) -> Result<(), Error> {
    if bytes.is_empty() {
        return Ok(());
    }
    check(ptr, bytes.len(), what)?;
    // SAFETY: the destination lies inside a live allocation of ours (checked), which no Rust
    // reference borrows; `copy` allows overlap.
    unsafe { std::ptr::copy(bytes.as_ptr(), ptr as *mut u8, bytes.len()) };
    Ok(())
}

/// Live allocations on this thread (for tests).
#[cfg(test)]
pub fn live_count() -> usize {
    LIVE.with(|live| live.borrow().len())
}
