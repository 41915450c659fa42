//! `py_class!`: a native class over one of the core's values (pyo3 expands no macro inside
//! `#[pymethods]`, so this one writes the whole block).
//!
//! - `frozen` (immutable) or `mutable` `Name(Core, Extra, ...)`, optionally `eq` and
//!   `show(field, ...)`, then `|i| {getters}` and the other methods: a newtype over the core's
//!   value. A getter `name: T` reads the copyable `self.0.name`; `name: T = expr` computes it
//!   from `i` (`&self.0`). `to_dict` is the core's JSON shape; `eq` writes `__eq__` (on the
//!   core's value), `show` a `__repr__` `Name(field=value, ...)` from that shape (those fields
//!   in that order; `show()`: all of them).
//! - `shared Name(Engine, "what", |e| state)` and the methods: a thread-safe engine behind a
//!   mutex (`self.lock()`) with `from_dict`, `to_dict` (`state` read from the locked `e`) and
//!   the `config` getter.

macro_rules! py_class {
    (@class [$($pc:ident)?] $(#[$m:meta])* $ty:ident($core:ty $(, $(#[$fm:meta])* $fty:ty)*) $($rest:tt)*) => {
        $(#[$m])*
        #[pyo3::pyclass($($pc,)? module = "pacekeeper._native")]
        #[derive(Debug, Clone)]
        pub(crate) struct $ty(pub(crate) $core $(, $(#[$fm])* pub(crate) $fty)*);
        py_class!(@opt $ty $($rest)*);
    };
    (@opt $ty:ident eq $($rest:tt)*) => {
        py_class!(@opt $ty $($rest)*
            fn __eq__(&self, other: &pyo3::Bound<'_, pyo3::PyAny>) -> bool {
                other.cast::<$ty>().is_ok_and(|o| o.get().0 == self.0)
            });
    };
    (@opt $ty:ident $(show($($f:ident),*))? |$i:ident| { $($(#[$m:meta])* $name:ident: $ret:ty $(= $body:expr)?),* $(,)? } $($rest:tt)*) => {
        #[pyo3::pymethods]
        impl $ty {
            $(
                $(#[$m])*
                #[getter]
                fn $name(&self) -> $ret {
                    let $i = &self.0;
                    py_class!(@body $i $name $($body)?)
                }
            )*
            /// The core's JSON shape, as a dict.
            fn to_dict(&self, py: pyo3::Python<'_>) -> crate::errors::R<pyo3::Py<pyo3::PyAny>> {
                crate::convert::dict_of(py, &self.0)
            }
            $(fn __repr__(&self, py: pyo3::Python<'_>) -> crate::errors::R<String> {
                crate::convert::repr_of(py, stringify!($ty), &self.0, &[$(stringify!($f)),*])
            })?
            $($rest)*
        }
    };
    (@body $i:ident $name:ident) => { $i.$name };
    (@body $i:ident $name:ident $body:expr) => { $body };
    ($(#[$m:meta])* frozen $($rest:tt)*) => {
        py_class!(@class [frozen] $(#[$m])* $($rest)*);
    };
    ($(#[$m:meta])* mutable $($rest:tt)*) => {
        py_class!(@class [] $(#[$m])* $($rest)*);
    };
    ($(#[$m:meta])* shared $ty:ident($core:ty, $what:literal, |$e:ident| $state:expr) $($rest:tt)*) => {
        $(#[$m])*
        #[pyo3::pyclass(frozen, module = "pacekeeper._native")]
        #[derive(Debug)]
        pub(crate) struct $ty(std::sync::Mutex<$core>);

        impl $ty {
            fn lock(&self) -> std::sync::MutexGuard<'_, $core> {
                self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
            }
        }

        impl From<$core> for $ty {
            fn from(core: $core) -> Self {
                Self(std::sync::Mutex::new(core))
            }
        }

        #[pyo3::pymethods]
        impl $ty {
            #[doc = concat!("A ", $what, " from ``to_dict()``'s ``{\"config\": ..., \"state\": ...}``.")]
            #[staticmethod]
            fn from_dict(d: &pyo3::Bound<'_, pyo3::PyAny>) -> crate::errors::R<Self> {
                let (c, s) = crate::convert::unpersist(d, $what)?;
                Ok(match s {
                    Some(s) => <$core>::from_state(c, s)?,
                    None => <$core>::new(c)?,
                }
                .into())
            }
            /// ``{"config": ..., "state": ...}``: plain data for ``from_dict``.
            fn to_dict(&self, py: pyo3::Python<'_>) -> crate::errors::R<pyo3::Py<pyo3::PyAny>> {
                let (c, s) = {
                    let $e = self.lock();
                    ($e.config().clone(), $state)
                };
                crate::convert::persisted(py, &c, &s)
            }
            /// The configuration as a dict (every default filled in).
            #[getter]
            fn config(&self, py: pyo3::Python<'_>) -> crate::errors::R<pyo3::Py<pyo3::PyAny>> {
                let c = self.lock().config().clone();
                crate::convert::dict_of(py, &c)
            }
            $($rest)*
        }
    };
}
