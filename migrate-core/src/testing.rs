//! Test support (feature `testing`): a fresh database per test, and data-migration tests.
//!
//! - [`TestDb`]: a throwaway database for one test, removed when the value is dropped (also
//!   when the test panics). [`TestDb::empty`] makes an empty one; [`TestDb::at`] /
//!   [`TestDb::at_head`] one already migrated to a revision, by **cloning a template** that
//!   is migrated once and then reused: PostgreSQL `CREATE DATABASE … TEMPLATE`, SQLite a copy
//!   of the migrated file, MySQL a replay of the template's `SHOW CREATE TABLE` output plus
//!   `INSERT … SELECT` of its rows. The template is named by a hash of the migration set
//!   (every revision's id, parents, dependencies, labels and checksum, the target, this
//!   crate's version), so a changed history gets a new template; concurrent test processes
//!   build each template once (PostgreSQL advisory lock, MySQL `GET_LOCK`, SQLite an atomic
//!   rename). This replaces replaying every migration for every test, as `#[sqlx::test]`
//!   does (BENCHMARKS.md, "Fresh database per test").
//! - [`Migrator`]: pytest-alembic's `migrate_up_before` / django-test-migrations' `Migrator`
//!   for testing a data migration: bring a fresh database to just before a revision
//!   ([`Migrator::upgrade_before`]), insert rows, upgrade to the revision
//!   ([`Migrator::upgrade_to`]), assert on typed rows, downgrade
//!   ([`Migrator::downgrade_before`]) and assert again.
//!
//! # Servers
//! PostgreSQL and MySQL databases are created on a server given by an **admin URL** (a user
//! allowed to create and drop databases; the database it names is only used to connect):
//! `MIGRATE_TEST_POSTGRES_URL` / `MIGRATE_TEST_MYSQL_URL`, else `DATABASE_URL` when its scheme
//! is that backend's (as `#[sqlx::test]` reads `DATABASE_URL`). Without one,
//! [`Error::TestDatabase`]: a test never skips silently. SQLite needs nothing: files go to
//! the system's temporary directory (`cargo-migrate-tests/`, templates in
//! `cargo-migrate-templates/`).
//!
//! # What is left behind
//! Templates stay on the server (`migrate_tpl_<hash>`) and in the temporary directory, to be
//! reused by the next run; an old history's templates are not removed (drop the databases
//! named `migrate_tpl_*`, or delete the directory). A revision that runs an `include_str!`'d
//! SQL file has a checksum of its Rust code only, so editing only the SQL file keeps the old
//! template: set `MIGRATE_TEST_REBUILD_TEMPLATES=1` for one run to rebuild every template the
//! run uses. Test databases (`migrate_test_*`) are dropped when the [`TestDb`] is dropped; a
//! test process killed outright (SIGKILL) leaves its databases behind.

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::collections::HashMap;
use std::hash::Hasher;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::db::{Backend, Db, redact_url, remember_url_secrets};
use crate::plan::Plan;
use crate::registry::Migrations;
use crate::runner::{Options, Runner};
use crate::spec::PlanError;
use crate::{Error, graph::Graph};

/// The environment variables that name a backend's admin URL, first match wins.
pub fn admin_url_variables(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Postgres => &["MIGRATE_TEST_POSTGRES_URL", "DATABASE_URL"],
        Backend::MySql => &["MIGRATE_TEST_MYSQL_URL", "DATABASE_URL"],
        Backend::Sqlite => &[],
    }
}

/// The admin URL of `backend`'s test server, from the environment
/// ([`admin_url_variables`]): the first variable that is set, non-empty and (for
/// `DATABASE_URL`) of `backend`'s scheme.
///
/// # Errors
/// [`Error::TestDatabase`] when none is set (SQLite needs no server: `Ok("")`).
pub fn admin_url(backend: Backend) -> Result<String, Error> {
    if backend == Backend::Sqlite {
        return Ok(String::new());
    }
    for var in admin_url_variables(backend) {
        if let Ok(url) = std::env::var(var)
            && !url.trim().is_empty()
            && Backend::from_url(&url).ok() == Some(backend)
        {
            remember_url_secrets(&url);
            return Ok(url);
        }
    }
    let vars = admin_url_variables(backend);
    Err(Error::TestDatabase {
        reason: format!(
            "no {backend} server for test databases: set {} to an admin URL (a user that may \
             create databases, e.g. {}), or {} to a {backend} URL",
            vars[0],
            match backend {
                Backend::Postgres => "postgres://postgres@127.0.0.1:5432/postgres",
                _ => "mysql://root@127.0.0.1:3306/test",
            },
            vars[1]
        ),
    })
}

