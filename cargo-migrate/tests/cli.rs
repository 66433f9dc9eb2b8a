//! `cargo migrate` end to end, as a new user: a fresh `cargo new` project, the real binary,
//! the real `cargo build` of the generated migrations crate and a SQLite database.
//!
//! Generated crates build into one shared target directory under `CARGO_TARGET_TMPDIR`, so
//! their dependencies (sqlx, sea-query, migrate-core) are compiled once. Every test names
//! its migrations crate differently: two crates with the same binary name in one target
//! directory would overwrite each other's executable.

mod common;

use common::*;

// ------------------------------------------------------------------------------------------
// end to end

const CREATE_USERS: (&str, &str) = (
    "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(
            Table::create()
                .table(\"users\")
                .col(ColumnDef::new(\"id\").integer().not_null().primary_key())
                .col(ColumnDef::new(\"name\").string().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }
",
    "    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_table(Table::drop().table(\"users\").to_owned()).await?;
        Ok(())
    }
",
);

const ADD_EMAIL: (&str, &str) = (
    "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.alter_table(
            Table::alter().table(\"users\").add_column(ColumnDef::new(\"email\").string().null()).to_owned(),
        )
        .await?;
        Ok(())
    }
",
    "    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.alter_table(Table::alter().table(\"users\").drop_column(\"email\").to_owned()).await?;
        Ok(())
    }
",
);

#[test]
fn end_to_end_with_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let app = cargo_new(tmp.path(), "app");

    let init = cm(&app, &["migrate", "init"]).ok();
    assert!(
        init.stderr
            .contains("     Created migrations crate `migrations` at `migrations`"),
        "{}",
        init.stderr
    );
    assert!(
        init.stderr.contains(
            "     Updated `Cargo.toml`: added `[workspace]` with members `.` and `migrations`"
        ),
        "{}",
        init.stderr
    );
    // followed by the profile overrides (init_profile.rs)
    assert!(
        read(&app.join("Cargo.toml"))
            .contains("\n[workspace]\nmembers = [\".\", \"migrations\"]\n")
    );
    assert!(read(&app.join("migrations/build.rs")).contains("cargo:rerun-if-changed=src/versions"));

    let (users_path, users) = revision(&app, "create users", &[]);
    assert_eq!(
        users_path,
        format!("migrations/src/versions/{users}_create_users.rs")
    );
    assert!(
        users.len() == 12
            && users
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{users}"
    );
    fill(&app.join(&users_path), CREATE_USERS.0, CREATE_USERS.1);

    let (email_path, email) = revision(&app, "add email", &[]);
    let text = read(&app.join(&email_path));
    assert!(text.contains(&format!("//! Revises: {users}\n")), "{text}");
    assert!(
        text.contains(&format!("down_revision = \"{users}\"")),
        "{text}"
    );
    fill(&app.join(&email_path), ADD_EMAIL.0, ADD_EMAIL.1);

    let db = app.join("migrate.db"); // the default database, in the workspace root
    let up = cm(&app, &["migrate", "upgrade"]).ok();
    assert!(
        up.stderr.contains(&format!("-> {users}, create users")),
        "{}",
        up.stderr
    );
    assert!(
        up.stderr
            .contains(&format!("{users} -> {email}, add email")),
        "{}",
        up.stderr
    );
    assert!(sql_ok(&db, "SELECT id, name, email FROM users"));

    let current = cm(&app, &["migrate", "current"]).ok();
    assert_eq!(current.stdout_lines().len(), 1, "{}", current.stdout);
    assert!(
        current.stdout.contains(&email) && current.stdout.contains("(head)"),
        "{}",
        current.stdout
    );

    let down = cm(&app, &["migrate", "downgrade", "-1"]).ok();
    assert!(
        down.stderr
            .contains(&format!("{email} -> {users}, add email")),
        "{}",
        down.stderr
    );
    assert!(sql_ok(&db, "SELECT id, name FROM users"));
    assert!(!sql_ok(&db, "SELECT email FROM users"));

    let current = cm(&app, &["migrate", "current"]).ok();
    assert!(
        current.stdout.contains(&users) && !current.stdout.contains(&email),
        "{}",
        current.stdout
    );

    cm(&app, &["migrate", "downgrade", "base"]).ok();
    assert!(!sql_ok(&db, "SELECT id FROM users"));
    let current = cm(&app, &["migrate", "current"]).ok();
    assert_eq!(current.stdout.trim(), "");

    // graph commands read the files: newest first, Alembic's format
    let history = cm(&app, &["migrate", "history"]).ok();
    assert_eq!(
        history.stdout_lines(),
        [
            format!("{users} -> {email} (head), add email"),
            format!("<base> -> {users}, create users")
        ]
    );
    let heads = cm(&app, &["migrate", "heads"]).ok();
    assert_eq!(
        heads.stdout,
        format!("{users} -> {email} (head), add email\n")
    );

    // a new file alone rebuilds the crate (build.rs watches src/versions)
    let (_, third) = revision(&app, "add age", &[]);
    let up = cm(&app, &["migrate", "upgrade"]).ok();
    assert!(
        up.stderr.contains(&format!("{email} -> {third}, add age")),
        "{}",
        up.stderr
    );
    let current = cm(&app, &["migrate", "current"]).ok();
    assert!(current.stdout.contains(&third), "{}", current.stdout);

    // our options are not forwarded to the runner, the database options are
    let other = tmp.path().join("other.db");
    let url = format!("sqlite:{}", other.display());
    cm(
        tmp.path(),
        &[
            "migrate",
            "--manifest-path",
            "app/Cargo.toml",
            "upgrade",
            "-p",
            "migrations",
            "--database-url",
            &url,
        ],
    )
    .ok();
    assert!(sql_ok(&other, "SELECT id, name, email FROM users"));
}

#[test]
fn a_missing_down_revision_fails_the_build_naming_the_file_and_the_id() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "broken-migrations");
    revision(&app, "create users", &[]);
    let (path, id) = revision(&app, "add email", &["--rev-id", "add_email"]);
    let file = app.join(&path);
    let text = read(&file);
    let start = text.find("down_revision = \"").unwrap() + "down_revision = \"".len();
    let end = start + text[start..].find('"').unwrap();
    std::fs::write(
        &file,
        format!("{}deadbeef0000{}", &text[..start], &text[end..]),
    )
    .unwrap();
    let rel = path.strip_prefix("broken-migrations/").unwrap(); // src/versions/…

    let out = cargo()
        .args(["build", "-p", "broken-migrations"])
        .current_dir(&app)
        .output()
        .unwrap();
    let build = Run::from("cargo build".into(), out);
    assert_ne!(build.code, 0, "the build should fail\n{}", build.stderr);
    assert!(build.stderr.contains("deadbeef0000"), "{}", build.stderr);
    assert!(build.stderr.contains(rel), "{}", build.stderr);

    // the graph commands say the same without compiling
    let err = cm(&app, &["migrate", "heads"]).fails(1);
    assert_eq!(
        err,
        format!(
            "the revision graph is invalid: revision `{id}` in `{rel}` has down_revision `deadbeef0000`, \
             which no revision declares; fix: point down_revision at an existing revision (see \
             `cargo migrate heads`) or restore the missing revision file"
        )
    );

    // the database commands stop at the build, after the compiler's errors
    let up = cm(&app, &["migrate", "upgrade"]);
    assert!(up.stderr.contains("deadbeef0000"), "{}", up.stderr);
    let err = up.fails(1);
    assert_eq!(
        err,
        "could not build the migrations crate `broken-migrations` (the compiler's errors are above)"
    );
}

