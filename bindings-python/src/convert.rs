//! Python values to the core's types and back: the argument types, text, and a JSON bridge
//! (serde does the shapes: no field list, enum order or default is restated here).

use crate::errors::{number_err, type_err, Failure, R};
use pacekeeper_bindings_common::{from_value, json_number, uint, uint_u64};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pythonize::pythonize;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Map, Value};
use std::hash::BuildHasher;

/// The deepest nesting of lists and dicts the JSON bridge takes.
const MAX_DEPTH: usize = 32;

/// The system clock, epoch ms (the only clock read in the package's native half).
pub(crate) fn clock_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A default seed from the OS random source; should it refuse, std's randomly keyed hasher over
/// the clock (still unpredictable across processes).
pub(crate) fn random_u64() -> u64 {
    let fallback = || std::collections::hash_map::RandomState::new().hash_one(clock_ms());
    getrandom::u64().unwrap_or_else(|_| fallback())
}

pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    let name = obj.get_type().name();
    name.map_or_else(|_| "?".into(), |n| n.to_string())
}

/// `invalid_argument`: "`name` must be `expected`, got `type`".
pub(crate) fn wrong(name: &str, expected: &str, obj: &Bound<'_, PyAny>) -> Failure {
    type_err(format!("{name} must be {expected}, got {}", type_name(obj)))
}

/// Argument `name`, an instance of the native class `T` (else `invalid_argument`).
pub(crate) fn native<'a, 'py, T: pyo3::PyClass>(
    obj: &'a Bound<'py, PyAny>,
    name: &str,
    expected: &str,
) -> R<&'a Bound<'py, T>> {
    obj.cast::<T>()
        .map_err(|_| type_err(format!("{name} must be {expected}")))
}

/// A non-negative `int` of 64 bits, or a `float` by the codec's rule (a safe integer); not a bool.
pub(crate) fn to_u64(obj: &Bound<'_, PyAny>, name: &str) -> R<u64> {
    if obj.is_instance_of::<PyBool>() {
        return Err(type_err(format!("{name} must be an int, got a bool")));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        let range = |_| number_err(format!("{name} must be an integer in 0..=2^64-1, got {i}"));
        return i.extract::<u64>().map_err(range);
    }
    match obj.cast::<PyFloat>() {
        Ok(f) => Ok(uint(f.value(), name)?),
        Err(_) => Err(wrong(name, "an int", obj)),
    }
}

/// A time, duration or count: 0..=2^53 - 1 in every runtime, else `invalid_number` (seeds and
/// tickets are full 64-bit: [`to_u64`]).
pub(crate) fn to_safe(obj: &Bound<'_, PyAny>, name: &str) -> R<u64> {
    Ok(uint_u64(to_u64(obj, name)?, name)?)
}

/// [`to_safe`] of an optional argument.
pub(crate) fn opt_safe(obj: Option<&Bound<'_, PyAny>>, name: &str) -> R<Option<u64>> {
    obj.map(|o| to_safe(o, name)).transpose()
}

/// Argument types: each converts one kind of Python argument and names it in its errors.
macro_rules! args {
    ($($(#[$m:meta])* $ty:ident($t:ty) = |$o:ident| $conv:expr;)*) => {$(
        $(#[$m])*
        pub(crate) struct $ty(pub(crate) $t);

        impl<'a, 'py> FromPyObject<'a, 'py> for $ty {
            type Error = Failure;
            fn extract($o: Borrowed<'a, 'py, PyAny>) -> R<Self> {
                $conv.map($ty)
            }
        }
    )*};
}

args! {
    /// `now`, epoch ms: a safe integer (`None`: the system clock, [`clock_or`]).
    Now(u64) = |o| to_safe(&o, "now");
    /// A cost (`None`: the core's default); beyond 32 bits it saturates (then `invalid_cost`).
    Cost(u32) = |o| to_safe(&o, "cost").map(|c| u32::try_from(c).unwrap_or(u32::MAX));
    /// A ticket of the pacer.
    Ticket(u64) = |o| to_u64(&o, "ticket");
    /// A seed: any unsigned 64-bit integer.
    Seed(u64) = |o| to_u64(&o, "seed");
    /// A key's text, borrowed from Python (a lone surrogate becomes U+FFFD, as in [`py_text`]).
    Key(PyBackedStr) = |o| str_arg(&o, "key");
}

/// `now`, defaulting to the system clock.
pub(crate) fn clock_or(now: Option<Now>) -> u64 {
    now.map_or_else(clock_ms, |n| n.0)
}

/// A cost, defaulting to the core's [`pacekeeper::bucket::DEFAULT_COST`].
pub(crate) fn cost_or_default(cost: Option<Cost>) -> u32 {
    cost.map_or(pacekeeper::bucket::DEFAULT_COST, |c| c.0)
}

/// A `str`'s text. A lone surrogate (not encodable as UTF-8) becomes U+FFFD, exactly as
/// JavaScript strings cross into Rust in the napi and wasm packages.
pub(crate) fn py_text(s: &Bound<'_, PyString>) -> R<String> {
    if let Ok(c) = s.to_cow() {
        return Ok(c.into_owned());
    }
    let units = s.call_method1("encode", ("utf-16-le", "surrogatepass"))?;
    let units = units.cast_into::<PyBytes>().map_err(PyErr::from)?;
    let units = units.as_bytes().chunks_exact(2);
    let units = units.map(|c| u16::from_le_bytes([c[0], c[1]]));
    let text = char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER));
    Ok(text.collect())
}

