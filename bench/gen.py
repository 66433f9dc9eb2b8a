#!/usr/bin/env python3
"""Generates the benchmark workloads under target/bench/ (never committed).

  gen.py crate  N DIR [NAME]         a cargo-migrate migrations crate with N linear revisions, each
                               creating a table with 5 columns and an index (typed API)
  gen.py add    DIR            adds one revision on top of DIR's head (W5 incremental rebuild),
                               counting the archive crate's (`DIR/archive`, made by
                               `cargo migrate archive`); in a sea-orm-migration crate, one migration
  gen.py remove DIR            removes the newest revision / migration again
  gen.py versions N DIR        a migrations crate whose src/versions holds N revision files
                               (W4: graph commands only, never compiled)
  gen.py peers  SCRIPT DIALECT OUT
                               splits our offline script (`upgrade head --sql`) into the peers'
                               inputs: L1 (psql/sqlite3 script, one transaction per revision,
                               DDL only), sqlx migrations (reversible) and an Alembic project
  gen.py seaorm N DIR [NAME]   an equivalent sea-orm-migration 2.0 crate (W5 comparison)
  gen.py cratesio DATA OUT     W3: the psql replay script of the crates.io history
  gen.py cratesio-stairway DATA OUTDIR [OURS.json]
                               the psql side of bench/stairway.sh: updown.sql (every up.sql,
                               then every down.sql from the top, stopping at the first error)
                               and stairway.sql (per migration up.sql, down.sql, up.sql, going
                               on past errors: a failed step's transaction is rolled back; with
                               OURS, the steps `cargo migrate test` took, see the function)

The manifest is the one tests/src/lib.rs (`nested`) writes, so the dependency graph is the
one `cargo migrate init` gives a user, with the profile overrides `init` writes
(cargo-migrate/src/init.rs, `PROFILE_SETTINGS`); BENCH_PROFILE=none leaves them out.
CARGO_MIGRATE_DEP_PATH (as for `init`): a checkout whose migrate-core/, migrate-macros/ and
Cargo.lock the crate uses instead of this one's (e.g. a `git archive` snapshot, so a build
is not broken by work in progress in this tree).
"""
import json
import os
import sys

WS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rid(i):
    # 12 hex characters, deterministic, as `cargo migrate revision` ids look
    return "%012x" % (0xA000_0000_0000 + i * 7919)


DEPS = os.path.abspath(os.environ.get("CARGO_MIGRATE_DEP_PATH") or WS)


def profile_overrides(name):
    """The profile overrides `cargo migrate init` writes (cargo-migrate/src/init.rs,
    `PROFILE_SETTINGS`): keep the two in step."""
    if os.environ.get("BENCH_PROFILE") == "none":
        return ""
    return f"""
# Written by `cargo migrate init`: the migrations crate rebuilds fast after a new revision.
# One codegen unit per revision module (with rustc's default of 256, adding a module regroups
# them and recompiles a quarter of the crate); line tables only: half the LLVM work, and
# backtraces keep file and line.
[profile.dev.package.{name}]
codegen-units = 4096
debug = "line-tables-only"
"""


def manifest(name):
    return f"""[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
migrate-core = {{ path = "{DEPS}/migrate-core", features = ["cli"] }}
migrate-macros = {{ path = "{DEPS}/migrate-macros" }}
sqlx = {{ version = "=0.9.0", default-features = false }}
sea-query = {{ version = "=1.0.2", default-features = false }}

[workspace]
""" + profile_overrides(name)


def revision_text(i):
    down = "" if i == 0 else f', down_revision = "{rid(i - 1)}"'
    prev = "" if i == 0 else rid(i - 1)
    t = f"t{i:06d}"
    return f'''//! create {t}
//!
//! Revision ID: {rid(i)}
//! Revises: {prev}
//! Create Date: 2026-11-21 12:00:00.000

#[migrate_macros::migration(revision = "{rid(i)}"{down})]
mod revision {{
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {{
        db.create_table(
            Table::create()
                .table("{t}")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .col(ColumnDef::new("email").string_len(255))
                .col(ColumnDef::new("score").big_integer().not_null().default(0))
                .col(ColumnDef::new("created_at").text().not_null())
                .to_owned(),
        )
        .await?;
        db.create_index(Index::create().name("ix_{t}_name").table("{t}").col("name").to_owned()).await?;
        Ok(())
    }}

    pub async fn downgrade(db: &mut Db) -> Result<()> {{
        db.drop_index(Index::drop().name("ix_{t}_name").table("{t}").to_owned()).await?;
        db.drop_table(Table::drop().table("{t}").to_owned()).await?;
        Ok(())
    }}
}}
'''