// ------------------------------------------------------------------------------------------
// revision and merge (no compiling)

#[test]
fn revisions_branches_and_merges_follow_alembic() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let (_, a) = revision(&app, "first", &["--rev-id", "aaa111"]);
    let (_, b) = revision(&app, "second", &["--rev-id", "bbb222"]);
    assert_eq!((a.as_str(), b.as_str()), ("aaa111", "bbb222"));

    let err = cm(
        &app,
        &["migrate", "revision", "-m", "x", "--rev-id", "bbb222"],
    )
    .fails(1);
    assert_eq!(
        err,
        "revision id `bbb222` already exists in `src/versions/bbb222_second.rs`"
    );
    let err = cm(
        &app,
        &["migrate", "revision", "-m", "x", "--rev-id", "Nope"],
    )
    .fails(1);
    assert!(err.starts_with("invalid revision id `Nope`"), "{err}");

    let err = cm(
        &app,
        &["migrate", "revision", "-m", "fork", "--head", "aaa"],
    )
    .fails(1);
    assert_eq!(
        err,
        "Revision aaa111 is not a head revision; please specify --splice to create a new branch from this revision"
    );
    let fork = cm(
        &app,
        &[
            "migrate", "revision", "-m", "fork", "--head", "aaa", "--splice", "--rev-id", "ccc333",
        ],
    )
    .ok();
    assert!(
        fork.stderr
            .contains("warning: there are now several heads (bbb222, ccc333)"),
        "{}",
        fork.stderr
    );

    let err = cm(&app, &["migrate", "revision", "-m", "third"]).fails(1);
    assert!(
        err.starts_with(
            "Multiple heads are present; please specify the head revision on which the new revision \
             should be based, or perform a merge"
        ),
        "{err}"
    );

    // `heads` still answers, and says what to do
    let heads = cm(&app, &["migrate", "heads"]).ok();
    assert_eq!(
        heads.stdout,
        "aaa111 -> bbb222 (head), second\naaa111 -> ccc333 (head), fork\n"
    );
    assert!(
        heads.stderr.contains("cargo migrate merge heads"),
        "{}",
        heads.stderr
    );

    let merge = cm(
        &app,
        &[
            "migrate",
            "merge",
            "heads",
            "-m",
            "merge the fork",
            "--rev-id",
            "ddd444",
        ],
    )
    .ok();
    assert_eq!(
        merge.stdout.trim(),
        "migrations/src/versions/ddd444_merge_the_fork.rs"
    );
    assert!(!merge.stderr.contains("warning"), "{}", merge.stderr);
    let text = read(&app.join("migrations/src/versions/ddd444_merge_the_fork.rs"));
    assert!(
        text.contains("down_revision = [\"bbb222\", \"ccc333\"]"),
        "{text}"
    );

    let heads = cm(&app, &["migrate", "heads"]).ok();
    assert_eq!(
        heads.stdout,
        "bbb222, ccc333 -> ddd444 (head) (mergepoint), merge the fork\n"
    );
    let history = cm(&app, &["migrate", "history"]).ok();
    assert_eq!(history.stdout_lines().len(), 4, "{}", history.stdout);
    let branches = cm(&app, &["migrate", "branches"]).ok();
    assert!(
        branches
            .stdout
            .starts_with("<base> -> aaa111 (branchpoint), first\n"),
        "{}",
        branches.stdout
    );

    let err = cm(&app, &["migrate", "merge", "heads", "-m", "again"]).fails(1);
    assert_eq!(
        err,
        "nothing to merge: heads names only `ddd444`; a merge joins two or more revisions"
    );

    // a new base needs a branch label
    let err = cm(
        &app,
        &["migrate", "revision", "-m", "audit", "--head", "base"],
    )
    .fails(1);
    assert!(err.starts_with("--head base starts a second base"), "{err}");
    revision(
        &app,
        "audit",
        &["--head", "base", "--branch-label", "audit"],
    );
    let (_, e) = revision(&app, "audit two", &["--head", "audit@head"]);
    let heads = cm(&app, &["migrate", "heads"]).ok();
    assert!(
        heads.stdout.contains(&format!("-> {e} (head), audit two")),
        "{}",
        heads.stdout
    );
}

