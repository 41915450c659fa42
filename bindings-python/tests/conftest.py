"""Fixtures: the loopback test server (tests/server/server.mjs) as a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "server" / "server.mjs"


class TestServer:
    """A running server.mjs: ``url``, ``stats()``, ``reset(**options)``, ``get(path)``."""

    def __init__(self, **options: Any) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed")
        args = [node, str(SERVER), "--port", "0", "--max-seconds", "300"]
        for name, value in options.items():
            flag = "--" + "".join("-" + c.lower() if c.isupper() else c for c in name).replace("_", "-")
            args += [flag] if value is True else [flag, str(value)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {args}")
        self.url: str = json.loads(line)["url"]

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.loads(r.read())

    def stats(self) -> Any:
        return self.get("/__stats")

    def reset(self, **options: Any) -> None:
        body = json.dumps(options).encode() if options else b""
        req = urllib.request.Request(self.url + "/__reset", data=body, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def server() -> Iterator[TestServer]:
    srv = TestServer()
    yield srv
    srv.close()


@pytest.fixture
def fresh(server: TestServer) -> TestServer:
    """The session's server, reset (default genesys profile unless the test resets again)."""
    server.reset(profile="genesys", burst=15, ratePerSec=5)
    return server
