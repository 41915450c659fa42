//! The engine interface of the napi addon and the WebAssembly module (`js/NATIVE.md`),
//! written once: `native_api!` expands to either host's exports. Its arguments are the host's
//! export attribute (`napi` or `wasm_bindgen`) and the few types whose spelling differs: an out
//! slot array (`attrs` then type), an optional flat array, and `u64` numbers in and out. The host
//! crate defines `Result<T>` (its thrown error) and `fn host(pacekeeper::Error) -> E` (the error
//! with `.code` set); everything else is here. Doc comments are the addon's typings.

/// See the module documentation.
#[macro_export]
macro_rules! native_api {
    ($ex:ident, out = [$($oa:tt)*] [$($out:tt)*], opt = [$($opt:tt)*], u64s = [$($ui:tt)*] [$($uo:tt)*], str = [$($s:tt)*]) => {
        use $crate::{limiter as lim, pacer::HostPacer, uint};

        /// The version of the engine (the crate version, shared by every package).
        #[$ex]
        pub fn version() -> String {
            env!("CARGO_PKG_VERSION").to_owned()
        }

        /// One vocabulary of the core or layout of the codec, its names joined by commas in order.
        #[$ex]
        pub fn vocabulary(name: $($s)*) -> Result<String> {
            $crate::vocabulary(&name).map_err(host)
        }

        /// The core's defaults of one layout, flat (`codec::defaults`).
        #[$ex]
        pub fn defaults(name: $($s)*) -> Result<Vec<f64>> {
            $crate::defaults(&name).map_err(host)
        }

        /// A call that does nothing: measures the cost of crossing the boundary.
        #[$ex]
        pub fn noop() {}

        /// The key of a bearer token's budget (`pacekeeper::token_key`): the same in every runtime.
        #[$ex(js_name = "tokenKey")]
        pub fn token_key(token: $($s)*) -> String {
            pacekeeper::token_key(&token)
        }

        /// Parses a response (`NATIVE.md`): the reading's scalars into `out`, its lists (when one
        /// is not empty) returned as text, else null.
        #[$ex(js_name = "parseHeaders")]
        pub fn parse_headers(
            status: u32,
            headers: $($s)*,
            body: Option<String>,
            now: f64,
            max_wait_ms: f64,
            reset_mode: u32,
            $($oa)* out: $($out)*,
        ) -> Result<Option<String>> {
            let body = body.as_deref();
            $crate::reading::parse_into(status, &headers, body, now, max_wait_ms, reset_mode, out)
                .map_err(host)
        }

        /// A retry budget with the core's defaults filled in (`vocabulary("retryBudget")`; NaN: default).
        #[$ex(js_name = "retryBudget")]
        pub fn retry_budget(flat: &[f64]) -> Result<Vec<f64>> {
            $crate::backoff::budget_flat(flat).map_err(host)
        }

        /// A batching plan for the flat `request` (`codec::plan`), flat.
        #[$ex]
        pub fn plan(request: &[f64], now: f64) -> Result<Vec<f64>> {
            $crate::plan::plan(request, now).map_err(host)
        }

        /// Plans again after `outcomes` of `previous` (all flat, `codec::plan`).
        #[$ex]
        pub fn replan(request: &[f64], previous: &[f64], outcomes: &[f64], now: f64) -> Result<Vec<f64>> {
            $crate::plan::replan(request, previous, outcomes, now).map_err(host)
        }

        /// Keyed GCRA buckets: `config` flat (`vocabulary("limiterConfig")`), to restore also the saved
        /// state (keys NUL-joined, `vocabulary("limiterState")` numbers per key). Decisions go through
        /// `limiterDecide` with `keyId = key(name)`.
        #[$ex]
        #[derive(Debug)]
        pub struct NativeLimiter {
            id: u32,
        }

        impl Drop for NativeLimiter {
            fn drop(&mut self) {
                lim::drop_limiter(self.id);
            }
        }

        #[$ex]
        impl NativeLimiter {
            #[$ex(constructor)]
            pub fn new(config: &[f64], state_keys: Option<String>, state_nums: Option<$($ui)*>) -> Result<NativeLimiter> {
                let state = state_keys.as_deref().zip(state_nums.as_deref());
                Ok(NativeLimiter { id: lim::create(config, state).map_err(host)? })
            }

            /// The id for `limiterDecide`.
            #[$ex(getter)]
            pub fn id(&self) -> u32 {
                self.id
            }

            /// Interns `key`: its id (stable until `prune` returns more than 0).
            #[$ex]
            pub fn key(&self, key: $($s)*) -> Result<u32> {
                lim::with(self.id, |s| s.key(&key)).map_err(host)
            }

            /// The capacity of the last `never` verdict.
            #[$ex(js_name = "lastCapacity")]
            pub fn last_capacity(&self) -> u32 {
                lim::peek(self.id, |s| s.last_capacity)
            }

            /// Re-syncs `key` from a flat reading (`codec::reading::reading_of`).
            #[$ex]
            pub fn observe(&self, key: $($s)*, nums: &[f64], strs: $($s)*, now: f64) -> Result<()> {
                let r = $crate::reading::reading_of(nums, &strs).map_err(host)?;
                let now = uint(now, "now").map_err(host)?;
                lim::with(self.id, |s| s.limiter.observe(&key, &r, now)).map_err(host)
            }

            /// Nothing for `key` before `until`.
            #[$ex(js_name = "blockUntil")]
            pub fn block_until(&self, key: $($s)*, until: f64) -> Result<()> {
                let until = uint(until, "until").map_err(host)?;
                lim::with(self.id, |s| s.limiter.block_until(&key, until)).map_err(host)
            }

            /// Takes an in-flight slot; false when the cap is reached.
            #[$ex]
            pub fn acquire(&self, key: $($s)*) -> Result<bool> {
                lim::with(self.id, |s| s.limiter.acquire(&key)).map_err(host)
            }

            /// Gives an in-flight slot back; the number still in flight.
            #[$ex]
            pub fn release(&self, key: $($s)*) -> Result<u32> {
                lim::with(self.id, |s| s.limiter.release(&key)).map_err(host)
            }

            /// Drops keys back to full at `now`; how many. Every key id is forgotten.
            #[$ex]
            pub fn prune(&self, now: f64) -> Result<u32> {
                let now = uint(now, "now").map_err(host)?;
                lim::with(self.id, |s| Ok(s.prune(now))).map_err(host)
            }

            /// The number of keys held.
            #[$ex(getter)]
            pub fn size(&self) -> u32 {
                lim::peek(self.id, |s| u32::try_from(s.limiter.len()).unwrap_or(u32::MAX))
            }

            /// The configuration, flat (every slot filled in).
            #[$ex]
            pub fn config(&self) -> Vec<f64> {
                lim::peek(self.id, |s| lim::config_flat(s.limiter.config()))
            }

            /// The keys of the state, NUL-joined, in key order.
            #[$ex(js_name = "stateKeys")]
            pub fn state_keys(&self) -> String {
                lim::peek(self.id, lim::HostLimiter::state_keys)
            }

            /// The numbers of the state (`vocabulary("limiterState")` per key).
            #[$ex(js_name = "stateNums")]
            pub fn state_nums(&self) -> $($uo)* {
                lim::peek(self.id, lim::HostLimiter::state_nums).into()
            }
        }

        /// Decision `op` (0 check, 1 peek, 2 reserve) of `cost` tokens for interned key `keyId` of
        /// limiter `id`: the verdict number (`codec::encode_verdict`).
        #[$ex(js_name = "limiterDecide")]
        pub fn limiter_decide(op: u32, id: u32, key_id: u32, cost: f64, now: f64) -> Result<f64> {
            lim::decide(op as usize, id, key_id, cost, now).map_err(host)
        }

        /// A validated backoff policy: `policy` flat (`vocabulary("backoffPolicy")`, NaN: default).
        #[$ex]
        #[derive(Debug)]
        pub struct NativeBackoff {
            core: pacekeeper::Backoff,
        }

        #[$ex]
        impl NativeBackoff {
            #[$ex(constructor)]
            pub fn new(policy: &[f64]) -> Result<NativeBackoff> {
                let p = $crate::backoff::policy_of(policy).map_err(host)?;
                Ok(NativeBackoff { core: pacekeeper::Backoff::new(p).map_err(host)? })
            }

            /// The policy with every default filled in, flat.
            #[$ex]
            pub fn policy(&self) -> Vec<f64> {
                $crate::backoff::policy_flat(self.core.policy())
            }

            /// One decision (`codec::backoff`): `io` the retry state (then the budget when `budget`),
            /// updated in place; `reading` flat (null: a network error); `out` gets `at, delayMs,
            /// attempt|attempts, reason`; returns the index in `vocabulary("decisions")`.
            #[$ex]
            #[allow(clippy::too_many_arguments)]
            pub fn decide(
                &self,
                $($oa)* io: $($out)*,
                seed: $($s)*,
                reading: Option<$($opt)*>,
                reading_strs: $($s)*,
                now: f64,
                budget: bool,
                $($oa)* out: $($out)*,
            ) -> Result<u32> {
                let r = reading.as_deref().map(|n| (n, &*reading_strs));
                $crate::backoff::decide(&self.core, io, &seed, r, now, budget, out).map_err(host)
            }

            /// The jittered delay before retry `n` (1-based) after `prevMs`; `seed` a decimal u64.
            #[$ex(js_name = "delayMs")]
            pub fn delay_ms(&self, n: u32, prev_ms: f64, seed: $($s)*) -> Result<f64> {
                let prev = uint(prev_ms, "prevMs").map_err(host)?;
                let seed = $crate::seed(&seed).map_err(host)?;
                Ok($crate::num(self.core.policy().delay_ms(n, prev, seed)))
            }

            /// The first `n` delays for `seed` (a decimal u64).
            #[$ex]
            pub fn schedule(&self, seed: $($s)*, n: u32) -> Result<Vec<f64>> {
                let delays = self.core.policy().schedule($crate::seed(&seed).map_err(host)?, n);
                Ok(delays.map_err(host)?.into_iter().map($crate::num).collect())
            }
        }

        /// The core's sans-IO pacer (`codec::pacer`). `config` is the flat form named by
        /// `vocabulary("pacerConfig")` (NaN: the core's default), `seed` a decimal u64 (empty: 0).
        /// Steps return their action's index (`steps` / `afters`) and write `ticket, until|at,
        /// attempt|attempts|capacity, reason` into `out`.
        #[$ex]
        #[derive(Debug)]
        pub struct NativePacer {
            inner: HostPacer,
        }

        #[$ex]
        impl NativePacer {
            #[$ex(constructor)]
            pub fn new(config: &[f64], seed: $($s)*) -> Result<NativePacer> {
                Ok(NativePacer { inner: HostPacer::new(config, &seed).map_err(host)? })
            }

            /// `Pacer::begin`.
            #[$ex]
            pub fn begin(&mut self, key: $($s)*, cost: f64, now: f64, $($oa)* out: $($out)*) -> Result<u32> {
                self.inner.begin(&key, cost, now, out).map_err(host)
            }

            /// `Pacer::resume`.
            #[$ex]
            pub fn resume(&mut self, ticket: f64, now: f64, $($oa)* out: $($out)*) -> Result<u32> {
                self.inner.resume(ticket, now, out).map_err(host)
            }

            /// `Pacer::cancel`.
            #[$ex]
            pub fn cancel(&mut self, ticket: f64) -> Result<()> {
                self.inner.cancel(ticket).map_err(host)
            }

            /// Parses the response (`headers` as `name LF value ...`) and finishes `ticket` with it.
            #[$ex]
            pub fn finish(
                &mut self,
                ticket: f64,
                status: u32,
                headers: $($s)*,
                body: Option<String>,
                now: f64,
                $($oa)* out: $($out)*,
            ) -> Result<u32> {
                let pairs = $crate::split_joined(&headers);
                self.inner.finish(ticket, status, &pairs, body.as_deref(), now, out).map_err(host)
            }

            /// Finishes `ticket` after a network error.
            #[$ex(js_name = "finishNetworkError")]
            pub fn finish_network_error(&mut self, ticket: f64, now: f64, $($oa)* out: $($out)*) -> Result<u32> {
                self.inner.finish_network_error(ticket, now, out).map_err(host)
            }

            /// The learnt limit of `key` into `out` (`amount, periodMs, burst`); false when none.
            #[$ex]
            pub fn learnt(&self, key: $($s)*, $($oa)* out: $($out)*) -> Result<bool> {
                self.inner.learnt(&key, out).map_err(host)
            }

            /// Requests of `key` in flight.
            #[$ex(js_name = "inFlight")]
            pub fn in_flight(&self, key: $($s)*) -> u32 {
                self.inner.core.lane(&key).map_or(0, |l| l.in_flight)
            }

            /// Open tickets (waiting or in flight).
            #[$ex(getter, js_name = "openTickets")]
            pub fn open_tickets(&self) -> u32 {
                u32::try_from(self.inner.core.open_tickets()).unwrap_or(u32::MAX)
            }

            /// Tokens left in the shared retry budget (NaN: none).
            #[$ex(getter, js_name = "budgetTokens")]
            pub fn budget_tokens(&self) -> f64 {
                self.inner.core.retry_budget().map_or(f64::NAN, |b| f64::from(b.tokens))
            }
        }
    };
}