// ------------------------------------------------------------------------------------------
// init and locating the migrations crate

#[test]
fn init_joins_an_existing_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nresolver = \"3\"\nmembers = [\n    \"app\",\n]\n",
    )
    .unwrap();
    cargo_new(root, "app");
    let init = cm(
        root,
        &[
            "migrate",
            "init",
            "db/migrations",
            "--name",
            "db-migrations",
        ],
    )
    .ok();
    assert!(
        init.stderr
            .contains("added `db/migrations` to workspace.members"),
        "{}",
        init.stderr
    );
    // followed by the profile overrides (init_profile.rs)
    let manifest = read(&root.join("Cargo.toml"));
    assert!(
        manifest.starts_with(
            "[workspace]\nresolver = \"3\"\nmembers = [\n    \"app\",\n    \"db/migrations\",\n]\n\n# "
        ),
        "{manifest}"
    );
    let text = read(&root.join("db/migrations/src/main.rs"));
    assert!(
        text.contains("migrate_core::cli::main(&db_migrations::MIGRATIONS)"),
        "{text}"
    );

    // found from anywhere in the workspace, no revisions yet
    let heads = cm(&root.join("app"), &["migrate", "heads"]).ok();
    assert_eq!(heads.stdout, "");
    let (path, _) = revision(&root.join("app/src"), "first", &[]);
    assert!(
        path.starts_with('/') && path.contains("/db/migrations/src/versions/"),
        "{path}"
    );

    let err = cm(root, &["migrate", "init", "db/migrations"]).fails(1);
    assert_eq!(
        err,
        "`db/migrations` already exists; choose another path (`cargo migrate init PATH`)"
    );
}

