"""The results: the issue's targets checked cell by cell, and the Markdown tables."""

from __future__ import annotations

from typing import Any, Dict, List

from params import FLOOR_CLIENT, HAND_WRITTEN, SDK_CLIENTS


def check_targets(results: List[Dict[str, Any]]) -> List[str]:
    """The issue's targets, checked cell by cell; returns the misses (human-readable). A wall-time
    miss of a learning client (pk-learning, the SDK clients) in a cell where the floor client
    (oracle-after-429: knows nothing before its first 429, everything after) misses the same
    target says so: no client that learns from its 429s could have met it there."""
    misses = []
    cells: Dict[tuple, Dict[str, Dict[str, Any]]] = {}
    for r in results:
        cells.setdefault((r["profile"], r["workload"], r["faults"]), {})[r["client"]] = r
    for (profile, wl, faults), by in sorted(cells.items()):
        where = f"{profile}/{wl}" + (f" faults {faults:.0%}" if faults else "")
        oracle = by.get("oracle")
        targets = [("pk-configured", 1.05, 0.2), ("pk-learning", 1.15, 0.5)]
        targets += [(name, 1.15, 0.5) for name in SDK_CLIENTS]
        for name, slack_x, slack_s in targets:
            r = by.get(name)
            if r is None:
                continue
            if r["lost"]:
                misses.append(f"{where}: {name} lost {r['lost']}")
            if faults:
                continue  # with faults only 0 lost is a target
            if oracle and r["wall_s"] > slack_x * oracle["wall_s"] + slack_s:
                target = slack_x * oracle["wall_s"] + slack_s
                floor = by.get(FLOOR_CLIENT)
                why = ""
                if name != "pk-configured" and floor and floor["wall_s"] > target:
                    why = f" (the floor: {FLOOR_CLIENT} {floor['wall_s']:.2f} s misses it too)"
                misses.append(f"{where}: {name} wall {r['wall_s']:.2f} s > {slack_x} x oracle "
                              f"{oracle['wall_s']:.2f} s + {slack_s} s{why}")
            if r["early"]:
                misses.append(f"{where}: {name} {r['early']} early retries")
            for h in HAND_WRITTEN:
                if h in by and not r["throttled"] < by[h]["throttled"]:
                    misses.append(f"{where}: {name} {r['throttled']} x 429, {h} {by[h]['throttled']}")
    return misses


def markdown(results: List[Dict[str, Any]], clients: List[str]) -> str:
    out = []
    for faults in sorted({r["faults"] for r in results}):
        rows = [r for r in results if r["faults"] == faults]
        out.append(f"\n**{'no faults' if not faults else f'{faults:.0%} injected faults'}** — per client: "
                   "wall ratio to the oracle · 429s · early retries · lost/duplicated\n")
        out.append("| profile | workload | oracle wall | " + " | ".join(c for c in clients if c != "oracle") + " |")
        out.append("|---|---|---:|" + "---:|" * (len(clients) - 1))
        by: Dict[tuple, Dict[str, Dict[str, Any]]] = {}
        for r in rows:
            by.setdefault((r["profile"], r["workload"]), {})[r["client"]] = r
        for (profile, wl), cs in by.items():
            o = cs.get("oracle")
            cells = []
            for c in clients:
                if c == "oracle":
                    continue
                r = cs.get(c)
                if r is None:
                    cells.append("")
                    continue
                ratio = f"{r['ratio']:.2f}×" if r.get("ratio") else f"{r['wall_s']:.2f} s"
                cells.append(f"{ratio} · {r['throttled']} · {r['early']} · {r['lost']}/{r['duplicated']}")
            ow = f"{o['wall_s']:.2f} s ({o['throttled']}, {o['lost']}/{o['duplicated']})" if o else ""
            out.append(f"| {profile} | {wl} | {ow} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
