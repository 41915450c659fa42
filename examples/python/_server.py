"""Starts the loopback test server (tests/server/server.mjs) for an example, unless --url is given."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Optional

SERVER = Path(__file__).resolve().parents[2] / "tests" / "server" / "server.mjs"


class LocalServer:
    def __init__(self, url: Optional[str] = None, **options: Any) -> None:
        self.proc: Optional[subprocess.Popen] = None
        if url:
            self.url = url.rstrip("/")
            return
        node = shutil.which("node") or "node"
        args = [node, str(SERVER), "--port", "0", "--max-seconds", "900"]
        for name, value in options.items():
            if value is not None:
                args += ["--" + name.replace("_", "-"), str(value)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise SystemExit(f"could not start the test server: {args}")
        self.url = json.loads(line)["url"]

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.loads(r.read())

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
