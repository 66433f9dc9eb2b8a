#!/usr/bin/env python3
"""Interleaved timing (each stamped run right after an untimed run that wrote the stamp for
its own environment: `cargo migrate` adds variables to the environment, so it and a direct
`cargo-migrate` do not share a stamp) of whole commands (hyperfine pads the environment with a random
variable per run, which the runner stamp counts as another environment)."""
import os, statistics, subprocess, sys, time
runs = int(sys.argv[1])
stamp = sys.argv[2]
cmds = {
  "cargo-migrate current, no stamp (cargo build)": (["target/debug/cargo-migrate", "migrate", "-p", "blog-migrations", "current"], True),
  "cargo-migrate current, stamp": (["target/debug/cargo-migrate", "migrate", "-p", "blog-migrations", "current"], False),
  "cargo migrate current, no stamp (cargo build)": (["cargo", "migrate", "-p", "blog-migrations", "current"], True),
  "cargo migrate current, stamp": (["cargo", "migrate", "-p", "blog-migrations", "current"], False),
  "runner current": (["target/debug/blog-migrations", "--database-url", "sqlite:migrate.db", "current"], False),
}
env = dict(os.environ, PATH=os.path.abspath("target/debug") + ":" + os.environ["PATH"])
t = {k: [] for k in cmds}
for name, (c, rm) in cmds.items():  # warm-up (and the stamp written)
    for _ in range(3): subprocess.run(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
for r in range(runs):
    for name, (c, rm) in cmds.items():
        if rm and os.path.exists(stamp): os.remove(stamp)
        t0 = time.perf_counter()
        subprocess.run(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        t[name].append((time.perf_counter() - t0) * 1000)
        if rm:  # the next "stamp" run must find one: write it with an untimed run
            subprocess.run(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
for name, v in t.items():
    print(f"{name:<48} median {statistics.median(v):7.1f} ms  mean {statistics.mean(v):7.1f} ± {statistics.stdev(v):5.1f}  range {min(v):.1f}–{max(v):.1f} ms  ({len(v)} runs)")
print(open("/proc/loadavg").read().strip())
