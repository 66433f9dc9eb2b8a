#!/usr/bin/env bash
# Issue 15's full-scale fleet benchmark (BENCHMARKS.md, "Fleet runs and the lock table",
# "Full scale"): N_SQLITE SQLite tenant files (tmpfs) and N_PG PostgreSQL databases, each
# taken from base to head of a generated 20-revision history (bench/gen.py crate: a table with
# 5 columns and an index per revision), in the same run:
#   - one fleet command of the **release** runner (what a deployment ships) with
#     --jobs 1, 2, 4, 8, then a no-op re-run;
#   - the same fleet through `cargo migrate --targets … --jobs 8 upgrade` (the installed CLI
#     and the debug runner it builds, as a developer runs it), then its no-op re-run;
#   - the issue's shell loop: `cargo migrate upgrade --database-url URL` once per target, in
#     the migrations crate's directory, with the CLI installed by `cargo install --path
#     cargo-migrate` (release) and its runner stamp warm (no `cargo build` per target);
#   - the cheaper loop of the release runner binary itself once per target;
#   - the same loop with sqlx-cli (`sqlx migrate run`) over the same 20 revisions as .sql
#     files (bench/gen.py peers, from our `upgrade head --sql`);
#   - PostgreSQL only, no migration tool: psql sending the same SQL (`upgrade head --sql`) to
#     every target, 8 at a time, statement by statement (-f) and as one message (-c);
#   - PostgreSQL, when the server runs on this machine: the server's CPU time a target (its
#     ended backends' user + system time, from the postmaster's /proc stat), for each fleet
#     and psql run: the floor no client can go under on this machine's cores;
#   - the lock table against the advisory lock: LOCK_N PostgreSQL databases base -> head at
#     --jobs 1 with `--lock advisory` and `--lock table`, alternated LOCK_ROUNDS times, the
#     mean per-target time from the JSON lines' duration_ms.
# Every fleet and loop is checked to have brought every target to head (a failure aborts).
#
# Usage: bench/fleet/full.sh [STAGE...]   stages: build run clean (default: all three)
# Env:   N_SQLITE (1000), N_PG (200), LOOP_SQLITE / LOOP_PG (targets the per-target loops run
#        on; default all; fewer: the loop's time is scaled up per target, and said so),
#        LOCK_N (50), LOCK_ROUNDS (2), KINDS ("sqlite pg": which fleets),
#        PG (admin URL, default postgres://postgres@127.0.0.1:5432/postgres; bench/run.sh pg
#        starts one with its data on tmpfs at port 5433, away from other disk traffic),
#        DIR (SQLite files, default /dev/shm/cargo-migrate-fleet-full),
#        SQLX (sqlx binary; default $B/tools/bin/sqlx, installed by `build` if missing:
#        sqlx-cli 0.8 with sqlite,postgres,rustls)
# Output: target/bench/fleet/results.txt (appended), also on stdout.
# Never part of `cargo test`.
set -euo pipefail
WS=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$WS/target/bench/fleet}
CT=$B/cargo-target
CRATE=$B/crate
N_SQLITE=${N_SQLITE:-1000}
N_PG=${N_PG:-200}
LOOP_SQLITE=${LOOP_SQLITE:-$N_SQLITE}
LOOP_PG=${LOOP_PG:-$N_PG}
LOCK_N=${LOCK_N:-50}
LOCK_ROUNDS=${LOCK_ROUNDS:-2}
KINDS=${KINDS:-sqlite pg}
PG=${PG:-postgres://postgres@127.0.0.1:5432/postgres}
PGBASE=${PG%/*}
DIR=${DIR:-/dev/shm/cargo-migrate-fleet-full}
SQLX=${SQLX:-$B/tools/bin/sqlx}
RUNNER=$CT/release/fleet-bench
DEBUG_RUNNER=$CT/debug/fleet-bench
RES=$B/results.txt
STAGES=${*:-build run clean}
export CARGO_TARGET_DIR=$CT
export PATH=$B/cli/bin:$PATH
mkdir -p "$B"

has() { [[ " $STAGES " == *" $1 "* ]]; }
say() { echo "$*" | tee -a "$RES"; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# scale a loop's time measured on $3 targets to $4
scaled() { python3 -c "print(f'{($2 - $1) * $4 / $3:.2f}')"; }

if has build; then
    [ -f "$CRATE/Cargo.toml" ] || python3 "$WS/bench/gen.py" crate 20 "$CRATE" fleet-bench
    (cd "$CRATE" && cargo build --release --quiet)
    # the CLI as users install it (release)
    [ -x "$B/cli/bin/cargo-migrate" ] && [ "$B/cli/bin/cargo-migrate" -nt "$WS/cargo-migrate/src/main.rs" ] ||
        cargo install --quiet --locked --path "$WS/cargo-migrate" --root "$B/cli"
    [ -x "$SQLX" ] || cargo install --quiet sqlx-cli --version '^0.8' --no-default-features \
        --features sqlite,postgres,rustls --root "$B/tools"
    for d in sqlite postgres; do
        "$RUNNER" upgrade head --sql --dialect $d >"$B/up_$d.sql"
        "$RUNNER" downgrade head:base --sql --dialect $d >"$B/down_$d.sql"
        python3 "$WS/bench/gen.py" peers "$B/up_$d.sql" "$B/down_$d.sql" $d "$B/peers/$d"
    done
    # the debug runner and the runner stamp of `cargo migrate` (the first command builds;
    # files younger than the cache's window are not recorded, hence the pause)
    sleep 4
    mkdir -p "$DIR" && : >"$DIR/warm.db"
    (cd "$CRATE" && cargo migrate --database-url "sqlite:$DIR/warm.db" current >/dev/null)
    (cd "$CRATE" && cargo migrate --database-url "sqlite:$DIR/warm.db" current >/dev/null)
fi

sqlite_list=$B/fleet-sqlite.txt
pg_list=$B/fleet-pg.txt
reset_sqlite() { # every file empty (an empty file is an empty database; sqlx-cli needs it)
    rm -rf "$DIR" && mkdir -p "$DIR"
    for i in $(seq 1 "$N_SQLITE"); do : >"$DIR/t$i.db"; done
}
reset_pg() { # $1: how many databases (default N_PG)
    for i in $(seq 1 "${1:-$N_PG}"); do
        echo "DROP DATABASE IF EXISTS fbf_$i WITH (FORCE);"
        echo "CREATE DATABASE fbf_$i;"
    done | psql -qX "$PG" -v ON_ERROR_STOP=1 >/dev/null 2>&1
    # CREATE DATABASE writes the template into the WAL (~1.5 GB for 200): checkpoint it now,
    # so that no contender's timed run shares the disk with that checkpoint
    psql -qX "$PG" -c CHECKPOINT >/dev/null
}
reset() { if [ "$1" = sqlite ]; then reset_sqlite; else reset_pg; fi; }
# $1 kind, $2 stderr of a fleet, $3 expected "N done, M unchanged": abort unless so
expect() {
    grep -q "$3, 0 failed, 0 skipped" "$2" || {
        echo "unexpected fleet outcome ($1, wanted $3):" >&2
        tail -5 "$2" >&2
        exit 1
    }
}
# the loop's targets all at head: each has the 20 revisions' tables
at_head() { # kind count
    local bad=0 i n
    for i in $(seq 1 "$2"); do
        if [ "$1" = sqlite ]; then
            n=$(sqlite3 "$DIR/t$i.db" "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 't0%'" 2>/dev/null || echo 0)
        else
            n=$(psql -XAtq "$PGBASE/fbf_$i" -c "SELECT (SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 't0%')" 2>/dev/null || echo 0)
        fi
        [ "$n" = 20 ] || bad=$((bad + 1))
    done
    [ $bad = 0 ] || { echo "$bad of $2 $1 targets not at head after the loop" >&2; exit 1; }
}
loop() { # kind count label command-prefix…: runs `command URL` per target, echoes seconds
    local kind=$1 count=$2 fails=0 t0 t1 u
    shift 2
    t0=$(now)
    for i in $(seq 1 "$count"); do
        if [ "$kind" = sqlite ]; then u="sqlite:$DIR/t$i.db"; else u="$PGBASE/fbf_$i"; fi
        "$@" "$u" >/dev/null 2>&1 || fails=$((fails + 1))
    done
    t1=$(now)
    [ $fails = 0 ] || { echo "$fails failures in the loop: $*" >&2; exit 1; }
    secs "$t0" "$t1"
}

# The server's CPU time (ms) of its ended backends, when it runs on this machine and its
# postmaster.pid is readable (else empty): the postmaster's reaped children's user + system
# time. A fleet's backends have all ended once no session is left in the fbf_ databases.
PM=$(d=$(psql -XAtq "$PG" -c "SHOW data_directory" 2>/dev/null) && head -1 "$d/postmaster.pid" 2>/dev/null || true)
TCK=$(getconf CLK_TCK)
server_ms() {
    [ -n "$PM" ] && [ -r "/proc/$PM/stat" ] || return 0
    while [ "$(psql -XAtq "$PG" -c "SELECT COUNT(*) FROM pg_stat_activity WHERE datname LIKE 'fbf\_%'")" != 0 ]; do
        sleep 0.05
    done
    awk -v t="$TCK" '{print ($16 + $17) * 1000 / t}' "/proc/$PM/stat"
}
# ", server CPU X ms a target" from two server_ms readings and a target count, or nothing
per_target() { [ -n "$1" ] && [ -n "$2" ] && python3 -c "print(f', server CPU {($2 - $1) / $3:.1f} ms a target')"; }

if has run; then
    mkdir -p "$DIR" && : >"$DIR/warm.db"
    say "== bench/fleet/full.sh at $(git -C "$WS" rev-parse --short HEAD) $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
    say "   N_SQLITE=$N_SQLITE N_PG=$N_PG LOOP_SQLITE=$LOOP_SQLITE LOOP_PG=$LOOP_PG, 20 revisions, $("$SQLX" --version)"
    # the loop's `cargo migrate` must take the runner stamp's path (no `cargo build`): ~50 ms
    for _ in 1 2 3; do
        t0=$(now); (cd "$CRATE" && cargo migrate --database-url "sqlite:$DIR/warm.db" current >/dev/null 2>&1); t1=$(now)
        say "   cargo migrate current (stamp warm): $(secs "$t0" "$t1") s"
    done
    for i in $(seq 1 "$N_SQLITE"); do echo "sqlite:$DIR/t$i.db"; done >"$sqlite_list"
    for i in $(seq 1 "$N_PG"); do echo "$PGBASE/fbf_$i"; done >"$pg_list"
    # the release runner's fleet over $list at --jobs $1, timed; its summary must say $2
    runner_fleet() {
        local jobs=$1 want=$2 what=$3 l t0 t1 c0 c1=
        [ $kind = pg ] && c0=$(server_ms)
        l=$(load); t0=$(now)
        "$RUNNER" --targets "$list" --jobs $jobs upgrade head >/dev/null 2>"$B/err.txt" || true
        t1=$(now)
        [ $kind = pg ] && c1=$(server_ms)
        expect $kind "$B/err.txt" "$want"
        say "$kind $n: $what --jobs $jobs: $(secs "$t0" "$t1") s$(per_target "$c0" "$c1" "$n") (load $l)"
    }
    for kind in $KINDS; do
        if [ $kind = sqlite ]; then list=$sqlite_list n=$N_SQLITE ln=$LOOP_SQLITE; else list=$pg_list n=$N_PG ln=$LOOP_PG; fi
        for jobs in 1 2 4 8; do
            reset $kind
            runner_fleet $jobs "$n done, 0 unchanged" "release runner fleet"
        done
        for jobs in 8 1; do
            runner_fleet $jobs "0 done, $n unchanged" "release runner fleet no-op re-run"
        done
        reset $kind
        l=$(load); t0=$(now)
        (cd "$CRATE" && cargo migrate --targets "$list" --jobs 8 upgrade >/dev/null 2>"$B/err.txt") || true
        t1=$(now)
        expect $kind "$B/err.txt" "$n done, 0 unchanged"
        say "$kind $n: cargo migrate --targets … --jobs 8 upgrade (debug runner): $(secs "$t0" "$t1") s (load $l)"
        l=$(load); t0=$(now)
        (cd "$CRATE" && cargo migrate --targets "$list" --jobs 8 upgrade >/dev/null 2>"$B/err.txt") || true
        t1=$(now)
        expect $kind "$B/err.txt" "0 done, $n unchanged"
        say "$kind $n: the same, no-op re-run: $(secs "$t0" "$t1") s (load $l)"

        if [ $kind = pg ]; then
            # no migration tool at all: psql sending the same SQL (our `upgrade head --sql`: the
            # version table, 20 transactions, each with its row) to every target, 8 at a time;
            # `-f` statement by statement, `-c` as one message. Its server CPU a target is what
            # the statements themselves cost the server, whoever sends them
            for how in f c; do
                reset_pg
                c0=$(server_ms)
                l=$(load); t0=$(now)
                seq 1 "$N_PG" | UP_SQL="$B/up_postgres.sql" HOW=$how BASE="$PGBASE" xargs -P 8 -I{} sh -c \
                    'if [ "$HOW" = f ]; then psql -qX -v ON_ERROR_STOP=1 "$BASE/fbf_$0" -f "$UP_SQL"; else psql -qX -v ON_ERROR_STOP=1 "$BASE/fbf_$0" -c "$(cat "$UP_SQL")"; fi >/dev/null' {}
                t1=$(now)
                c1=$(server_ms)
                at_head pg "$N_PG"
                say "pg $n: psql -$how per target, 8 in parallel: $(secs "$t0" "$t1") s$(per_target "$c0" "$c1" "$n") (load $l)"
            done
        fi

        note=""
        [ "$ln" = "$n" ] || note=" (measured on $ln targets, scaled to $n)"
        reset $kind
        l=$(load)
        s=$(cd "$CRATE" && loop $kind "$ln" cargo migrate upgrade --database-url)
        at_head $kind "$ln"
        say "$kind $n: loop of \`cargo migrate upgrade --database-url URL\`: $(python3 -c "print(f'{$s * $n / $ln:.2f}')") s$note (load $l)"
        reset $kind
        l=$(load)
        s=$(loop $kind "$ln" "$RUNNER" upgrade head --database-url)
        at_head $kind "$ln"
        say "$kind $n: loop of the release runner: $(python3 -c "print(f'{$s * $n / $ln:.2f}')") s$note (load $l)"
        reset $kind
        d=$kind; [ $kind = pg ] && d=postgres
        l=$(load)
        s=$(loop $kind "$ln" "$SQLX" migrate run --source "$B/peers/$d/sqlx" --database-url)
        at_head $kind "$ln"
        say "$kind $n: loop of \`sqlx migrate run\`: $(python3 -c "print(f'{$s * $n / $ln:.2f}')") s$note (load $l)"
    done

    # the lock table against the advisory lock, per target, base -> head, one job
    head -n "$LOCK_N" "$pg_list" >"$B/fleet-lock.txt"
    for round in $(seq 1 "$LOCK_ROUNDS"); do
        [[ " $KINDS " == *" pg "* ]] || break
        for lock in advisory table; do
            reset_pg "$LOCK_N"
            l=$(load); t0=$(now)
            "$RUNNER" --targets "$B/fleet-lock.txt" --lock $lock --jsonl upgrade head >"$B/lock.jsonl" 2>"$B/err.txt" || true
            t1=$(now)
            expect pg "$B/err.txt" "$LOCK_N done, 0 unchanged"
            mean=$(python3 -c "import json,sys; d=[json.loads(l)['duration_ms'] for l in open(sys.argv[1])]; print(f'{sum(d)/len(d):.1f}')" "$B/lock.jsonl")
            say "pg $LOCK_N, --jobs 1, --lock $lock, round $round: $(secs "$t0" "$t1") s, mean $mean ms per target (load $l)"
        done
    done
fi

if has clean; then
    for i in $(seq 1 "$N_PG"); do echo "DROP DATABASE IF EXISTS fbf_$i WITH (FORCE);"; done |
        psql -qX "$PG" >/dev/null 2>&1
    rm -rf "$DIR"
fi
