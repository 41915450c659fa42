"""Writes token_keys.json: the budget key of a bearer token, computed here by an independent
reference (64-bit FNV-1a over the token's UTF-8 bytes, 16 lowercase hex digits after `token:`;
`anonymous` for an empty token). Every runtime's `token_key` must give these keys, so a Node and
a Python process pacing one OAuth client share its budget by default.

    python3 tests/vectors/make_token_keys.py
"""
import json
import pathlib

HERE = pathlib.Path(__file__).parent


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def key(token: str) -> str:
    return "anonymous" if token == "" else "token:%016x" % fnv1a64(token.encode("utf-8"))


TOKENS = [
    ("empty", ""),
    ("fnv_test_value_a", "a"),
    ("fnv_test_value_abc", "abc"),
    ("a_bearer_like_token", "pJ7-xSDX3u9kq0A_JT0bD4vxZkE1xg2oV7Zf8i1dEC4mHbL5sGq9wR2tN6yU3cA0"),
    ("non_ascii", "tök€n-\u65e5\u672c"),
    ("nul_and_braces", "a\u0000{b}%c"),
    ("long", "x" * 4096),
]

doc = {
    "kind": "token_keys",
    "description": "token_key(token): the budget key of a bearer token, the same in every runtime "
    "(64-bit FNV-1a of the UTF-8 bytes; computed by make_token_keys.py's own reference).",
    "cases": [{"name": n, "token": t, "expect": key(t)} for n, t in TOKENS],
}
(HERE / "token_keys.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
