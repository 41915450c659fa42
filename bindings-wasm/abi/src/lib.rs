//! Skeleton: the plain-ABI module is not built yet.
