#!/usr/bin/env bash
# Batch mode benchmark (BENCHMARKS.md "W7"): the rebuild of a 1,000,000-row, 6-column SQLite
# table with two indexes, changing one column's type (TEXT -> INTEGER), by
#   - L0: sqlite3 running SQLite's documented procedure by hand (create, copy, drop, rename,
#     indexes, foreign_key_check) in one transaction: the lower bound;
#   - cargo-migrate: `upgrade head` of a release runner whose revision is
#     `db.batch_alter_table(BatchAlter::table("t").alter_column(…))`;
#   - Alembic: `alembic upgrade head` of a revision with `op.batch_alter_table("t")` and
#     `batch_op.alter_column("c3", type_=sa.Integer)`.
# Each contender starts from a copy of the same database (made untimed), stamped at the
# revision before the change by its own tool. Rounds interleaved (bench/timing.py).
#
# Usage: bench/batch/run.sh          Env: ROUNDS (default 5), ROWS (default 1000000),
#        DIR (databases, default /dev/shm/cargo-migrate-batch), VENV (default /tmp/cmb-batch-venv),
#        BENCH_TARGET (the runner's cargo target dir, default target/bench/batch/target)
# Needs: cargo, python3 (venv, pip install alembic sqlalchemy), sqlite3.
set -euo pipefail

WS=$(cd "$(dirname "$0")/../.." && pwd)
B=$WS/target/bench/batch
ROUNDS=${ROUNDS:-5}
ROWS=${ROWS:-1000000}
DIR=${DIR:-/dev/shm/cargo-migrate-batch}
VENV=${VENV:-/tmp/cmb-batch-venv}
mkdir -p "$B/crate/src/versions" "$DIR" "$B/alembic/versions"
say() { printf '\n== %s\n' "$*" >&2; }

[ -x "$VENV/bin/alembic" ] || { say "alembic in $VENV"; python3 -m venv "$VENV" && "$VENV/bin/pip" install -q alembic sqlalchemy; }

TABLE='CREATE TABLE t (id INTEGER PRIMARY KEY, c1 TEXT NOT NULL, c2 INTEGER, c3 TEXT, c4 REAL, c5 BLOB)'
INDEXES='CREATE INDEX ix_t_c1 ON t (c1); CREATE INDEX ix_t_c2 ON t (c2)'

say "the runner (release)"
cat > "$B/crate/Cargo.toml" <<TOML
[package]
name = "batch-bench"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
migrate-core = { path = "$WS/migrate-core", features = ["cli"] }
migrate-macros = { path = "$WS/migrate-macros" }

[workspace]
TOML
cp "$WS/Cargo.lock" "$B/crate/Cargo.lock"
echo 'migrate_macros::migrations!();' > "$B/crate/src/lib.rs"
echo 'fn main() -> std::process::ExitCode { migrate_core::cli::main(&batch_bench::MIGRATIONS) }' > "$B/crate/src/main.rs"
cat > "$B/crate/src/versions/b10000000001_table.rs" <<RS
//! table
//!
//! Revision ID: b10000000001
//! Revises:
//! Create Date: 2026-12-04 18:00:00.000
#[migrate_macros::migration(revision = "b10000000001")]
mod revision {
    use migrate_core::prelude::*;
    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.sql("$TABLE; $INDEXES").await?;
        Ok(())
    }
    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.sql("DROP TABLE t").await?;
        Ok(())
    }
}
RS
cat > "$B/crate/src/versions/b10000000002_c3_integer.rs" <<'RS'
//! c3 integer
//!
//! Revision ID: b10000000002
//! Revises: b10000000001
//! Create Date: 2026-12-04 18:00:01.000
#[migrate_macros::migration(revision = "b10000000002", down_revision = "b10000000001")]
mod revision {
    use migrate_core::prelude::*;
    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.batch_alter_table(BatchAlter::table("t").alter_column(ColumnDef::new("c3").integer().to_owned()))
            .await?;
        Ok(())
    }
    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.batch_alter_table(BatchAlter::table("t").alter_column(ColumnDef::new("c3").text().to_owned()))
            .await?;
        Ok(())
    }
}
RS
BT=${BENCH_TARGET:-$B/target}
(cd "$B/crate" && CARGO_TARGET_DIR=$BT cargo build -q --release)
RUNNER=$BT/release/batch-bench

