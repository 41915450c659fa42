"""The Python examples end with zero records lost or duplicated and zero early retries."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def run(script: str, *args: str) -> dict[str, str]:
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert r.returncode == 0, r.stdout + r.stderr
    summary = dict(re.findall(r"^  (\S[^\n]*?\S) {2,}([^\n]*)$", r.stdout, re.MULTILINE))
    assert summary["result"] == "OK", r.stdout
    return summary


def test_bulk_sync_body_only_profile_meets_429s_and_honours_them() -> None:
    pytest.importorskip("PureCloudPlatformClientV2")
    # No headers on 2xx: pacekeeper only learns from the 429 bodies, and must honour them.
    s = run("bulk_sync.py", "--profile", "genesys-body-only", "--tenants", "3", "--burst", "3", "--rate-per-sec", "2", "--no-bar")
    assert s["records lost"] == "0" and s["records duplicated"] == "0" and s["early retries"] == "0"
    assert int(s["429s"]) > 0
    assert s["tenants"].startswith("3 x 10000 contacts in batches of 500")
    m = re.match(r"(\d+) \(pacekeeper sent (\d+)\)", s["requests"])
    assert m and m.group(1) == m.group(2)


def test_messaging_learns_the_limit() -> None:
    s = run("messaging.py", "--rate-per-sec", "20", "--messages", "100", "--threads", "15")
    assert s["messages lost"] == "0" and s["duplicated"] == "0" and s["early retries"] == "0"
    assert s["limit learnt"].startswith("15 ")
    assert s["429s"] == "0"  # it stopped at the burst: learnt, not bumped into
