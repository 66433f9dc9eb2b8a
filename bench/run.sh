#!/usr/bin/env bash
# Whole-process benchmarks of BENCHMARKS.md (W1-W5). Installs the peers itself, generates
# the workloads under target/bench/ (never committed) and writes target/bench/results/*.json
# plus a text summary. Criterion benches (W5 chain check, W6) are separate:
#   cargo bench -p migrate-core --no-default-features --features source
#
# Usage: bench/run.sh [STAGE...]     stages: tools pg build w1 w2 w3 w4 w5 sqlx-calls pgstop
#        (default: tools pg build w1 w2 w3 w4)
#        `pg` starts a PostgreSQL of our own with its data on tmpfs (/dev/shm), port 5433,
#        fsync on (the shared server keeps its data on a slow virtual disk, where a commit's
#        fsync, ~25 ms, hides every other cost); `pgstop` stops it.
# Env:   ROUNDS (default 5), N (revisions, default 1000), NV (W4 revisions, default 10000),
#        PG (admin URL, default postgres://postgres@127.0.0.1:5433/postgres, the `pg` stage's),
#        SQLITE_DIRS (default "/dev/shm/cargo-migrate-bench target/bench/db": tmpfs and disk),
#        W5_ROUNDS (default 3), W5_SKIP_COLD=1, W5_STEPS (see bench/w5.py)
#
# Needs: cargo, python3 (venv), sqlite3, psql. The machine may be shared: every figure is
# compared as a ratio within one round (bench/timing.py interleaves the contenders).
set -euo pipefail

