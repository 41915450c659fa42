"""pacekeeper: a pure, deterministic rate-limit and backoff engine.

The engine is written in Rust; this package wraps its private native module ``pacekeeper._native``.
"""

from __future__ import annotations

from ._native import error_codes, version

__version__: str = version()

__all__ = ["__version__", "error_codes", "version"]
