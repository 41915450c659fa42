//! Node.js bindings for pacekeeper (napi-rs v3): a shell over `pacekeeper-bindings-common`.
//!
//! `native.js` (the platform loader) and `native.d.ts` are generated from this file by
//! `napi build --platform --js native.js --dts native.d.ts`; never edit them by hand. The
//! public API is plain JavaScript in `js/` (see `js/NATIVE.md` for this interface). Every error
//! is thrown with `.code` set to a core error code; the JavaScript layer only picks the class
//! (TypeError for `invalid_argument`, RangeError otherwise). Nothing is parsed out of messages.
// `deny`, not `forbid`: the `#[napi]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;
use pacekeeper::{
    Backoff, BackoffPolicy, BatchOutcome, ErrorCode, Limiter, LimiterConfig, LimiterState, Outcome,
    Plan, PlanRequest, RetryBudget, RetryState, Verdict,
};
use pacekeeper_bindings_common as codec;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::mem::ManuallyDrop;

mod pacer;
pub use pacer::NativePacer;

/// The status of a thrown error: a core error code (JS `.code`).
#[derive(Debug)]
pub struct Code(ErrorCode);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

pub(crate) type Result<T> = napi::Result<T, Code>;

/// A caller's `Float64Array`, written in place (an alias so that napi reads it as a value).
pub(crate) type OutSlots<'a> = &'a mut [f64];

pub(crate) fn host(e: pacekeeper::Error) -> napi::Error<Code> {
    napi::Error::new(Code(e.code), e.message)
}

fn coded(code: ErrorCode, message: &str) -> napi::Error<Code> {
    napi::Error::new(Code(code), message.to_owned())
}

fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    codec::from_json(what, text).map_err(host)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    codec::to_json(value).map_err(host)
}

fn ms(v: f64, what: &str) -> Result<u64> {
    codec::uint(v, what).map_err(host)
}

/// The version of the native addon (the crate version, shared by every package).
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// One vocabulary of the core, its names joined by commas in the core's order (`errorCodes`,
/// `resetModes`, `sources`, `waitSources`, `rejectReasons`, `jitters`, `retryReasons`,
/// `giveUpReasons`, `batchOutcomes`, `decisions`): enums cross as indexes into these lists.
#[napi]
pub fn vocabulary(name: String) -> Result<String> {
    codec::vocabulary(&name).map_err(host)
}

/// A call that does nothing: measures the cost of crossing the boundary.
#[napi]
pub fn noop() {}

/// The shared-budget Lua script (`pacekeeper::shared::SCRIPT`), for `EVAL` after `NOSCRIPT`.
#[napi]
pub fn shared_script() -> &'static str {
    pacekeeper::shared::SCRIPT
}

/// The SHA1 of [`shared_script`] in lowercase hex, for `EVALSHA`.
#[napi]
pub fn shared_script_sha1() -> &'static str {
    pacekeeper::shared::script_sha1()
}

/// Parses a response: `headers` is `name LF value LF ...` (empty for none), `resetMode` an index
/// into `vocabulary("resetModes")`. Writes the reading's scalars into `out` (see
/// `codec::write_reading`) and returns the JSON of `{policies, states, rejected}` when one of
/// them is not empty, else null.
#[napi]
pub fn parse_headers_joined(
    status: u32,
    headers: String,
    body: Option<String>,
    now: f64,
    max_wait_ms: f64,
    reset_mode: u32,
    #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
) -> Result<Option<String>> {
    let pairs = codec::split_joined(&headers);
    let r = codec::parse(
        status,
        &pairs,
        body.as_deref(),
        now,
        max_wait_ms,
        reset_mode,
    )
    .map_err(host)?;
    if !codec::write_reading(&r, out).map_err(host)? {
        return Ok(None);
    }
    let lists =
        serde_json::json!({ "policies": r.policies, "states": r.states, "rejected": r.rejected });
    Ok(Some(lists.to_string()))
}