WS=$(cd "$(dirname "$0")/.." && pwd)
B=$WS/target/bench
ROUNDS=${ROUNDS:-5}
N=${N:-1000}
NV=${NV:-10000}
PG=${PG:-postgres://postgres@127.0.0.1:5433/postgres}
PGDATA_TMPFS=/dev/shm/cmb-pg/data
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | tail -1)}
PGHOST_URL=${PG%/*}
SQLITE_DIRS=${SQLITE_DIRS:-"/dev/shm/cargo-migrate-bench $B/db"}
TOOLS=$B/tools
VENV=$B/venv
CT=$B/cargo-target            # target dir of the generated migrations crates
RES=$B/results
mkdir -p "$B" "$RES" "$TOOLS"
STAGES=${*:-tools pg build w1 w2 w3 w4}

say() { printf '\n== %s\n' "$*" >&2; }
has() { [[ " $STAGES " == *" $1 "* ]]; }

SQLX=$TOOLS/bin/sqlx
ALEMBIC=$VENV/bin/alembic
CRATE=$B/w1/crate
RUNNER_DEBUG=$CT/debug/bench-migrations
RUNNER_RELEASE=$CT/release/bench-migrations

if has tools; then
    say "peers from the package registries"
    [ -x "$ALEMBIC" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q alembic sqlalchemy psycopg2-binary; }
    [ -x "$SQLX" ] || cargo install sqlx-cli --version 0.8.6 --locked --no-default-features \
        --features sqlite,postgres,rustls --root "$TOOLS"
    "$SQLX" --version; "$ALEMBIC" --version; sqlite3 --version; psql --version
fi

if has pg && ! pg_isready -q -h 127.0.0.1 -p 5433; then
    say "PostgreSQL on tmpfs, port 5433"
    mkdir -p "$(dirname $PGDATA_TMPFS)" && chown postgres:postgres "$(dirname $PGDATA_TMPFS)"
    [ -d $PGDATA_TMPFS ] || su postgres -c "$PGBIN/initdb -D $PGDATA_TMPFS -A trust -U postgres" > /dev/null
    su postgres -c "$PGBIN/pg_ctl -D $PGDATA_TMPFS -o '-p 5433 -k /tmp -c listen_addresses=127.0.0.1' -l $PGDATA_TMPFS/../log -w start"
fi

if has build; then
    say "W1 workload: $N revisions, a table with 5 columns and an index each"
    python3 "$WS/bench/gen.py" crate "$N" "$CRATE"
    (cd "$CRATE" && CARGO_TARGET_DIR=$CT cargo build --quiet && CARGO_TARGET_DIR=$CT cargo build --quiet --release)
    for d in sqlite postgres; do
        "$RUNNER_RELEASE" upgrade head --sql --dialect $d > "$B/w1/ours_up_$d.sql"
        "$RUNNER_RELEASE" downgrade head:base --sql --dialect $d > "$B/w1/ours_down_$d.sql"
        python3 "$WS/bench/gen.py" peers "$B/w1/ours_up_$d.sql" "$B/w1/ours_down_$d.sql" $d "$B/w1/$d"
    done
fi

pg_fresh() { # name: a fresh, empty database (untimed setup)
    echo "psql -qX -d $PG -c 'DROP DATABASE IF EXISTS $1 WITH (FORCE)' -c 'CREATE DATABASE $1'"
}

# contenders for one backend/direction, as timing.py's JSON
w12_spec() { # dir(up|down) backend(sqlite|postgres) location
    local dir=$1 be=$2 loc=${3:-} P=$B/w1/$2
    python3 - "$dir" "$be" "$loc" "$P" "$RUNNER_DEBUG" "$RUNNER_RELEASE" "$SQLX" "$ALEMBIC" "$PG" "$PGHOST_URL" <<'EOF'
import json, sys
dir_, be, loc, P, rdbg, rrel, sqlx, alembic, pg, pghost = sys.argv[1:]
cs = []
def add(name, url, fresh, up, timed, env=None):
    # down: the tool first applies its own upgrade (untimed), then the timed downgrade
    setup = [fresh] + ([up] if dir_ == "down" else [])
    cs.append({"name": name, "setup": setup, "cmd": timed, "env": env or {}})
if be == "sqlite":
    def db(tag): return f"{loc}/{tag}.db"
    def fresh(tag): return f"mkdir -p {loc} && rm -f {db(tag)} {db(tag)}-journal && touch {db(tag)}"
    L1 = lambda tag, f: f"sqlite3 {db(tag)} < {P}/{f}"
    url = lambda tag: f"sqlite:{db(tag)}"
    aurl = lambda tag: f"sqlite:///{db(tag)}"
else:
    def fresh(tag): return f"psql -qX -d {pg} -c 'DROP DATABASE IF EXISTS bench_{tag} WITH (FORCE)' -c 'CREATE DATABASE bench_{tag}'"
    L1 = lambda tag, f: f"psql -qX -d {pghost}/bench_{tag} -f {P}/{f} > /dev/null"
    url = lambda tag: f"{pghost}/bench_{tag}"
    aurl = lambda tag: f"postgresql+psycopg2://{pghost.split('://')[1]}/bench_{tag}"
if dir_ == "up":
    add("L1", url("l1"), fresh("l1"), None, L1("l1", "l1_up.sql"))
    add("L1+version-row", url("l1v"), fresh("l1v"), None, L1("l1v", "l1v_up.sql"))
    if be == "sqlite":  # L1 + our version table, row and per-revision gate query
        add("L1+our version table and gate", url("l1g"), fresh("l1g"), None, L1("l1g", "l1g_up.sql") + " > /dev/null")
    add("cargo-migrate (release)", url("rel"), fresh("rel"), None, f"{rrel} --database-url {url('rel')} upgrade head 2>/dev/null")
    add("cargo-migrate (debug)", url("dbg"), fresh("dbg"), None, f"{rdbg} --database-url {url('dbg')} upgrade head 2>/dev/null")
    add("sqlx migrate run", url("sqlx"), fresh("sqlx"), None, f"{sqlx} migrate run --source {P}/sqlx --database-url {url('sqlx')}")
    add("alembic upgrade head", url("alem"), fresh("alem"), None, f"{alembic} -c {P}/alembic.ini upgrade head", {"BENCH_URL": aurl("alem")})
else:
    add("L1", url("l1"), fresh("l1"), L1("l1", "l1_up.sql"), L1("l1", "l1_down.sql"))
    add("cargo-migrate (release)", url("rel"), fresh("rel"), f"{rrel} --database-url {url('rel')} upgrade head 2>/dev/null",
        f"{rrel} --database-url {url('rel')} downgrade base 2>/dev/null")
    add("cargo-migrate (debug)", url("dbg"), fresh("dbg"), f"{rdbg} --database-url {url('dbg')} upgrade head 2>/dev/null",
        f"{rdbg} --database-url {url('dbg')} downgrade base 2>/dev/null")
    add("sqlx migrate revert --target-version 0", url("sqlx"), fresh("sqlx"),
        f"{sqlx} migrate run --source {P}/sqlx --database-url {url('sqlx')}",
        f"{sqlx} migrate revert --target-version 0 --source {P}/sqlx --database-url {url('sqlx')}")
    add("alembic downgrade base", url("alem"), fresh("alem"),
        f"BENCH_URL={aurl('alem')} {alembic} -c {P}/alembic.ini upgrade head",
        f"{alembic} -c {P}/alembic.ini downgrade base", {"BENCH_URL": aurl("alem")})
name = f"W{'1' if dir_ == 'up' else '2'} {'upgrade head' if dir_ == 'up' else 'downgrade base'}, {be}" + (f" on {loc}" if loc else "")
print(json.dumps({"name": name, "baseline": "L1", "contenders": cs}))
EOF
}

for w in w1 w2; do
    has $w || continue
    dir=$([ $w = w1 ] && echo up || echo down)
    for loc in $SQLITE_DIRS; do
        tag=$(basename "$loc")
        w12_spec $dir sqlite "$loc" > "$RES/$w-sqlite-$tag.spec.json"
        python3 "$WS/bench/timing.py" "$ROUNDS" "$RES/$w-sqlite-$tag.json" "$RES/$w-sqlite-$tag.spec.json" | tee -a "$RES/summary.txt"
    done
    w12_spec $dir postgres > "$RES/$w-postgres.spec.json"
    python3 "$WS/bench/timing.py" "$ROUNDS" "$RES/$w-postgres.json" "$RES/$w-postgres.spec.json" | tee -a "$RES/summary.txt"
done

if has w3; then
    say "W3: the crates.io history (285 migrations) on PostgreSQL"
    DATA=$(cd "$WS/../shared/data/crates-io" && pwd)
    python3 "$WS/bench/gen.py" cratesio-crate "$DATA" "$B/w3/crate"
    python3 "$WS/bench/gen.py" cratesio "$DATA" "$B/w3/psql_up.sql"
    (cd "$B/w3/crate" && CARGO_TARGET_DIR=$CT cargo build --quiet && CARGO_TARGET_DIR=$CT cargo build --quiet --release)
    python3 - "$PG" "$PGHOST_URL" "$B/w3/psql_up.sql" "$CT" > "$RES/w3.spec.json" <<'EOF'
import json, sys
pg, pghost, script, ct = sys.argv[1:]
fresh = lambda t: f"psql -qX -d {pg} -c 'DROP DATABASE IF EXISTS bench_w3{t} WITH (FORCE)' -c 'CREATE DATABASE bench_w3{t}'"
u = lambda t: f"{pghost}/bench_w3{t}"
cs = [
 {"name": "psql replay", "setup": [fresh("p")], "cmd": f"psql -qX -d {u('p')} -f {script} > /dev/null 2>&1"},
 {"name": "cargo-migrate (release)", "setup": [fresh("r")], "cmd": f"{ct}/release/crates-io-bench --database-url {u('r')} upgrade head 2>/dev/null"},
 {"name": "cargo-migrate (debug)", "setup": [fresh("d")], "cmd": f"{ct}/debug/crates-io-bench --database-url {u('d')} upgrade head 2>/dev/null"},
]
print(json.dumps({"name": "W3 crates.io upgrade head, postgres (tmpfs)", "baseline": "psql replay", "contenders": cs}))
EOF
    python3 "$WS/bench/timing.py" "$ROUNDS" "$RES/w3.json" "$RES/w3.spec.json" | tee -a "$RES/summary.txt"
fi

if has w4; then
    say "W4: read-only commands on $NV revisions (release cargo-migrate, no compiling)"
    (cd "$WS" && cargo build --quiet --release -p cargo-migrate)
    CM=$WS/target/release/cargo-migrate
    W4=$B/w4/crate
    python3 "$WS/bench/gen.py" versions "$NV" "$W4"
    V=$W4/src/versions
    # the header cache skips files changed in the last 3 s (timestamp granularity): let the
    # generated files age, then warm both caches once (untimed); the first timed round is warm
    sleep 3
    "$CM" migrate --manifest-path "$W4/Cargo.toml" heads > /dev/null
    # `revision -m` writes a file: each run removes the one the previous run wrote (untimed)
    CLEAN="find $V -newer $W4/Cargo.toml -name '*_bench_rev.rs' -delete"
    # the peer: Alembic on the same 10,000 revisions (typed ops), its bytecode cache allowed
    # (PYTHONDONTWRITEBYTECODE unset) and warmed once, untimed
    AW=$B/w4/alembic
    python3 "$WS/bench/gen.py" alembic-versions "$NV" "$AW"
    ACLEAN="find $AW/alembic/versions -name '*_bench_rev.py' -delete"
    (cd "$AW" && env -u PYTHONDONTWRITEBYTECODE "$ALEMBIC" heads > /dev/null)
    python3 - "$CM" "$W4" "$CLEAN" "$ALEMBIC" "$AW" "$ACLEAN" > "$RES/w4.spec.json" <<'EOF'
import json, sys
cm, w4, clean, alembic, aw, aclean = sys.argv[1:]
m = f"--manifest-path {w4}/Cargo.toml"
a = f"cd {aw} && env -u PYTHONDONTWRITEBYTECODE {alembic}"
cs = [
 {"name": "cargo metadata --no-deps", "cmd": f"cargo metadata --no-deps --format-version 1 {m} > /dev/null"},
 {"name": "heads", "cmd": f"{cm} migrate {m} heads > /dev/null"},
 {"name": "history", "cmd": f"{cm} migrate {m} history > /dev/null"},
 {"name": "revision -m", "setup": [clean], "cmd": f"{cm} migrate {m} revision -m 'bench rev' > /dev/null 2>&1"},
 {"name": "alembic heads", "cmd": f"{a} heads > /dev/null"},
 {"name": "alembic history", "cmd": f"{a} history > /dev/null"},
 {"name": "alembic revision -m", "setup": [aclean], "cmd": f"{a} revision -m 'bench rev' > /dev/null 2>&1"},
]
print(json.dumps({"name": "W4 read-only commands, 10k revisions", "baseline": "cargo metadata --no-deps", "contenders": cs}))
EOF
    python3 "$WS/bench/timing.py" "$((ROUNDS * 2))" "$RES/w4.json" "$RES/w4.spec.json" | tee -a "$RES/summary.txt"
    eval "$CLEAN"; eval "$ACLEAN"
fi

if has w5; then
    # ours and an equivalent sea-orm-migration 2.0 crate (bench/gen.py seaorm), alternating,
    # each in target directories of its own under target/bench/w5/: deps cold, clean build of
    # N migrations, add one / remove it, touch (bench/w5.py). W5_ROUNDS (default 3),
    # W5_SKIP_COLD=1 skips the cold builds (minutes each), W5_STEPS picks steps.
    say "W5: compile time, $N migrations, cargo-migrate vs sea-orm-migration (debug)"
    python3 "$WS/bench/w5.py" "$B/w5" "$RES" "$N" "${W5_ROUNDS:-3}" | tee -a "$RES/summary.txt"
fi

if has sqlx-calls; then
    say "W1 SQLite experiment: the cost of a call through sqlx's SQLite driver"
    mkdir -p "$B/sqlx-calls" && cp -r "$WS/bench/sqlx-calls/." "$B/sqlx-calls/" && cp "$WS/Cargo.lock" "$B/sqlx-calls/"
    (cd "$B/sqlx-calls" && CARGO_TARGET_DIR=$CT cargo build --quiet --release)
    loc=${SQLITE_DIRS%% *}
    python3 - "$loc" "$B" "$RUNNER_RELEASE" "$CT/release/sqlx-calls" > "$RES/sqlx-calls.spec.json" <<'EOF2'
import json, sys
D, B, rel, exp = sys.argv[1:]
fresh = lambda t: f"mkdir -p {D} && rm -f {D}/{t}.db {D}/{t}.db-journal && touch {D}/{t}.db"
cs = [{"name": "L1", "setup": [fresh("hl1")], "cmd": f"sqlite3 {D}/hl1.db < {B}/w1/sqlite/l1_up.sql"},
      {"name": "L1+version-row", "setup": [fresh("hl1v")], "cmd": f"sqlite3 {D}/hl1v.db < {B}/w1/sqlite/l1v_up.sql"},
      {"name": "cargo-migrate (release)", "setup": [fresh("hrel")], "cmd": f"{rel} --database-url sqlite:{D}/hrel.db upgrade head 2>/dev/null"}]
for m, desc in (("6", "6 calls/revision (as the runner)"), ("4", "4 calls/revision (merged)"), ("1", "1 call/revision")):
    cs.append({"name": f"sqlx, {desc}", "setup": [fresh("h" + m)], "cmd": f"{exp} {m} {D}/h{m}.db {B}/w1/sqlite/l1_up.sql"})
print(json.dumps({"name": "W1 SQLite experiment: calls per revision through sqlx (tmpfs)", "baseline": "L1", "contenders": cs}))
EOF2
    python3 "$WS/bench/timing.py" "$ROUNDS" "$RES/sqlx-calls.json" "$RES/sqlx-calls.spec.json" | tee -a "$RES/summary.txt"
fi

if has pgstop; then
    su postgres -c "$PGBIN/pg_ctl -D $PGDATA_TMPFS -m fast stop"
fi
