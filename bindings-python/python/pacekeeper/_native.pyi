# Type stub for the private native module built from bindings-python/src/lib.rs.
# Kept in sync by `python -m mypy.stubtest pacekeeper._native` (run by the test suite).

__all__ = ["error_codes", "version"]

def version() -> str:
    """The version of the native module (the crate version, shared by every package)."""

def error_codes() -> list[str]:
    """Every stable error code string an error's ``code`` can take, e.g. ``"invalid_limit"``."""
