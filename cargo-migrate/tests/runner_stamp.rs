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

use common::*;

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
    let built = stamped(&app, &["upgrade"], &[]);
    assert_skipped(&built, false);
    assert!(sql_ok(&db, "SELECT id FROM first_t"));
    // (a build whose files were all settled records the stamp; a no-op `cargo build` does too)
    stamped(&app, &["current"], &[]);
    let current = stamped(&app, &["current"], &[]);
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
    let upgraded = stamped(&app, &["upgrade"], &[]);
    assert_skipped(&upgraded, false);
    assert!(sql_ok(&db, "SELECT id FROM second_t"));
    let current = stamped(&app, &["current"], &[]);
    assert_skipped(&current, true);
    assert!(current.stdout.contains(&second), "{}", current.stdout);

    // a revision edited in place, to the same size: built, the new body runs
    assert_skipped(&stamped(&app, &["downgrade", "-1"], &[]), true);
    assert!(!sql_ok(&db, "SELECT id FROM second_t"));
    let text = read(&second_path);
    std::fs::write(&second_path, text.replace("second_t", "second_u")).unwrap();
    assert_eq!(read(&second_path).len(), text.len());
    let upgraded = stamped(&app, &["upgrade"], &[]);
    assert_skipped(&upgraded, false);
    assert!(sql_ok(&db, "SELECT id FROM second_u"));
    assert!(!sql_ok(&db, "SELECT id FROM second_t"));

    // the migrations crate's Cargo.toml (its configuration is baked into the runner)
    let manifest = app.join("stampmigs/Cargo.toml");
    let mut toml = read(&manifest);
    toml.push_str("\n[package.metadata.migrate]\nversion-table = \"stamp_versions\"\n");
    std::fs::write(&manifest, toml).unwrap();
    let stamp_head = stamped(&app, &["stamp", "head"], &[]);
    assert_skipped(&stamp_head, false);
    assert!(sql_ok(&db, "SELECT revision FROM stamp_versions"));
    assert_skipped(&stamped(&app, &["current"], &[]), true);

    // another environment (a variable a build script could read): cargo decides
    let other = stamped(&app, &["current"], &[("STAMP_TEST_SOME_VARIABLE", "1")]);
    assert_skipped(&other, false);
    assert!(other.stdout.contains(&second), "{}", other.stdout);

    // no caching asked: cargo decides
    let uncached = stamped(&app, &["current"], &[("CARGO_MIGRATE_NO_CACHE", "1")]);
    assert_skipped(&uncached, false);
}

#[test]
fn a_rebuilt_or_removed_runner_is_not_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "stampgone");
    let (path, first) = revision(&app, "first", &[]);
    let (up, down) = creates("gone_t");
    fill(&app.join(&path), &up, &down);
    stamped(&app, &["upgrade"], &[]);
    stamped(&app, &["current"], &[]);
    let current = stamped(&app, &["current"], &[]);
    assert_skipped(&current, true);

    // the executable the stamp names is gone: cargo builds it again
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "e2e-target/debug/stampgone{}",
        std::env::consts::EXE_SUFFIX
    ));
    std::fs::remove_file(&exe).unwrap();
    let rebuilt = stamped(&app, &["current"], &[]);
    assert_skipped(&rebuilt, false);
    assert!(rebuilt.stdout.contains(&first), "{}", rebuilt.stdout);
    assert!(exe.exists());
    assert_skipped(&stamped(&app, &["current"], &[]), true);
}