// --- limiter -------------------------------------------------------------------------------

/// One limiter and the keys interned for its hot path.
#[derive(Debug)]
struct Slot {
    limiter: Limiter,
    keys: Vec<String>,
    ids: BTreeMap<String, u32>,
    last_capacity: u32,
}

thread_local! {
    /// The limiters of this thread (Node's main thread or one worker), by id. A `NativeLimiter`
    /// owns its slot and frees it when it is collected.
    static SLOTS: RefCell<Vec<Option<Slot>>> = const { RefCell::new(Vec::new()) };
    /// The caller's argument buffer for the hot path (`bindIo`): kept for the life of the
    /// thread (never dropped: it belongs to the JS heap of this thread).
    static IO: RefCell<Option<ManuallyDrop<Float64Array>>> = const { RefCell::new(None) };
}

fn with_slot<T>(id: u32, f: impl FnOnce(&mut Slot) -> Result<T>) -> Result<T> {
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let slot = slots
            .get_mut(id as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| coded(ErrorCode::InvalidState, "no such limiter"))?;
        f(slot)
    })
}

fn insert_slot(limiter: Limiter) -> u32 {
    let slot = Slot {
        limiter,
        keys: Vec::new(),
        ids: BTreeMap::new(),
        last_capacity: 0,
    };
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let i = slots.iter().position(Option::is_none).unwrap_or_else(|| {
            slots.push(None);
            slots.len() - 1
        });
        slots[i] = Some(slot);
        u32::try_from(i).unwrap_or(u32::MAX)
    })
}

type Op = fn(&mut Limiter, &str, u32, u64) -> pacekeeper::Result<Verdict>;

/// The hot path: one decision with the arguments in the bound io buffer (limiter id, key id,
/// cost, now), as the codec's verdict number.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn io_decide(op: Op) -> Result<f64> {
    let (id, key, cost, now) = IO.with(|io| {
        let io = io.borrow();
        let b = io
            .as_ref()
            .ok_or_else(|| coded(ErrorCode::InvalidState, "bindIo was not called"))?;
        // The JavaScript layer wrote checked integers; `as` saturates anything else.
        Ok::<_, napi::Error<Code>>((b[0] as u32, b[1] as u32, b[2] as u32, b[3]))
    })?;
    let now = ms(now, "now")?;
    with_slot(id, |slot| {
        let key = slot
            .keys
            .get(key as usize)
            .ok_or_else(|| coded(ErrorCode::InvalidState, "unknown key id"))?;
        let v = op(&mut slot.limiter, key, cost, now).map_err(host)?;
        Ok(codec::encode_verdict(v, &mut slot.last_capacity))
    })
}

/// Binds a `Float64Array` (at least 4 numbers) as the argument buffer of `limiterCheckIo`,
/// `limiterPeekIo` and `limiterReserveIo`: slots 0..4 are limiter id, key id, cost and now.
#[napi]
pub fn bind_io(buf: Float64Array) -> Result<()> {
    if buf.len() < 4 {
        return Err(coded(
            ErrorCode::InvalidArgument,
            "the io buffer must hold at least 4 numbers",
        ));
    }
    IO.with(|io| *io.borrow_mut() = Some(ManuallyDrop::new(buf)));
    Ok(())
}

/// Takes `cost` tokens if they fit (arguments in the io buffer); the encoded verdict.
#[napi]
pub fn limiter_check_io() -> Result<f64> {
    io_decide(Limiter::check)
}

/// Like `limiterCheckIo`, taking nothing.
#[napi]
pub fn limiter_peek_io() -> Result<f64> {
    io_decide(|l, k, c, n| l.peek(k, c, n))
}

/// Books the earliest slot (arguments in the io buffer); the encoded verdict.
#[napi]
pub fn limiter_reserve_io() -> Result<f64> {
    io_decide(Limiter::reserve)
}

