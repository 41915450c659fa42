"""Fixtures: the core's codec through target/*/pk-codec, and a redis-server of our own."""
import importlib.util
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from types import SimpleNamespace

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


def load_shell():
    path = ROOT / "bindings-python/python/pacekeeper/store_redis.py"
    spec = importlib.util.spec_from_file_location("store_redis", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Codec:
    """The core's codec over JSON lines (until the binding exposes it natively)."""

    def __init__(self, exe):
        self.p = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        s = self._ask({"fn": "script"})
        self.script, self.script_sha1 = s["script"], s["sha1"]

    def _ask(self, msg):
        self.p.stdin.write(json.dumps(msg) + "\n")
        self.p.stdin.flush()
        ans = json.loads(self.p.stdout.readline())
        if "error" in ans:
            raise ValueError(ans["error"], ans["message"])
        return ans["ok"]

    def keys(self, budget):
        return self._ask({"fn": "keys", "id": budget})

    def encode(self, request, now_us):
        return self._ask({"fn": "encode", "request": request, "now": now_us})

    def decode(self, values):
        return self._ask({"fn": "decode", "values": values})

    def step(self, state, request, now_us):
        return self._ask({"fn": "step", "state": state, "request": request, "now": now_us})

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=5)


@pytest.fixture(scope="session")
def codec():
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    exe = next((str(p) for p in [target / "release/pk-codec", target / "debug/pk-codec"] if p.exists()), None)
    assert exe, "build it first: cargo build -p pacekeeper-redis-tests --bin pk-codec"
    c = Codec(exe)
    yield c
    c.close()


class Server:
    def __init__(self):
        binary = os.environ.get("REDIS_SERVER", "redis-server")
        if shutil.which(binary) is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI=true and no {binary}")
            pytest.skip(f"no {binary}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="pk-redis-py-")
        self.p = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not answer PING")

    def signal(self, sig):
        if self.p.poll() is None:
            os.kill(self.p.pid, sig)

    def stop(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGCONT)
            self.p.kill()
            self.p.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def shell():
    return load_shell()


@pytest.fixture(scope="session")
def vectors():
    return json.loads((ROOT / "tests/vectors/shared.json").read_text())["cases"]


def ns(**kw):
    return SimpleNamespace(**kw)
