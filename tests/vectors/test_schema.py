"""The shared vectors follow their JSON Schema, and have the coverage the project promises."""
import json
import pathlib

import jsonschema

HERE = pathlib.Path(__file__).parent
KINDS = sorted(p.stem for p in HERE.glob("*.json") if p.stem != "schema")


def load(name):
    return json.loads((HERE / f"{name}.json").read_text())


def test_every_file_matches_the_schema():
    schema = load("schema")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for kind in KINDS:
        doc = load(kind)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, f"{kind}.json: " + "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])
        assert doc["kind"] == kind


def test_every_case_has_an_exact_expectation_and_a_unique_name():
    total = 0
    for kind in KINDS:
        names = set()
        for case in load(kind)["cases"]:
            if kind == "errors":  # the expectation is the code (null: the call must succeed)
                assert "code" in case, f"errors/{case['name']} has no code"
            elif "steps" in case:  # sessions and shared: every step carries its own expectation
                assert case["steps"] and all("expect" in s for s in case["steps"]) or "expect" in case, (
                    f"{kind}/{case['name']} has a step without expect"
                )
            else:
                assert "expect" in case, f"{kind}/{case['name']} has no expect (run the bless step)"
            assert case["name"] not in names, f"duplicate {kind}/{case['name']}"
            names.add(case["name"])
            total += 1
    assert total >= 200


def test_a_malformed_case_is_rejected():
    validator = jsonschema.Draft202012Validator(load("schema"))
    bad = {"kind": "headers", "cases": [{"name": "x", "status": 429, "headers": [["only-a-name"]], "now": 0}]}
    assert list(validator.iter_errors(bad))
    bad_time = {"kind": "headers", "cases": [{"name": "x", "status": 429, "headers": [], "now": -1}]}
    assert list(validator.iter_errors(bad_time))


def test_coverage_of_real_and_hostile_headers():
    names = " ".join(c["name"] for c in load("headers")["cases"])
    for needle in ["github", "ietf draft-10 example", "genesys 429", "genesys body only", "10^20", "garbage",
                   "http-date rfc850", "http-date asctime", "shopify", "draft-07"]:
        assert needle in names, needle
