//! `py_getters!`: a `#[pymethods]` block whose read-only properties are one line each. pyo3 does
//! not expand a macro inside `#[pymethods]`, so the macro writes the whole block: the getters
//! listed (`name: Type` reads the copyable field `inner.name`; `name: Type = expr` computes it
//! from `i`, bound to `&self.inner`), then the other methods as written.
//!
//! ```ignore
//! py_getters!(Policy |i| {
//!     quota: u64,
//!     name: String = i.name.clone(),
//! } fn __repr__(&self) -> String { ... });
//! ```

macro_rules! py_getters {
    ($ty:ident |$i:ident| { $($(#[$m:meta])* $name:ident: $ret:ty $(= $body:expr)?),* $(,)? } $($rest:tt)*) => {
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
            $($rest)*
        }
    };
    (@body $i:ident $name:ident) => { $i.$name };
    (@body $i:ident $name:ident $body:expr) => { $body };
}
