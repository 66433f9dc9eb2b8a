//! Real input: the crates.io registry's migration history (285 diesel migrations, see the
//! data directory's README.md), turned into a cargo-migrate migrations crate and
//! replayed on PostgreSQL.
//!
//! - `upgrade head` gives the same schema as replaying the files with psql (and as the
//!   shipped `reference-schema.sql`), compared as normalised `pg_dump --schema-only`;
//! - `downgrade base` stops where upstream's own down.sql is broken
//!   (`2024-10-25-112826_make-unique-version-unique`), naming that revision and the
//!   database's message, and leaves the database consistent at that revision;
//! - `upgrade head` from there gives the reference schema again;
//! - `lint --dialect postgres` (offline: squawk's rules over each revision's up.sql) finds
//!   [`LINT_FINDINGS`] per rule (README.md, Lint).
//!
//! The data is not in the repository, so this suite is not part of `cargo test --workspace`
//! (which must pass on a plain clone): it runs from its own command, which `.ci/run` runs too,
//!
//! ```sh
//! MIGRATE_CRATES_IO_DATA=/path/to/crates-io cargo test -p migrate-tests --test crates_io -- --ignored
//! ```
//!
//! with the data at `$MIGRATE_CRATES_IO_DATA` (`.ci/run` sets it). Run that way without the
//! variable or the data, it fails (never skips).

use std::path::Path;
use std::process::Command;

use migrate_core::Backend;
use migrate_tests::crates_io::{Migration, data_dir, generate, migrations};
use migrate_tests::{TestDb, nested};

const BROKEN: &str = "2024-10-25-112826_make-unique-version-unique";

/// `lint --dialect postgres` over the 285 revisions: findings per rule (squawk-linter 2.68's
/// default rules; README.md, Lint, records the same table).
const LINT_FINDINGS: &[(&str, usize)] = &[
    ("adding-field-with-default", 3),
    ("adding-foreign-key-constraint", 30),
    ("adding-not-nullable-field", 18),
    ("adding-required-field", 3),
    ("adding-serial-primary-key-field", 9),
    ("ban-char-field", 1),
    ("ban-drop-column", 20),
    ("ban-drop-constraint", 22),
    ("ban-drop-default", 8),
    ("ban-drop-function", 7),
    ("ban-drop-not-null", 3),
    ("ban-drop-table", 8),
    ("ban-drop-type", 1),
    ("ban-drop-view", 1),
    ("changing-column-type", 27),
    ("constraint-missing-not-valid", 43),
    ("disallowed-unique-constraint", 3),
    ("prefer-bigint-over-int", 88),
    ("prefer-bigint-over-smallint", 2),
    ("prefer-identity", 22),
    ("prefer-robust-stmts", 1),
    ("prefer-timestamp-tz", 27),
    ("renaming-column", 4),
    ("renaming-object", 2),
    ("renaming-table", 1),
    ("require-concurrent-index-creation", 54),
    ("require-concurrent-index-deletion", 18),
    ("require-lock-timeout", 259),
    ("require-statement-timeout", 259),
];

/// `pg_dump --schema-only` without the version table, normalised: header comments,
/// `\restrict` lines and blank-line runs removed.
fn dump(url: &str) -> String {
    let out = Command::new("pg_dump")
        .args([
            "--schema-only",
            "--no-owner",
            "--exclude-table=public.migrate_version",
            "--restrict-key=realinputfixedkey",
            "-d",
            url,
        ])
        .output()
        .expect("pg_dump runs (install postgresql-client)");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    normalise(&String::from_utf8(out.stdout).unwrap())
}

