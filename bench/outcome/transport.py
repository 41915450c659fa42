"""Every client's transport: requests with injected faults (the same seeded sequence for every
client) and sleeps bounded by the cell's deadline."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import requests


class InjectedFault(requests.ConnectionError):
    """A network error injected by the benchmark's transport."""


class DeadlineExceeded(Exception):
    """The cell ran past its deadline: the client stops (not a network error, never retried)."""


class Transport:
    def __init__(self, url: str, fault_rate: float, seed: int, deadline: float) -> None:
        self.url = url
        self.fault_rate = fault_rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.deadline = deadline
        self.local = threading.local()
        self.faults_before = 0
        self.faults_after = 0

    def sleep(self, seconds: float) -> None:
        """Every client's sleep: one that would end past the cell's deadline stops the client
        at once (DeadlineExceeded; what it had left counts as lost), so no cell runs away (the
        strict profile's lockouts double without end for a client that retries early)."""
        self.check(seconds)
        if seconds > 0:
            time.sleep(seconds)

    def check(self, seconds: float) -> None:
        """DeadlineExceeded when a sleep of ``seconds`` would end past the cell's deadline."""
        if time.monotonic() + seconds > self.deadline:
            raise DeadlineExceeded()

    def _session(self) -> requests.Session:
        s = getattr(self.local, "session", None)
        if s is None:
            s = self.local.session = requests.Session()
        return s

    def draw_fault(self) -> "tuple[bool, bool]":
        """The next request's fault from the seeded sequence: (before it leaves, after the answer)."""
        with self.lock:
            fault = self.rng.random() < self.fault_rate
            before = fault and self.rng.random() < 0.5
            if fault:
                if before:
                    self.faults_before += 1
                else:
                    self.faults_after += 1
        return before, fault and not before

    def send(self, method: str, path: str, token: str, body: Any = None) -> requests.Response:
        if time.monotonic() > self.deadline:
            raise DeadlineExceeded()
        before, after = self.draw_fault()
        fault = before or after
        if before:
            raise InjectedFault("injected: connection reset before the request was sent")
        r = self._session().request(method, self.url + path, json=body,
                                    headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if fault:
            r.close()
            raise InjectedFault("injected: connection reset before the response arrived")
        return r
