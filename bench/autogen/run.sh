#!/usr/bin/env bash
# Autogenerate benchmark (BENCHMARKS.md "Autogenerate and check"): a 100-table schema (each
# table 8 columns, 2 indexes, 1 foreign key; bench/autogen/gen.py) declared as models, with
#   A. autogenerate with no revision yet (100 tables to create), SQLite and PostgreSQL:
#      - cargo-migrate: the release runner's `autogenerate` (what `cargo migrate revision
#        --autogenerate` runs after the build; replays the migrations into a shadow database
#        and creates the models in a second one),
#      - Alembic: `alembic revision --autogenerate` against an empty database (it compares
#        with the live database, no shadow);
#   B. `check` with no drift (the database at head, the models matching the migrations):
#      the runner's `check` against `alembic check`.
# Whole processes, excluding the compile of the migrations crate. Rounds interleaved
# (bench/timing.py).
#
# Usage: bench/autogen/run.sh     Env: ROUNDS (default 5), TABLES (default 100),
#        VENV (default /tmp/cmb-autogen-venv), BENCH_TARGET (default target/bench/autogen/target),
#        PG (admin URL, default postgres://postgres@127.0.0.1:5432/postgres)
# Needs: cargo, python3 (venv: alembic, sqlalchemy, "psycopg[binary]"), a PostgreSQL server.
set -euo pipefail

