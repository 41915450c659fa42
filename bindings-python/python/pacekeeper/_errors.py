"""The package's exceptions. The native module raises these (it imports this module lazily)."""

from __future__ import annotations

__all__ = ["PacekeeperError", "PacekeeperTypeError"]


class PacekeeperError(ValueError):
    """Invalid input. ``code`` is one of :func:`pacekeeper.error_codes`, e.g. ``"invalid_limit"``."""

    code: str
    message: str

    def __init__(self, message: str, code: str = "invalid_argument") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.message, self.code))


class PacekeeperTypeError(PacekeeperError, TypeError):
    """An argument of the wrong type or a missing field (``code == "invalid_argument"``)."""

    def __init__(self, message: str, code: str = "invalid_argument") -> None:
        super().__init__(message, code)
