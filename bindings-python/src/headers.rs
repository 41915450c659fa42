//! Response headers from Python objects to the core's `(name, value)` pairs.

use crate::convert::{to_str, type_name};
use crate::errors::type_err;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

fn pair(item: &Bound<'_, PyAny>, out: &mut Vec<(String, String)>) -> PyResult<()> {
    let two = if let Ok(t) = item.cast::<PyTuple>() {
        (t.len() == 2).then(|| (t.get_item(0), t.get_item(1)))
    } else if let Ok(l) = item.cast::<PyList>() {
        (l.len() == 2).then(|| (l.get_item(0), l.get_item(1)))
    } else {
        None
    };
    match two {
        Some((name, value)) => {
            out.push((
                to_str(&name?, "header name")?,
                to_str(&value?, "header value")?,
            ));
            Ok(())
        }
        None => Err(type_err(item.py(), "headers must be (name, value) pairs")),
    }
}

/// Header pairs from a list of ``(name, value)`` pairs, a ``dict`` or any object with
/// ``multi_items()`` (httpx) or ``items()`` (requests, urllib3, ``email.message.Message``).
pub(crate) fn header_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let py = headers.py();
    let mut out = Vec::new();
    if headers.is_none() {
        return Ok(out);
    }
    if let Ok(d) = headers.cast::<PyDict>() {
        for (k, v) in d.iter() {
            let name = to_str(&k, "header name")?;
            if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
                for x in v.try_iter()? {
                    out.push((name.clone(), to_str(&x?, "header value")?));
                }
            } else {
                out.push((name, to_str(&v, "header value")?));
            }
        }
        return Ok(out);
    }
    if headers.is_instance_of::<PyList>() || headers.is_instance_of::<PyTuple>() {
        for item in headers.try_iter()? {
            pair(&item?, &mut out)?;
        }
        return Ok(out);
    }
    if headers.is_instance_of::<PyString>() || headers.is_instance_of::<PyBytes>() {
        return Err(type_err(
            py,
            "headers must be a mapping or (name, value) pairs",
        ));
    }
    let items = if headers.hasattr("multi_items")? {
        headers.call_method0("multi_items")?
    } else if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else {
        return Err(type_err(
            py,
            format!(
                "headers must be a mapping, an object with items(), or (name, value) pairs, got {}",
                type_name(headers)
            ),
        ));
    };
    for item in items.try_iter()? {
        pair(&item?, &mut out)?;
    }
    Ok(out)
}