/// Where a test database lives, for its removal.
#[derive(Debug, Clone)]
enum Place {
    /// A SQLite file (removed with its `-wal`, `-shm` and `-journal` files).
    SqliteFile(PathBuf),
    /// A database on a PostgreSQL or MySQL server.
    Server {
        backend: Backend,
        admin_url: String,
        name: String,
    },
}

/// A throwaway database for one test, removed when dropped.
///
/// Made empty by [`TestDb::empty`], or already migrated by [`TestDb::at`] /
/// [`TestDb::at_head`] (a clone of a template, see the [module docs](self)). Connect with
/// [`TestDb::connect`] (a [`Db`]) or give [`TestDb::url`] to your own pool
/// (`sqlx::PgPool::connect(db.url())`).
///
/// Dropping it removes the database: the SQLite file is deleted; a server database is
/// dropped (`DROP DATABASE … WITH (FORCE)` on PostgreSQL, which also ends sessions still
/// connected to it) on a thread of its own with a runtime of its own, so it works inside and
/// outside an async runtime and while a panicking test unwinds. A failure to drop is printed
/// to stderr, never raised (it would abort a panicking test).
#[derive(Debug)]
pub struct TestDb {
    backend: Backend,
    url: String,
    name: String,
    place: Place,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database name no other test, process or run uses: `migrate_test_<pid>_<n>_<nanos>`.
fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "migrate_test_{}_{}_{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// `admin` with its database (path) replaced by `name`.
fn url_with_database(admin: &str, name: &str) -> Result<String, Error> {
    let mut url = url::Url::parse(admin).map_err(|e| Error::BadUrl {
        url: redact_url(admin),
        reason: e.to_string(),
    })?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

/// Where test databases are made: a PostgreSQL or MySQL server given by an admin URL, or
/// SQLite files in the temporary directory.
#[derive(Debug, Clone)]
pub struct TestServer {
    backend: Backend,
    admin_url: String,
}

impl TestServer {
    /// `backend`'s server from the environment ([`admin_url`]); for SQLite, the temporary
    /// directory.
    ///
    /// # Errors
    /// [`Error::TestDatabase`] when no admin URL is set for a server backend.
    pub fn from_env(backend: Backend) -> Result<TestServer, Error> {
        Ok(TestServer {
            backend,
            admin_url: admin_url(backend)?,
        })
    }

    /// The server behind `admin_url` (`postgres://…`, `mysql://…`: a user that may create
    /// and drop databases; the database it names is only connected to), or SQLite files for
    /// any `sqlite:` URL.
    ///
    /// # Errors
    /// [`Error::BadUrl`] for another scheme.
    pub fn new(admin_url: &str) -> Result<TestServer, Error> {
        let backend = Backend::from_url(admin_url)?;
        remember_url_secrets(admin_url);
        Ok(TestServer {
            backend,
            admin_url: if backend == Backend::Sqlite {
                String::new()
            } else {
                admin_url.to_owned()
            },
        })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A fresh, empty database (no version table).
    ///
    /// # Errors
    /// [`Error::TestDatabase`] when the SQLite file cannot be created; [`Error::Connect`]
    /// when the server cannot be reached; [`Error::Database`] when it refuses
    /// `CREATE DATABASE`.
    pub async fn empty(&self) -> Result<TestDb, Error> {
        let name = unique_name();
        match self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => Ok(TestDb::sqlite(sqlite::new_file(&name)?, name)),
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                postgres::create_empty(&self.admin_url, &name).await?;
                TestDb::server(self.backend, self.admin_url.clone(), name)
            }
            #[cfg(feature = "mysql")]
            Backend::MySql => {
                mysql::create_empty(&self.admin_url, &name).await?;
                TestDb::server(self.backend, self.admin_url.clone(), name)
            }
            #[allow(unreachable_patterns)]
            other => Err(other.ensure_compiled().expect_err("not compiled in")),
        }
    }

    /// A fresh database migrated to `target` (`head`, `heads`, a revision id or prefix,
    /// `label@head`, …, resolved from an empty database as `upgrade` resolves it), version
    /// table included, made by cloning a template (see the [module docs](self)). The
    /// template is built the first time (one `upgrade` from empty, with the runner's default
    /// options) and reused by every later call, in this process and others, until the
    /// migration set changes.
    ///
    /// # Errors
    /// As [`TestServer::empty`]; [`Error::Plan`] for a target that does not resolve;
    /// [`Error::RevisionFailed`] (and the runner's other errors) when building the template
    /// fails, in which case no template is left behind.
    pub async fn at(&self, migrations: &Migrations, target: &str) -> Result<TestDb, Error> {
        let graph = migrations.graph().map_err(|e| Error::Graph(e.clone()))?;
        // a target that does not resolve is refused before any template is made
        crate::plan::upgrade(graph, &Default::default(), target).map_err(Error::Plan)?;
        let template = Template {
            migrations,
            target,
            name: template_name(migrations, self.backend, target),
        };
        let name = unique_name();
        match self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => Ok(TestDb::sqlite(sqlite::clone(&template, &name).await?, name)),
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                postgres::clone(&self.admin_url, &template, &name).await?;
                TestDb::server(self.backend, self.admin_url.clone(), name)
            }
            #[cfg(feature = "mysql")]
            Backend::MySql => {
                mysql::clone(&self.admin_url, &template, &name).await?;
                TestDb::server(self.backend, self.admin_url.clone(), name)
            }
            #[allow(unreachable_patterns)]
            other => {
                let _ = template;
                Err(other.ensure_compiled().expect_err("not compiled in"))
            }
        }
    }
}