/// A `str` (or header `bytes`, ISO-8859-1 on the wire) as text.
pub(crate) fn to_str(obj: &Bound<'_, PyAny>, name: &str) -> R<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return py_text(s);
    }
    match obj.cast::<PyBytes>() {
        Ok(b) => Ok(b.as_bytes().iter().map(|&c| char::from(c)).collect()),
        Err(_) => Err(wrong(name, "a str", obj)),
    }
}

/// A `str` argument's text, borrowed from Python (a lone surrogate becomes U+FFFD).
pub(crate) fn str_arg(obj: &Bound<'_, PyAny>, name: &str) -> R<PyBackedStr> {
    let s = obj
        .cast::<PyString>()
        .map_err(|_| wrong(name, "a str", obj))?;
    Ok(match PyBackedStr::try_from(s.clone()) {
        Ok(b) => b,
        Err(_) => PyString::new(obj.py(), &py_text(s)?).try_into()?,
    })
}

// ---------------------------------------------------------------- JSON bridge (non-hot paths)

/// A configuration or request as the core's `T`, its numbers by the codec's rule (an integer
/// beyond 2^53 − 1 in magnitude is `invalid_number`, as in JS), its shape by the core's serde.
pub(crate) fn config<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> R<T> {
    Ok(from_value(what, json_of(obj, 0, true)?)?)
}

/// [`config`] of a dict and keyword arguments, the keywords winning (none: `{}`, the core's
/// defaults); anything but a dict goes to the core as it is, whose shape rule refuses it.
pub(crate) fn kwargs<T: DeserializeOwned>(
    base: Option<&Bound<'_, PyAny>>,
    fields: Option<&Bound<'_, PyDict>>,
    what: &str,
) -> R<T> {
    let mut m = match base.map(|b| json_of(b, 0, true)).transpose()? {
        None => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => return Ok(from_value(what, other)?),
    };
    if let Some(Value::Object(f)) = fields.map(|f| json_of(f, 0, true)).transpose()? {
        m.extend(f);
    }
    Ok(from_value(what, Value::Object(m))?)
}

/// Persisted data (a `to_dict()`) as the core's `T`: it holds the core's own exact 64-bit values.
pub(crate) fn data<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> R<T> {
    Ok(from_value(what, data_json(obj)?)?)
}

/// [`data`]'s JSON, for a caller that reads a field of it before decoding.
pub(crate) fn data_json(obj: &Bound<'_, PyAny>) -> R<Value> {
    json_of(obj, 0, false)
}

