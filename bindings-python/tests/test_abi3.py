"""One abi3 wheel for every CPython from 3.9 on: the wheel this suite tests is installed into
CPython 3.9 (the oldest supported) and 3.13 (the newest here) and replays every shared vector
there, exactly as in the test interpreter.

The interpreters come from pyenv (``~/.pyenv/versions/3.9.*``) or ``python3.9``/``python3.13`` on
PATH; their venvs live under ``target/abi3-venvs`` and are reused. Set ``PACEKEEPER_ABI3_PYTHONS``
(e.g. ``3.9,3.13``) to choose the versions; a version not on the machine is skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pacekeeper

ROOT = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parent
WHEELS = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "wheels"
VENVS = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "abi3-venvs"
VERSIONS = os.environ.get("PACEKEEPER_ABI3_PYTHONS", "3.9,3.13").split(",")

CHECK_ERRORS = """
import pacekeeper
try:
    pacekeeper.Limiter([{"amount": 0, "period_ms": 1000}])
except pacekeeper.PacekeeperError as e:
    assert isinstance(e, ValueError) and e.code == "invalid_limit", (type(e), e.code)
else:
    raise AssertionError("no error for a zero amount")
try:
    pacekeeper.Limiter([{"amount": 1, "period_ms": 1000}]).check(42)
except TypeError as e:
    assert getattr(e, "code", None) == "invalid_argument", e
else:
    raise AssertionError("no TypeError for a non-str key")
print("errors ok")
"""


def interpreter(version: str) -> Path | None:
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv.glob(f"{version}.*"), reverse=True):
        exe = candidate / "bin" / f"python{version}"
        if exe.is_file():
            return exe
    found = shutil.which(f"python{version}")
    if found is None:
        return None
    # A pyenv shim for a version pyenv does not have fails when run.
    probe = subprocess.run([found, "-c", "pass"], capture_output=True, check=False)
    return Path(found) if probe.returncode == 0 else None


def wheel() -> Path:
    wheels = sorted(WHEELS.glob(f"pacekeeper-{pacekeeper.__version__}-*abi3*.whl"))
    assert wheels, f"no abi3 wheel of {pacekeeper.__version__} in {WHEELS} (run: make build-python)"
    return wheels[-1]


def run(args: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, timeout=300, **kwargs  # type: ignore[call-overload]
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_the_wheel_in_another_cpython(version: str) -> None:
    exe = interpreter(version)
    if exe is None:
        pytest.skip(f"CPython {version} is not installed here")
    whl = wheel()
    assert "-cp39-abi3-" in whl.name, whl.name
    venv = VENVS / version
    python = venv / "bin" / "python"
    if not python.is_file():
        made = run([exe, "-m", "venv", "--clear", venv])
        assert made.returncode == 0, made.stderr
    # The same wheel file, reinstalled every time (a rebuilt wheel keeps its name).
    installed = run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-index",
         "--force-reinstall", whl]
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    info = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], env=env)
    assert info.stdout.strip() == version, info.stdout + info.stderr

    vectors = run([python, TESTS / "vector_runner.py"], env=env, cwd=venv)
    assert vectors.returncode == 0, vectors.stdout + vectors.stderr
    summary = json.loads(vectors.stdout.strip().splitlines()[-1])
    assert summary["version"] == pacekeeper.__version__
    assert summary["cases"] >= 200
    assert summary["mismatches"] == [], summary["mismatches"]

    errors = run([python, "-c", CHECK_ERRORS], env=env, cwd=venv)
    assert errors.returncode == 0 and errors.stdout.strip() == "errors ok", errors.stdout + errors.stderr


def test_the_test_interpreter_is_not_one_of_them() -> None:
    # Guards the point of the test above: it must exercise other interpreters than this one.
    assert "%d.%d" % sys.version_info[:2] not in VERSIONS
