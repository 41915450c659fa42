//! The core limiter across a boundary (`NativeLimiter`, `limiterDecide`): the configuration
//! flat ([`CONFIG_SLOTS`], then the limits), the saved state as NUL-joined keys and
//! [`STATE_SLOTS`] u64 per key, and a per-thread registry of limiters by id with interned keys
//! for the hot path ([`decide`] returns the verdict number, [`crate::encode_verdict`]).

use crate::flat::{escape_into, flag, push_limits, set, split, Rd};
use crate::{encode_verdict, err, ErrorCode, Result};
use pacekeeper::bucket::{AdaptiveConfig, KeyState, LimiterState, MAX_LIMITS};
use pacekeeper::{Limiter, LimiterConfig};
use std::cell::{RefCell, RefMut};

/// The named scalar slots of a flat limiter configuration, in order.
pub const CONFIG_SLOTS: &str = "learn:bool,adaptive:bool,adaptive.initialMilliRps,\
    adaptive.minMilliRps,adaptive.maxMilliRps,adaptive.decreasePercent,adaptive.increasePercent,\
    maxInFlight";

/// The numbers of one key's saved state, in order (the core's `KeyState` fields; the last five
/// are u32).
pub const STATE_SLOTS: &str = "tat[0],tat[1],tat[2],learned_tat,quota_reset_at,learned_amount,\
    learned_period_ms,quota_remaining,adaptive_milli_rps,in_flight";
const PER_KEY: usize = crate::flat::count(STATE_SLOTS);
const _: () = assert!(PER_KEY == MAX_LIMITS + 7);

/// A [`LimiterConfig`] from its flat form.
pub fn config_of(flat: &[f64]) -> Result<LimiterConfig> {
    let mut n = Rd::new(flat);
    let mut c = LimiterConfig::default();
    set!(c.learn => n.flag("learn"););
    let adaptive = n.flag("adaptive").unwrap_or(false);
    let mut a = AdaptiveConfig::default();
    n.group("adaptive.", |n| {
        set! {
            a.initial_milli_rps => n.u32("initialMilliRps");
            a.min_milli_rps => n.u32("minMilliRps");
            a.max_milli_rps => n.u32("maxMilliRps");
            a.decrease_percent => n.u32("decreasePercent");
            a.increase_percent => n.u32("increasePercent");
        }
    });
    c.adaptive = adaptive.then_some(a);
    c.max_in_flight = n.u32_sat("maxInFlight");
    c.limits = crate::flat::limits(&mut n, "limits");
    n.end("limiter config")?;
    Ok(c)
}

/// A configuration in its flat form (every slot filled in).
pub fn config_flat(c: &LimiterConfig) -> Vec<f64> {
    let a = c.adaptive.unwrap_or_default();
    let mut v = vec![flag(c.learn), flag(c.adaptive.is_some())];
    v.extend([a.initial_milli_rps, a.min_milli_rps, a.max_milli_rps].map(f64::from));
    v.extend([a.decrease_percent, a.increase_percent].map(f64::from));
    v.push(c.max_in_flight.map_or(f64::NAN, f64::from));
    push_limits(&mut v, &c.limits);
    v
}

/// One key's state from its [`STATE_SLOTS`] numbers (the u32 fields checked).
fn key_state(s: &[u64]) -> Result<KeyState> {
    let mut u = [0; 5];
    for (i, (u, &v)) in u.iter_mut().zip(&s[MAX_LIMITS + 2..]).enumerate() {
        *u = u32::try_from(v).map_err(|_| {
            let what = STATE_SLOTS.split(',').nth(MAX_LIMITS + 2 + i);
            let m = [what.unwrap_or_default(), " must be at most 4294967295"].concat();
            err(ErrorCode::InvalidNumber, m)
        })?;
    }
    let [learned_amount, learned_period_ms, quota_remaining, adaptive_milli_rps, in_flight] = u;
    let mut tat = [0; MAX_LIMITS];
    tat.copy_from_slice(&s[..MAX_LIMITS]);
    Ok(KeyState {
        tat,
        learned_tat: s[MAX_LIMITS],
        quota_reset_at: s[MAX_LIMITS + 1],
        learned_amount,
        learned_period_ms,
        quota_remaining,
        adaptive_milli_rps,
        in_flight,
    })
}

/// A saved state from its keys and numbers.
pub fn state_of(keys: &str, nums: &[u64]) -> Result<LimiterState> {
    let names: Vec<_> = if keys.is_empty() {
        Vec::new()
    } else {
        split(keys).collect()
    };
    if nums.len() != names.len() * PER_KEY {
        let m = "state does not match its keys";
        return Err(err(ErrorCode::InvalidState, m));
    }
    let mut map = LimiterState::new();
    for (k, s) in names.into_iter().zip(nums.chunks_exact(PER_KEY)) {
        map.insert(k.into_owned(), key_state(s)?);
    }
    Ok(map)
}

