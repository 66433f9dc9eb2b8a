//! The runner stamp (`cache::runner`): a database command with nothing to rebuild runs the
//! runner without starting `cargo build`, and every change the runner depends on (a new
//! revision file, a revision edited in place to the same size, the migrations crate's
//! Cargo.toml, the environment) goes through `cargo build` and takes effect.
//!
//! Whether cargo ran is read from the cache log (`CARGO_MIGRATE_CACHE_STATS`), never from a
//! time. Files younger than the caches' window are not recorded; instead of sleeping, each
//! command runs at a clock past the window for every file of the application
//! (`CARGO_MIGRATE_CACHE_NOW`, as in `caches.rs`).

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;

/// The cache log's line for a command that ran the runner without `cargo build`.
const SKIPPED: &str = "cache: runner up to date (runner stamp), `cargo build` skipped";

/// The latest change (mtime or ctime) of `path` or anything in it.
fn newest(path: &Path) -> SystemTime {
    let meta = std::fs::symlink_metadata(path).unwrap();
    let mut t = meta.modified().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let ctime = UNIX_EPOCH
            + Duration::from_secs(meta.ctime().try_into().unwrap())
            + Duration::from_nanos(meta.ctime_nsec() as u64);
        t = t.max(ctime);
    }
    if meta.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            t = t.max(newest(&e.unwrap().path()));
        }
    }
    t
}

/// `cargo-migrate migrate <args>` in `app` with the cache log on, the caches' clock past the
/// young-file window for everything in `app`, and `env`.
fn run(app: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let now = newest(app) + Duration::from_millis(3300);
    let now = now
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_string();
    let mut all = vec!["migrate"];
    all.extend_from_slice(args);
    let mut vars = vec![
        ("CARGO_MIGRATE_CACHE_STATS", "1"),
        ("CARGO_MIGRATE_CACHE_NOW", now.as_str()),
    ];
    vars.extend_from_slice(env);
    cm_env(app, &all, &vars).ok()
}

#[track_caller]
fn assert_skipped(run: &Run, skipped: bool) {
    assert_eq!(
        run.stderr.contains(SKIPPED),
        skipped,
        "`{}`: expected cargo build {}\n--- stderr\n{}",
        run.what,
        if skipped { "skipped" } else { "to run" },
        run.stderr
    );
}

fn creates(table: &str) -> (String, String) {
    (
        format!(
            "    pub async fn upgrade(db: &mut Db) -> Result<()> {{\n        db.sql(\"CREATE TABLE {table} (id INTEGER)\").await?;\n        Ok(())\n    }}\n"
        ),
        format!(
            "    pub async fn downgrade(db: &mut Db) -> Result<()> {{\n        db.sql(\"DROP TABLE {table}\").await?;\n        Ok(())\n    }}\n"
        ),
    )
}

#[test]
fn nothing_changed_skips_cargo_build_and_every_change_is_built() {
    let tmp = tempfile::tempdir().unwrap();
    // a crate name of its own: the runner binary in the shared target directory is ours
    let app = app_with_migrations(tmp.path(), "stampmigs");
    let db = app.join("migrate.db");
    let (first_path, first) = revision(&app, "first", &[]);
    let (up, down) = creates("first_t");
    fill(&app.join(&first_path), &up, &down);

    // the first build, then a command with nothing changed: no cargo
    let built = run(&app, &["upgrade"], &[]);
    assert_skipped(&built, false);
    assert!(sql_ok(&db, "SELECT id FROM first_t"));
    // (a build whose files were all settled records the stamp; a no-op `cargo build` does too)
    run(&app, &["current"], &[]);
    let current = run(&app, &["current"], &[]);
    assert_skipped(&current, true);
    assert!(
        current.stdout.contains(&first) && current.stdout.contains("(head)"),
        "{}",
        current.stdout
    );

    // a new revision file: built, and the runner knows it
    let (second_path, second) = revision(&app, "second", &[]);
    let second_path = app.join(second_path);
    let (up, down) = creates("second_t");
    fill(&second_path, &up, &down);
    let upgraded = run(&app, &["upgrade"], &[]);
    assert_skipped(&upgraded, false);
    assert!(sql_ok(&db, "SELECT id FROM second_t"));
    let current = run(&app, &["current"], &[]);
    assert_skipped(&current, true);
    assert!(current.stdout.contains(&second), "{}", current.stdout);

    // a revision edited in place, to the same size: built, the new body runs
    assert_skipped(&run(&app, &["downgrade", "-1"], &[]), true);
    assert!(!sql_ok(&db, "SELECT id FROM second_t"));
    let text = read(&second_path);
    std::fs::write(&second_path, text.replace("second_t", "second_u")).unwrap();
    assert_eq!(read(&second_path).len(), text.len());
    let upgraded = run(&app, &["upgrade"], &[]);
    assert_skipped(&upgraded, false);
    assert!(sql_ok(&db, "SELECT id FROM second_u"));
    assert!(!sql_ok(&db, "SELECT id FROM second_t"));

    // the migrations crate's Cargo.toml (its configuration is baked into the runner)
    let manifest = app.join("stampmigs/Cargo.toml");
    let mut toml = read(&manifest);
    toml.push_str("\n[package.metadata.migrate]\nversion-table = \"stamp_versions\"\n");
    std::fs::write(&manifest, toml).unwrap();
    let stamped = run(&app, &["stamp", "head"], &[]);
    assert_skipped(&stamped, false);
    assert!(sql_ok(&db, "SELECT revision FROM stamp_versions"));
    assert_skipped(&run(&app, &["current"], &[]), true);

    // another environment (a variable a build script could read): cargo decides
    let other = run(&app, &["current"], &[("STAMP_TEST_SOME_VARIABLE", "1")]);
    assert_skipped(&other, false);
    assert!(other.stdout.contains(&second), "{}", other.stdout);

    // no caching asked: cargo decides
    let uncached = run(&app, &["current"], &[("CARGO_MIGRATE_NO_CACHE", "1")]);
    assert_skipped(&uncached, false);
}

#[test]
fn a_rebuilt_or_removed_runner_is_not_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "stampgone");
    let (path, first) = revision(&app, "first", &[]);
    let (up, down) = creates("gone_t");
    fill(&app.join(&path), &up, &down);
    run(&app, &["upgrade"], &[]);
    run(&app, &["current"], &[]);
    let current = run(&app, &["current"], &[]);
    assert_skipped(&current, true);

    // the executable the stamp names is gone: cargo builds it again
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "e2e-target/debug/stampgone{}",
        std::env::consts::EXE_SUFFIX
    ));
    std::fs::remove_file(&exe).unwrap();
    let rebuilt = run(&app, &["current"], &[]);
    assert_skipped(&rebuilt, false);
    assert!(rebuilt.stdout.contains(&first), "{}", rebuilt.stdout);
    assert!(exe.exists());
    assert_skipped(&run(&app, &["current"], &[]), true);
}
