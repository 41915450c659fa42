//! Node.js bindings for pacekeeper (napi-rs v3): the engine interface `native_api!` of
//! `pacekeeper-bindings-common` (the WebAssembly module expands the same), plus the shared-store
//! calls only the native package has. `native.js` and `native.d.ts` are generated from this crate
//! by `napi build --platform --js native.js --dts native.d.ts`; never edit them by hand. Every
//! error is thrown with `.code` set to a core error code (see `js/NATIVE.md`).
// `deny`, not `forbid`: the `#[napi]` expansion needs a local `allow(unsafe_code)`.
#![deny(unsafe_code)]

use napi::bindgen_prelude::{BigUint64Array, Float64Array};
use napi_derive::napi;
use pacekeeper::{Error, ErrorCode};
use pacekeeper_bindings_common::pacer::{event_text, step_args, store_call_text};
use pacekeeper_bindings_common::pacer::{store_reply, write_step};
use std::{cell::RefCell, mem::ManuallyDrop};

/// A thrown error's status is a core error code (JS `.code`).
type Result<T> = napi::Result<T, &'static str>;

/// A caller's `Float64Array`, written in place (an alias so that napi reads it as a value).
type OutSlots<'a> = &'a mut [f64];

fn host(e: Error) -> napi::Error<&'static str> {
    napi::Error::new(e.code.as_str(), e.message)
}

/// `f`'s error thrown with its code.
fn run<T>(f: impl FnOnce() -> pacekeeper::Result<T>) -> Result<T> {
    f().map_err(host)
}

pacekeeper_bindings_common::native_api!(napi,
    out = [#[napi(ts_arg_type = "Float64Array")]] [OutSlots<'_>],
    opt = [&[f64]], u64s = [BigUint64Array] [BigUint64Array], str = [String]);

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
pub fn limiter_decide_io() -> Result<f64> {
    let args = IO.with(|io| <[f64; 5]>::try_from(io.borrow().as_ref()?.get(..5)?).ok());
    let m = "bindIo was not called with 5 numbers";
    let [op, id, key, cost, now] =
        args.ok_or_else(|| host(Error::new(ErrorCode::InvalidState, m)))?;
    // The JavaScript layer wrote checked integers; `as` saturates anything else.
    lim::decide(op as usize, id as u32, key as u32, cost, now).map_err(host)
}

/// The pacer's shared-store crossings (the WebAssembly module has no store mode).
#[napi]
impl NativePacer {
    /// The store call of a ticket that got `consult`: `<L>:<key1><key2><args joined by ','>`,
    /// `L` each key's length in UTF-16 units (`codec::pacer::store_call_text`).
    #[napi]
    pub fn store_call(&self, ticket: f64) -> Result<String> {
        run(|| store_call_text(&self.inner.core.store_call(uint(ticket, "ticket")?)?))
    }

    /// The store's reply to a consult (its six integers, or empty with `errorCode`, a name of
    /// `vocabulary("storeErrors")`): the step's action index, the rest in `out`.
    #[napi]
    pub fn consulted(
        &mut self,
        ticket: f64,
        reply: &[f64],
        error_code: String,
        now: f64,
        #[napi(ts_arg_type = "Float64Array")] out: OutSlots<'_>,
    ) -> Result<u32> {
        run(|| {
            let (o, t, now) = step_args(out, ticket, now)?;
            let reply = store_reply(reply, &error_code)?;
            Ok(write_step(self.inner.core.consulted(t, reply, now)?, o))
        })
    }

    /// The next fire-and-forget store call (as `storeCall`), or `''`.
    #[napi]
    pub fn poll_store(&mut self) -> Result<String> {
        let call = self.inner.core.poll_store();
        run(|| call.map_or(Ok(String::new()), |c| store_call_text(&c)))
    }

    /// The outcome of a polled call (as for `consulted`).
    #[napi]
    pub fn store_done(&mut self, reply: &[f64], error_code: String, now: f64) -> Result<()> {
        run(|| {
            let (now, reply) = (uint(now, "now")?, store_reply(reply, &error_code)?);
            self.inner.core.store_done(reply, now);
            Ok(())
        })
    }

    /// The next store event: `store_down,<policy>,<peers>`, `store_up,<downForUs>` or `''`.
    #[napi]
    pub fn poll_event(&mut self) -> String {
        let event = self.inner.core.poll_event();
        event.map(event_text).unwrap_or_default()
    }
}