def write_crate(n, d, name="bench-migrations"):
    vd = os.path.join(d, "src", "versions")
    os.makedirs(vd, exist_ok=True)
    for f in os.listdir(vd):
        os.remove(os.path.join(vd, f))
    with open(os.path.join(d, "Cargo.toml"), "w") as f:
        f.write(manifest(name))
    with open(os.path.join(d, "build.rs"), "w") as f:
        f.write('fn main() {\n    println!("cargo:rerun-if-changed=src/versions");\n}\n')
    with open(os.path.join(d, "src", "lib.rs"), "w") as f:
        f.write("migrate_macros::migrations!();\n")
    with open(os.path.join(d, "src", "main.rs"), "w") as f:
        f.write("fn main() -> std::process::ExitCode { migrate_core::cli::main(&%s::MIGRATIONS) }\n"
                % name.replace("-", "_"))
    with open(os.path.join(DEPS, "Cargo.lock")) as src, open(os.path.join(d, "Cargo.lock"), "w") as dst:
        dst.write(src.read())
    for i in range(n):
        with open(os.path.join(vd, f"{rid(i)}_create_t{i:06d}.rs"), "w") as f:
            f.write(revision_text(i))


def add_one(d):
    vd = os.path.join(d, "src", "versions")
    n = len([f for f in os.listdir(vd) if f.endswith(".rs")])
    # after `cargo migrate archive`, the settled revisions are in the archive crate
    ad = os.path.join(d, "archive", "src", "versions")
    if os.path.isdir(ad):
        n += len([f for f in os.listdir(ad) if f.endswith(".rs")])
    with open(os.path.join(vd, f"{rid(n)}_create_t{n:06d}.rs"), "w") as f:
        f.write(revision_text(n))
    return n + 1


def split_script(path):
    """Our offline script -> [(ddl statements)] per revision, version-table lines dropped."""
    revs = []
    cur = None
    for line in open(path).read().split("\n"):
        if line.startswith("-- Running"):
            cur = []
            revs.append(cur)
            continue
        s = line.strip()
        if not s or cur is None:
            continue
        if s in ("BEGIN;", "BEGIN IMMEDIATE;", "COMMIT;") or "migrate_version" in s:
            continue
        cur.append(s)
    return revs


