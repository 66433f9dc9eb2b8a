#!/usr/bin/env python3
"""Whole-process timing with interleaved rounds (bench/run.sh calls it).

    timing.py ROUNDS OUT.json SPEC.json

SPEC.json: {"name": ..., "baseline": "L1", "contenders": [{"name", "setup": [sh...],
"cmd": sh, "env": {...}}]}. Each round runs every contender once, in a rotated order
(so no tool always runs right after another), each preceded by its untimed setup
(fresh database). Wall time of `cmd` only is measured. A failing command aborts the
benchmark: a figure is never quoted for a run that did not do its work.

The machine is shared and loaded: compare ratios measured in the same round. The report
gives, per contender, the median wall time over rounds, min and max, the median over rounds
of (contender time / baseline time in that round), and the median user+system CPU time of
the timed process tree (a database server's CPU is not included).
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def sh(cmd, env):
    r = subprocess.run(cmd, shell=True, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {cmd}\n{r.stdout.decode(errors='replace')[-2000:]}{r.stderr.decode(errors='replace')[-3000:]}")
    return r


def main():
    rounds = int(sys.argv[1])
    out = sys.argv[2]
    spec = json.load(open(sys.argv[3]))
    cs = spec["contenders"]
    times = {c["name"]: [] for c in cs}
    # user + system CPU time of the timed process tree (not of a database server): robust
    # against the load of other processes on the machine
    cpu = {c["name"]: [] for c in cs}
    for r in range(rounds):
        order = cs[r % len(cs):] + cs[: r % len(cs)]
        for c in order:
            env = dict(os.environ, **c.get("env", {}))
            for s in c.get("setup", []):
                sh(s, env)
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            sh(c["cmd"], env)
            dt = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            times[c["name"]].append(dt)
            cpu[c["name"]].append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
            for s in c.get("check", []):
                sh(s, env)
        line = "  ".join(f"{n}={times[n][-1]:.3f}" for n in times)
        print(f"[{spec['name']}] round {r + 1}/{rounds}: {line}", file=sys.stderr, flush=True)
    base = spec.get("baseline")
    rows = []
    for c in cs:
        t = times[c["name"]]
        row = {
            "name": c["name"],
            "cmd": c["cmd"],
            "median_s": statistics.median(t),
            "min_s": min(t),
            "max_s": max(t),
            "runs": len(t),
            "times": t,
            "cpu_median_s": statistics.median(cpu[c["name"]]),
            "cpu_times": cpu[c["name"]],
        }
        if base:
            ratios = [a / b for a, b in zip(t, times[base])]
            row["ratio_median"] = statistics.median(ratios)
            row["ratio_min"] = min(ratios)
            row["ratio_max"] = max(ratios)
        rows.append(row)
    load = open("/proc/loadavg").read().split()[:3]
    json.dump({"name": spec["name"], "baseline": base, "rounds": rounds, "loadavg_end": load, "results": rows},
              open(out, "w"), indent=1)
    print(f"\n{spec['name']} ({rounds} rounds, load {' '.join(load)})")
    if base:
        print(f"ratio = time / time of '{base}' in the same round; median and range over rounds")
    print(f"{'contender':<40}{'median s':>10}{'min':>8}{'max':>8}{'ratio':>8}{'range':>12}{'cpu s':>8}")
    for row in rows:
        ratio = f"{row['ratio_median']:.2f}" if base else ""
        rng = f"{row['ratio_min']:.2f}-{row['ratio_max']:.2f}" if base else ""
        print(f"{row['name']:<40}{row['median_s']:>10.3f}{row['min_s']:>8.3f}{row['max_s']:>8.3f}{ratio:>8}{rng:>12}{row['cpu_median_s']:>8.3f}")


if __name__ == "__main__":
    main()