/// A Python value as JSON: dicts (str keys), lists, tuples, str, int, float, bool, None, and any
/// object with a `to_dict()` method or mapping methods. Floats by the codec's rule; ints too when
/// `safe` (else persisted exact 64-bit values).
fn json_of(obj: &Bound<'_, PyAny>, depth: usize, safe: bool) -> R<Value> {
    if depth > MAX_DEPTH {
        return Err(type_err("input nested too deeply"));
    }
    if obj.is_none() {
        Ok(Value::Null)
    } else if let Ok(b) = obj.cast::<PyBool>() {
        Ok(Value::Bool(b.is_true()))
    } else if let Ok(i) = obj.cast::<PyInt>() {
        if safe {
            // Exact in every runtime, or `invalid_number` (the codec's message).
            let v = i.extract::<i64>().unwrap_or(i64::MAX);
            return Ok(uint_u64(v.unsigned_abs(), "a number").map(|_| Value::from(v))?);
        }
        let v = i.extract::<u64>().map(Value::from);
        let v = v.or_else(|_| i.extract::<i64>().map(Value::from));
        v.map_err(|_| number_err(format!("integer out of range: {i}")))
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        Ok(json_number(f.value(), "a number")?)
    } else if let Ok(s) = obj.cast::<PyString>() {
        Ok(Value::String(py_text(s)?))
    } else if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::new();
        for (k, v) in d.iter() {
            let k = k
                .cast::<PyString>()
                .map_err(|_| type_err("dict keys must be str"))?;
            m.insert(py_text(k)?, json_of(&v, depth + 1, safe)?);
        }
        Ok(Value::Object(m))
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items = obj.try_iter()?.map(|v| json_of(&v?, depth + 1, safe));
        Ok(Value::Array(items.collect::<R<_>>()?))
    } else if obj.is_instance_of::<PyBytes>() {
        Err(type_err("bytes are not JSON"))
    } else if let Ok(to_dict) = obj.getattr("to_dict") {
        json_of(&to_dict.call0()?, depth + 1, safe)
    } else if obj.hasattr("keys")? && obj.hasattr("__getitem__")? {
        // A mapping, through `dict(obj)` (its `keys()` and `obj[key]`).
        let d = obj.py().get_type::<PyDict>().call1((obj,))?;
        json_of(&d, depth + 1, safe)
    } else {
        let what = "(expected dict, list, str, int, float, bool or None)";
        let message = format!("cannot convert a {} {what}", type_name(obj));
        Err(type_err(message))
    }
}

pub(crate) fn to_value<T: Serialize>(t: &T) -> R<Value> {
    serde_json::to_value(t).map_err(|e| type_err(e.to_string()))
}

/// JSON as Python data.
fn py_of(py: Python<'_>, v: &Value) -> R<Py<PyAny>> {
    Ok(pythonize(py, v).map_err(PyErr::from)?.unbind())
}

/// The core's JSON shape of `t`, as Python data.
pub(crate) fn dict_of<T: Serialize>(py: Python<'_>, t: &T) -> R<Py<PyAny>> {
    py_of(py, &to_value(t)?)
}

/// [`dict_of`] of an optional value (`None` stays `None`).
pub(crate) fn dict_opt<T: Serialize>(py: Python<'_>, t: Option<T>) -> R<Option<Py<PyAny>>> {
    t.map(|t| dict_of(py, &t)).transpose()
}

/// `Name(field=value, ...)` from the core's JSON shape of `t`, each value in Python's `repr`:
/// the fields in `only` that it has, in that order (none: all of them).
pub(crate) fn repr_of<T: Serialize>(py: Python<'_>, name: &str, t: &T, only: &[&str]) -> R<String> {
    let Value::Object(m) = to_value(t)? else {
        return Ok(format!("{name}()"));
    };
    let all: Vec<&str> = m.keys().map(String::as_str).collect();
    let mut parts = Vec::new();
    for k in if only.is_empty() { &all } else { only } {
        if let Some(v) = m.get(*k) {
            parts.push(format!("{k}={}", py_of(py, v)?.bind(py).repr()?));
        }
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

/// ``{"config": ..., "state": ...}`` as Python data, serialised without the GIL (its cost
/// grows with the number of keys).
pub(crate) fn persisted<C, S>(py: Python<'_>, config: &C, state: &S) -> R<Py<PyAny>>
where
    C: Serialize + Sync,
    S: Serialize + Sync,
{
    let json =
        py.detach(|| R::Ok(json!({ "config": to_value(config)?, "state": to_value(state)? })));
    py_of(py, &json?)
}

/// ``from_dict``'s argument as the core's config `C` (absent: `{}`) and state `S` (absent:
/// `None`); `what` names the object in errors.
pub(crate) fn unpersist<C, S>(d: &Bound<'_, PyAny>, what: &str) -> R<(C, Option<S>)>
where
    C: DeserializeOwned,
    S: DeserializeOwned,
{
    let Value::Object(mut m) = json_of(d, 0, false)? else {
        return Err(type_err("from_dict takes a dict"));
    };
    let config = m.remove("config").unwrap_or(Value::Object(Map::new()));
    let config = from_value(&format!("{what} config"), config)?;
    let state = m.remove("state");
    let state = state.map(|s| from_value(&format!("{what} state"), s));
    Ok((config, state.transpose()?))
}