def peers(script_up, script_down, dialect, out):
    ups = split_script(script_up)
    downs = split_script(script_down)[::-1]  # downgrade script runs newest first
    n = len(ups)
    assert len(downs) == n, (len(downs), n)
    os.makedirs(out, exist_ok=True)
    # L1: one session, one transaction per revision, the DDL only
    begin = "BEGIN IMMEDIATE;" if dialect == "sqlite" else "BEGIN;"
    with open(os.path.join(out, "l1_up.sql"), "w") as f:
        if dialect == "postgres":
            f.write("\\set ON_ERROR_STOP 1\n")
        for u in ups:
            f.write(begin + "\n" + "\n".join(u) + "\nCOMMIT;\n")
    with open(os.path.join(out, "l1_down.sql"), "w") as f:
        if dialect == "postgres":
            f.write("\\set ON_ERROR_STOP 1\n")
        for dn in downs[::-1]:
            f.write(begin + "\n" + "\n".join(dn) + "\nCOMMIT;\n")
    # L1 variant: the same with a version-table row per revision (what every tool writes)
    with open(os.path.join(out, "l1v_up.sql"), "w") as f:
        if dialect == "postgres":
            f.write("\\set ON_ERROR_STOP 1\n")
        f.write("CREATE TABLE v (revision VARCHAR(64) PRIMARY KEY);\n")
        for i, u in enumerate(ups):
            f.write(begin + "\n" + "\n".join(u) + f"\nINSERT INTO v VALUES ('{rid(i)}');\nCOMMIT;\n")
    # SQLite, to split W1's remaining gap: L1 plus exactly the version-table work our runner
    # does (its table and pending index, its row, the per-revision gate query), one session
    if dialect == "sqlite":
        lines = [l for l in open(script_up).read().split("\n") if "migrate_version" in l]
        setup = [l for l in lines if l.startswith("CREATE")]
        rows = [l for l in lines if l.startswith("INSERT")]
        assert len(rows) == n, (len(rows), n)
        with open(os.path.join(out, "l1g_up.sql"), "w") as f:
            f.write("\n".join(setup) + "\n")
            for i, u in enumerate(ups):
                gate = ("SELECT (SELECT COUNT(*) FROM \"migrate_version\" WHERE revision = "
                        f"'{rid(i)}'), (SELECT MIN(revision) FROM \"migrate_version\" WHERE state = 'pending');")
                f.write(begin + "\n" + gate + "\n" + "\n".join(u) + "\n" + rows[i] + "\nCOMMIT;\n")
    # sqlx: reversible migrations, <version>_<name>.up.sql / .down.sql
    sd = os.path.join(out, "sqlx")
    os.makedirs(sd, exist_ok=True)
    for i in range(n):
        base = os.path.join(sd, f"{i + 1:06d}_create_t{i:06d}")
        with open(base + ".up.sql", "w") as f:
            f.write("\n".join(ups[i]) + "\n")
        with open(base + ".down.sql", "w") as f:
            f.write("\n".join(downs[i]) + "\n")
    # Alembic: one revision per migration, op.execute of the same statements
    ad = os.path.abspath(os.path.join(out, "alembic"))
    vd = os.path.join(ad, "versions")
    os.makedirs(vd, exist_ok=True)
    with open(os.path.join(ad, "env.py"), "w") as f:
        f.write(ALEMBIC_ENV)
    with open(os.path.join(ad, "script.py.mako"), "w") as f:
        f.write("")
    with open(os.path.join(out, "alembic.ini"), "w") as f:
        f.write(f"[alembic]\nscript_location = {ad}\n")
    for i in range(n):
        with open(os.path.join(vd, f"r{i:06d}.py"), "w") as f:
            f.write(
                f'"""create t{i:06d}"""\nfrom alembic import op\n\nrevision = "{rid(i)}"\n'
                f'down_revision = {("None" if i == 0 else repr(rid(i - 1)))}\nbranch_labels = None\ndepends_on = None\n\n'
                f"UP = {ups[i]!r}\nDOWN = {downs[i]!r}\n\n"
                "def upgrade():\n    for s in UP:\n        op.execute(s)\n\n"
                "def downgrade():\n    for s in DOWN:\n        op.execute(s)\n"
            )


ALEMBIC_ENV = '''import os
from alembic import context
from sqlalchemy import create_engine

url = os.environ["BENCH_URL"]


def run():
    engine = create_engine(url)
    with engine.connect() as conn:
        # one transaction per revision, as the others do
        context.configure(connection=conn, transaction_per_migration=True)
        context.run_migrations()
        conn.commit()


run()
'''


def versions_only(n, d):
    """W4: a crate whose src/versions has n revision files; a workspace of its own."""
    write_crate(0, d, name="w4-migrations")
    vd = os.path.join(d, "src", "versions")
    for i in range(n):
        with open(os.path.join(vd, f"{rid(i)}_create_t{i:06d}.rs"), "w") as f:
            f.write(revision_text(i))


