"""The Genesys adapter against a REAL pre-227 SDK: PureCloudPlatformClientV2 226.0.0, the last
release without ``ApiClient.set_http_client`` (its ``ApiClient.request`` sends through
``rest_client``, whose urllib3 pool retries 429s behind the caller's back).

The test venv holds the newest SDK, so 226.0.0 is installed once into ``target/py-sdk/226.0.0``
(``pip install --no-deps --target``: its dependencies are the newest's) and driven from a
subprocess with that directory first on ``PYTHONPATH``; the loopback server (conftest) counts what
reached it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
OLD = "226.0.0"
SDK_DIR = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "py-sdk" / OLD

SCRIPT = r"""
import json, sys
from importlib.metadata import version
import PureCloudPlatformClientV2 as sdk
import pacekeeper as pk
from pacekeeper import genesys

url, token, mode, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
assert version("PureCloudPlatformClientV2") == sys.argv[5], version("PureCloudPlatformClientV2")
assert sdk.__file__.startswith(sys.argv[6]), sdk.__file__
c = sdk.ApiClient(host=url)
c.access_token = token
out = {"has_set_http_client": callable(getattr(c, "set_http_client", None))}
pool_kw = c.rest_client.pool_manager.connection_pool_kw
out["sdk_retry_total"] = pool_kw["retries"].total
if mode == "paced":
    pacer = genesys.install(c, backoff=pk.Backoff(max_attempts=20))
    out["class"] = type(c).__name__
    out["retry_total_after_install"] = c.rest_client.pool_manager.connection_pool_kw["retries"].total
api = sdk.OutboundApi(c)
for i in range(count):
    contact = sdk.WritableDialerContact()
    contact.id, contact.contact_list_id, contact.data = f"{token}-{i}", "list", {"n": str(i)}
    api.post_outbound_contactlist_contacts(f"L-{token}", [contact])
if mode == "paced":
    s = pacer.stats
    out["stats"] = {"requests": s.requests, "throttled": s.throttled, "retries": s.retries, "waits": s.waits}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def old_sdk() -> Path:
    if not (SDK_DIR / "PureCloudPlatformClientV2").is_dir():
        partial = SDK_DIR.with_name(SDK_DIR.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--target", str(partial), f"PureCloudPlatformClientV2=={OLD}"],
            capture_output=True, text=True, check=False, timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        partial.rename(SDK_DIR)
    return SDK_DIR


def run_old(sdk_dir: Path, url: str, token: str, mode: str, count: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(sdk_dir), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, token, mode, str(count), OLD, str(sdk_dir)],
        capture_output=True, text=True, check=False, timeout=240, env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_old_sdk_retries_behind_the_callers_back(old_sdk, fresh) -> None:  # type: ignore[no-untyped-def]
    fresh.reset(profile="genesys", burst=1, ratePerSec=50)
    out = run_old(old_sdk, fresh.url, "plain", "plain", 3)
    assert out["has_set_http_client"] is False
    assert out["sdk_retry_total"] == 10
    stats = fresh.stats()
    assert stats["throttled"] > 0 and stats["requests"] > 3  # urllib3 retried the 429s unseen


@pytest.mark.parametrize("profile", ["genesys", "genesys-body-only"])
def test_install_takes_the_pre_227_path_and_obeys_every_429(old_sdk, fresh, profile: str) -> None:  # type: ignore[no-untyped-def]
    fresh.reset(profile=profile, burst=2, ratePerSec=10)
    out = run_old(old_sdk, fresh.url, "old", "paced", 12)
    assert out["has_set_http_client"] is False
    assert out["class"] == "PacekeeperApiClient"  # ApiClient subclassed in place
    assert out["sdk_retry_total"] == 10 and out["retry_total_after_install"] is False
    stats = fresh.stats()
    assert stats["earlyRetries"] == 0
    assert stats["requests"] == out["stats"]["requests"]  # every request the server saw was ours
    ids = fresh.get("/__contacts/L-old")
    assert ids["unique"] == 12 and ids["duplicates"] == 0
    if profile == "genesys-body-only":
        # No headers to learn from: the 429s come, and each is honoured from the body's text.
        assert stats["throttled"] > 0 and out["stats"]["retries"] == stats["throttled"]