/// Keyed GCRA buckets. Decisions go through `limiterCheckIo` & co. with `keyId = key(name)`.
#[napi]
#[derive(Debug)]
pub struct NativeLimiter {
    id: u32,
}

impl Drop for NativeLimiter {
    fn drop(&mut self) {
        let id = self.id as usize;
        // A limiter collected while the thread shuts down may find the registry gone: ignore.
        let _ = SLOTS.try_with(|slots| {
            if let Some(s) = slots
                .try_borrow_mut()
                .ok()
                .as_mut()
                .and_then(|s| s.get_mut(id))
            {
                *s = None;
            }
        });
    }
}

#[napi]
impl NativeLimiter {
    /// `config` is the core's `LimiterConfig` JSON; `state`, when given, a saved state.
    #[napi(constructor)]
    pub fn new(config: String, state: Option<String>) -> Result<Self> {
        let config: LimiterConfig = json("limiter options", &config)?;
        let limiter = match state {
            Some(s) => Limiter::from_state(config, json::<LimiterState>("limiter state", &s)?),
            None => Limiter::new(config),
        };
        Ok(NativeLimiter {
            id: insert_slot(limiter.map_err(host)?),
        })
    }

    /// The id to write into the io buffer.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The interned id of `key` (stable until `prune` returns more than 0).
    #[napi]
    pub fn key(&self, key: String) -> Result<u32> {
        with_slot(self.id, |slot| {
            if let Some(&i) = slot.ids.get(&key) {
                return Ok(i);
            }
            // A key the core would refuse is never interned (it would stay until the limiter dies).
            pacekeeper::bucket::check_key(&key).map_err(host)?;
            let i = u32::try_from(slot.keys.len())
                .map_err(|_| coded(ErrorCode::InvalidKey, "too many keys"))?;
            slot.keys.push(key.clone());
            slot.ids.insert(key, i);
            Ok(i)
        })
    }

    /// The capacity of the last `never` verdict.
    #[napi]
    pub fn last_capacity(&self) -> Result<u32> {
        with_slot(self.id, |s| Ok(s.last_capacity))
    }

    /// Re-syncs `key` from a reading (the core's `Reading` JSON).
    #[napi]
    pub fn observe(&self, key: String, reading: String, now: f64) -> Result<()> {
        let reading = json("reading", &reading)?;
        let now = ms(now, "now")?;
        with_slot(self.id, |s| {
            s.limiter.observe(&key, &reading, now).map_err(host)
        })
    }

    /// Nothing for `key` before `until`.
    #[napi]
    pub fn block_until(&self, key: String, until: f64) -> Result<()> {
        let until = ms(until, "until")?;
        with_slot(self.id, |s| {
            s.limiter.block_until(&key, until).map_err(host)
        })
    }

    /// Takes an in-flight slot; false when the cap is reached.
    #[napi]
    pub fn acquire(&self, key: String) -> Result<bool> {
        with_slot(self.id, |s| s.limiter.acquire(&key).map_err(host))
    }

    /// Gives an in-flight slot back; the number still in flight.
    #[napi]
    pub fn release(&self, key: String) -> Result<u32> {
        with_slot(self.id, |s| s.limiter.release(&key).map_err(host))
    }

