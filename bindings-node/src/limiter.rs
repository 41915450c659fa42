//! `NativeLimiter`, the limiter hot path and `NativeBackoff`: shells over
//! `pacekeeper_bindings_common::{limiter, backoff}` (the WebAssembly module exports the same).

use crate::{host, OutSlots, Result};
use napi::bindgen_prelude::{BigUint64Array, Float64Array};
use napi_derive::napi;
use pacekeeper_bindings_common::backoff::HostBackoff;
use pacekeeper_bindings_common::{limiter as codec, uint};
use std::cell::RefCell;
use std::mem::ManuallyDrop;

/// Keyed GCRA buckets: `config` flat (`vocabulary("limiterConfig")`), to restore also the saved
/// state (keys NUL-joined, `vocabulary("limiterState")` numbers per key). Decisions go through
/// `limiterDecide` with `keyId = key(name)`.
#[napi]
#[derive(Debug)]
pub struct NativeLimiter {
    id: u32,
}

impl Drop for NativeLimiter {
    fn drop(&mut self) {
        codec::drop_limiter(self.id);
    }
}

#[napi]
impl NativeLimiter {
    #[napi(constructor)]
    pub fn new(
        config: Float64Array,
        state_keys: Option<String>,
        state_nums: Option<BigUint64Array>,
    ) -> Result<Self> {
        let state = state_keys.as_deref().zip(state_nums.as_deref());
        Ok(NativeLimiter {
            id: codec::create(&config, state).map_err(host)?,
        })
    }

    /// The id for `limiterCheck` & co.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Interns `key`: its id (stable until `prune` returns more than 0).
    #[napi]
    pub fn key(&self, key: String) -> Result<u32> {
        codec::with(self.id, |s| s.key(&key)).map_err(host)
    }

    /// The capacity of the last `never` verdict.
    #[napi]
    pub fn last_capacity(&self) -> u32 {
        codec::peek(self.id, codec::HostLimiter::last_capacity)
    }

    /// Re-syncs `key` from a flat reading (`codec::reading::reading_of`).
    #[napi]
    pub fn observe(&self, key: String, nums: Float64Array, strs: String, now: f64) -> Result<()> {
        let r = pacekeeper_bindings_common::reading::reading_of(&nums, &strs).map_err(host)?;
        let now = uint(now, "now").map_err(host)?;
        codec::with(self.id, |s| s.limiter().observe(&key, &r, now)).map_err(host)
    }

    /// Nothing for `key` before `until`.
    #[napi]
    pub fn block_until(&self, key: String, until: f64) -> Result<()> {
        let until = uint(until, "until").map_err(host)?;
        codec::with(self.id, |s| s.limiter().block_until(&key, until)).map_err(host)
    }

    /// Takes an in-flight slot; false when the cap is reached.
    #[napi]
    pub fn acquire(&self, key: String) -> Result<bool> {
        codec::with(self.id, |s| s.limiter().acquire(&key)).map_err(host)
    }

    /// Gives an in-flight slot back; the number still in flight.
    #[napi]
    pub fn release(&self, key: String) -> Result<u32> {
        codec::with(self.id, |s| s.limiter().release(&key)).map_err(host)
    }

    /// Drops keys back to full at `now`; how many. Every key id is forgotten.
    #[napi]
    pub fn prune(&self, now: f64) -> Result<u32> {
        let now = uint(now, "now").map_err(host)?;
        codec::with(self.id, |s| Ok(s.prune(now))).map_err(host)
    }

    /// The number of keys held.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        codec::peek(self.id, codec::HostLimiter::size)
    }

    /// The configuration, flat (every slot filled in).
    #[napi]
    pub fn config(&self) -> Vec<f64> {
        codec::peek(self.id, codec::HostLimiter::config)
    }

    /// The keys of the state, NUL-joined, in key order.
    #[napi]
    pub fn state_keys(&self) -> String {
        codec::peek(self.id, codec::HostLimiter::state_keys)
    }

    /// The numbers of the state (`vocabulary("limiterState")` per key).
    #[napi]
    pub fn state_nums(&self) -> BigUint64Array {
        codec::peek(self.id, codec::HostLimiter::state_nums).into()
    }
}

