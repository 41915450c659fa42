"""docs/outcome.svg, written by hand (no dependencies): for each server profile, per client,
(top) the geometric mean over the workloads of wall time / oracle wall time, and (bottom) the
429s summed over the workloads, on a log scale. Fault-free cells only."""

from __future__ import annotations

import math
from html import escape
from typing import Any, Dict, List

COLORS = {
    "oracle": "#888888",
    "oracle-after-429": "#cccccc",
    "pk-configured": "#1b7837",
    "pk-learning": "#5aae61",
    "genesys-py-sdk": "#a6dba0",
    "genesys-node-sdk": "#762a83",
    "fixed-5s": "#d73027",
    "tenacity-exp": "#fc8d59",
    "urllib3-retry": "#4575b4",
}


def _panel(out: List[str], top: float, height: float, width: float, left: float, profiles: List[str],
           clients: List[str], values: Dict[tuple, float], title: str, scale: Any, ticks: List[float],
           tick_label: Any, label: Any, ref: float = None) -> None:
    group_w = (width - left - 20) / len(profiles)
    bar_w = group_w * 0.8 / len(clients)
    out.append(f'<text x="{left}" y="{top - 8}" font-size="13" font-weight="bold">{escape(title)}</text>')
    for t in ticks:
        y = top + height - scale(t) * height
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick_label(t)}</text>')
    if ref is not None:
        y = top + height - scale(ref) * height
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" stroke="#333" '
                   'stroke-dasharray="4 3"/>')
    out.append(f'<line x1="{left}" y1="{top + height}" x2="{width - 20}" y2="{top + height}" stroke="#333"/>')
    for pi, p in enumerate(profiles):
        gx = left + pi * group_w + group_w * 0.1
        for ci, c in enumerate(clients):
            v = values.get((p, c))
            if v is None:
                continue
            h = max(0.5, min(1.0, scale(v)) * height)
            x = gx + ci * bar_w
            out.append(f'<rect x="{x:.1f}" y="{top + height - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                       f'fill="{COLORS.get(c, "#999")}"><title>{escape(p)} {escape(c)}: {label(v)}</title></rect>')
            if scale(v) > 1.0:
                out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top - 1:.1f}" font-size="8" '
                           f'text-anchor="middle">{label(v)}</text>')
        out.append(f'<text x="{gx + group_w * 0.4:.1f}" y="{top + height + 14}" font-size="10" '
                   f'text-anchor="middle">{escape(p)}</text>')


def write_svg(results: List[Dict[str, Any]], clients: List[str], path: str) -> None:
    rows = [r for r in results if not r["faults"]]
    profiles = list(dict.fromkeys(r["profile"] for r in rows))
    ratios: Dict[tuple, List[float]] = {}
    throttled: Dict[tuple, float] = {}
    for r in rows:
        k = (r["profile"], r["client"])
        if r.get("ratio"):
            ratios.setdefault(k, []).append(r["ratio"])
        throttled[k] = throttled.get(k, 0) + r["throttled"]
    gmean = {k: math.exp(sum(math.log(v) for v in vs) / len(vs)) for k, vs in ratios.items()}
    width, left = 1000, 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="560" viewBox="0 0 {width} 560" '
           'font-family="sans-serif">', '<rect width="100%" height="100%" fill="white"/>',
           '<text x="20" y="22" font-size="15" font-weight="bold">Outcome benchmark: loopback server, '
           'no faults (bench/outcome, make bench-outcome)</text>']
    max_ratio = 4.0
    _panel(out, 60, 200, width, left, profiles, clients, gmean,
           "wall time / oracle (geometric mean over the workloads; dashed: 1.0)",
           lambda v: (v - 0) / max_ratio, [0.5, 1, 2, 3, 4], lambda t: f"{t:g}×", lambda v: f"{v:.2f}×", ref=1.0)
    top_429 = max([1.0] + list(throttled.values()))
    lmax = math.log10(1 + top_429)
    ticks = [t for t in (1, 10, 100, 1000, 10000) if t <= top_429 * 1.01] + [0]
    _panel(out, 320, 180, width, left, profiles, clients, throttled,
           "429s (sum over the workloads, log scale)", lambda v: math.log10(1 + v) / lmax, ticks,
           lambda t: f"{t:g}", lambda v: f"{v:g}")
    x, step = left, min(118, (width - left - 20) / len(clients))
    for c in clients:
        out.append(f'<rect x="{x}" y="535" width="12" height="12" fill="{COLORS.get(c, "#999")}"/>')
        out.append(f'<text x="{x + 16}" y="545" font-size="11">{escape(c)}</text>')
        x += step
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
