//! Test support for cargo-migrate's integration tests: a fresh database per test on every
//! backend.
//!
//! PostgreSQL and MySQL URLs come from `MIGRATE_TEST_POSTGRES_URL` and
//! `MIGRATE_TEST_MYSQL_URL` (an admin URL: the helper creates and drops one database per
//! test), defaulting to the local services `postgres://postgres@127.0.0.1:5432/postgres` and
//! `mysql://root@127.0.0.1:3306/test`. An unreachable server FAILS the test with a message
//! saying how to point it elsewhere: a backend suite never passes by skipping.

pub mod crates_io;

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use migrate_core::{Backend, Db};
use sqlx::Connection;

/// Default admin URL of the PostgreSQL test server.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Default admin URL of the MySQL / MariaDB test server.
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// The admin URL for a server backend.
pub fn admin_url(backend: Backend) -> String {
    let (var, default) = match backend {
        Backend::Postgres => ("MIGRATE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        Backend::MySql => ("MIGRATE_TEST_MYSQL_URL", DEFAULT_MYSQL_URL),
        Backend::Sqlite => return String::new(),
    };
    std::env::var(var)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A fresh, empty database for one test.
pub struct TestDb {
    /// Which backend.
    pub backend: Backend,
    /// Its URL.
    pub url: String,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// Creates a fresh database. Panics (fails the test) when the server is unreachable.
    pub async fn new(backend: Backend) -> TestDb {
        let name = format!(
            "mt_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
                % 100_000
        );
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let file = dir.path().join("test.db");
                std::fs::write(&file, b"").expect("create the database file"); // an empty file is an empty database
                let url = format!("sqlite:{}", file.display());
                TestDb {
                    backend,
                    url,
                    name,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres | Backend::MySql => {
                let admin = admin_url(backend);
                admin_exec(backend, &admin, &format!("CREATE DATABASE {name}")).await;
                let mut url = url::Url::parse(&admin).expect("admin URL parses");
                url.set_path(&format!("/{name}"));
                TestDb {
                    backend,
                    url: url.to_string(),
                    name,
                    _dir: None,
                }
            }
        }
    }

    /// The database's name on its server (PostgreSQL, MySQL), as in the URL's path; for
    /// SQLite a unique name that names no file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connected [`Db`] handle on this database.
    pub async fn connect(&self) -> Db {
        Db::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.url))
    }

    /// Drops the database now (server backends). Also done on drop.
    pub async fn drop_db(&self) {
        match self.backend {
            Backend::Sqlite => {}
            Backend::Postgres => {
                admin_exec(
                    self.backend,
                    &admin_url(self.backend),
                    &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
                )
                .await
            }
            Backend::MySql => {
                admin_exec(
                    self.backend,
                    &admin_url(self.backend),
                    &format!("DROP DATABASE IF EXISTS {}", self.name),
                )
                .await
            }
        }
    }

    /// Runs raw SQL on a separate connection and returns the rows' first column as text.
    pub async fn query_strings(&self, sql: &str) -> Vec<String> {
        use sqlx::Row;
        macro_rules! go {
            ($conn:ty) => {{
                let mut c = <$conn>::connect(&self.url).await.expect("connect");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.iter()
                    .map(|r| {
                        r.try_get::<String, _>(0)
                            .or_else(|_| r.try_get::<i64, _>(0).map(|v| v.to_string()))
                            .or_else(|_| r.try_get::<i32, _>(0).map(|v| v.to_string()))
                            .unwrap_or_else(|e| panic!("{sql}: decode: {e}"))
                    })
                    .collect()
            }};
        }
        match self.backend {
            Backend::Sqlite => go!(sqlx::SqliteConnection),
            Backend::Postgres => go!(sqlx::PgConnection),
            Backend::MySql => go!(sqlx::MySqlConnection),
        }
    }

    /// Runs a raw SQL script on a separate connection.
    pub async fn exec(&self, sql: &str) {
        macro_rules! go {
            ($conn:ty) => {{
                let mut c = <$conn>::connect(&self.url).await.expect("connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }};
        }
        match self.backend {
            Backend::Sqlite => go!(sqlx::SqliteConnection),
            Backend::Postgres => go!(sqlx::PgConnection),
            Backend::MySql => go!(sqlx::MySqlConnection),
        }
    }

    /// The user tables of the database, sorted (the version table included).
    pub async fn tables(&self) -> Vec<String> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            }
            Backend::MySql => {
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name"
            }
        };
        let mut t = self.query_strings(sql).await;
        t.sort(); // byte order on every backend (collations differ)
        t
    }

    /// The columns of a table, sorted.
    pub async fn columns(&self, table: &str) -> Vec<String> {
        let sql = match self.backend {
            Backend::Sqlite => {
                format!("SELECT name FROM pragma_table_info('{table}') ORDER BY name")
            }
            Backend::Postgres => format!(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY column_name"
            ),
            Backend::MySql => format!(
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}' ORDER BY column_name"
            ),
        };
        let mut c = self.query_strings(&sql).await;
        c.sort();
        c
    }

    /// The version table's revisions, sorted.
    pub async fn versions(&self) -> Vec<String> {
        let exists = self.tables().await.iter().any(|t| t == "migrate_version");
        if !exists {
            return Vec::new();
        }
        self.query_strings("SELECT revision FROM migrate_version ORDER BY revision")
            .await
    }
}