/// Decision `op` (0 check, 1 peek, 2 reserve) of `cost` tokens for interned key `keyId` of
/// limiter `id`: the verdict number (`codec::encode_verdict`).
#[napi]
pub fn limiter_decide(op: u32, id: u32, key_id: u32, cost: f64, now: f64) -> Result<f64> {
    codec::decide(op as usize, id, key_id, cost, now).map_err(host)
}

thread_local! {
    /// The caller's argument buffer for `limiterDecideIo` (`bindIo`): kept for the life of the
    /// thread (never dropped: it belongs to the JS heap of this thread).
    static IO: RefCell<Option<ManuallyDrop<Float64Array>>> = const { RefCell::new(None) };
}

/// napi only (an argument-free call costs napi about half of one with five arguments): binds a
/// `Float64Array` of 5 numbers, `op, id, keyId, cost, now`, read by `limiterDecideIo`.
#[napi]
pub fn bind_io(buf: Float64Array) {
    IO.with(|io| *io.borrow_mut() = Some(ManuallyDrop::new(buf)));
}

/// `limiterDecide` with its arguments in the bound buffer.
#[napi]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn limiter_decide_io() -> Result<f64> {
    let a = IO.with(|io| {
        io.borrow()
            .as_ref()
            .and_then(|b| b.get(..5).map(|s| [s[0], s[1], s[2], s[3], s[4]]))
    });
    let Some([op, id, key, cost, now]) = a else {
        return Err(host(pacekeeper::Error::new(
            pacekeeper::ErrorCode::InvalidState,
            "bindIo was not called with 5 numbers",
        )));
    };
    // The JavaScript layer wrote checked integers; `as` saturates anything else.
    codec::decide(op as usize, id as u32, key as u32, cost, now).map_err(host)
}

/// A validated backoff policy: `policy` flat (`vocabulary("backoffPolicy")`, NaN: default).
#[napi]
#[derive(Debug)]
pub struct NativeBackoff {
    inner: HostBackoff,
}

#[napi]
impl NativeBackoff {
    #[napi(constructor)]
    pub fn new(policy: Float64Array) -> Result<Self> {
        Ok(NativeBackoff {
            inner: HostBackoff::new(&policy).map_err(host)?,
        })
    }

    /// The policy with every default filled in, flat.
    #[napi]
    pub fn policy(&self) -> Vec<f64> {
        self.inner.policy()
    }

    /// One decision (`codec::backoff`): `io` the retry state (then the budget when `budget`),
    /// updated in place; `reading` flat (null: a network error); `out` gets `at, delayMs,
    /// attempt|attempts, reason`; returns the index in `vocabulary("decisions")`.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &self,
        #[napi(ts_arg_type = "Float64Array")] io: OutSlots<'_>,
        seed: String,
        reading: Option<Float64Array>,
        reading_strs: String,
        now: f64,
        budget: bool,
        #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
    ) -> Result<u32> {
        let r = reading.as_deref().map(|n| (n, reading_strs.as_str()));
        self.inner
            .decide(io, &seed, r, now, budget, out)
            .map_err(host)
    }

    /// The jittered delay before retry `n` (1-based) after `prevMs`; `seed` a decimal u64.
    #[napi]
    pub fn delay_ms(&self, n: u32, prev_ms: f64, seed: String) -> Result<f64> {
        self.inner.delay_ms(n, prev_ms, &seed).map_err(host)
    }

    /// The first `n` delays for `seed` (a decimal u64).
    #[napi]
    pub fn schedule(&self, seed: String, n: u32) -> Result<Vec<f64>> {
        self.inner.schedule(&seed, n).map_err(host)
    }
}