ALEMBIC_TEMPLATE = '''"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''


def alembic_versions(n, d):
    """W4 peer: an Alembic project with n revisions of the W1 shape, written with Alembic's
    typed operations (op.create_table / op.create_index), and Alembic's generic template."""
    ad = os.path.abspath(os.path.join(d, "alembic"))
    vd = os.path.join(ad, "versions")
    if os.path.isdir(vd):
        for f in os.listdir(vd):
            if f.endswith(".py"):
                os.remove(os.path.join(vd, f))
    os.makedirs(vd, exist_ok=True)
    with open(os.path.join(ad, "env.py"), "w") as f:
        f.write(ALEMBIC_ENV)
    with open(os.path.join(ad, "script.py.mako"), "w") as f:
        f.write(ALEMBIC_TEMPLATE)
    with open(os.path.join(d, "alembic.ini"), "w") as f:
        f.write(f"[alembic]\nscript_location = {ad}\n")
    for i in range(n):
        t = f"t{i:06d}"
        with open(os.path.join(vd, f"{rid(i)}_create_{t}.py"), "w") as f:
            f.write(
                f'"""create {t}\n\nRevision ID: {rid(i)}\nRevises: {"" if i == 0 else rid(i - 1)}\n'
                f'Create Date: 2026-11-21 12:00:00.000000\n\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
                f'revision = "{rid(i)}"\ndown_revision = {("None" if i == 0 else repr(rid(i - 1)))}\n'
                "branch_labels = None\ndepends_on = None\n\n\n"
                "def upgrade():\n"
                f"    op.create_table(\n        \"{t}\",\n"
                "        sa.Column(\"id\", sa.Integer, primary_key=True),\n"
                "        sa.Column(\"name\", sa.String(100), nullable=False),\n"
                "        sa.Column(\"email\", sa.String(255)),\n"
                "        sa.Column(\"score\", sa.BigInteger, nullable=False, server_default=\"0\"),\n"
                "        sa.Column(\"created_at\", sa.Text, nullable=False),\n    )\n"
                f"    op.create_index(\"ix_{t}_name\", \"{t}\", [\"name\"])\n\n\n"
                "def downgrade():\n"
                f"    op.drop_index(\"ix_{t}_name\", table_name=\"{t}\")\n"
                f"    op.drop_table(\"{t}\")\n"
            )


SEAORM_VERSION = "=2.0.4"
# the backends our crate builds (migrate-core's sqlx: sqlite, postgres, mysql; no TLS)
SEAORM_FEATURES = ["runtime-tokio", "sqlx-sqlite", "sqlx-postgres", "sqlx-mysql", "cli"]


def seaorm_files(src):
    """The migration files of a sea-orm-migration crate (`m000000_….rs`), in order."""
    return sorted(f for f in os.listdir(src) if f[:1] == "m" and f[1:7].isdigit() and f.endswith(".rs"))


def seaorm_migration(i):
    t = f"t{i:06d}"
    return f'''use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {{
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
        manager
            .create_table(
                Table::create()
                    .table("{t}")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("name").string_len(100).not_null())
                    .col(ColumnDef::new("email").string_len(255))
                    .col(ColumnDef::new("score").big_integer().not_null().default(0))
                    .col(ColumnDef::new("created_at").text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_{t}_name").table("{t}").col("name").to_owned())
            .await
    }}

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
        manager
            .drop_index(Index::drop().name("ix_{t}_name").table("{t}").to_owned())
            .await?;
        manager.drop_table(Table::drop().table("{t}").to_owned()).await
    }}
}}
'''


def seaorm_lib(n):
    """lib.rs as `sea-orm-cli migrate init` lays it out: one `mod` per migration, listed in
    `Migrator::migrations()` in order."""
    mods = [f"m{i:06d}_create_t{i:06d}" for i in range(n)]
    return ("pub use sea_orm_migration::prelude::*;\n\n" + "".join(f"mod {m};\n" for m in mods) +
            "\npub struct Migrator;\n\n#[async_trait::async_trait]\nimpl MigratorTrait for Migrator {\n"
            "    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![\n" +
            "".join(f"            Box::new({m}::Migration),\n" for m in mods) +
            "        ]\n    }\n}\n")


def seaorm(n, d, name="seaorm-bench"):
    """An equivalent sea-orm-migration 2.0 crate: the layout of `sea-orm-cli migrate init`
    (a lib with `Migrator`, a main running `cli::run_cli`), n migrations creating the same
    table and index through `SchemaManager`, with the same backends as ours."""
    src = os.path.join(d, "src")
    os.makedirs(src, exist_ok=True)
    for f in seaorm_files(src):
        os.remove(os.path.join(src, f))
    features = ", ".join(f'"{f}"' for f in SEAORM_FEATURES)
    with open(os.path.join(d, "Cargo.toml"), "w") as f:
        f.write(f'''[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
name = "migration"
path = "src/lib.rs"

[dependencies]
sea-orm-migration = {{ version = "{SEAORM_VERSION}", default-features = false, features = [{features}] }}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}

