"""Smoke test of the build plumbing: the installed wheel is wired to the core and its stub matches."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pacekeeper
import pacekeeper._native

ROOT = Path(__file__).resolve().parents[2]


def cargo_version() -> str:
    manifest = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    section = manifest.split("[workspace.package]", 1)[1]
    match = re.search(r'^version\s*=\s*"([^"]+)"', section, re.MULTILINE)
    assert match, "no version in [workspace.package]"
    return match.group(1)


def test_version_matches_cargo() -> None:
    assert pacekeeper.version() == cargo_version()
    assert pacekeeper.__version__ == cargo_version()
    assert importlib.metadata.version("pacekeeper") == cargo_version()


def test_error_codes() -> None:
    codes = pacekeeper.error_codes()
    assert isinstance(codes, list)
    assert "invalid_limit" in codes
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[a-z][a-z_]*", code) for code in codes)


def test_native_module_is_private_and_installed() -> None:
    # The tests must exercise the installed wheel, not the source tree.
    native = Path(pacekeeper._native.__file__ or "")
    assert "site-packages" in native.parts, native
    assert native.name.startswith("_native.abi3."), native.name
    package_dir = native.parent
    assert (package_dir / "py.typed").is_file()
    assert (package_dir / "_native.pyi").is_file()


def test_stub_matches_native_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "pacekeeper._native"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
