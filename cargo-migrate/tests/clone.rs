//! A teammate's clone builds: a project created by `cargo migrate init` (with two revisions)
//! is committed, cloned into another directory, the original deleted, and the clone builds
//! and upgrades a SQLite database there. The manifests name migrate-core and migrate-macros
//! by version, with a `[patch.crates-io]` path relative to the workspace root, never an
//! absolute path.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn git(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    Run::from(format!("git {}", args.join(" ")), out).ok()
}

const CREATE_USERS: (&str, &str) = (
    "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(
            Table::create()
                .table(\"users\")
                .col(ColumnDef::new(\"id\").integer().not_null().primary_key())
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

/// A typed data migration, as `init` leaves the crate: `#[derive(migrate_macros::FromRow)]`
/// works without sqlx's `derive` feature.
const ADD_EMAIL: (&str, &str) = (
    "    #[derive(migrate_macros::FromRow)]
    struct User {
        id: i32,
    }

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.alter_table(
            Table::alter().table(\"users\").add_column(ColumnDef::new(\"email\").string().null()).to_owned(),
        )
        .await?;
        let users: Vec<User> = db.fetch_all(&Query::select().column(\"id\").from(\"users\").to_owned()).await?;
        for user in users {
            db.execute(
                &Query::update()
                    .table(\"users\")
                    .value(\"email\", format!(\"user{}@example.invalid\", user.id))
                    .and_where(Expr::col(\"id\").eq(user.id))
                    .to_owned(),
            )
            .await?;
        }
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
fn a_clone_of_an_initialised_project_builds_and_upgrades() {
    let tmp = tempfile::tempdir().unwrap();
    // the two places sit at the same depth, so the path from either to this checkout is the
    // same relative path (README: a clone needs the checkout at the same relative place)
    std::fs::create_dir(tmp.path().join("mine")).unwrap();
    std::fs::create_dir(tmp.path().join("theirs")).unwrap();
    let app = cargo_new(&tmp.path().join("mine"), "app");
    let init = cm(&app, &["migrate", "init"]).ok();
    assert!(
        init.stderr
            .contains("note: a teammate's clone builds with `cargo build`"),
        "{}",
        init.stderr
    );
    let (users, _) = revision(&app, "create users", &[]);
    fill(&app.join(&users), CREATE_USERS.0, CREATE_USERS.1);
    let (email, _) = revision(&app, "add email", &[]);
    fill(&app.join(&email), ADD_EMAIL.0, ADD_EMAIL.1);

    // no manifest holds an absolute path; the migrations crate asks for versions
    let repo = repo_root().canonicalize().unwrap();
    for manifest in ["Cargo.toml", "migrations/Cargo.toml"] {
        let text = read(&app.join(manifest));
        assert!(
            !text.contains(&format!("\"{}", repo.display())) && !text.contains("path = \"/"),
            "{manifest} holds an absolute path:\n{text}"
        );
    }
    let member = read(&app.join("migrations/Cargo.toml"));
    let v = env!("CARGO_PKG_VERSION");
    assert!(
        member.contains(&format!(
            "migrate-core = {{ version = \"{v}\", default-features = false, features = [\"cli\", \"sqlite\"] }}"
        )),
        "{member}"
    );
    let root = read(&app.join("Cargo.toml"));
    assert!(
        root.contains("[patch.crates-io]\nmigrate-core = { path = \"../../../"),
        "{root}"
    );
    // the default database is ignored
    assert!(
        read(&app.join(".gitignore")).contains("\n/migrate.db\n"),
        "{}",
        read(&app.join(".gitignore"))
    );

    // as the author would: upgrade their own database, then commit everything
    cm(&app, &["migrate", "upgrade"]).ok();
    assert!(app.join("migrate.db").is_file());
    git(&app, &["init", "-q"]);
    git(&app, &["add", "-A"]);
    git(&app, &["commit", "-q", "-m", "init"]);
    let files = git(&app, &["ls-files"]).stdout;
    assert!(
        files.contains("Cargo.lock\n") && !files.contains("migrate.db"),
        "{files}"
    );
    let clone = tmp.path().join("theirs/app");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            &app.to_string_lossy(),
            &clone.to_string_lossy(),
        ],
    );
    std::fs::remove_dir_all(&app).unwrap();

    let out = cargo()
        .args(["build", "--workspace"])
        .current_dir(&clone)
        .output()
        .unwrap();
    Run::from("cargo build --workspace (the clone)".into(), out).ok();

    let up = cm(&clone, &["migrate", "upgrade"]).ok();
    assert!(up.stderr.contains(" -> "), "{}", up.stderr);
    let db = clone.join("migrate.db");
    assert!(sql_ok(&db, "SELECT id, email FROM users"), "{}", up.stderr);
    // `current --verbose` says when the head was applied: the version table's time
    let current = cm(&clone, &["migrate", "current", "--verbose"]).ok();
    let email_id = id_of(&clone.join(&email));
    let out = Command::new("sqlite3")
        .arg(&db)
        .arg(format!(
            "SELECT applied_at FROM migrate_version WHERE revision = '{email_id}'"
        ))
        .output()
        .expect("sqlite3 runs");
    let applied = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        applied.trim().len(),
        "2026-01-01 00:00:00.000".len(),
        "{applied}"
    );
    assert!(
        current
            .stdout
            .contains(&format!("\n    Applied: {} UTC\n\n", applied.trim())),
        "{}",
        current.stdout
    );
    // the database file stays out of git
    let status = git(&clone, &["status", "--porcelain"]);
    assert_eq!(status.stdout, "", "the clone is dirty after an upgrade");
}

/// Piped, `cargo migrate` keeps cargo quiet and says once that it builds and how long it took.
#[test]
fn a_piped_build_says_how_long_it_took() {
    let tmp = tempfile::tempdir().unwrap();
    let app = cargo_new(tmp.path(), "app");
    cm(&app, &["migrate", "init", "timed_migrations"]).ok();
    revision(&app, "first", &[]);
    // `upgrade`: it creates the SQLite file, which `current` would refuse to
    let run = cm(&app, &["migrate", "upgrade"]).ok();
    let lines: Vec<&str> = run.stderr.lines().collect();
    let building = lines
        .iter()
        .position(|l| *l == "    Building migrations crate `timed_migrations`")
        .unwrap_or_else(|| panic!("{}", run.stderr));
    let finished = lines[building + 1..]
        .iter()
        .find_map(|l| {
            l.strip_prefix("    Finished building migrations crate `timed_migrations` in ")
        })
        .unwrap_or_else(|| panic!("{}", run.stderr));
    let secs: f64 = finished.strip_suffix(" s").unwrap().parse().unwrap();
    assert!(secs > 0.0, "{finished}");
    assert!(!run.stderr.contains("Compiling"), "{}", run.stderr);
    // nothing to build: nothing said
    let again = cm(&app, &["migrate", "current"]).ok();
    assert!(!again.stderr.contains("uild"), "{}", again.stderr);
}

/// `--deps git=URL`: the patch names the repository, so the project builds wherever cargo
/// can fetch it. The repository here is a clone of this checkout's committed history.
#[test]
fn a_git_source_builds_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("cargo-migrate.git");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            &repo_root().to_string_lossy(),
            &repo.to_string_lossy(),
        ],
    );
    let url = format!("file://{}", repo.display());
    let app = cargo_new(tmp.path(), "app");
    let init = cm(
        &app,
        &[
            "migrate",
            "init",
            "git_migrations",
            "--deps",
            &format!("git={url}"),
        ],
    )
    .ok();
    assert!(
        init.stderr
            .contains("cargo fetches migrate-core and migrate-macros from"),
        "{}",
        init.stderr
    );
    let root = read(&app.join("Cargo.toml"));
    assert!(
        root.contains(&format!(
            "[patch.crates-io]\nmigrate-core = {{ git = \"{url}\" }}\nmigrate-macros = {{ git = \"{url}\" }}\n"
        )),
        "{root}"
    );
    let (users, _) = revision(&app, "create users", &[]);
    fill(&app.join(&users), CREATE_USERS.0, CREATE_USERS.1);
    let up = cm(&app, &["migrate", "upgrade"]).ok();
    assert!(
        sql_ok(&app.join("migrate.db"), "SELECT id FROM users"),
        "{}",
        up.stderr
    );
    let lock = read(&app.join("Cargo.lock"));
    assert!(lock.contains(&format!("source = \"git+{url}")), "{lock}");
}
