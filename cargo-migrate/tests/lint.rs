//! `cargo migrate lint` end to end, as a new user: a fresh project whose revisions create an
//! index without `CONCURRENTLY` and add a NOT NULL column without a default; the lint flags
//! them on PostgreSQL and MySQL, and passes once each revision allows its rule with a reason
//! (a missing reason is a compile error: `migrate-macros/tests/ui/allow_lint_*`).

mod common;

use std::path::Path;

use common::*;

const CREATE_USERS: &str = "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.sql(\"CREATE TABLE users (id bigint PRIMARY KEY, email text)\").await?;
        Ok(())
    }
";

const INDEX_EMAIL: &str = "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_index(Index::create().name(\"users_email\").table(\"users\").col(\"email\").to_owned())
            .await?;
        Ok(())
    }
";

const ADD_AGE: &str = "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.alter_table(
            Table::alter()
                .table(\"users\")
                .add_column(ColumnDef::new(\"age\").big_integer().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }
";

/// Adds `allow_lint(rule, reason = reason)` to the revision file's attribute.
fn allow(file: &Path, rule: &str, reason: &str) {
    let text = read(file);
    let start = text
        .find("#[migrate_macros::migration(")
        .expect("attribute");
    let end = start + text[start..].find(")]").expect("attribute end");
    let text = format!(
        "{}, allow_lint({rule:?}, reason = {reason:?}){}",
        &text[..end],
        &text[end..]
    );
    std::fs::write(file, text).unwrap();
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}):\n{}", run.what, run.stdout))
}

/// (revision, dialect, rule, allowed) of every finding.
fn findings(doc: &serde_json::Value) -> Vec<(String, String, String, bool)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["revision"].as_str().unwrap().to_owned(),
                f["dialect"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                f["allowed"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn lint_flags_dangerous_revisions_and_allowed_rules_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "lint_migrations");
    let (users_path, users) = revision(&app, "create users", &[]);
    fill(&app.join(&users_path), CREATE_USERS, EMPTY_DOWNGRADE);
    let (index_path, index) = revision(&app, "index email", &[]);
    fill(&app.join(&index_path), INDEX_EMAIL, EMPTY_DOWNGRADE);
    let (age_path, age) = revision(&app, "add age", &[]);
    fill(&app.join(&age_path), ADD_AGE, EMPTY_DOWNGRADE);

    // PostgreSQL: squawk's finding, its name, message and help, at the revision
    let pg = cm(&app, &["migrate", "lint", "--dialect", "postgres"]);
    assert_eq!(pg.code, 1, "{}\n{}", pg.stdout, pg.stderr);
    assert!(
        pg.stdout.contains(
            "error[require-concurrent-index-creation]: During normal index creation, table \
             updates are blocked, but reads are still allowed."
        ),
        "{}",
        pg.stdout
    );
    assert!(
        pg.stdout.contains(&format!(
            "  --> {} (revision {index}, postgres)",
            &index_path[index_path.find("src/versions/").unwrap()..]
        )),
        "{}",
        pg.stdout
    );
    assert!(
        pg.stdout.contains(&format!("(revision {index}, postgres)")),
        "{}",
        pg.stdout
    );
    assert!(
        pg.stdout
            .contains("   = help: Use `concurrently` to avoid blocking writes."),
        "{}",
        pg.stdout
    );
    assert!(
        pg.stderr.contains("Linted 3 revision(s) for postgres"),
        "{}",
        pg.stderr
    );
    assert!(pg.stderr.contains("not allowed"), "{}", pg.stderr);

    // MySQL, as JSON: the NOT NULL column without a default
    let my = cm(
        &app,
        &["migrate", "lint", "--dialect", "mysql", "--format", "json"],
    );
    assert_eq!(my.code, 1, "{}\n{}", my.stdout, my.stderr);
    let doc = json(&my);
    assert_eq!(doc["dialects"], serde_json::json!(["mysql"]));
    assert_eq!(doc["revisions"], 3);
    assert_eq!(
        findings(&doc),
        [(
            age.clone(),
            "mysql".into(),
            "adding-required-field".into(),
            false
        )]
    );

    // a range: only the index revision
    let one = cm(
        &app,
        &[
            "migrate",
            "lint",
            &index,
            "--dialect",
            "mysql",
            "--dialect",
            "postgres",
            "--format",
            "json",
        ],
    );
    let doc = json(&one);
    assert_eq!(doc["revisions"], 1, "{}", one.stdout);
    assert!(
        findings(&doc).iter().all(|f| f.0 == index),
        "{:?}",
        findings(&doc)
    );

    // no --dialect and no database URL: all three; with a URL: its dialect
    let all = cm(&app, &["migrate", "lint", "--format", "json"]);
    assert_eq!(
        json(&all)["dialects"],
        serde_json::json!(["postgres", "mysql", "sqlite"])
    );
    let url = cm_env(
        &app,
        &["migrate", "lint", "--format", "json"],
        &[("DATABASE_URL", "mysql://root@127.0.0.1:3306/nowhere")],
    );
    assert_eq!(json(&url)["dialects"], serde_json::json!(["mysql"]));

    // every finding allowed: by its revision, with a reason, or project-wide
    allow(
        &app.join(&index_path),
        "require-concurrent-index-creation",
        "the table is empty at this point",
    );
    allow(
        &app.join(&age_path),
        "adding-required-field",
        "users is empty until the first release",
    );
    let manifest = app.join("lint_migrations/Cargo.toml");
    let text = read(&manifest);
    std::fs::write(
        &manifest,
        format!(
            "{text}\n[package.metadata.migrate.lint]\ndialects = [\"postgres\", \"mysql\"]\n\
             allow = [\"require-timeout-settings\"]\n"
        ),
    )
    .unwrap();
    let ok = cm(&app, &["migrate", "lint"]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout
            .contains("allowed[require-concurrent-index-creation]"),
        "{}",
        ok.stdout
    );
    assert!(
        ok.stdout
            .contains("   = allowed: the table is empty at this point"),
        "{}",
        ok.stdout
    );
    assert!(
        ok.stdout
            .contains("   = allowed: users is empty until the first release"),
        "{}",
        ok.stdout
    );
    assert!(
        ok.stderr.contains("for postgres, mysql"),
        "dialects from the manifest: {}",
        ok.stderr
    );
    let _ = users;

    // bad input on the command line
    let bad = cm(&app, &["migrate", "lint", "--allow", "no-such-rule"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("error: --allow no-such-rule: unknown lint rule `no-such-rule`"),
        "{}",
        bad.stderr
    );
    let bad = cm(&app, &["migrate", "lint", "--dialect", "oracle"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("invalid value 'oracle'"),
        "{}",
        bad.stderr
    );

    // a bad project-wide setting: named, nothing linted
    std::fs::write(
        &manifest,
        format!("{text}\n[package.metadata.migrate.lint]\nallow = [\"no-such-rule\"]\n"),
    )
    .unwrap();
    let bad = cm(&app, &["migrate", "lint"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("unknown lint rule `no-such-rule`"),
        "{}",
        bad.stderr
    );
}

const EMAIL_NOT_NULL: &str = "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.alter_column(\"users\", ColumnDef::new(\"email\").text().not_null().to_owned())
            .await?;
        Ok(())
    }
";

/// SQLite's batch mode reads the table it rebuilds from the offline shadow database: a
/// revision that rebuilds a table an earlier revision created is linted on the whole history
/// and on a range that starts at it (its ancestors replayed first, unlinted), and the finding
/// names the table, not the rebuild's temporary one.
#[test]
fn sqlite_batch_rebuilds_are_linted_with_their_history() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "lint_batch_migrations");
    let (users_path, _) = revision(&app, "create users", &[]);
    fill(&app.join(&users_path), CREATE_USERS, EMPTY_DOWNGRADE);
    let (email_path, email) = revision(&app, "email not null", &[]);
    fill(&app.join(&email_path), EMAIL_NOT_NULL, EMPTY_DOWNGRADE);
    for range in [None, Some(email.as_str())] {
        let mut args = vec!["migrate", "lint", "--dialect", "sqlite", "--format", "json"];
        args.extend(range);
        let run = cm(&app, &args);
        let doc = json(&run);
        assert_eq!(doc["not_rendered"], serde_json::json!([]), "{}", run.stdout);
        let rebuild = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "table-rebuild" && f["revision"] == email.as_str())
            .unwrap_or_else(|| panic!("no table-rebuild finding for {email}: {}", run.stdout));
        assert!(
            rebuild["message"]
                .as_str()
                .unwrap()
                .starts_with("This revision rebuilds table `users` (batch mode"),
            "{}",
            rebuild["message"]
        );
    }
}