fn unreachable_server(backend: Backend, admin: &str, sql: &str, e: &dyn std::fmt::Display) -> ! {
    panic!(
        "the {backend} test server at {} is unreachable or refused `{sql}`: {e}\n\
         start it (see README: Testing) or point MIGRATE_TEST_{}_URL at one; backend tests never skip",
        migrate_core::redact_url(admin),
        backend.name().to_uppercase()
    )
}

async fn admin_exec(backend: Backend, admin: &str, sql: &str) {
    match backend {
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(admin)
                .await
                .unwrap_or_else(|e| unreachable_server(backend, admin, sql, &e));
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| unreachable_server(backend, admin, sql, &e));
        }
        Backend::MySql => {
            let mut c = sqlx::MySqlConnection::connect(admin)
                .await
                .unwrap_or_else(|e| unreachable_server(backend, admin, sql, &e));
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| unreachable_server(backend, admin, sql, &e));
        }
        Backend::Sqlite => {}
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.backend == Backend::Sqlite {
            return;
        }
        // drop the database even when the test panicked: on a thread of its own, since we
        // may be inside an async runtime
        let db = TestDb {
            backend: self.backend,
            url: self.url.clone(),
            name: self.name.clone(),
            _dir: None,
        };
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(db.drop_db());
            std::mem::forget(db);
        })
        .join();
    }
}

/// Runs `body` on a fresh database of `backend`; the database is dropped afterwards, even
/// when the body panics (the panic is re-raised).
pub async fn with_db<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestDb) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let db = TestDb::new(backend).await;
    if let Err(e) = tokio::spawn(body(db)).await {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Defines one test per backend: `backend_test!(name, |db| async move { … });` expands to
/// `mod name { sqlite, postgres, mysql }`, each running the body on a fresh database.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, |$db:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::with_db(::migrate_core::Backend::Sqlite, |$db| $body).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::with_db(::migrate_core::Backend::Postgres, |$db| $body).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                $crate::with_db(::migrate_core::Backend::MySql, |$db| $body).await
            }
        }
    };
}

/// Generated migrations crates (the crates.io replay), built in a target directory of
/// their own, `target/tmp/e2e-target`, shared with cargo-migrate's end-to-end tests (the
/// outer `cargo test` holds the lock on the workspace's target directory while tests run).
/// The manifest has the same dependencies as the one `cargo migrate init` writes, so the
/// dependencies are built once for both.
pub mod nested {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The workspace root.
    pub fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace")
            .to_path_buf()
    }

    /// `target/nested/<name>`, created.
    pub fn crate_dir(name: &str) -> PathBuf {
        let d = workspace().join("target/tmp/generated").join(name);
        std::fs::create_dir_all(d.join("src")).expect("create crate dir");
        d
    }

    /// The shared target directory of nested builds.
    pub fn target_dir() -> PathBuf {
        workspace().join("target/tmp/e2e-target")
    }

    /// Writes Cargo.toml (path dependencies on this workspace's crates and the profile
    /// overrides, as `init` writes them for a crate that is its own workspace), build.rs and
    /// Cargo.lock (this workspace's).
    pub fn write_manifest(root: &Path, name: &str) {
        let ws = workspace();
        let manifest = format!(
            r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
migrate-core = {{ path = "{core}", features = ["cli"] }}
migrate-macros = {{ path = "{macros}" }}
sqlx = {{ version = "=0.9.0", default-features = false }}
sea-query = {{ version = "=1.0.2", default-features = false }}

[workspace]

[profile.dev.package.{name}]
codegen-units = 4096
debug = "line-tables-only"
"#,
            core = ws.join("migrate-core").display(),
            macros = ws.join("migrate-macros").display(),
        );
        std::fs::write(root.join("Cargo.toml"), manifest).expect("write Cargo.toml");
        std::fs::write(
            root.join("build.rs"),
            "fn main() {\n    println!(\"cargo:rerun-if-changed=src/versions\");\n}\n",
        )
        .expect("write build.rs");
        std::fs::copy(ws.join("Cargo.lock"), root.join("Cargo.lock")).expect("copy Cargo.lock");
    }

    /// Builds the crate at `root` and returns its runner binary. Panics with cargo's output
    /// when the build fails.
    pub fn build_runner(root: &Path, name: &str) -> PathBuf {
        let out = cargo_build(root);
        assert!(
            out.status.success(),
            "building {}:\n{}",
            root.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        target_dir().join("debug").join(name)
    }

    /// `cargo build` of the crate at `root` (into [`target_dir`]); the raw output.
    pub fn cargo_build(root: &Path) -> std::process::Output {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        Command::new(cargo)
            .arg("build")
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir())
            .output()
            .expect("cargo runs")
    }

    /// A finished process: exit status and text output.
    pub struct Run {
        /// Exit status.
        pub status: std::process::ExitStatus,
        /// Standard output.
        pub stdout: String,
        /// Standard error.
        pub stderr: String,
    }

    /// Runs a runner binary with `--database-url URL` and `args`.
    pub fn run(bin: &Path, url: &str, args: &[&str]) -> Run {
        let out = Command::new(bin)
            .arg("--database-url")
            .arg(url)
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .expect("runner runs");
        Run {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}
