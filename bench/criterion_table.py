#!/usr/bin/env python3
"""Prints the criterion medians (thread CPU time) as a markdown table.

    criterion_table.py [CRITERION_DIR]   (default target/bench/criterion-target/criterion)
"""
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/bench/criterion-target/criterion"
rows = []
for dirpath, _, files in os.walk(root):
    if os.path.basename(dirpath) == "new" and "estimates.json" in files and "benchmark.json" in files:
        b = json.load(open(os.path.join(dirpath, "benchmark.json")))
        e = json.load(open(os.path.join(dirpath, "estimates.json")))
        med = e["median"]["point_estimate"]
        lo, hi = e["median"]["confidence_interval"]["lower_bound"], e["median"]["confidence_interval"]["upper_bound"]
        n = b.get("throughput") or {}
        elems = n.get("Elements")
        rows.append((b["full_id"], med, lo, hi, elems))


def fmt(ns):
    for f, u in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if ns >= f:
            return f"{ns / f:.3g} {u}"
    return f"{ns:.3g} ns"


print("| benchmark | median (CPU) | 95% CI of median | per revision |")
print("|---|---|---|---|")
for fid, med, lo, hi, elems in sorted(rows):
    per = fmt(med / elems) if elems else ""
    print(f"| `{fid}` | {fmt(med)} | {fmt(lo)} – {fmt(hi)} | {per} |")