    /// Drops keys back to full at `now`; how many. Every key id is forgotten, so interned keys
    /// without core state (refused with `never`) are reclaimed too.
    #[napi]
    pub fn prune(&self, now: f64) -> Result<u32> {
        let now = ms(now, "now")?;
        with_slot(self.id, |s| {
            let n = s.limiter.prune(now);
            s.keys.clear();
            s.ids.clear();
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    /// The number of keys held.
    #[napi(getter)]
    pub fn size(&self) -> Result<u32> {
        with_slot(self.id, |s| {
            Ok(u32::try_from(s.limiter.len()).unwrap_or(u32::MAX))
        })
    }

    /// The configuration, as the core's JSON (persistence).
    #[napi]
    pub fn config_json(&self) -> Result<String> {
        with_slot(self.id, |s| to_json(s.limiter.config()))
    }

    /// The per-key state, as the core's JSON (persistence).
    #[napi]
    pub fn state_json(&self) -> Result<String> {
        with_slot(self.id, |s| to_json(s.limiter.state()))
    }
}

// --- backoff -------------------------------------------------------------------------------

/// A validated backoff policy.
#[napi]
#[derive(Debug)]
pub struct NativeBackoff {
    inner: Backoff,
}

#[napi]
impl NativeBackoff {
    /// `policy` is the core's `BackoffPolicy` JSON.
    #[napi(constructor)]
    pub fn new(policy: String) -> Result<Self> {
        let policy: BackoffPolicy = json("backoff policy", &policy)?;
        Ok(NativeBackoff {
            inner: Backoff::new(policy).map_err(host)?,
        })
    }

    /// The policy with its defaults filled in, as the core's JSON.
    #[napi]
    pub fn policy_json(&self) -> Result<String> {
        to_json(self.inner.policy())
    }

    /// One decision: `state`, `reading` (null: a network error) and `budget` are the core's
    /// JSON; returns `{"decision", "state" (seed as a string), "budget"}` as JSON.
    #[napi]
    pub fn decide(
        &self,
        state: String,
        reading: Option<String>,
        now: f64,
        budget: Option<String>,
    ) -> Result<String> {
        let mut state: RetryState = json("retry state", &state)?;
        let mut budget: Option<RetryBudget> =
            budget.map(|b| json("retry budget", &b)).transpose()?;
        let outcome = match reading {
            Some(r) => Outcome::Response {
                reading: json("reading", &r)?,
            },
            None => Outcome::NetworkError,
        };
        let now = ms(now, "now")?;
        let d = self
            .inner
            .decide(&mut state, &outcome, now, budget.as_mut())
            .map_err(host)?;
        let mut state_v = serde_json::to_value(state).unwrap_or_default();
        state_v["seed"] = serde_json::Value::String(state.seed.to_string());
        Ok(serde_json::json!({ "decision": d, "state": state_v, "budget": budget }).to_string())
    }

    /// The jittered delay before retry `n` (1-based) after `prevMs`; `seed` a decimal u64.
    #[napi]
    pub fn delay_ms(&self, n: u32, prev_ms: f64, seed: String) -> Result<f64> {
        let prev = ms(prev_ms, "prevMs")?;
        let seed = codec::seed(&seed).map_err(host)?;
        Ok(codec::num(self.inner.policy().delay_ms(n, prev, seed)))
    }

    /// The first `n` delays for `seed` (a decimal u64).
    #[napi]
    pub fn schedule(&self, seed: String, n: u32) -> Result<Vec<f64>> {
        let seed = codec::seed(&seed).map_err(host)?;
        let delays = self.inner.policy().schedule(seed, n).map_err(host)?;
        Ok(delays.into_iter().map(codec::num).collect())
    }
}

// --- plans ---------------------------------------------------------------------------------

/// A batching plan for `request` (the core's `PlanRequest` JSON), as the core's `Plan` JSON.
#[napi]
pub fn plan(request: String, now: f64) -> Result<String> {
    let req: PlanRequest = json("plan request", &request)?;
    to_json(&pacekeeper::plan(&req, ms(now, "now")?).map_err(host)?)
}

/// Plans again after `outcomes` (the core's `BatchOutcome` JSON list) of `previous`.
#[napi]
pub fn replan(request: String, previous: String, outcomes: String, now: f64) -> Result<String> {
    let req: PlanRequest = json("plan request", &request)?;
    let prev: Plan = json("previous plan", &previous)?;
    let outcomes: Vec<BatchOutcome> = json("outcomes", &outcomes)?;
    let p = pacekeeper::replan(&req, &prev, &outcomes, ms(now, "now")?).map_err(host)?;
    to_json(&p)
}
