"""The core owns its vocabulary and defaults: the values the package shows come from the engine,
and the Python layer's sources restate none of them (issue 9)."""

import inspect
import pathlib

import pytest

import pacekeeper as pk
from pacekeeper import _native
from pacekeeper import Backoff, Limiter, RetryState
from pacekeeper._errors import PacekeeperTypeError

NOW = 1_700_000_000_000


def test_default_cost_is_the_cores() -> None:
    cost = _native.DEFAULT_COST
    assert isinstance(cost, int) and cost >= 1
    lim = Limiter([{"amount": 10, "period_ms": 1000}])
    assert lim.check("k", now=NOW).remaining == 10 - cost
    assert lim.check("k", cost, now=NOW).remaining == 10 - 2 * cost
    for method in (pk.Pacer.acquire, pk.Pacer.acquire_async, pk.Pacer.call, pk.Pacer.call_async):
        assert inspect.signature(method).parameters["cost"].default == cost, method.__name__
    plan = pk.plan({"records": 4, "max_batch_records": 1, "limits": [{"amount": cost, "period_ms": 1000}]}, now=0)
    # One batch per period: each batch costs the core's default.
    assert [b.send_at for b in plan.batches] == [0, 1000, 2000, 3000]


def test_verdict_and_decision_names_are_the_cores() -> None:
    lim = Limiter([{"amount": 1, "period_ms": 1000}])
    assert lim.check("k", now=NOW).decision == "allow"
    assert lim.check("k", now=NOW).decision == "wait"
    assert lim.check("k", 5, now=NOW).decision == "never"
    b = Backoff(max_attempts=2)
    st = RetryState(NOW, 7)
    assert b.decide(st, pk.parse_headers(503, []), now=NOW).decision == "retry"
    assert b.decide(st, pk.parse_headers(503, []), now=NOW).decision == "give_up"
    assert b.decide(RetryState(NOW, 7), pk.parse_headers(200, []), now=NOW).decision == "done"


@pytest.mark.parametrize("request_", [[10, None, 5], (10, None, 5), "records", None, 3])
def test_a_plan_request_that_is_not_a_map_is_the_cores_invalid_argument(request_: object) -> None:
    with pytest.raises(PacekeeperTypeError) as info:
        pk.plan(request_, now=0)  # type: ignore[arg-type]
    assert info.value.code == "invalid_argument"
    assert "expected a map" in str(info.value)


def test_the_python_layer_restates_no_default() -> None:
    src = pathlib.Path(pk.__file__).parent
    runtime = (src / "_runtime.py").read_text()
    assert "cost: int = 1" not in runtime
    native = pathlib.Path(__file__).parents[1] / "src"
    for f in native.glob("*.rs"):
        text = f.read_text()
        assert "tag_of" not in text, f.name
        assert "map_or(1," not in text, f.name


def test_parse_headers_options_default_to_the_core() -> None:
    # The signature shows None (the core's default), never a restated mode or cap.
    params = inspect.signature(_native.parse_headers).parameters
    assert params["reset_mode"].default is None and params["max_wait_ms"].default is None
    stub = (pathlib.Path(pk.__file__).parent / "_native.pyi").read_text()
    assert 'reset_mode: str = "auto"' not in stub
    assert pk.parse_headers(200, [], now=NOW) == pk.parse_headers(200, [], now=NOW, reset_mode=None)


def test_a_status_is_told_by_the_cores_bounds() -> None:
    from pacekeeper._extract import response_info

    lo, hi = _native.MIN_STATUS, _native.MAX_STATUS
    assert 100 <= lo < hi

    class R:
        def __init__(self, status: int) -> None:
            self.status_code = status
            self.headers: dict[str, str] = {}

    for s in (lo, hi):
        info = response_info(R(s))
        assert info is not None and info.status == s
        pk.parse_headers(s, [])
    for s in (lo - 1, hi + 1, 70_000):
        assert response_info(R(s)) is None
        with pytest.raises(pk.PacekeeperError) as e:
            pk.parse_headers(s, [])
        assert e.value.code == "invalid_status"
        assert str(s) in str(e.value)
    src = pathlib.Path(pk.__file__).parent
    assert str(hi) not in (src / "_extract.py").read_text()


@pytest.mark.parametrize("config", [[{"amount": 1, "period_ms": 1000}], (1, 2), "limits", 3])
def test_a_pacer_config_that_is_not_a_map_is_the_cores_invalid_argument(config: object) -> None:
    with pytest.raises(PacekeeperTypeError) as info:
        pk.PacerCore(config)  # type: ignore[arg-type]
    assert info.value.code == "invalid_argument"
    assert "expected a map" in str(info.value)
