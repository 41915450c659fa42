//! One run: the event queue, the workers and the virtual-time loop that drives them against a
//! server model with one strategy.

use crate::client::{expo, naive_retry_after, pacer_config, uniform, BASE_MS, CAP_MS};
use crate::scenario::{Metrics, ServerKind, Strategy, Workload};
use crate::server::{Answer, Server};
use crate::{HORIZON_MS, LATENCY_MS, MAX_ATTEMPTS};
use pacekeeper::pacer::{After, Pacer, Step};
use pacekeeper::{parse, Outcome, ParseOptions};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Debug, Default)]
struct Queue {
    heap: BinaryHeap<Reverse<(u64, u64, usize, u8)>>,
    seq: u64,
}

impl Queue {
    /// Events at the same instant run in the order they were scheduled.
    fn push(&mut self, t: u64, id: usize, ev: Ev) {
        self.seq += 1;
        self.heap.push(Reverse((t, self.seq, id, ev as u8)));
    }

    fn pop(&mut self) -> Option<(u64, usize, u8)> {
        self.heap.pop().map(|Reverse((t, _, id, ev))| (t, id, ev))
    }
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    /// The worker wakes to send (or to resume its ticket).
    Wake,
    /// The response to the worker's request arrives.
    Reply,
}

#[derive(Debug, Clone)]
struct Worker {
    instance: usize,
    key: u32,
    calls_left: u32,
    attempt: u32,
    prev_delay: u64,
    ticket: Option<u64>,
    /// No request before this (the last Retry-After this worker was given).
    told_floor: u64,
    pending: Option<Answer>,
}

/// Runs one workload against one server model with one strategy.
pub fn run(kind: ServerKind, strategy: Strategy, w: &Workload, seed: u64) -> Metrics {
    let mut server = Server::new(kind, w, seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pacers: Vec<Pacer> = (0..w.instances)
        .map(|i| {
            Pacer::new(pacer_config(
                strategy,
                w,
                seed.wrapping_mul(1000) + u64::from(i),
            ))
            .unwrap_or_else(|e| unreachable!("{e}"))
        })
        .collect();
    let mut workers = Vec::new();
    for i in 0..w.instances {
        for k in 0..w.workers {
            workers.push(Worker {
                instance: i as usize,
                key: k % w.keys,
                calls_left: w.calls,
                attempt: 0,
                prev_delay: 0,
                ticket: None,
                told_floor: 0,
                pending: None,
            });
        }
    }
    let mut heap = Queue::default();
    for id in 0..workers.len() {
        heap.push(0, id, Ev::Wake);
    }
    let mut m = Metrics::default();
    let opts = ParseOptions::default();
    let pk = matches!(
        strategy,
        Strategy::Pacekeeper | Strategy::PacekeeperConfigured
    );
    while let Some((t, id, ev)) = heap.pop() {
        if t > HORIZON_MS {
            break;
        }
        let wk = &mut workers[id];
        let key_name = format!("key-{}", wk.key);
        if ev == Ev::Wake as u8 {
            if wk.calls_left == 0 {
                continue;
            }
            if pk {
                let p = &mut pacers[wk.instance];
                let step = match wk.ticket {
                    Some(tk) => p.resume(tk, t),
                    None => p.begin(&key_name, 1, t),
                };
                match step {
                    Ok(Step::Go { ticket }) => wk.ticket = Some(ticket),
                    Ok(Step::Wait { ticket, until }) => {
                        wk.ticket = Some(ticket);
                        heap.push(until.max(t + 1), id, Ev::Wake);
                        continue;
                    }
                    // The simulator's pacers have no store: a consult never comes.
                    Ok(Step::Never { .. } | Step::Consult { .. }) | Err(_) => {
                        m.lost += 1;
                        wk.calls_left = 0;
                        continue;
                    }
                }
            } else if strategy == Strategy::Oracle {
                let at = server.admit_at(wk.key, id, t);
                if at > t {
                    heap.push(at, id, Ev::Wake);
                    continue;
                }
            }
            m.calls += 1;
            if t < wk.told_floor {
                m.early += 1;
            }
            wk.pending = Some(server.handle(wk.key, id, t));
            heap.push(t + LATENCY_MS, id, Ev::Reply);
            continue;
        }
        // A reply.
        let answer = wk.pending.take().unwrap_or(Answer::Lost);
        let (ok, hint) = match &answer {
            Answer::Response(s, h) => {
                if *s == 429 {
                    m.throttled += 1;
                    // The instant the server named, in the client's time (the Date skew removed).
                    if let Ok(r) = parse(*s, h, None, t, &opts) {
                        wk.told_floor = wk.told_floor.max(t + r.wait_ms.unwrap_or(0));
                    }
                }
                (*s < 400, naive_retry_after(h, t))
            }
            Answer::Lost => (false, None),
        };
        let next_call = |wk: &mut Worker, m: &mut Metrics, heap: &mut Queue| {
            wk.calls_left -= 1;
            wk.attempt = 0;
            wk.prev_delay = 0;
            wk.ticket = None;
            m.completion_ms = m.completion_ms.max(t);
            if wk.calls_left > 0 {
                heap.push(t, id, Ev::Wake);
            }
        };
        if pk {
            let p = &mut pacers[wk.instance];
            let outcome = match &answer {
                Answer::Response(s, h) => match parse(*s, h, None, t, &opts) {
                    Ok(reading) => Outcome::Response { reading },
                    Err(_) => Outcome::NetworkError,
                },
                Answer::Lost => Outcome::NetworkError,
            };
            let tk = wk.ticket.unwrap_or(0);
            match p.finish(tk, &outcome, t) {
                Ok(After::Done) => next_call(wk, &mut m, &mut heap),
                Ok(After::Retry { at, .. }) => heap.push(at.max(t), id, Ev::Wake),
                Ok(After::GiveUp { .. }) | Err(_) => {
                    m.lost += 1;
                    next_call(wk, &mut m, &mut heap);
                }
            }
            continue;
        }
        if ok {
            next_call(wk, &mut m, &mut heap);
            continue;
        }
        wk.attempt += 1;
        if wk.attempt >= MAX_ATTEMPTS {
            m.lost += 1;
            next_call(wk, &mut m, &mut heap);
            continue;
        }
        let n = wk.attempt;
        let delay = match strategy {
            Strategy::Fixed5s => 5000,
            Strategy::Exponential => expo(n),
            Strategy::Urllib3 => hint.unwrap_or_else(|| 500u64 << (n - 1).min(16)),
            Strategy::FullJitter => uniform(&mut rng, 0, expo(n)),
            Strategy::EqualJitter => {
                let d = expo(n);
                d / 2 + uniform(&mut rng, 0, d / 2)
            }
            Strategy::DecorrelatedJitter => {
                let d = uniform(&mut rng, BASE_MS, wk.prev_delay.max(BASE_MS) * 3).min(CAP_MS);
                wk.prev_delay = d;
                d
            }
            // The oracle only meets faults: it asks the server again at once.
            _ => 0,
        };
        heap.push(t + delay, id, Ev::Wake);
    }
    m.lost += workers.iter().map(|w| u64::from(w.calls_left)).sum::<u64>();
    m
}
