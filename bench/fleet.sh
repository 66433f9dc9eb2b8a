#!/usr/bin/env bash
# Fleet benchmark (BENCHMARKS.md, "Fleet runs"): N_SQLITE SQLite tenant files and N_PG
# PostgreSQL databases, each taken from base to head of the `storm` fixture (10 revisions)
# by one fleet command with --jobs 1, 2, 4, 8, against a shell loop running the same runner
# binary once per target; then a no-op re-run of the fleet; then the lock table's cost per
# run against the advisory lock (RUNS no-op `upgrade head` runs on one database each).
#
# Usage: RUNNER=path/to/reliability-runner bench/fleet.sh
# Env:   N_SQLITE (default 1000), N_PG (default 200), RUNS (default 50),
#        PG (admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
#        DIR (default /dev/shm/cargo-migrate-fleet-bench)
set -euo pipefail
RUNNER=${RUNNER:?set RUNNER to the reliability-runner binary}
N_SQLITE=${N_SQLITE:-1000}
N_PG=${N_PG:-200}
RUNS=${RUNS:-50}
PG=${PG:-postgres://postgres@127.0.0.1:5432/postgres}
PGBASE=${PG%/*}
DIR=${DIR:-/dev/shm/cargo-migrate-fleet-bench}
export MIGRATE_FIXTURE=storm
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

sqlite_targets() { rm -rf "$DIR" && mkdir -p "$DIR"; for i in $(seq 1 "$N_SQLITE"); do echo "sqlite:$DIR/t$i.db"; done >"$DIR/../fleet-sqlite.txt"; }
pg_targets() {
  for i in $(seq 1 "$N_PG"); do psql -q "$PG" -c "DROP DATABASE IF EXISTS fb_$i" -c "CREATE DATABASE fb_$i" >/dev/null 2>&1; done
  for i in $(seq 1 "$N_PG"); do echo "$PGBASE/fb_$i"; done >"$DIR/../fleet-pg.txt"
}

for kind in sqlite pg; do
  list="$DIR/../fleet-$kind.txt"
  for jobs in 1 2 4 8; do
    if [ $kind = sqlite ]; then sqlite_targets; else pg_targets; fi
    t0=$(now); "$RUNNER" --targets "$list" --jobs $jobs upgrade head >/dev/null 2>"$DIR/../err.txt" || { tail -3 "$DIR/../err.txt"; exit 1; }; t1=$(now)
    echo "$kind fleet --jobs $jobs: $(secs $t0 $t1) s"
  done
  t0=$(now); "$RUNNER" --targets "$list" --jobs 8 upgrade head >/dev/null 2>&1; t1=$(now)
  echo "$kind fleet no-op re-run --jobs 8: $(secs $t0 $t1) s"
  if [ $kind = sqlite ]; then sqlite_targets; else pg_targets; fi
  t0=$(now); while read -r u; do "$RUNNER" --database-url "$u" upgrade head >/dev/null 2>&1; done <"$list"; t1=$(now)
  echo "$kind shell loop, one runner process per target: $(secs $t0 $t1) s"
done

# lock table vs advisory lock, per run
psql -q "$PG" -c "DROP DATABASE IF EXISTS fb_lock" -c "CREATE DATABASE fb_lock" >/dev/null 2>&1
"$RUNNER" --database-url "$PGBASE/fb_lock" upgrade head >/dev/null 2>&1
for lock in advisory table advisory table; do
  t0=$(now); for _ in $(seq 1 "$RUNS"); do "$RUNNER" --database-url "$PGBASE/fb_lock" --lock $lock upgrade head >/dev/null 2>&1; done; t1=$(now)
  echo "$RUNS no-op runs with --lock $lock: $(secs $t0 $t1) s"
done
for i in $(seq 1 "$N_PG") lock; do psql -q "$PG" -c "DROP DATABASE IF EXISTS fb_$i" >/dev/null 2>&1; done
