//! The core's [`Pacer`] behind handles: a bounded table of pacers per instance (per thread
//! natively), and the fixed **action record** every pacer call writes.
//!
//! The pacer holds the whole client policy (when to send, wait, retry, probe, give up); a host
//! only reads the clock, sleeps, sends and hands the response back. Codes and reasons are
//! indices into the core's vocabularies ([`pacekeeper::vocab`]): the action codes are the
//! core's `steps` then its `afters` ([`ACTIONS`]), the never reasons its `neverReasons`.

use crate::read_response_with;
use pacekeeper::backoff::Outcome;
use pacekeeper::pacer::{After, NeverReason, Pacer, PacerConfig, Step};
use pacekeeper::vocab::{AFTERS, STEPS};
use pacekeeper::{Error, ErrorCode};
use pacekeeper_bindings_common::pacer::{write_after, write_step, OUT_SLOTS};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The most pacers live at once in one instance.
pub const MAX_PACERS: usize = 256;
/// Number of i64 fields in an action record (`pk_pacer_begin`, `_resume`, `_finish`).
pub const ACTION_FIELDS: usize = 6;
/// Number of i64 fields written by `pk_pacer_learnt`.
pub const LIMIT_FIELDS: usize = 3;

/// The action codes, in this order: the return value of `pk_pacer_begin`/`_resume`/`_finish`
/// and field 0 of the action record. The names are the core's serde names of [`Step`] and
/// [`After`] (`"action"`).
pub const ACTIONS: [&str; 6] = [
    STEPS[0], STEPS[1], STEPS[2], AFTERS[0], AFTERS[1], AFTERS[2],
];
/// Send now.
pub const PK_GO: i64 = 0;
/// Sleep until field 2, then `pk_pacer_resume`.
pub const PK_WAIT: i64 = 1;
/// Never sendable (cost above the burst); no ticket kept.
pub const PK_NEVER_SEND: i64 = 2;
/// The call succeeded; the ticket is closed.
pub const PK_DONE: i64 = 3;
/// Sleep until field 2, then `pk_pacer_resume` the same ticket.
pub const PK_RETRY: i64 = 4;
/// Stop; the ticket is closed.
pub const PK_GIVE_UP: i64 = 5;

/// The names of [`NeverReason`], in the order field 4 of a `never` record indexes.
pub const NEVER_REASONS: &[&str] = NeverReason::NAMES;

/// The live pacers of this instance.
struct Table {
    /// The next handle (handles are never reused while the instance lives).
    next: i64,
    live: BTreeMap<i64, Pacer>,
}

thread_local! {
    static PACERS: RefCell<Table> = const {
        RefCell::new(Table { next: 1, live: BTreeMap::new() })
    };
}

fn bad_handle(h: i64) -> Error {
    Error::new(
        ErrorCode::InvalidArgument,
        format!("no live pacer with handle {h} (never created, or freed)"),
    )
}

/// A pacer from the core's JSON configuration (`PacerConfig`, serde names; empty = the
/// default). Returns its handle (≥ 1).
pub fn pacer_new(config_json: &[u8]) -> Result<i64, Error> {
    let config: PacerConfig = if config_json.is_empty() {
        PacerConfig::default()
    } else {
        let text = std::str::from_utf8(config_json)
            .map_err(|_| Error::new(ErrorCode::InvalidArgument, "config: not valid UTF-8 JSON"))?;
        pacekeeper_bindings_common::from_json("config", text)?
    };
    if config.shared.is_some() {
        // No store shell here: the module paces in memory only.
        return Err(Error::new(
            ErrorCode::InvalidOption,
            "config.shared: the JMeter module has no shared store (in memory only)",
        ));
    }
    let pacer = Pacer::new(config)?;
    PACERS.with(|t| {
        let mut t = t.borrow_mut();
        if t.live.len() >= MAX_PACERS {
            return Err(Error::new(
                ErrorCode::InvalidState,
                format!("at most {MAX_PACERS} pacers live in one instance: free one first"),
            ));
        }
        let h = t.next;
        t.next = t.next.saturating_add(1);
        t.live.insert(h, pacer);
        Ok(h)
    })
}

/// Frees a pacer; its handle is dead from then on.
pub fn pacer_free(h: i64) -> Result<(), Error> {
    PACERS
        .with(|t| t.borrow_mut().live.remove(&h).map(|_| ()))
        .ok_or_else(|| bad_handle(h))
}

/// Runs `f` on the pacer `h`.
pub fn with_pacer<T>(h: i64, f: impl FnOnce(&mut Pacer) -> Result<T, Error>) -> Result<T, Error> {
    PACERS.with(|t| match t.borrow_mut().live.get_mut(&h) {
        Some(p) => f(p),
        None => Err(bad_handle(h)),
    })
}

/// A key's bytes: UTF-8 (the core checks its length).
pub fn key_of(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorCode::InvalidKey, "key must be valid UTF-8"))
}

/// The action record from the codec's answer slots (`ticket, until|at, attempt|attempts|capacity,
/// reason`, NaN for none: −1 here): `[action, ticket, until|at, attempt(s), reason, capacity]`.
fn record(action: i64, o: [f64; OUT_SLOTS]) -> [i64; ACTION_FIELDS] {
    // The slots hold safe integers or NaN.
    let i = |v: f64| if v.is_nan() { -1 } else { v as i64 };
    let (count, capacity) = if action == PK_NEVER_SEND {
        (-1, i(o[2]))
    } else {
        (i(o[2]), -1)
    };
    [action, i(o[0]), i(o[1]), count, i(o[3]), capacity]
}

/// The action record of a [`Step`].
pub fn step_record(s: &Step) -> [i64; ACTION_FIELDS] {
    let mut o = [0.0; OUT_SLOTS];
    let action = i64::from(write_step(*s, &mut o));
    // A consult never reaches here (`pacer_new` refuses `shared`); it would read as go.
    let consult = matches!(s, Step::Consult { .. });
    record(if consult { PK_GO } else { action }, o)
}

/// The action record of an [`After`] for `ticket`.
pub fn after_record(ticket: u64, a: &After) -> [i64; ACTION_FIELDS] {
    let mut o = [0.0; OUT_SLOTS];
    let action = PK_DONE + i64::from(write_after(ticket, *a, &mut o));
    record(action, o)
}

/// Parses the response with the pacer's own parse options (status 0: a network error, headers
/// and body ignored) and finishes the ticket.
pub fn pacer_finish(
    p: &mut Pacer,
    ticket: u64,
    status: i32,
    headers: &[u8],
    body: &[u8],
    now: u64,
) -> Result<After, Error> {
    let outcome = if status == 0 {
        Outcome::NetworkError
    } else {
        let reading = read_response_with(status, headers, body, now, &p.config().parse)?;
        Outcome::Response { reading }
    };
    p.finish(ticket, &outcome, now)
}

/// The names of a vocabulary, comma-joined: the core's (`pacekeeper::vocab::VOCABULARIES`:
/// `errorCodes`, `retryReasons`, `giveUpReasons`, `neverReasons`, ...) and this ABI's
/// `pacerActions` (the core's `steps` then `afters`).
pub fn vocabulary(name: &str) -> Result<String, Error> {
    match name {
        "pacerActions" => Ok(ACTIONS.join(",")),
        other => pacekeeper_bindings_common::vocabulary(other).map_err(|_| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("unknown vocabulary {other:?}"),
            )
        }),
    }
}