[workspace]
''')
    for i in range(n):
        with open(os.path.join(src, f"m{i:06d}_create_t{i:06d}.rs"), "w") as f:
            f.write(seaorm_migration(i))
    with open(os.path.join(src, "lib.rs"), "w") as f:
        f.write(seaorm_lib(n))
    with open(os.path.join(src, "main.rs"), "w") as f:
        f.write("use sea_orm_migration::prelude::*;\n\n#[tokio::main]\nasync fn main() {\n"
                "    cli::run_cli(migration::Migrator).await;\n}\n")


def seaorm_add(d):
    """Adds one migration (a file and its line in lib.rs), as `sea-orm-cli migrate generate`."""
    src = os.path.join(d, "src")
    n = len(seaorm_files(src))
    with open(os.path.join(src, f"m{n:06d}_create_t{n:06d}.rs"), "w") as f:
        f.write(seaorm_migration(n))
    with open(os.path.join(src, "lib.rs"), "w") as f:
        f.write(seaorm_lib(n + 1))
    return n + 1


def remove_last(d):
    """Removes the newest revision (ours) or migration (sea-orm-migration): undoes `add`."""
    vd = os.path.join(d, "src", "versions")
    if os.path.isdir(vd):
        files = sorted(f for f in os.listdir(vd) if f.endswith(".rs"))
        os.remove(os.path.join(vd, files[-1]))
        return len(files) - 1
    src = os.path.join(d, "src")
    files = seaorm_files(src)
    os.remove(os.path.join(src, files[-1]))
    with open(os.path.join(src, "lib.rs"), "w") as f:
        f.write(seaorm_lib(len(files) - 1))
    return len(files) - 1


def cratesio_crate(data, d):
    """W3: the crates.io history as a migrations crate, as tests/tests/crates_io.rs writes it."""
    write_crate(0, d, name="crates-io-bench")
    vd = os.path.join(d, "src", "versions")
    order = [l for l in open(os.path.join(data, "order.txt")).read().split("\n") if l.strip()]
    ids = []
    for i, dn in enumerate(order):
        version, _, rest = dn.partition("_")
        mid = "v" + version.replace("-", "")
        meta = os.path.join(data, "migrations", dn, "metadata.toml")
        tx = "" if not (os.path.exists(meta) and "run_in_transaction = false" in open(meta).read()) else ", transactional = false"
        down = "" if i == 0 else f', down_revision = "{ids[-1]}"'
        up = os.path.join(data, "migrations", dn, "up.sql")
        dnf = os.path.join(data, "migrations", dn, "down.sql")
        msg = (rest or dn).replace("_", " ").replace("-", " ")
        text = (f"//! {msg}\n//!\n//! Revision ID: {mid}\n//! Revises: {ids[-1] if ids else ''}\n"
                f"//! Create Date: 2026-11-21 00:00:00.000\n\n"
                f"#[migrate_macros::migration(revision = \"{mid}\"{down}{tx})]\nmod revision {{\n"
                f"    use migrate_core::prelude::*;\n\n"
                f"    pub async fn upgrade(db: &mut Db) -> Result<()> {{\n        db.sql(include_str!({json.dumps(up)})).await?;\n        Ok(())\n    }}\n\n"
                f"    pub async fn downgrade(db: &mut Db) -> Result<()> {{\n        db.sql(include_str!({json.dumps(dnf)})).await?;\n        Ok(())\n    }}\n}}\n")
        with open(os.path.join(vd, f"{mid}.rs"), "w") as f:
            f.write(text)
        ids.append(mid)


def cratesio_steps(data):
    order = [l for l in open(os.path.join(data, "order.txt")).read().split("\n") if l.strip()]
    for d in order:
        meta = os.path.join(data, "migrations", d, "metadata.toml")
        tx = not (os.path.exists(meta) and "run_in_transaction = false" in open(meta).read())
        yield os.path.join(data, "migrations", d), tx


def psql_step(path, tx):
    return f"BEGIN;\n\\i '{path}'\n;\nCOMMIT;\n" if tx else f"\\i '{path}'\n;\n"


def cratesio_stairway(data, outdir, ours=None):
    """updown.sql and stairway.sql; with OURS (`test --format json` of the replay crate's
    runner), stairway.sql takes exactly the steps `cargo migrate test` took: no re-upgrade
    after a failed downgrade; after a failed re-upgrade, a fresh database (`\\c` to
    bench_stw_fresh_N, created by the script) replaying every up.sql to that migration."""
    steps = list(cratesio_steps(data))
    os.makedirs(outdir, exist_ok=True)
    s = "\\set ON_ERROR_STOP 1\n"
    s += "".join(psql_step(os.path.join(d, "up.sql"), tx) for d, tx in steps)
    s += "".join(psql_step(os.path.join(d, "down.sql"), tx) for d, tx in reversed(steps))
    with open(os.path.join(outdir, "updown.sql"), "w") as f:
        f.write(s)
    verdicts = {}
    if ours:
        for t in json.load(open(ours))["tests"]:
            if t["name"].startswith("stairway::"):
                m = t["message"] or ""
                kind = ("reup" if "re-upgrade fails:" in m else
                        "down" if m.startswith("downgrade fails:") else "ok")
                verdicts[t["name"][len("stairway::"):]] = kind
    s = "\\set ON_ERROR_STOP 0\n"
    fresh = 0
    for i, (d, tx) in enumerate(steps):
        version = os.path.basename(d).partition("_")[0]
        kind = verdicts.get("v" + version.replace("-", ""), "ok")
        files = ("up.sql", "down.sql") if kind == "down" else ("up.sql", "down.sql", "up.sql")
        for f in files:
            s += psql_step(os.path.join(d, f), tx)
        if kind == "reup":
            fresh += 1
            s += f"CREATE DATABASE bench_stw_fresh_{fresh};\n\\c bench_stw_fresh_{fresh}\n"
            s += "".join(psql_step(os.path.join(d2, "up.sql"), tx2) for d2, tx2 in steps[: i + 1])
    with open(os.path.join(outdir, "stairway.sql"), "w") as f:
        f.write(s)
    with open(os.path.join(outdir, "fresh_count"), "w") as f:
        f.write(str(fresh))


def cratesio(data, out):
    order = [l for l in open(os.path.join(data, "order.txt")).read().split("\n") if l.strip()]
    s = "\\set ON_ERROR_STOP 1\n"
    for d in order:
        p = os.path.join(data, "migrations", d, "up.sql")
        meta = os.path.join(data, "migrations", d, "metadata.toml")
        tx = not (os.path.exists(meta) and "run_in_transaction = false" in open(meta).read())
        s += f"BEGIN;\n\\i '{p}'\n;\nCOMMIT;\n" if tx else f"\\i '{p}'\n;\n"
    with open(out, "w") as f:
        f.write(s)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "crate":
        write_crate(int(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
    elif cmd == "add":
        d = sys.argv[2]
        print(add_one(d) if os.path.isdir(os.path.join(d, "src", "versions")) else seaorm_add(d))
    elif cmd == "remove":
        print(remove_last(sys.argv[2]))
    elif cmd == "alembic-versions":
        alembic_versions(int(sys.argv[2]), sys.argv[3])
    elif cmd == "versions":
        versions_only(int(sys.argv[2]), sys.argv[3])
    elif cmd == "peers":
        peers(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "seaorm":
        seaorm(int(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
    elif cmd == "cratesio-crate":
        cratesio_crate(sys.argv[2], sys.argv[3])
    elif cmd == "cratesio":
        cratesio(sys.argv[2], sys.argv[3])
    elif cmd == "cratesio-stairway":
        cratesio_stairway(sys.argv[2], sys.argv[3], *sys.argv[4:5])
    else:
        sys.exit(__doc__)
