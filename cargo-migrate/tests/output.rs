//! `cargo migrate`'s own answers (the graph commands, read from the revision files without
//! building anything) in `--format json`, and `-q` on its status lines. The runner's JSON,
//! colour, progress and signals are tested in `tests/tests/output.rs`.

mod common;

use common::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Revision {
    id: String,
    down_revisions: Vec<String>,
    next_revisions: Vec<String>,
    message: String,
    is_head: bool,
}

#[derive(Debug, Deserialize)]
struct Revisions {
    schema_version: u32,
    command: String,
    revisions: Vec<Revision>,
}

#[test]
fn graph_commands_answer_in_json_from_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "json_migrations");
    revision(&app, "first", &["--rev-id", "aaa111"]);
    revision(&app, "second", &["--rev-id", "bbb222"]);

    let heads = cm(&app, &["migrate", "heads", "--format", "json"]).ok();
    let heads: Revisions = serde_json::from_str(&heads.stdout).unwrap();
    assert_eq!((heads.schema_version, heads.command.as_str()), (1, "heads"));
    assert_eq!(heads.revisions.len(), 1);
    assert_eq!(heads.revisions[0].id, "bbb222");
    assert!(heads.revisions[0].is_head);

    let h = cm(&app, &["migrate", "--format=json", "history"]).ok();
    let history: Revisions = serde_json::from_str(&h.stdout).unwrap();
    let ids: Vec<&str> = history.revisions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["bbb222", "aaa111"]);
    assert_eq!(history.revisions[0].down_revisions, ["aaa111"]);
    assert_eq!(history.revisions[1].next_revisions, ["bbb222"]);
    assert_eq!(history.revisions[1].message, "first");
    assert!(!h.stderr.contains('{'), "{}", h.stderr);

    // -q: the `Created` line is gone; the path (data, on stdout) stays
    let quiet = cm(&app, &["migrate", "-q", "revision", "-m", "third"]).ok();
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    assert!(quiet.stdout.contains("_third.rs"), "{}", quiet.stdout);
}

/// `current` on a fork nobody merged (answered by `cargo migrate` itself: the crate does not
/// compile) prints the same JSON as the runner's `current`.
#[test]
fn current_of_an_unmerged_fork_in_json() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "json_fork_migrations");
    revision(&app, "base", &["--rev-id", "aaa111"]);
    revision(&app, "left", &["--rev-id", "bbb222"]);
    revision(
        &app,
        "right",
        &["--rev-id", "ccc333", "--head", "aaa111", "--splice"],
    );
    std::fs::write(app.join("migrate.db"), b"").unwrap(); // an empty database
    let run = cm(&app, &["migrate", "current", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["command"], "current");
    assert_eq!(v["current"], serde_json::json!([]));
    assert_eq!(v["pending"], serde_json::json!([]));
    assert_eq!(v["at_heads"], false);
}