/// One limiter and the keys interned for its hot path.
#[derive(Debug)]
pub struct HostLimiter {
    /// The core limiter.
    pub limiter: Limiter,
    keys: Vec<String>,
    /// The capacity of the last `never` verdict.
    pub last_capacity: u32,
}

thread_local! {
    /// The limiters of this thread by id (Node's main thread or one worker; the one thread of
    /// a WebAssembly instance). A host object owns its slot and frees it when collected.
    static SLOTS: RefCell<Vec<Option<HostLimiter>>> = const { RefCell::new(Vec::new()) };
}

/// A new limiter from the flat configuration and, to restore, a saved state; its id.
pub fn create(config: &[f64], state: Option<(&str, &[u64])>) -> Result<u32> {
    let config = config_of(config)?;
    let limiter = match state {
        Some((keys, nums)) => Limiter::from_state(config, state_of(keys, nums)?)?,
        None => Limiter::new(config)?,
    };
    let slot = HostLimiter {
        limiter,
        keys: Vec::new(),
        last_capacity: 0,
    };
    Ok(SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let i = slots.iter().position(Option::is_none).unwrap_or_else(|| {
            slots.push(None);
            slots.len() - 1
        });
        slots[i] = Some(slot);
        u32::try_from(i).unwrap_or(u32::MAX)
    }))
}

/// Frees limiter `id` (a collected host object). Never fails, even while the thread shuts down.
pub fn drop_limiter(id: u32) {
    let clear = |mut s: RefMut<'_, Vec<_>>| s.get_mut(id as usize).map(|s| *s = None);
    let _ = SLOTS.try_with(|slots| slots.try_borrow_mut().map(clear));
}

#[inline(never)]
fn no_limiter() -> crate::Error {
    err(ErrorCode::InvalidState, "no such limiter")
}

/// Runs `f` on limiter `id`.
pub fn with<T>(id: u32, f: impl FnOnce(&mut HostLimiter) -> Result<T>) -> Result<T> {
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let slot = slots
            .get_mut(id as usize)
            .and_then(Option::as_mut)
            .ok_or_else(no_limiter)?;
        f(slot)
    })
}

/// Reads limiter `id` (the default of `T` when there is none: a host object owns its limiter,
/// so that cannot happen).
pub fn peek<T: Default>(id: u32, f: impl FnOnce(&HostLimiter) -> T) -> T {
    SLOTS.with(|slots| {
        slots
            .borrow()
            .get(id as usize)
            .and_then(Option::as_ref)
            .map(f)
            .unwrap_or_default()
    })
}

/// The hot path: decision `op` (0 check, 1 peek, 2 reserve) for interned key `key` of limiter
/// `id`; the verdict number. `cost` is saturated to u32 (the core names a bad cost).
pub fn decide(op: usize, id: u32, key: u32, cost: f64, now: f64) -> Result<f64> {
    let now = crate::uint(now, "now")?;
    // `as` saturates (NaN: 0, which the core refuses as a cost).
    let cost = cost as u32;
    with(id, |s| {
        let k = s
            .keys
            .get(key as usize)
            .ok_or_else(|| err(ErrorCode::InvalidState, "unknown key id"))?;
        // A direct call per op (the table's indirect call kept napi's hot path from inlining).
        let l = &mut s.limiter;
        let v = match op {
            0 => l.check(k, cost, now),
            1 => l.peek(k, cost, now),
            _ => l.reserve(k, cost, now),
        }?;
        Ok(encode_verdict(v, &mut s.last_capacity))
    })
}

impl HostLimiter {
    /// Interns `key`: its id for [`decide`] (stable until `prune` drops any key). A key the
    /// core would refuse is never interned.
    pub fn key(&mut self, key: &str) -> Result<u32> {
        pacekeeper::bucket::check_key(key)?;
        let i = u32::try_from(self.keys.len())
            .map_err(|_| err(ErrorCode::InvalidKey, "too many keys"))?;
        self.keys.push(key.to_owned());
        Ok(i)
    }

    /// Drops keys back to full at `now`; how many. Every key id is forgotten.
    pub fn prune(&mut self, now: u64) -> u32 {
        let n = self.limiter.prune(now);
        self.keys.clear();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The keys of the saved state, NUL-joined, in key order.
    pub fn state_keys(&self) -> String {
        let mut s = String::new();
        for (i, k) in self.limiter.state().keys().enumerate() {
            s.push_str(if i > 0 { "\0" } else { "" });
            escape_into(&mut s, k);
        }
        s
    }

    /// [`STATE_SLOTS`] numbers per key, in key order (u64: scaled times exceed 2^53).
    pub fn state_nums(&self) -> Vec<u64> {
        let mut v = Vec::with_capacity(self.limiter.len() * PER_KEY);
        for s in self.limiter.state().values() {
            v.extend_from_slice(&s.tat);
            v.extend([s.learned_tat, s.quota_reset_at]);
            v.extend([
                u64::from(s.learned_amount),
                u64::from(s.learned_period_ms),
                u64::from(s.quota_remaining),
                u64::from(s.adaptive_milli_rps),
                u64::from(s.in_flight),
            ]);
        }
        v
    }
}