say "Alembic project"
cat > "$B/alembic/alembic.ini" <<INI
[alembic]
script_location = $B/alembic
sqlalchemy.url = sqlite:///$DIR/alembic.db
INI
cat > "$B/alembic/env.py" <<'PY'
import os
from alembic import context
from sqlalchemy import create_engine
url = os.environ.get("DB") or context.config.get_main_option("sqlalchemy.url")
with create_engine(url).connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
PY
cat > "$B/alembic/script.py.mako" <<'MAKO'
MAKO
cat > "$B/alembic/versions/a1_table.py" <<'PY'
revision = "a1"
down_revision = None
def upgrade():
    pass
def downgrade():
    pass
PY
cat > "$B/alembic/versions/a2_c3_integer.py" <<'PY'
import sqlalchemy as sa
from alembic import op
revision = "a2"
down_revision = "a1"
def upgrade():
    with op.batch_alter_table("t") as batch_op:
        batch_op.alter_column("c3", type_=sa.Integer)
def downgrade():
    with op.batch_alter_table("t") as batch_op:
        batch_op.alter_column("c3", type_=sa.Text)
PY

say "seed databases: $ROWS rows"
rm -f "$DIR"/seed*.db
sqlite3 "$DIR/seed.db" "$TABLE; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS) INSERT INTO t SELECT i, 'name ' || i, i * 7 % 100003, CAST(i % 1000 AS TEXT), i / 3.0, CAST(printf('%08x', i) AS BLOB) FROM n; $INDEXES"
cp "$DIR/seed.db" "$DIR/seed-ours.db"
"$RUNNER" --database-url "sqlite:$DIR/seed-ours.db" stamp b10000000001 > /dev/null
cp "$DIR/seed.db" "$DIR/seed-alembic.db"
DB="sqlite:///$DIR/seed-alembic.db" "$VENV/bin/alembic" -c "$B/alembic/alembic.ini" stamp a1 > /dev/null 2>&1

cat > "$B/by-hand.sql" <<SQL
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE t_new (id INTEGER PRIMARY KEY, c1 TEXT NOT NULL, c2 INTEGER, c3 INTEGER, c4 REAL, c5 BLOB);
INSERT INTO t_new (id, c1, c2, c3, c4, c5) SELECT id, c1, c2, c3, c4, c5 FROM t;
DROP TABLE t;
ALTER TABLE t_new RENAME TO t;
$INDEXES;
PRAGMA foreign_key_check;
COMMIT;
SQL

cat > "$B/spec.json" <<JSON
{"name": "W7 batch rebuild, $ROWS rows", "baseline": "L0 sqlite3 by hand",
 "contenders": [
  {"name": "L0 sqlite3 by hand", "setup": ["cp $DIR/seed.db $DIR/run.db"],
   "cmd": "sqlite3 $DIR/run.db < $B/by-hand.sql"},
  {"name": "cargo-migrate release", "setup": ["cp $DIR/seed-ours.db $DIR/run.db"],
   "cmd": "$RUNNER --database-url sqlite:$DIR/run.db upgrade head"},
  {"name": "alembic batch_alter_table", "setup": ["cp $DIR/seed-alembic.db $DIR/run.db"],
   "cmd": "DB=sqlite:///$DIR/run.db $VENV/bin/alembic -c $B/alembic/alembic.ini upgrade head"}
 ]}
JSON
say "timing, $ROUNDS rounds"
python3 "$WS/bench/timing.py" "$ROUNDS" "$B/results.json" "$B/spec.json"
say "the three did the same work (c3 INTEGER, every row, both indexes)"
check() { sqlite3 "$DIR/run.db" "SELECT group_concat(DISTINCT typeof(c3)) || ' ' || count(*) || ' ' || sum(c3) || ' ' || sum(length(c5)) FROM t; SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 't' ORDER BY name); PRAGMA integrity_check" | tr '\n' ' '; echo; }
cp "$DIR/seed.db" "$DIR/run.db" && sqlite3 "$DIR/run.db" < "$B/by-hand.sql" && echo -n "L0:       " && check
cp "$DIR/seed-ours.db" "$DIR/run.db" && "$RUNNER" --database-url "sqlite:$DIR/run.db" upgrade head 2> /dev/null && echo -n "ours:     " && check
cp "$DIR/seed-alembic.db" "$DIR/run.db" && DB="sqlite:///$DIR/run.db" "$VENV/bin/alembic" -c "$B/alembic/alembic.ini" upgrade head 2> /dev/null && echo -n "alembic:  " && check
rm -f "$DIR"/*.db
