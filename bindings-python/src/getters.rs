//! `py_class!`: a native class wrapping one of the core's values (`inner`, plus any extra
//! fields), `frozen` (immutable) or `mutable`, with its read-only properties one line each.
//! pyo3 does not expand a macro inside `#[pymethods]`, so the macro writes the whole block: the
//! getters listed (`name: Type` reads the copyable field `inner.name`; `name: Type = expr`
//! computes it from `i`, bound to `&self.inner`), `to_dict` (the core's JSON shape), the options
//! in brackets (may be empty; `eq`: `__eq__` on `inner`; `repr`: `Name(field=value, ...)` from
//! the core's JSON shape; `show(field, ...)`: the same with those fields, in that order), then
//! the other methods as written.
//!
//! ```ignore
//! py_class!(
//!     /// One `RateLimit-Policy` item.
//!     frozen Policy(CorePolicy) [repr] |i| {
//!         quota: u64,
//!         name: String = i.name.clone(),
//!     }
//!     fn other(&self) -> u32 { ... }
//! );
//! ```

macro_rules! py_class {
    (@class [$($pc:ident)?] $(#[$m:meta])* $ty:ident($core:ty $(, $f:ident: $fty:ty)*) [$($o:tt)*] $($rest:tt)*) => {
        $(#[$m])*
        #[pyo3::pyclass($($pc,)? module = "pacekeeper._native")]
        #[derive(Debug, Clone)]
        pub(crate) struct $ty {
            pub(crate) inner: $core,
            $(pub(crate) $f: $fty,)*
        }
        py_class!(@opt $ty [$($o)*] $($rest)*);
    };
    (@opt $ty:ident [, $($o:tt)*] $($rest:tt)*) => {
        py_class!(@opt $ty [$($o)*] $($rest)*);
    };
    (@opt $ty:ident [eq $($o:tt)*] $($rest:tt)*) => {
        py_class!(@opt $ty [$($o)*] $($rest)*
            fn __eq__(&self, other: &pyo3::Bound<'_, pyo3::PyAny>) -> bool {
                other.cast::<$ty>().is_ok_and(|o| o.get().inner == self.inner)
            });
    };
    (@opt $ty:ident [repr $($o:tt)*] $($rest:tt)*) => {
        py_class!(@opt $ty [show() $($o)*] $($rest)*);
    };
    (@opt $ty:ident [show($($f:ident),*) $($o:tt)*] $($rest:tt)*) => {
        py_class!(@opt $ty [$($o)*] $($rest)*
            fn __repr__(&self, py: pyo3::Python<'_>) -> crate::errors::R<String> {
                crate::convert::repr_of(py, stringify!($ty), &self.inner, &[$(stringify!($f)),*])
            });
    };
    (@opt $ty:ident [] |$i:ident| { $($(#[$m:meta])* $name:ident: $ret:ty $(= $body:expr)?),* $(,)? } $($rest:tt)*) => {
        #[pyo3::pymethods]
        impl $ty {
            $(
                $(#[$m])*
                #[getter]
                fn $name(&self) -> $ret {
                    let $i = &self.inner;
                    py_class!(@body $i $name $($body)?)
                }
            )*
            /// The core's JSON shape, as a dict.
            fn to_dict(&self, py: pyo3::Python<'_>) -> crate::errors::R<pyo3::Py<pyo3::PyAny>> {
                crate::convert::dict_of(py, &self.inner)
            }
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
}
