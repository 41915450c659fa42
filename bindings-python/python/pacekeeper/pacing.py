"""Pacing for bulk jobs: acquire before sending. See :class:`pacekeeper.Pacer`."""

from ._runtime import GiveUp, Pacer, PacerStats

__all__ = ["GiveUp", "Pacer", "PacerStats"]
