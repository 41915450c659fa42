//! `py_getters!`: a `#[pymethods]` block whose read-only properties are one line each. pyo3 does
//! not expand a macro inside `#[pymethods]`, so the macro writes the whole block: the getters
//! listed (`name: Type` reads the copyable field `inner.name`; `name: Type = expr` computes it
//! from `i`, bound to `&self.inner`), `to_dict` (the core's JSON shape), the options in brackets
//! (may be empty; `eq`: `__eq__` on `inner`; `repr`: `Name(field=value, ...)` from the core's JSON shape),
//! then the other methods as written.
//!
//! ```ignore
//! py_getters!(Policy [repr] |i| {
//!     quota: u64,
//!     name: String = i.name.clone(),
//! } fn other(&self) -> u32 { ... });
//! ```

macro_rules! py_getters {
    (@opt $ty:ident [eq $($o:ident)*] $($rest:tt)*) => {
        py_getters!(@opt $ty [$($o)*] $($rest)*
            fn __eq__(&self, other: &pyo3::Bound<'_, pyo3::PyAny>) -> bool {
                other.cast::<$ty>().is_ok_and(|o| o.get().inner == self.inner)
            });
    };
    (@opt $ty:ident [repr $($o:ident)*] $($rest:tt)*) => {
        py_getters!(@opt $ty [$($o)*] $($rest)*
            fn __repr__(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<String> {
                crate::convert::repr_of(py, stringify!($ty), &self.inner)
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
                    py_getters!(@body $i $name $($body)?)
                }
            )*
            /// The core's JSON shape, as a dict.
            fn to_dict(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                crate::convert::dict_of(py, &self.inner)
            }
            $($rest)*
        }
    };
    (@body $i:ident $name:ident) => { $i.$name };
    (@body $i:ident $name:ident $body:expr) => { $body };
    ($ty:ident [$($o:ident),*] $($rest:tt)*) => {
        py_getters!(@opt $ty [$($o)*] $($rest)*);
    };
}