#[test]
fn locating_the_migrations_crate() {
    let tmp = tempfile::tempdir().unwrap();
    let app = cargo_new(tmp.path(), "app");
    let err = cm(&app, &["migrate", "heads"]).fails(1);
    assert_eq!(
        err,
        format!(
            "no migrations crate found in the workspace at `{}`; create one with `cargo migrate init`",
            app.canonicalize().unwrap().display()
        )
    );

    cm(&app, &["migrate", "init"]).ok();
    // without the `migrate` word, from outside, with --manifest-path and -p
    cm(
        tmp.path(),
        &[
            "heads",
            "--manifest-path",
            "app/Cargo.toml",
            "-p",
            "migrations",
        ],
    )
    .ok();
    let err = cm(
        tmp.path(),
        &["heads", "--manifest-path", "app/Cargo.toml", "-p", "app"],
    )
    .fails(1);
    assert_eq!(
        err,
        "package `app` is not a migrations crate (it does not depend on `migrate-macros`); migrations crates: `migrations`"
    );
    let err = cm(tmp.path(), &["heads"]).fails(1);
    assert!(
        err.starts_with(
            "cannot read the workspace with `cargo metadata`: could not find `Cargo.toml`"
        ),
        "{err}"
    );

    cm(&app, &["migrate", "init", "more"]).ok();
    let err = cm(&app, &["migrate", "heads"]).fails(1);
    assert_eq!(
        err,
        "the workspace has several migrations crates (`migrations`, `more`); choose one with `-p NAME`"
    );
    cm(&app, &["migrate", "heads", "-p", "more"]).ok();
}

#[test]
fn usage_errors_exit_with_2() {
    let tmp = tempfile::tempdir().unwrap();
    let stderr = cm(tmp.path(), &["migrate", "revision"]).fails(2);
    assert!(stderr.contains("--message <MSG>"), "{stderr}");
    cm(tmp.path(), &["migrate", "frobnicate"]).fails(2);
    let help = cm(tmp.path(), &["migrate", "--help"]).ok();
    assert!(
        help.stdout.contains("Usage: cargo migrate"),
        "{}",
        help.stdout
    );
}
