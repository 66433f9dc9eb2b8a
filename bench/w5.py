#!/usr/bin/env python3
"""W5 compile time: ours against an equivalent sea-orm-migration 2.0 crate (bench/run.sh w5).

    w5.py BENCH_DIR RESULTS_DIR N ROUNDS

Steps, each contender in target directories of its own under BENCH_DIR (w5/):
  cold    deps cold: an empty target directory, a 1-migration crate, `cargo build`
  clean   the N-migration crate, deps built: `cargo clean -p <crate>` (untimed) + `cargo build`
  add     one more migration (`gen.py add`) + `cargo build`
  remove  that migration removed again (`gen.py remove`) + `cargo build`
  touch   the newest migration file touched, nothing changed + `cargo build`
Each round runs every contender once, ours and sea-orm-migration alternating which goes
first. A step records per run the wall time, the user + system CPU time of cargo's process
tree and the 1-minute load average before and after, in RESULTS_DIR/w5-<step>.json (the
format of bench/timing.py, plus `loads`), and a summary line per contender.
Env: W5_STEPS (default "cold clean add remove touch"; W5_SKIP_COLD=1 drops `cold`).
Downloads happen before any timed build (`cargo fetch`, untimed).
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

WS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(WS, "bench", "gen.py")


def sh(args, env=None, cwd=None):
    r = subprocess.run(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(args)}\n"
                 f"{r.stdout.decode(errors='replace')[-2000:]}{r.stderr.decode(errors='replace')[-4000:]}")
    return r.stdout.decode()


def load1():
    return float(open("/proc/loadavg").read().split()[0])


class Contender:
    def __init__(self, name, kind, pkg, base):
        self.name, self.kind, self.pkg = name, kind, pkg
        self.small = os.path.join(base, kind, "crate1")      # deps cold
        self.big = os.path.join(base, kind, "crate")         # N migrations
        self.target = os.path.join(base, kind, "target")     # deps built
        self.cold_target = os.path.join(base, kind, "target-cold")

    def generate(self, n, d):
        if self.kind == "ours":
            sh([sys.executable, GEN, "crate", str(n), d, self.pkg])
        else:
            sh([sys.executable, GEN, "seaorm", str(n), d, self.pkg])

    def newest(self, d):
        if self.kind == "ours":
            vd = os.path.join(d, "src", "versions")
            return os.path.join(vd, sorted(f for f in os.listdir(vd) if f.endswith(".rs"))[-1])
        src = os.path.join(d, "src")
        files = [f for f in os.listdir(src) if f[:1] == "m" and f[1:7].isdigit() and f.endswith(".rs")]
        return os.path.join(src, sorted(files)[-1])


def build(d, target):
    """`cargo build` of the crate at d into target: (wall s, user+sys CPU s, load before, after)."""
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    args = ["cargo", "build", "--quiet", "--manifest-path", os.path.join(d, "Cargo.toml")]
    l0 = load1()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    sh(args, env)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, l0, load1()


def report(step, desc, cs, runs, results, rounds):
    """runs: {contender name: [(wall, cpu, l0, l1)]}; baseline: sea-orm-migration."""
    base = cs[-1].name
    rows = []
    for c in cs:
        t = [r[0] for r in runs[c.name]]
        row = {
            "name": c.name,
            "cmd": desc,
            "median_s": statistics.median(t),
            "min_s": min(t),
            "max_s": max(t),
            "runs": len(t),
            "times": t,
            "cpu_median_s": statistics.median(r[1] for r in runs[c.name]),
            "cpu_times": [r[1] for r in runs[c.name]],
            "loads": [[r[2], r[3]] for r in runs[c.name]],
        }
        ratios = [a[0] / b[0] for a, b in zip(runs[c.name], runs[base])]
        row["ratio_median"] = statistics.median(ratios)
        row["ratio_min"] = min(ratios)
        row["ratio_max"] = max(ratios)
        rows.append(row)
    name = f"W5 {step}: {desc}"
    load = open("/proc/loadavg").read().split()[:3]
    json.dump({"name": name, "baseline": base, "rounds": rounds, "loadavg_end": load, "results": rows},
              open(os.path.join(results, f"w5-{step}.json"), "w"), indent=1)
    out = [f"\n{name} ({rounds} rounds, load at the end {' '.join(load)})",
           f"{'contender':<28}{'median s':>10}{'min':>8}{'max':>8}{'ratio':>8}{'range':>12}{'cpu s':>8}{'load':>12}"]
    for row in rows:
        loads = [l for pair in row["loads"] for l in pair]
        out.append(f"{row['name']:<28}{row['median_s']:>10.2f}{row['min_s']:>8.2f}{row['max_s']:>8.2f}"
                   f"{row['ratio_median']:>8.2f}{row['ratio_min']:>6.2f}-{row['ratio_max']:<5.2f}"
                   f"{row['cpu_median_s']:>8.2f}{min(loads):>6.1f}-{max(loads):<5.1f}")
    print("\n".join(out), flush=True)


def main():
    base, results, n, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    steps = os.environ.get("W5_STEPS", "cold clean add remove touch").split()
    if os.environ.get("W5_SKIP_COLD") == "1":
        steps = [s for s in steps if s != "cold"]
    os.makedirs(results, exist_ok=True)
    cs = [Contender("cargo-migrate", "ours", "w5-migrations", base),
          Contender("sea-orm-migration", "seaorm", "w5-seaorm", base)]

    def each_round(label, run_one):
        runs = {c.name: [] for c in cs}
        for r in range(rounds):
            order = cs if r % 2 == 0 else cs[::-1]
            for c in order:
                m = run_one(c)
                runs[c.name].append(m)
                print(f"[W5 {label}] round {r + 1}/{rounds} {c.name}: {m[0]:.2f} s wall, "
                      f"{m[1]:.2f} s CPU, load {m[2]:.1f}", file=sys.stderr, flush=True)
        return runs

    for c in cs:  # untimed: generate, download
        c.generate(1, c.small)
        c.generate(n, c.big)
        for d in (c.small, c.big):
            sh(["cargo", "fetch", "--quiet", "--manifest-path", os.path.join(d, "Cargo.toml")])

    if "cold" in steps:
        def cold(c):
            shutil.rmtree(c.cold_target, ignore_errors=True)
            return build(c.small, c.cold_target)
        report("cold", "deps cold: empty target dir, 1 migration, cargo build", cs,
               each_round("cold", cold), results, rounds)

    rest = [s for s in steps if s != "cold"]
    if not rest:
        return
    for c in cs:  # untimed: dependencies and the crate built once
        c.generate(n, c.big)
        build(c.big, c.target)

    if "clean" in steps:
        def clean(c):
            sh(["cargo", "clean", "--quiet", "-p", c.pkg, "--manifest-path", os.path.join(c.big, "Cargo.toml")],
               dict(os.environ, CARGO_TARGET_DIR=c.target))
            return build(c.big, c.target)
        report("clean", f"cargo clean -p <crate> + cargo build, {n} migrations", cs,
               each_round("clean", clean), results, rounds)

    if "add" in steps or "remove" in steps:
        added, removed = {c.name: [] for c in cs}, {c.name: [] for c in cs}
        for r in range(rounds):
            order = cs if r % 2 == 0 else cs[::-1]
            for c in order:
                sh([sys.executable, GEN, "add", c.big])
                added[c.name].append(build(c.big, c.target))
                sh([sys.executable, GEN, "remove", c.big])
                removed[c.name].append(build(c.big, c.target))
                print(f"[W5 add/remove] round {r + 1}/{rounds} {c.name}: add {added[c.name][-1][0]:.2f} s, "
                      f"remove {removed[c.name][-1][0]:.2f} s wall", file=sys.stderr, flush=True)
        if "add" in steps:
            report("add", f"one migration added to {n} + cargo build", cs, added, results, rounds)
        if "remove" in steps:
            report("remove", f"that migration removed again ({n}) + cargo build", cs, removed, results, rounds)

    if "touch" in steps:
        def touch(c):
            os.utime(c.newest(c.big))
            return build(c.big, c.target)
        report("touch", f"newest migration file touched ({n}) + cargo build", cs,
               each_round("touch", touch), results, rounds)


if __name__ == "__main__":
    main()