impl TestDb {
    /// A fresh, empty database of `backend` on the server the environment names
    /// ([`TestServer::from_env`], [`TestServer::empty`]).
    ///
    /// # Errors
    /// As [`TestServer::from_env`] and [`TestServer::empty`].
    pub async fn empty(backend: Backend) -> Result<TestDb, Error> {
        TestServer::from_env(backend)?.empty().await
    }

    /// A fresh database at `head` of `migrations`: [`TestDb::at`] with `"head"`.
    ///
    /// # Errors
    /// As [`TestDb::at`].
    pub async fn at_head(migrations: &Migrations, backend: Backend) -> Result<TestDb, Error> {
        TestDb::at(migrations, backend, "head").await
    }

    /// A fresh database of `backend` at `target`, cloned from a template, on the server the
    /// environment names ([`TestServer::from_env`], [`TestServer::at`]).
    ///
    /// # Errors
    /// As [`TestServer::from_env`] and [`TestServer::at`].
    pub async fn at(
        migrations: &Migrations,
        backend: Backend,
        target: &str,
    ) -> Result<TestDb, Error> {
        TestServer::from_env(backend)?.at(migrations, target).await
    }

    fn sqlite(path: PathBuf, name: String) -> TestDb {
        TestDb {
            backend: Backend::Sqlite,
            url: format!("sqlite:{}", path.display()),
            name,
            place: Place::SqliteFile(path),
        }
    }

    fn server(backend: Backend, admin_url: String, name: String) -> Result<TestDb, Error> {
        let place = Place::Server {
            backend,
            admin_url: admin_url.clone(),
            name: name.clone(),
        };
        // from here on, dropping the value drops the database
        let mut db = TestDb {
            backend,
            url: String::new(),
            name: name.clone(),
            place,
        };
        db.url = url_with_database(&admin_url, &name)?;
        Ok(db)
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database's URL (`sqlite:/tmp/…/migrate_test_….db`, `postgres://…/migrate_test_…`),
    /// for [`Db::connect`] or the application's own pool. It carries the admin URL's
    /// credentials: do not print it unredacted ([`crate::redact_url`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name (`migrate_test_<pid>_<n>_<nanos>`; on SQLite the file's stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A [`Db`] handle on this database ([`Db::connect`]).
    ///
    /// # Errors
    /// As [`Db::connect`].
    pub async fn connect(&self) -> Result<Db, Error> {
        Db::connect(&self.url).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let place = self.place.clone();
        let result = match place {
            #[cfg(feature = "sqlite")]
            Place::SqliteFile(path) => sqlite::remove(&path),
            // no SQLite file is made without the feature
            #[cfg(not(feature = "sqlite"))]
            Place::SqliteFile(_) => Ok(()),
            #[cfg_attr(
                not(any(feature = "postgres", feature = "mysql")),
                allow(unused_variables)
            )]
            Place::Server {
                backend,
                admin_url,
                name,
            } => {
                // a runtime of its own, on a thread of its own: we may be inside a runtime
                // (where `block_on` panics), or unwinding from a panicking test
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    rt.block_on(async {
                        match backend {
                            #[cfg(feature = "postgres")]
                            Backend::Postgres => postgres::drop_database(&admin_url, &name).await,
                            #[cfg(feature = "mysql")]
                            Backend::MySql => mysql::drop_database(&admin_url, &name).await,
                            // no server database is made for a backend compiled out
                            #[allow(unreachable_patterns)]
                            _ => Ok::<(), Error>(()),
                        }
                    })
                    .map_err(|e| e.to_string())
                })
                .join()
                .unwrap_or_else(|_| Err("the cleanup thread panicked".into()))
            }
        };
        if let Err(e) = result {
            eprintln!(
                "warning: could not remove test database {}: {}",
                self.name,
                redact_url(&e)
            );
        }
    }
}

