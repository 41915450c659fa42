"""The Genesys adapter's default key of a bearer token is the core's ``token_key``: the shared
vectors' keys (tests/vectors/token_keys.json, computed by an independent reference), the same as
the Node adapter's, so Node and Python processes pacing one OAuth client share its budget."""

import json
import pathlib
from types import SimpleNamespace

import pacekeeper
from pacekeeper import genesys

CASES = json.loads(
    (pathlib.Path(__file__).resolve().parents[2] / "tests" / "vectors" / "token_keys.json").read_text("utf-8")
)["cases"]


def test_token_key_gives_every_shared_key() -> None:
    assert len(CASES) >= 5
    for case in CASES:
        assert pacekeeper.token_key(case["token"]) == case["expect"], case["name"]


def test_the_genesys_adapter_keys_a_client_by_the_shared_key() -> None:
    for case in CASES:
        key = genesys._default_key(SimpleNamespace(access_token=case["token"]))
        assert key() == case["expect"], case["name"]


def test_token_key_takes_text_as_javascript_does_and_codes_a_wrong_type() -> None:
    # A lone surrogate is read as U+FFFD, as a JavaScript string crosses into Rust.
    assert pacekeeper.token_key("a\ud800b") == pacekeeper.token_key("a\ufffdb")
    try:
        pacekeeper.token_key(5)  # type: ignore[arg-type]
    except pacekeeper.PacekeeperTypeError as e:
        assert e.code == "invalid_argument"
    else:
        raise AssertionError("token_key(5) must raise")
