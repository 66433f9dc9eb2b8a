#!/usr/bin/env bash
# BENCHMARKS.md "Stairway over the crates.io history": `cargo migrate test` on PostgreSQL
# (the runner of the crates.io replay crate, which tests/tests/crates_io.rs generates and
# builds) against psql taking the same steps, the lower bound:
#   - psql A: create a database, every up.sql then every down.sql from the top until the
#     first failure (what `upgrade::…` and `downgrade::base` do), drop it;
#   - psql B: create a database, per migration up.sql, down.sql, up.sql in one session, one
#     transaction per file (the 7 marked ones without), skipping the re-upgrade where our
#     downgrade failed and switching to a fresh database replaying every up.sql where our
#     re-upgrade failed (bench/gen.py cratesio-stairway, from an untimed run of ours); drop.
# No schema is read on psql's side: ours reads the catalogue three times per revision.
#
# Usage: MIGRATE_CRATES_IO_DATA=/path/to/crates-io bench/stairway.sh
# Env:   PG (admin URL; default the server of MIGRATE_TEST_POSTGRES_URL or 127.0.0.1:5432),
#        RUNNER (default target/tmp/e2e-target/debug/crates-io-replay, built by
#        `cargo test -p migrate-tests --test crates_io -- --ignored`), ROUNDS (default 5),
#        JOBS (the `--jobs` values measured, default "1 2").
set -euo pipefail
WS=$(cd "$(dirname "$0")/.." && pwd)
DATA=${MIGRATE_CRATES_IO_DATA:?set MIGRATE_CRATES_IO_DATA to the crates-io data directory}
PG=${PG:-${MIGRATE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}}
HOST=${PG%/*}
RUNNER=${RUNNER:-$WS/target/tmp/e2e-target/debug/crates-io-replay}
ROUNDS=${ROUNDS:-5}
JOBS=${JOBS:-1 2}
OUT=$WS/target/bench/stairway
mkdir -p "$OUT"
[ -x "$RUNNER" ] || { echo "no runner at $RUNNER: run the crates.io suite first (README.md, Testing)" >&2; exit 1; }

# ours once, untimed: its verdicts decide psql's steps (exit 1: the history has failures)
"$RUNNER" --database-url "$PG" test --format json > "$OUT/ours.json" || [ $? -eq 1 ]
python3 "$WS/bench/gen.py" cratesio-stairway "$DATA" "$OUT" "$OUT/ours.json"
FRESH=$(cat "$OUT/fresh_count")
drops="-c 'DROP DATABASE IF EXISTS bench_stw_b WITH (FORCE)'"
for i in $(seq 1 "$FRESH"); do drops="$drops -c 'DROP DATABASE IF EXISTS bench_stw_fresh_$i WITH (FORCE)'"; done
cat > "$OUT/psql.sh" <<SH
set -eu
psql -qX -d $PG -c 'DROP DATABASE IF EXISTS bench_stw_a WITH (FORCE)' -c 'CREATE DATABASE bench_stw_a'
psql -qX -d $HOST/bench_stw_a -f $OUT/updown.sql > /dev/null 2>&1 || true
psql -qX -d $PG -c 'DROP DATABASE bench_stw_a WITH (FORCE)' -c 'CREATE DATABASE bench_stw_b'
psql -qX -d $HOST/bench_stw_b -f $OUT/stairway.sql > /dev/null 2>&1
psql -qX -d $PG $drops
SH
python3 - "$OUT" "$RUNNER" "$PG" "$JOBS" > "$OUT/spec.json" <<'PY'
import json, sys
out, runner, pg, jobs = sys.argv[1:]
cs = [{"name": "psql, the same steps", "setup": [], "cmd": f"bash {out}/psql.sh"}]
for j in jobs.split():
    cs.append({"name": f"cargo migrate test --jobs {j} (debug)", "setup": [],
               "cmd": f"{runner} --database-url {pg} test --jobs {j} > /dev/null 2>&1 || [ $? -eq 1 ]"})
print(json.dumps({"name": "stairway over the crates.io history, postgres", "baseline": "psql, the same steps", "contenders": cs}))
PY
python3 "$WS/bench/timing.py" "$ROUNDS" "$OUT/result.json" "$OUT/spec.json"