/// What `#[migrate_macros::test]` expands to: on a new current-thread runtime, makes a
/// database of `backend` at `target` ([`TestDb::at`]) and runs `test` on it. The database is
/// removed when `test`'s future is dropped: when it finishes, or while it unwinds.
///
/// # Panics
/// When the database cannot be made (the test fails with the error), or the runtime cannot
/// start; and whenever `test` panics.
pub fn run_test<T, F, Fut>(migrations: &Migrations, backend: Backend, target: &str, test: F) -> T
where
    F: FnOnce(TestDb) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the test");
    rt.block_on(async {
        let db = TestDb::at(migrations, backend, target)
            .await
            .unwrap_or_else(|e| panic!("no test database: {}", redact_url(&e.to_string())));
        test(db).await
    })
}

/// A template: what to migrate and under which name.
pub(crate) struct Template<'a> {
    pub(crate) migrations: &'a Migrations,
    pub(crate) target: &'a str,
    /// `migrate_tpl_<16 hex digits>`.
    pub(crate) name: String,
}

impl Template<'_> {
    /// Migrates the database behind `db` to the target, with the runner's default options.
    pub(crate) async fn migrate(&self, db: &mut Db) -> Result<Plan, Error> {
        self.migrations.upgrade(db, self.target).await
    }

    /// The revision ids the template holds once built (what a complete build's version table
    /// lists as applied).
    pub(crate) fn expected_revisions(&self) -> Result<Vec<String>, Error> {
        let graph = self
            .migrations
            .graph()
            .map_err(|e| Error::Graph(e.clone()))?;
        let plan =
            crate::plan::upgrade(graph, &Default::default(), self.target).map_err(Error::Plan)?;
        let mut ids: Vec<String> = plan
            .steps
            .iter()
            .map(|s| graph.at(s.revision).id.clone())
            .collect();
        ids.sort();
        Ok(ids)
    }
}

/// `migrate_tpl_<hash>`: FNV-1a 64 over everything that makes a template's content.
fn template_name(migrations: &Migrations, backend: Backend, target: &str) -> String {
    let mut h = fnv::FnvHasher::default();
    let mut put = |s: &str| {
        h.write(s.as_bytes());
        h.write_u8(0);
    };
    put("cargo-migrate template 1");
    put(env!("CARGO_PKG_VERSION"));
    put(backend.name());
    put(crate::version_table::DEFAULT_VERSION_TABLE);
    put(target);
    for r in migrations.revisions() {
        put(r.id);
        put(&r.down_revisions.join(","));
        put(&r.depends_on.join(","));
        put(&r.branch_labels.join(","));
        put(r.checksum);
        put(if r.transactional { "tx" } else { "no-tx" });
    }
    format!("migrate_tpl_{:016x}", h.finish())
}

/// Whether `MIGRATE_TEST_REBUILD_TEMPLATES` asks to rebuild `template` (once per process:
/// the first use of each template in this process rebuilds it).
pub(crate) fn rebuild_requested(template: &str) -> bool {
    static DONE: Mutex<Vec<String>> = Mutex::new(Vec::new());
    if std::env::var_os("MIGRATE_TEST_REBUILD_TEMPLATES").is_none_or(|v| v.is_empty() || v == "0") {
        return false;
    }
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if done.iter().any(|t| t == template) {
        false
    } else {
        done.push(template.to_owned());
        true
    }
}