WS=$(cd "$(dirname "$0")/../.." && pwd)
B=$WS/target/bench/autogen
ROUNDS=${ROUNDS:-5}
TABLES=${TABLES:-100}
VENV=${VENV:-/tmp/cmb-autogen-venv}
PG=${PG:-postgres://postgres@127.0.0.1:5432/postgres}
PGBASE=${PG%/*}
DIR=$B/db
rm -rf "$B/crate/src" "$B/alembic" "$DIR"
mkdir -p "$B/crate/src/versions" "$DIR" "$B/alembic/versions"
say() { printf '\n== %s\n' "$*" >&2; }
psql_admin() { psql -q -X "$PG" -c "$1" > /dev/null; }

[ -x "$VENV/bin/alembic" ] || { say "alembic in $VENV"; python3 -m venv "$VENV" && "$VENV/bin/pip" install -q alembic sqlalchemy "psycopg[binary]"; }

say "models: $TABLES tables"
MODELS=$(python3 "$WS/bench/autogen/gen.py" "$TABLES" "$B/crate/src/models.rs" "$B/alembic/models.py")
cat > "$B/crate/Cargo.toml" <<TOML
[package]
name = "autogen-bench"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
migrate-core = { path = "$WS/migrate-core", features = ["cli"] }
migrate-macros = { path = "$WS/migrate-macros" }

[workspace]
TOML
cp "$WS/Cargo.lock" "$B/crate/Cargo.lock"
printf 'pub mod models;\nmigrate_macros::migrations!(models = [%s]);\n' "$MODELS" > "$B/crate/src/lib.rs"
echo 'fn main() -> std::process::ExitCode { migrate_core::cli::main(&autogen_bench::MIGRATIONS) }' > "$B/crate/src/main.rs"
# a new revision file rebuilds the crate (as `init` writes it)
printf 'fn main() {\n    println!("cargo:rerun-if-changed=src/versions");\n}\n' > "$B/crate/build.rs"
BT=${BENCH_TARGET:-$B/target}
build() { (cd "$B/crate" && CARGO_TARGET_DIR=$BT cargo build -q --release); }
build
RUNNER=$BT/release/autogen-bench

say "Alembic project"
cat > "$B/alembic/alembic.ini" <<INI
[alembic]
script_location = $B/alembic
sqlalchemy.url = sqlite:///$DIR/alembic.db
INI
cat > "$B/alembic/env.py" <<'PY'
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
from alembic import context
from sqlalchemy import create_engine
from models import Base
url = os.environ.get("DB") or context.config.get_main_option("sqlalchemy.url")
with create_engine(url).connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
PY
cp "$VENV"/lib/python3*/site-packages/alembic/templates/generic/script.py.mako "$B/alembic/"
ALEMBIC="$VENV/bin/alembic -c $B/alembic/alembic.ini"

psql_admin "DROP DATABASE IF EXISTS agbench_ours WITH (FORCE)"; psql_admin "CREATE DATABASE agbench_ours"
psql_admin "DROP DATABASE IF EXISTS agbench_alembic WITH (FORCE)"; psql_admin "CREATE DATABASE agbench_alembic"

cat > "$B/spec-a.json" <<JSON
{"name": "A. autogenerate, $TABLES tables, no revision yet", "baseline": "alembic sqlite",
 "contenders": [
  {"name": "cargo-migrate sqlite", "setup": [], "cmd": "$RUNNER --database-url sqlite:$DIR/ours.db autogenerate > /dev/null"},
  {"name": "alembic sqlite", "setup": ["rm -f $B/alembic/versions/*.py $DIR/alembic.db"],
   "cmd": "DB=sqlite:///$DIR/alembic.db $ALEMBIC revision --autogenerate -m x"},
  {"name": "cargo-migrate postgres", "setup": [], "cmd": "$RUNNER --database-url $PGBASE/agbench_ours autogenerate > /dev/null"},
  {"name": "alembic postgres", "setup": ["rm -f $B/alembic/versions/*.py"],
   "cmd": "DB=postgresql+psycopg://${PGBASE#postgres://}/agbench_alembic $ALEMBIC revision --autogenerate -m x"}
 ]}
JSON
say "A: timing, $ROUNDS rounds"
python3 "$WS/bench/timing.py" "$ROUNDS" "$B/results-a.json" "$B/spec-a.json"

say "B: the revisions that create the schema, each tool's own; databases at head"
rm -f "$B/alembic/versions/"*.py
DB="sqlite:///$DIR/alembic.db" $ALEMBIC revision --autogenerate -m initial > /dev/null 2>&1
DB="sqlite:///$DIR/alembic.db" $ALEMBIC upgrade head > /dev/null 2>&1
DB="postgresql+psycopg://${PGBASE#postgres://}/agbench_alembic" $ALEMBIC upgrade head > /dev/null 2>&1
"$RUNNER" --database-url "sqlite:$DIR/ours.db" autogenerate 2> /dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
ind = lambda s: "\n".join("        " + l if l.strip() else "" for l in s.splitlines())
print("//! initial\n//!\n//! Revision ID: ab0000000001\n//! Revises:\n//! Create Date: 2026-12-04 00:00:00 UTC\n")
print("#[migrate_macros::migration(revision = \"ab0000000001\")]\nmod revision {\n    use migrate_core::prelude::*;\n")
print("    pub async fn upgrade(db: &mut Db) -> Result<()> {\n" + ind(r["upgrade"]) + "\n        Ok(())\n    }\n")
print("    pub async fn downgrade(db: &mut Db) -> Result<()> {\n" + ind(r["downgrade"]) + "\n        Ok(())\n    }\n}")
' > "$B/crate/src/versions/ab0000000001_initial.rs"
build
"$RUNNER" --database-url "sqlite:$DIR/ours.db" upgrade > /dev/null 2>&1
"$RUNNER" --database-url "$PGBASE/agbench_ours" upgrade > /dev/null 2>&1
"$RUNNER" --database-url "sqlite:$DIR/ours.db" check
"$RUNNER" --database-url "$PGBASE/agbench_ours" check
cat > "$B/spec-b.json" <<JSON
{"name": "B. check, no drift, $TABLES tables", "baseline": "alembic check sqlite",
 "contenders": [
  {"name": "cargo-migrate check sqlite", "setup": [], "cmd": "$RUNNER --database-url sqlite:$DIR/ours.db check"},
  {"name": "alembic check sqlite", "setup": [], "cmd": "DB=sqlite:///$DIR/alembic.db $ALEMBIC check"},
  {"name": "cargo-migrate check postgres", "setup": [], "cmd": "$RUNNER --database-url $PGBASE/agbench_ours check"},
  {"name": "alembic check postgres", "setup": [], "cmd": "DB=postgresql+psycopg://${PGBASE#postgres://}/agbench_alembic $ALEMBIC check"}
 ]}
JSON
say "B: timing, $ROUNDS rounds"
python3 "$WS/bench/timing.py" "$ROUNDS" "$B/results-b.json" "$B/spec-b.json"
psql_admin "DROP DATABASE IF EXISTS agbench_ours WITH (FORCE)"
psql_admin "DROP DATABASE IF EXISTS agbench_alembic WITH (FORCE)"
