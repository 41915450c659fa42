//! Response headers from Python objects to the core's `(name, value)` pairs.

use crate::convert::{to_str, type_name};
use crate::errors::{type_err, R};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

fn is_seq(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()
}

/// A `(name, value)` pair (a tuple or a list of two).
fn two<'py>(item: &Bound<'py, PyAny>) -> R<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    if let Ok(t) = item.cast::<PyTuple>() {
        if t.len() == 2 {
            return Ok((t.get_item(0)?, t.get_item(1)?));
        }
    } else if let Ok(l) = item.cast::<PyList>() {
        if l.len() == 2 {
            return Ok((l.get_item(0)?, l.get_item(1)?));
        }
    }
    Err(type_err("headers must be (name, value) pairs"))
}

/// Header pairs from a list of ``(name, value)`` pairs, a ``dict`` (a value may be a list of
/// values) or any object with ``multi_items()`` (httpx) or ``items()`` (requests, urllib3,
/// ``email.message.Message``).
pub(crate) fn header_pairs(headers: &Bound<'_, PyAny>) -> R<Vec<(String, String)>> {
    let mut out = Vec::new();
    let dict = headers.is_instance_of::<PyDict>();
    let items = if headers.is_none() {
        return Ok(out);
    } else if dict {
        headers.call_method0("items")?
    } else if is_seq(headers) {
        headers.clone()
    } else if headers.is_instance_of::<PyString>() || headers.is_instance_of::<PyBytes>() {
        return Err(type_err("headers must be a mapping or (name, value) pairs"));
    } else if headers.hasattr("multi_items")? {
        headers.call_method0("multi_items")?
    } else if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else {
        return Err(type_err(format!(
            "headers must be a mapping, an object with items(), or (name, value) pairs, got {}",
            type_name(headers)
        )));
    };
    for item in items.try_iter()? {
        let pair = two(&item?)?;
        let name = to_str(&pair.0, "header name")?;
        if dict && is_seq(&pair.1) {
            for v in pair.1.try_iter()? {
                out.push((name.clone(), to_str(&v?, "header value")?));
            }
        } else {
            out.push((name, to_str(&pair.1, "header value")?));
        }
    }
    Ok(out)
}
