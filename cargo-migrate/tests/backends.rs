//! Backend features: a migrations crate created by `init --backend postgres` builds without
//! SQLite (no `libsqlite3-sys`, no `sqlx-sqlite` in its dependency graph), upgrades a
//! PostgreSQL database, and refuses a SQLite URL with an error naming the missing feature,
//! without creating the file. One build of the crate. README: "Database backends".

mod common;

use common::*;
use migrate_core::Db;

fn admin_url() -> String {
    std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Runs `sql` on the PostgreSQL test server (fails the test when it is unreachable).
fn admin(url: &str, sql: &str) -> Option<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut db = Db::connect(url).await.expect("PostgreSQL is reachable");
        db.sql(sql).await.unwrap();
        let mut c = db.connection().await.unwrap();
        let found = match &mut c {
            migrate_core::Connection::Postgres(c) => sqlx_version_row(c).await,
            _ => unreachable!("a PostgreSQL URL"),
        };
        db.close().await;
        found
    })
}

/// The revision recorded in the default version table, if there is one.
async fn sqlx_version_row(c: &mut migrate_core::sqlx::PgConnection) -> Option<String> {
    migrate_core::sqlx::query_scalar::<_, String>(
        "SELECT revision FROM migrate_version WHERE to_regclass('migrate_version') IS NOT NULL",
    )
    .fetch_optional(&mut *c)
    .await
    .ok()
    .flatten()
}

/// The database URL with its path (the database name) replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let query = url[path_start..]
        .find('?')
        .map(|i| url[path_start + i..].to_owned());
    format!("{}/{db}{}", &url[..path_start], query.unwrap_or_default())
}

#[test]
fn a_postgres_only_crate_builds_no_sqlite_and_upgrades() {
    let tmp = tempfile::tempdir().unwrap();
    let app = cargo_new(tmp.path(), "app");
    let init = cm(
        &app,
        &["migrate", "init", "pg_migrations", "--backend", "postgres"],
    )
    .ok();
    let manifest = read(&app.join("pg_migrations/Cargo.toml"));
    let v = env!("CARGO_PKG_VERSION");
    assert!(
        manifest.contains(&format!(
            "migrate-core = {{ version = \"{v}\", default-features = false, features = [\"cli\", \"postgres\"] }}"
        )),
        "{manifest}"
    );
    // no SQLite database by default: nothing to ignore
    assert!(
        !app.join(".gitignore").exists() || !read(&app.join(".gitignore")).contains("migrate.db"),
        "{}",
        init.stderr
    );

    // the dependency graph cargo builds for it: no SQLite
    let tree = cargo()
        .args([
            "tree",
            "-p",
            "pg_migrations",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .current_dir(&app)
        .output()
        .unwrap();
    let tree = Run::from("cargo tree -p pg_migrations".into(), tree).ok();
    for krate in ["libsqlite3-sys", "sqlx-sqlite", "sqlx-mysql"] {
        assert!(
            !tree
                .stdout
                .lines()
                .any(|l| l.starts_with(&format!("{krate} "))),
            "{krate} is in the graph:\n{}",
            tree.stdout
        );
    }
    assert!(
        tree.stdout.lines().any(|l| l.starts_with("sqlx-postgres ")),
        "{}",
        tree.stdout
    );

    let (file, id) = revision(&app, "create pg only", &[]);
    fill(
        &app.join(&file),
        "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(Table::create().table(\"pg_only\").col(ColumnDef::new(\"id\").integer().not_null().primary_key()).to_owned()).await?;
        Ok(())
    }
",
        EMPTY_DOWNGRADE,
    );

    let name = format!("backends_pg_only_{}", std::process::id());
    let admin_url = admin_url();
    admin(&admin_url, &format!("DROP DATABASE IF EXISTS {name}"));
    admin(&admin_url, &format!("CREATE DATABASE {name}"));
    let url = with_database(&admin_url, &name);
    let upgrade = cm_env(&app, &["migrate", "upgrade"], &[("DATABASE_URL", &url)]);
    let applied = admin(&url, "SELECT 1 FROM pg_only");

    // a SQLite URL: refused by the runner, which has no SQLite; no file is created
    let sqlite = cm(
        &app,
        &["migrate", "current", "--database-url", "sqlite:local.db"],
    );
    let offline = cm(&app, &["migrate", "upgrade", "--sql", "--dialect", "mysql"]);
    admin(&admin_url, &format!("DROP DATABASE IF EXISTS {name}"));

    upgrade.ok();
    assert_eq!(applied.as_deref(), Some(id.as_str()));

    let err = sqlite.fails(1);
    let manifest_path = app.join("pg_migrations/Cargo.toml");
    assert!(
        err.contains(
            "this migrations crate was built without the \"sqlite\" feature of migrate-core; \
             add it to migrate-core's features in `"
        ) && err.contains(&format!("{}`", manifest_path.display())),
        "{err}"
    );
    assert!(!app.join("local.db").exists());
    let err = offline.fails(1);
    assert!(
        err.contains("without the \"mysql\" feature of migrate-core"),
        "{err}"
    );
}

#[test]
fn init_without_backend_takes_database_url_else_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let app = cargo_new(tmp.path(), "app");
    // not a terminal: no question; DATABASE_URL names the backend
    let init = cm_env(
        &app,
        &["migrate", "init", "from_env"],
        &[("DATABASE_URL", "mysql://root@127.0.0.1:1/x")],
    )
    .ok();
    assert!(
        init.stderr
            .contains("building for mysql (the backend of DATABASE_URL); choose with --backend"),
        "{}",
        init.stderr
    );
    assert!(
        read(&app.join("from_env/Cargo.toml"))
            .contains("default-features = false, features = [\"cli\", \"mysql\"] }"),
        "{}",
        read(&app.join("from_env/Cargo.toml"))
    );

    // nothing set: sqlite, said so
    let init = cm(&app, &["migrate", "init", "default_db"]).ok();
    assert!(
        init.stderr
            .contains("building for sqlite (the default: DATABASE_URL is not set)"),
        "{}",
        init.stderr
    );
    assert!(
        read(&app.join("default_db/Cargo.toml")).contains("features = [\"cli\", \"sqlite\"] }")
    );

    // a list, repeated and in any order: each once, in a fixed order
    cm(
        &app,
        &[
            "migrate",
            "init",
            "listed",
            "--backend",
            "mysql,sqlite",
            "--backend",
            "mysql",
        ],
    )
    .ok();
    assert!(
        read(&app.join("listed/Cargo.toml"))
            .contains("features = [\"cli\", \"sqlite\", \"mysql\"] }")
    );
    let err = cm(&app, &["migrate", "init", "bad", "--backend", "oracle"]).fails(2);
    assert!(
        err.contains("invalid value 'oracle' for '--backend"),
        "{err}"
    );
    assert!(!app.join("bad").exists());
}
