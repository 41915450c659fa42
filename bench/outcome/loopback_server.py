"""The project's loopback server (tests/server/server.mjs) as a subprocess, with its control API."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from typing import Any, Optional

from params import SERVER


class Server:
    """One `node tests/server/server.mjs` process; stopped by closing its stdin (then by pid)."""

    def __init__(self, profile: str, burst: int, rate: float, skew_ms: int) -> None:
        node = shutil.which("node")
        if node is None:
            raise FileNotFoundError("node is not on PATH (the loopback server is Node)")
        args = [node, str(SERVER), "--profile", profile, "--port", "0", "--max-seconds", "1800",
                "--burst", str(burst), "--rate-per-sec", str(rate), "--skew-ms", str(skew_ms)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.proc.kill()
            raise RuntimeError(f"could not start the loopback server: {args}")
        self.url = json.loads(line)["url"]

    def control(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
