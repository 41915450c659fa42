"""The benchmark's parameters: the matrix (profiles x workloads x clients), the server's burst and
rates (time-scaled, see outcome.py), the http-date skew and the hand-written loops' attempts."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "server" / "server.mjs"

PROFILES = [
    "genesys",
    "genesys-body-only",
    "xratelimit-epoch-s",
    "xratelimit-epoch-ms",
    "http-date",
    "ietf",
    "short-retry-after",
    "strict",
]
WORKLOADS = ["bulk", "messaging", "herd", "wfm"]
CLIENTS = ["oracle", "oracle-after-429", "pk-configured", "pk-learning", "genesys-py-sdk", "genesys-node-sdk", "fixed-5s",
           "tenacity-exp", "urllib3-retry"]
# pacekeeper through the real Genesys SDKs (Python, Node), Genesys preset, nothing configured:
# held to the learning targets.
SDK_CLIENTS = ["genesys-py-sdk", "genesys-node-sdk"]
# ... run against the Genesys profile only: the adapters start every token from the documented
# 300/min, which the other profiles (not Genesys) and the time-scaled rates do not claim to be.
SDK_PROFILES = ["genesys"]
# The floor of a client that learns: knows nothing before a token's first 429, honours its wait,
# then knows the server's burst and rate exactly (clients.OracleAfter429). Not held to a target.
FLOOR_CLIENT = "oracle-after-429"
# ... run where nothing but a 429 tells a client the limits (no rate headers on a 2xx): elsewhere
# a learning client reads the limits before any 429 and the floor says nothing.
FLOOR_PROFILES = ["genesys-body-only", "http-date"]
HAND_WRITTEN = ["fixed-5s", "tenacity-exp", "urllib3-retry"]

BURST = 10
# Requests per second per token, per workload: fast enough for the whole matrix to run in minutes,
# slow enough that the server's rate (not this machine's CPU) bounds every workload.
RATES = {"bulk": 10, "messaging": 50, "herd": 10, "wfm": 50}
REAL_RATE = 5  # Genesys: 300 requests/min per token
SKEW_MS = 2000  # http-date profile: the server clock is 2 s ahead (scaled from the default 90 s)
CELL_DEADLINE_S = 40.0  # a cell stops sending after this; what is unfinished counts as lost
MAX_ATTEMPTS = 10  # hand-written loops