/// One async lock per key, for this process: tests of one binary wait for each other's
/// template build instead of each taking the server's lock in turn.
pub(crate) fn process_lock(key: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: Mutex<Option<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = Mutex::new(None);
    let mut locks = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    locks
        .get_or_insert_with(HashMap::new)
        .entry(key.to_owned())
        .or_default()
        .clone()
}

/// A data-migration test on a fresh database: pytest-alembic's `migrate_up_before` /
/// `migrate_up_to` / `migrate_down_before`, django-test-migrations' `Migrator`.
///
/// ```no_run
/// # use migrate_core::{Backend, prelude::*, sea_query::{Query, Expr}};
/// # use migrate_core::testing::Migrator;
/// # async fn t(migrations: &'static migrate_core::Migrations) -> Result<(), migrate_core::Error> {
/// let mut m = Migrator::fresh(migrations, Backend::Sqlite).await?;
/// m.upgrade_before("e4d5c6b7a8f9").await?; // everything the revision needs, not the revision
/// m.db().execute(&Query::insert().into_table("users").columns(["email", "name"])
///     .values_panic(["a@example.com".into(), "A".into()]).to_owned()).await?;
/// m.upgrade_to("e4d5c6b7a8f9").await?;     // the revision runs on those rows
/// // … m.db().fetch_all::<Row, _>(…) and assert …
/// m.downgrade_before("e4d5c6b7a8f9").await?;
/// # Ok(()) }
/// ```
///
/// The database is a [`TestDb`], removed when the `Migrator` is dropped. [`Migrator::db`] is
/// a connection to it outside any revision: statements run in autocommit.
pub struct Migrator<'m> {
    runner: Runner<'m>,
    graph: &'m Graph,
    /// Declared before `database`: the connection closes before the database is dropped.
    db: Db,
    database: TestDb,
}

impl std::fmt::Debug for Migrator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl<'m> Migrator<'m> {
    /// A migrator over `migrations` on a fresh, empty database of `backend`
    /// ([`TestDb::empty`]).
    ///
    /// # Errors
    /// As [`TestDb::empty`] and [`Db::connect`].
    pub async fn fresh(migrations: &'m Migrations, backend: Backend) -> Result<Self, Error> {
        Migrator::on(migrations, TestDb::empty(backend).await?).await
    }

    /// A migrator over `migrations` on `database` (for instance a [`TestDb::at`] clone, which
    /// skips replaying the revisions below the one under test).
    ///
    /// # Errors
    /// As [`Db::connect`]; [`Error::Graph`] for an invalid registry (cannot happen for one
    /// that compiled).
    pub async fn on(migrations: &'m Migrations, database: TestDb) -> Result<Self, Error> {
        let runner = Runner::new(migrations, Options::default())?;
        let graph = runner.graph();
        let db = database.connect().await?;
        Ok(Migrator {
            runner,
            graph,
            db,
            database,
        })
    }

    /// The connection to the test database, for inserting rows and reading them back
    /// ([`Db::execute`], [`Db::execute_sql`], [`Db::fetch_all`] into
    /// `#[derive(migrate_macros::FromRow)]` structs).
    pub fn db(&mut self) -> &mut Db {
        &mut self.db
    }

    /// The test database.
    pub fn database(&self) -> &TestDb {
        &self.database
    }

    /// Upgrades to just before `revision` (an id or unique prefix): applies everything the
    /// revision needs (its `down_revision`s and `depends_on`, with their ancestors), not the
    /// revision itself. For a base revision it does nothing. Returns the plans it ran.
    ///
    /// # Errors
    /// [`Error::Plan`] for an unknown or ambiguous revision, and
    /// ([`PlanError::NotAbove`]) when `revision` is already applied; the runner's errors
    /// ([`Error::RevisionFailed`], …) as [`Runner::upgrade`].
    pub async fn upgrade_before(&mut self, revision: &str) -> Result<Vec<Plan>, Error> {
        let index = self.resolve_one(revision)?;
        let status = self.runner.status(&mut self.db).await?;
        if status.applied.contains(&index) {
            return Err(Error::Plan(PlanError::NotAbove {
                target: format!("just before '{revision}'"),
                current: status
                    .heads
                    .iter()
                    .map(|&i| self.graph.at(i).id.clone())
                    .collect(),
            }));
        }
        let needs: Vec<String> = self
            .graph
            .parents_of(index)
            .iter()
            .chain(self.graph.dependencies_of(index))
            .map(|&i| self.graph.at(i).id.clone())
            .collect();
        let mut plans = Vec::new();
        for id in needs {
            plans.push(self.runner.upgrade(&mut self.db, &id, &mut |_| {}).await?);
        }
        Ok(plans)
    }

