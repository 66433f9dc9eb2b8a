//! `cargo migrate archive REV`: the settled revisions move into an archive crate compiled
//! once; the database sees no difference (same ids, same checksums: `check` passes on a
//! database migrated before), every command reads both crates, new revisions go to the
//! migrations crate, and a failed build undoes every change.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Every `.rs`, `.toml` and `.lock` file under `dir` (relative, sorted), with its text: what
/// a refused or undone command must leave as it was.
fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p
                .extension()
                .is_some_and(|x| x == "rs" || x == "toml" || x == "lock")
            {
                out.push((p.strip_prefix(root).unwrap().to_owned(), read(&p)));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn archive_settled_revisions() {
    let tmp = tempfile::tempdir().unwrap();
    // a crate name of its own: the runner binary in the shared target directory is ours
    let app = app_with_migrations(tmp.path(), "archmigs");
    let m = app.join("archmigs");
    let mut ids = Vec::new();
    for (i, table) in ["users", "posts", "tags", "likes"].iter().enumerate() {
        let (file, id) = revision(&app, &format!("create {table}"), &[]);
        let (up, down) = bodies(
            &format!("CREATE TABLE {table} (id INTEGER)"),
            &format!("DROP TABLE {table}"),
        );
        fill(&app.join(&file), &up, &down);
        assert!(file.starts_with("archmigs/src/versions/"), "{i}: {file}");
        ids.push(id);
    }
    // a revision that uses the migrations crate's own code cannot move: the archive's build
    // fails, and every change (the new crate, the manifest, the moves) is undone
    let lib = m.join("src/lib.rs");
    let mut lib_text = read(&lib);
    lib_text.push_str("\n/// Used by a revision.\npub const TABLE: &str = \"helpers\";\n");
    std::fs::write(&lib, lib_text).unwrap();
    let (file, helper) = revision(&app, "create helpers", &[]);
    let (up, down) = bodies("CREATE TABLE helpers (id INTEGER)", "DROP TABLE helpers");
    fill(
        &app.join(&file),
        &up.replace("db.sql(", "let _ = crate::TABLE;\n        db.sql("),
        &down,
    );
    cm(&app, &["migrate", "heads"]).ok();
    let untouched = snapshot(&app);
    let msg = cm(&app, &["migrate", "archive", &helper]).fails(1);
    assert!(
        msg.contains("the migrations crate does not build with these revisions archived")
            && msg.contains("nothing was archived: every change is undone"),
        "{msg}"
    );
    assert_eq!(snapshot(&app), untouched, "the failed archive left changes");
    assert!(!m.join("archive").exists());
    // bad input: an unknown revision, no change
    let msg = cm(&app, &["migrate", "archive", "fedcba987654"]).fails(1);
    assert!(msg.contains("cannot archive `fedcba987654`"), "{msg}");
    assert_eq!(snapshot(&app), untouched);

    // a database migrated before anything is archived
    let before = app.join("before.db");
    let before_url = format!("sqlite:{}", before.display());
    cm(&app, &["migrate", "upgrade", "--database-url", &before_url]).ok();

    // the first two revisions (the second and what it builds on) move
    let run = cm(&app, &["migrate", "archive", &ids[1]]).ok();
    assert!(
        run.stderr
            .contains("Created archive crate `archmigs-archive` at `archmigs/archive`")
            && run
                .stderr
                .contains("Archived 2 revision(s) into `archmigs/archive/src/versions`")
            && run
                .stderr
                .contains("; 3 remain in the crate's own versions directories"),
        "{}",
        run.stderr
    );
    for (i, id) in ids.iter().enumerate() {
        let archived = std::fs::read_dir(m.join("archive/src/versions"))
            .unwrap()
            .any(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(id.as_str())
            });
        assert_eq!(archived, i < 2, "{id}");
    }
    let manifest = read(&m.join("Cargo.toml"));
    assert!(
        manifest.contains("archmigs-archive = { path = \"archive\" }")
            && manifest.contains("archive = \"archive\""),
        "{manifest}"
    );
    let shown = cm(&app, &["migrate", "config"]).ok().stdout;
    assert!(
        shown.contains("archive = \"archive\"")
            && shown.contains("(package.metadata.migrate.archive)"),
        "{shown}"
    );

    // the database migrated before sees the same revisions and checksums
    cm(&app, &["migrate", "check", "--database-url", &before_url]).ok();
    // every command reads both crates: the whole chain, the archived files' new paths
    let history = cm(&app, &["migrate", "history"]).ok().stdout;
    for line in [
        format!("<base> -> {}, create users", ids[0]),
        format!("{} -> {}, create posts", ids[0], ids[1]),
        format!("{} -> {}, create tags", ids[1], ids[2]),
        format!("{} -> {} (head), create helpers", ids[3], helper),
    ] {
        assert!(history.contains(&line), "no `{line}` in\n{history}");
    }
    let show = cm(&app, &["migrate", "show", &ids[0]]).ok().stdout;
    assert!(
        show.contains(&format!(
            "Path: archive/src/versions/{}_create_users.rs",
            ids[0]
        )),
        "{show}"
    );
    // a fresh database: the runner applies the archive's revisions, then the crate's
    let after = app.join("after.db");
    let after_url = format!("sqlite:{}", after.display());
    let run = cm(&app, &["migrate", "upgrade", "--database-url", &after_url]).ok();
    let order: Vec<usize> = ids
        .iter()
        .chain([&helper])
        .map(|id| run.stderr.find(&format!("-> {id},")).expect(id))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{}", run.stderr);
    for t in ["users", "posts", "tags", "likes", "helpers"] {
        assert!(sql_ok(&after, &format!("SELECT id FROM {t}")), "{t}");
    }

    // the archived part is settled: a new revision goes to the crate's own directory
    let (file, new) = revision(&app, "create follows", &[]);
    assert!(file.starts_with("archmigs/src/versions/"), "{file}");
    let (up, down) = bodies("CREATE TABLE follows (id INTEGER)", "DROP TABLE follows");
    fill(&app.join(&file), &up, &down);
    let run = cm(&app, &["migrate", "upgrade", "--database-url", &before_url]).ok();
    assert!(
        run.stderr.contains(&format!("{helper} -> {new}")),
        "{}",
        run.stderr
    );

    // already archived: nothing to do; --path only places a new archive
    let run = cm(&app, &["migrate", "archive", &ids[0]]).ok();
    assert!(run.stderr.contains("already archived"), "{}", run.stderr);
    let before_refusal = snapshot(&app);
    let msg = cm(
        &app,
        &["migrate", "archive", &ids[2], "--path", "elsewhere"],
    )
    .fails(1);
    assert!(msg.contains("already has an archive crate"), "{msg}");
    assert_eq!(snapshot(&app), before_refusal);

    // a second archive run adds to the same crate; the downgrade crosses back into it
    cm(&app, &["migrate", "archive", &ids[3]]).ok();
    assert_eq!(
        std::fs::read_dir(m.join("archive/src/versions"))
            .unwrap()
            .count(),
        4
    );
    cm(&app, &["migrate", "check", "--database-url", &before_url]).ok();
    cm(
        &app,
        &[
            "migrate",
            "downgrade",
            "base",
            "--database-url",
            &before_url,
        ],
    )
    .ok();
    assert!(!sql_ok(&before, "SELECT id FROM users"));
    let current = cm(&app, &["migrate", "current", "--database-url", &before_url])
        .ok()
        .stdout;
    assert!(current.trim().is_empty(), "{current}");

    // bad input: an archive that is not there is an error naming the key's line, from the
    // CLI and from the build alike (never a history without the archived revisions)
    let manifest_path = m.join("Cargo.toml");
    std::fs::write(
        &manifest_path,
        manifest.replace("archive = \"archive\"", "archive = \"nowhere\""),
    )
    .unwrap();
    let msg = cm(&app, &["migrate", "heads"]).fails(1);
    assert!(
        msg.contains("Cargo.toml:")
            && msg.contains("`archive`: cannot read the archive crate's manifest")
            && msg.contains("nowhere/Cargo.toml"),
        "{msg}"
    );
    let msg = cm(&app, &["migrate", "current", "--database-url", &before_url]).fails(1);
    assert!(
        msg.contains("`archive`: cannot read the archive crate's manifest"),
        "{msg}"
    );
}
