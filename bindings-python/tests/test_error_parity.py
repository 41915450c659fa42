"""Replays tests/vectors/errors.json through the Python package's public API: the same bad
input must give the same error code as in Rust, napi, WASM and the JMeter ABI. No case is
exempt: Python applies the codec's safe-integer rule (0..=2^53 - 1) to times, durations, counts
and configurations too."""
import json
import math
import pathlib

import pytest

import pacekeeper as pk

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "tests" / "vectors" / "errors.json"
CASES = json.loads(VECTORS.read_text())["cases"]
NUMS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}

def host(v):
    """The vector's value as Python data ({"$num": ...} -> float)."""
    if isinstance(v, dict):
        if set(v) == {"$num"}:
            return NUMS[v["$num"]]
        return {k: host(x) for k, x in v.items()}
    if isinstance(v, list):
        return [host(x) for x in v]
    return v


def limiter():
    return pk.Limiter([{"amount": 5, "period_ms": 1000}])


def call(name, a):
    if name == "check":
        return limiter().check(a["key"], a["cost"], now=a["now"])
    if name == "block_until":
        return limiter().block_until(a["key"], a["until"])
    if name == "observe":
        reading = {**pk.parse_headers(200, [], now=0).to_dict(), "status": a["status"]}
        return limiter().observe(a["key"], pk.Reading.from_dict(reading), now=a["now"])
    if name == "limiter":
        opts = dict(a)
        return pk.Limiter(opts.pop("limits", None), **opts)
    if name == "backoff":
        return pk.Backoff(**a)
    if name == "parse":
        kw = {k: a[k] for k in ("max_wait_ms", "reset_mode") if k in a}
        return pk.parse_headers(a["status"], a["headers"], a.get("body"), now=a["now"], **kw)
    if name == "plan":
        return pk.plan(a["request"], now=a["now"])
    if name == "delay":
        return pk.Backoff().delay_ms(a["n"], a["prev_ms"], a["seed"])
    if name == "schedule":
        return pk.Backoff().schedule(a["seed"], a["n"])
    raise AssertionError(f"unknown call {name}")


def params():
    return [pytest.param(case, id=case["name"]) for case in CASES]


def test_there_are_enough_cases():
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", params())
def test_error_code(case):
    args = host(case["args"])
    try:
        call(case["call"], args)
    except pk.PacekeeperError as e:  # the base of every coded error
        got = e.code
    except Exception as e:  # noqa: BLE001 - an uncoded error is a disagreement too
        got = f"uncoded {type(e).__name__}: {e}"
    else:
        got = None
    assert got == case["code"], f"{case['name']}: got {got}, want {case['code']}"


def test_reading_status_rule_holds_for_every_input_shape():
    # The observe vectors build readings from dicts; an object with to_dict() takes the same
    # rule (it used to meet only the u16 field's: 70000 was invalid_number).
    base = pk.parse_headers(200, [], now=0).to_dict()

    class Shaped:
        def __init__(self, status):
            self.status = status

        def to_dict(self):
            return {**base, "status": self.status}

    for status, code in ((700, "invalid_status"), (70000, "invalid_status"), (-1, "invalid_number")):
        with pytest.raises(pk.PacekeeperError) as e:
            pk.Reading.from_dict(Shaped(status))
        assert e.value.code == code, status
    assert pk.Reading.from_dict(Shaped(429)).status == 429