    /// `upgrade TARGET` (`head`, an id, `+1`, …), as the CLI runs it.
    ///
    /// # Errors
    /// As [`Runner::upgrade`].
    pub async fn upgrade_to(&mut self, target: &str) -> Result<Plan, Error> {
        self.runner.upgrade(&mut self.db, target, &mut |_| {}).await
    }

    /// `downgrade TARGET` (`base`, an id, `-1`, …), as the CLI runs it.
    ///
    /// # Errors
    /// As [`Runner::downgrade`].
    pub async fn downgrade_to(&mut self, target: &str) -> Result<Plan, Error> {
        self.runner
            .downgrade(&mut self.db, target, &mut |_| {})
            .await
    }

    /// Downgrades to just before `revision`: undoes it (and whatever was applied on top of
    /// it), as Alembic's `downgrade <down_revision>` does, so its first parent stays applied
    /// (and anything else applied on top of that parent is undone too). For a base revision,
    /// `downgrade <label>@base` when it has a branch label, else `downgrade base`.
    ///
    /// # Errors
    /// [`Error::Plan`] for an unknown revision, or one that is not applied
    /// ([`PlanError::NotBelow`]); the runner's errors as [`Runner::downgrade`].
    pub async fn downgrade_before(&mut self, revision: &str) -> Result<Plan, Error> {
        let index = self.resolve_one(revision)?;
        let status = self.runner.status(&mut self.db).await?;
        if !status.applied.contains(&index) {
            return Err(Error::Plan(PlanError::NotBelow {
                target: format!("just before '{revision}'"),
                current: status
                    .heads
                    .iter()
                    .map(|&i| self.graph.at(i).id.clone())
                    .collect(),
            }));
        }
        let rev = self.graph.at(index);
        let target = match (
            self.graph.parents_of(index).first(),
            rev.branch_labels.first(),
        ) {
            (Some(&p), _) => self.graph.at(p).id.clone(),
            (None, Some(label)) => format!("{label}@base"),
            (None, None) => "base".to_owned(),
        };
        self.downgrade_to(&target).await
    }

    /// The current revisions (the version table's heads), ids in topological order.
    ///
    /// # Errors
    /// As [`Runner::status`].
    pub async fn current(&mut self) -> Result<Vec<String>, Error> {
        let status = self.runner.status(&mut self.db).await?;
        Ok(status
            .heads
            .iter()
            .map(|&i| self.graph.at(i).id.clone())
            .collect())
    }

    fn resolve_one(&self, revision: &str) -> Result<usize, Error> {
        if let Some(i) = self.graph.index_of(revision) {
            return Ok(i);
        }
        let found =
            crate::spec::resolve(self.graph, &Default::default(), revision).map_err(Error::Plan)?;
        match found.as_slice() {
            [one] => Ok(*one),
            _ => Err(Error::Plan(PlanError::UnknownRevision(revision.to_owned()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{BoxFuture, Revision};

    fn noop(_: &mut Db) -> BoxFuture<'_> {
        Box::pin(async { Ok(()) })
    }

    const fn rev(id: &'static str, checksum: &'static str) -> Revision {
        Revision {
            id,
            down_revisions: &[],
            branch_labels: &[],
            depends_on: &[],
            message: "m",
            file: "f.rs",
            checksum,
            transactional: true,
            irreversible: None,
            allow_lint: &[],
            upgrade: noop,
            downgrade: noop,
        }
    }

    static A: [Revision; 1] = [rev("a1", "c1")];
    static A_EDITED: [Revision; 1] = [rev("a1", "c2")];

    #[test]
    fn a_changed_history_gets_a_new_template() {
        let (a, edited) = (Migrations::new(&A), Migrations::new(&A_EDITED));
        let name = template_name(&a, Backend::Postgres, "head");
        assert!(
            name.starts_with("migrate_tpl_") && name.len() == 28,
            "{name}"
        );
        assert_eq!(name, template_name(&a, Backend::Postgres, "head"));
        assert_ne!(name, template_name(&edited, Backend::Postgres, "head"));
        assert_ne!(name, template_name(&a, Backend::MySql, "head"));
        assert_ne!(name, template_name(&a, Backend::Postgres, "a1"));
    }
}
