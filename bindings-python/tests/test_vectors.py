"""The shared vectors (tests/vectors/*.json) through the package's public API, compared with
``expect`` exactly (the runner is vector_runner.py)."""

from __future__ import annotations

from typing import Any

import pytest
from vector_runner import ALL, RUNNERS


def test_vector_count() -> None:
    assert len(ALL) >= 200


@pytest.mark.parametrize(("kind", "case"), ALL, ids=[f"{k}/{c['name']}" for k, c in ALL])
def test_vector(kind: str, case: dict[str, Any]) -> None:
    assert RUNNERS[kind](case) == case["expect"]


def test_results_are_read_through_the_getters() -> None:
    # A getter that disagrees with to_dict() fails the case: the replay reads both.
    from vector_runner import result

    class Wrong:
        status = 200

        def to_dict(self) -> dict:
            return {"status": 429}

    assert "getters_disagree_with_to_dict" in result(Wrong())

    class Missing:
        def to_dict(self) -> dict:
            return {"status": 429}

    with pytest.raises(AttributeError):
        result(Missing())
