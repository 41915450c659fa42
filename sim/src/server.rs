//! The server models: per-key state, and the answer (status and headers, or a lost request) to a
//! request sent at a virtual instant.

use crate::scenario::{ServerKind, Workload};
use crate::SKEW_MS;
use pacekeeper::httpdate::format_http_date;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
struct KeyServer {
    /// Token bucket: milli-tokens and when they were counted.
    milli: u64,
    at: u64,
    /// Windows: the current window's start and count; the sliding log.
    window_start: u64,
    count: u32,
    log: Vec<u64>,
    /// Strict penalty: no request from a client before its lockout.
    lockout: BTreeMap<usize, u64>,
}

/// A server's answer: status and headers, or a lost request.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Response(u16, Vec<(String, String)>),
    Lost,
}

pub(crate) struct Server {
    kind: ServerKind,
    rate: u64,
    burst: u64,
    keys: BTreeMap<u32, KeyServer>,
    rng: ChaCha8Rng,
}

fn secs_up(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

impl Server {
    pub(crate) fn new(kind: ServerKind, w: &Workload, seed: u64) -> Self {
        Server {
            kind,
            rate: u64::from(w.rate),
            burst: u64::from(w.burst),
            keys: BTreeMap::new(),
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5e4e_4e4e),
        }
    }

    fn window_ms(&self) -> u64 {
        (self.burst * 1000).div_ceil(self.rate)
    }

    fn is_bucket(&self) -> bool {
        matches!(
            self.kind,
            ServerKind::TokenBucket | ServerKind::StrictPenalty | ServerKind::Faults
        )
    }

    fn state(&mut self, key: u32, t: u64) -> &mut KeyServer {
        let (rate, burst, bucket, w) = (self.rate, self.burst, self.is_bucket(), self.window_ms());
        let s = self.keys.entry(key).or_insert_with(|| KeyServer {
            milli: burst * 1000,
            at: t,
            ..KeyServer::default()
        });
        if bucket {
            s.milli = (s.milli + (t - s.at.min(t)) * rate).min(burst * 1000);
            s.at = s.at.max(t);
        } else {
            let start = t / w * w;
            if start != s.window_start {
                s.window_start = start;
                s.count = 0;
            }
            s.log.retain(|x| x + w > t);
        }
        s
    }

    /// The earliest instant ≥ t at which the server admits a request for `key` (the oracle's view).
    pub(crate) fn admit_at(&mut self, key: u32, client: usize, t: u64) -> u64 {
        let (rate, burst, w, kind) = (self.rate, self.burst, self.window_ms(), self.kind);
        let bucket = self.is_bucket();
        let s = self.state(key, t);
        let base = if bucket {
            if s.milli >= 1000 {
                t
            } else {
                t + (1000 - s.milli).div_ceil(rate)
            }
        } else if kind == ServerKind::SlidingWindow {
            if (s.log.len() as u64) < burst {
                t
            } else {
                s.log.first().map_or(t, |x| x + w)
            }
        } else if u64::from(s.count) < burst {
            t
        } else {
            s.window_start + w
        };
        base.max(s.lockout.get(&client).copied().unwrap_or(0))
    }

    pub(crate) fn handle(&mut self, key: u32, client: usize, t: u64) -> Answer {
        if self.kind == ServerKind::Faults && self.rng.next_u64() % 10 == 0 {
            return Answer::Lost;
        }
        let (rate, burst, w, kind) = (self.rate, self.burst, self.window_ms(), self.kind);
        let bucket = self.is_bucket();
        let s = self.state(key, t);
        let mut h: Vec<(String, String)> = Vec::new();
        let hdr =
            |h: &mut Vec<(String, String)>, n: &str, v: u64| h.push((n.into(), v.to_string()));
        if kind == ServerKind::StrictPenalty {
            if let Some(l) = s.lockout.get_mut(&client).filter(|l| t < **l) {
                *l += 2000;
                hdr(&mut h, "Retry-After", secs_up(*l - t));
                return Answer::Response(429, h);
            }
        }
        if bucket {
            if s.milli >= 1000 {
                s.milli -= 1000;
                let rem = s.milli / 1000;
                let reset = if rem == 0 {
                    (1000 - s.milli).div_ceil(rate)
                } else {
                    (burst * 1000 - s.milli).div_ceil(rate)
                };
                hdr(&mut h, "X-RateLimit-Limit", burst);
                hdr(&mut h, "X-RateLimit-Remaining", rem);
                hdr(&mut h, "X-RateLimit-Reset", secs_up(reset));
                return Answer::Response(200, h);
            }
            let wait = (1000 - s.milli).div_ceil(rate);
            let ra = secs_up(wait).max(1);
            if kind == ServerKind::StrictPenalty {
                s.lockout.insert(client, t + ra * 1000);
            }
            hdr(&mut h, "Retry-After", ra);
            hdr(&mut h, "X-RateLimit-Limit", burst);
            hdr(&mut h, "X-RateLimit-Remaining", 0);
            hdr(&mut h, "X-RateLimit-Reset", ra);
            return Answer::Response(429, h);
        }
        let (used, end) = if kind == ServerKind::SlidingWindow {
            (s.log.len() as u64, s.log.first().map_or(t + w, |x| x + w))
        } else {
            (u64::from(s.count), s.window_start + w)
        };
        if used < burst {
            if kind == ServerKind::SlidingWindow {
                s.log.push(t);
            } else {
                s.count += 1;
            }
            let end = if kind == ServerKind::SlidingWindow {
                s.log.first().map_or(t + w, |x| x + w)
            } else {
                end
            };
            hdr(&mut h, "X-RateLimit-Limit", burst);
            hdr(&mut h, "X-RateLimit-Remaining", burst - used - 1);
            hdr(&mut h, "X-RateLimit-Reset", secs_up(end - t));
            return Answer::Response(200, h);
        }
        match kind {
            ServerKind::LyingRetryAfter => hdr(&mut h, "Retry-After", 1),
            ServerKind::SkewedClock => {
                let server_now = t + SKEW_MS;
                h.push(("Date".into(), format_http_date(server_now)));
                // HTTP-dates are whole seconds: round the instant up.
                let at = (server_now + (end - t)).div_ceil(1000) * 1000;
                h.push(("Retry-After".into(), format_http_date(at)));
            }
            _ => {
                hdr(&mut h, "Retry-After", secs_up(end - t).max(1));
                hdr(&mut h, "X-RateLimit-Limit", burst);
                hdr(&mut h, "X-RateLimit-Remaining", 0);
                hdr(&mut h, "X-RateLimit-Reset", secs_up(end - t).max(1));
            }
        }
        Answer::Response(429, h)
    }
}
