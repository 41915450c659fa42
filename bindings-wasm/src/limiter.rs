//! `NativeLimiter`, the limiter hot path and `NativeBackoff`: shells over
//! `pacekeeper_bindings_common::{limiter, backoff}` (the napi addon exports the same; see
//! `bindings-node/src/limiter.rs` for the shapes).

use crate::{core, JsResult};
use pacekeeper_bindings_common::backoff::HostBackoff;
use pacekeeper_bindings_common::{limiter as codec, uint};
use wasm_bindgen::prelude::*;

/// Keyed GCRA buckets (flat config; to restore, the saved state's keys and numbers).
#[wasm_bindgen(js_name = NativeLimiter)]
#[derive(Debug)]
pub struct WasmLimiter {
    id: u32,
}

impl Drop for WasmLimiter {
    fn drop(&mut self) {
        codec::drop_limiter(self.id);
    }
}

#[wasm_bindgen(js_class = NativeLimiter)]
impl WasmLimiter {
    #[wasm_bindgen(constructor)]
    pub fn new(
        config: &[f64],
        state_keys: Option<String>,
        state_nums: Option<Vec<u64>>,
    ) -> JsResult<WasmLimiter> {
        let state = state_keys.as_deref().zip(state_nums.as_deref());
        Ok(WasmLimiter {
            id: core(codec::create(config, state))?,
        })
    }

    /// The id for `limiterCheck` & co.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Interns `key`: its id.
    pub fn key(&self, key: &str) -> JsResult<u32> {
        core(codec::with(self.id, |s| s.key(key)))
    }

    /// The capacity of the last `never` verdict.
    #[wasm_bindgen(js_name = lastCapacity)]
    pub fn last_capacity(&self) -> u32 {
        codec::peek(self.id, codec::HostLimiter::last_capacity)
    }

    /// Re-syncs `key` from a flat reading.
    pub fn observe(&self, key: &str, nums: &[f64], strs: &str, now: f64) -> JsResult<()> {
        let r = core(pacekeeper_bindings_common::reading::reading_of(nums, strs))?;
        let now = core(uint(now, "now"))?;
        core(codec::with(self.id, |s| s.limiter().observe(key, &r, now)))
    }

    /// Nothing for `key` before `until`.
    #[wasm_bindgen(js_name = blockUntil)]
    pub fn block_until(&self, key: &str, until: f64) -> JsResult<()> {
        let until = core(uint(until, "until"))?;
        core(codec::with(self.id, |s| {
            s.limiter().block_until(key, until)
        }))
    }

    /// Takes an in-flight slot; false when the cap is reached.
    pub fn acquire(&self, key: &str) -> JsResult<bool> {
        core(codec::with(self.id, |s| s.limiter().acquire(key)))
    }

    /// Gives an in-flight slot back; the number still in flight.
    pub fn release(&self, key: &str) -> JsResult<u32> {
        core(codec::with(self.id, |s| s.limiter().release(key)))
    }

    /// Drops keys back to full at `now`; how many. Every key id is forgotten.
    pub fn prune(&self, now: f64) -> JsResult<u32> {
        let now = core(uint(now, "now"))?;
        core(codec::with(self.id, |s| Ok(s.prune(now))))
    }

    /// The number of keys held.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        codec::peek(self.id, codec::HostLimiter::size)
    }

    /// The configuration, flat.
    pub fn config(&self) -> Vec<f64> {
        codec::peek(self.id, codec::HostLimiter::config)
    }

    /// The keys of the state, NUL-joined.
    #[wasm_bindgen(js_name = stateKeys)]
    pub fn state_keys(&self) -> String {
        codec::peek(self.id, codec::HostLimiter::state_keys)
    }

    /// The numbers of the state.
    #[wasm_bindgen(js_name = stateNums)]
    pub fn state_nums(&self) -> Vec<u64> {
        codec::peek(self.id, codec::HostLimiter::state_nums)
    }
}

/// Decision `op` (0 check, 1 peek, 2 reserve) for interned key `keyId` of limiter `id`.
#[wasm_bindgen(js_name = limiterDecide)]
pub fn limiter_decide(op: u32, id: u32, key_id: u32, cost: f64, now: f64) -> JsResult<f64> {
    core(codec::decide(op as usize, id, key_id, cost, now))
}

/// A validated backoff policy (flat).
#[wasm_bindgen(js_name = NativeBackoff)]
#[derive(Debug)]
pub struct WasmBackoff {
    inner: HostBackoff,
}

#[wasm_bindgen(js_class = NativeBackoff)]
impl WasmBackoff {
    #[wasm_bindgen(constructor)]
    pub fn new(policy: &[f64]) -> JsResult<WasmBackoff> {
        Ok(WasmBackoff {
            inner: core(HostBackoff::new(policy))?,
        })
    }

    /// The policy with every default filled in, flat.
    pub fn policy(&self) -> Vec<f64> {
        self.inner.policy()
    }

    /// One decision (see the napi addon's `NativeBackoff#decide`).
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &self,
        io: &mut [f64],
        seed: &str,
        reading: Option<Vec<f64>>,
        reading_strs: &str,
        now: f64,
        budget: bool,
        out: &mut [f64],
    ) -> JsResult<u32> {
        let r = reading.as_deref().map(|n| (n, reading_strs));
        core(self.inner.decide(io, seed, r, now, budget, out))
    }

    /// The jittered delay before retry `n` (1-based) after `prevMs`; `seed` a decimal u64.
    #[wasm_bindgen(js_name = delayMs)]
    pub fn delay_ms(&self, n: u32, prev_ms: f64, seed: &str) -> JsResult<f64> {
        core(self.inner.delay_ms(n, prev_ms, seed))
    }

    /// The first `n` delays for `seed` (a decimal u64).
    pub fn schedule(&self, seed: &str, n: u32) -> JsResult<Vec<f64>> {
        core(self.inner.schedule(seed, n))
    }
}