fn normalise(dump: &str) -> String {
    let mut out = String::new();
    for line in dump.lines() {
        if line.starts_with("--")
            || line.starts_with("\\restrict")
            || line.starts_with("\\unrestrict")
            || line.contains(" OWNER TO ")
        {
            continue;
        }
        if line.trim().is_empty() && (out.is_empty() || out.ends_with("\n\n")) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Replays with psql in one session, one transaction per migration (none for the marked
/// ones), as the data README describes: the `up.sql` of every migration in `ups`, then the
/// `down.sql` of every migration in `downs` (in the order given).
fn psql_replay(url: &str, data: &Path, ups: &[Migration], downs: &[&Migration]) {
    let mut script = String::from("\\set ON_ERROR_STOP 1\n");
    let steps = ups
        .iter()
        .map(|m| (m, "up.sql"))
        .chain(downs.iter().map(|m| (*m, "down.sql")));
    for (m, file) in steps {
        let path = data.join("migrations").join(&m.dir).join(file);
        if m.transactional {
            script.push_str(&format!("BEGIN;\n\\i '{}'\n;\nCOMMIT;\n", path.display()));
        } else {
            script.push_str(&format!("\\i '{}'\n;\n", path.display()));
        }
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), script).unwrap();
    let out = Command::new("psql")
        .args(["-q", "-X", "-d", url, "-f"])
        .arg(file.path())
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql replay: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the crates.io data from outside the repository: run with \
            `cargo test -p migrate-tests --test crates_io -- --ignored` (README.md, Testing)"]
async fn crates_io_history_replays_on_postgres() {
    let data = data_dir();
    let ms = migrations(&data);
    assert_eq!(ms.len(), 285);
    assert_eq!(ms.iter().filter(|m| !m.transactional).count(), 7);
    let root = generate(&data, &ms, "crates-io-replay");
    let runner = nested::build_runner(&root, "crates-io-replay");

    // 0. lint, offline (the URL is not used: the dialect is given)
    let lint = nested::run(
        &runner,
        "postgres://nobody@127.0.0.1:1/none",
        &["lint", "--dialect", "postgres", "--format", "json"],
    );
    assert_eq!(
        lint.status.code(),
        Some(1),
        "findings fail the lint: {}",
        lint.stderr
    );
    let doc: serde_json::Value = serde_json::from_str(&lint.stdout).expect("lint --format json");
    assert_eq!(doc["revisions"], 285);
    assert_eq!(doc["not_rendered"], serde_json::json!([]));
    let mut per_rule = std::collections::BTreeMap::<String, usize>::new();
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["allowed"], false);
        *per_rule
            .entry(f["rule"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let want: std::collections::BTreeMap<String, usize> = LINT_FINDINGS
        .iter()
        .map(|(r, n)| ((*r).to_owned(), *n))
        .collect();
    assert_eq!(per_rule, want, "lint findings per rule");

    let ours = TestDb::new(Backend::Postgres).await;
    let theirs = TestDb::new(Backend::Postgres).await;
    // 1. upgrade head == psql replay == reference dump
    let up = nested::run(&runner, &ours.url, &["upgrade", "head"]);
    assert!(up.status.success(), "upgrade head failed:\n{}", up.stderr);
    assert_eq!(up.stderr.matches("Upgrading").count(), 285);
    psql_replay(&theirs.url, &data, &ms, &[]);
    let reference = normalise(&std::fs::read_to_string(data.join("reference-schema.sql")).unwrap());
    let head_dump = dump(&ours.url);
    assert!(
        head_dump == dump(&theirs.url),
        "upgrade head differs from the psql replay"
    );
    assert!(
        head_dump == reference,
        "upgrade head differs from reference-schema.sql"
    );

    // 2. downgrade base stops at upstream's broken down.sql
    let broken = ms.iter().position(|m| m.dir == BROKEN).unwrap();
    let down = nested::run(&runner, &ours.url, &["downgrade", "base"]);
    assert!(
        !down.status.success(),
        "downgrade base must fail at {BROKEN}"
    );
    let err = down
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default()
        .to_owned();
    assert!(err.contains(&ms[broken].id), "names the revision: {err}");
    assert!(
        err.contains("does not exist"),
        "carries the database's message: {err}"
    );
    assert_eq!(
        down.stderr.matches("Downgrading").count(),
        ms.len() - 1 - broken,
        "stops at step {}",
        ms.len() - broken
    );
    let current = nested::run(&runner, &ours.url, &["current"]);
    assert!(current.status.success(), "{}", current.stderr);
    assert_eq!(
        current.stdout.split_whitespace().next(),
        Some(ms[broken].id.as_str()),
        "current: {}",
        current.stdout
    );
    // consistent: the failed revision rolled back (its unique index is still there), and
    // the schema is exactly what psql gives replaying the same path: every up.sql, then
    // the down.sql of each revision above it (upstream's downs are not exact inverses of
    // its ups: re-added columns land at the end, a default changes; so a fresh replay up
    // to that revision differs, and the path is what must match)
    let index = ours.query_strings("SELECT indexname::text FROM pg_indexes WHERE indexname = 'versions_crate_id_num_no_build_uindex'").await;
    assert_eq!(index.len(), 1, "the failed downgrade was rolled back");
    let path = TestDb::new(Backend::Postgres).await;
    let above: Vec<&Migration> = ms[broken + 1..].iter().rev().collect();
    psql_replay(&path.url, &data, &ms, &above);
    let same = dump(&ours.url) == dump(&path.url);
    drop(path);
    assert!(
        same,
        "after the failed downgrade the schema is not that of revision {}",
        ms[broken].id
    );

    // 3. upgrade head from there gives the reference schema again
    let up = nested::run(&runner, &ours.url, &["upgrade"]);
    assert!(up.status.success(), "{}", up.stderr);
    assert!(
        dump(&ours.url) == reference,
        "second upgrade head differs from reference-schema.sql"
    );
}
