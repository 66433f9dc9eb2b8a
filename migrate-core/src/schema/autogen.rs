//! Autogenerate and the models' drift check: the declared schema (models) compared with the
//! schema the migrations produce.
//!
//! Both sides are read from a database by the same introspection ([`super::introspect`]),
//! so both go through the same normalisation (Atlas's "dev database" approach):
//!
//! - the **declared schema** is created in an empty throwaway database
//!   ([`declared_schema`]: `ops::apply(ops::create_all(models))`) and read back;
//! - the **migrations' schema** is the migrations replayed base → heads into another
//!   throwaway database ([`migrations_schema`]), or with `--against-db` the live database
//!   (which must be at the head, as Alembic requires).
//!
//! A database created from the models therefore diffs empty by construction; what remains
//! to get right is that a database created otherwise (by hand-written SQL, by another tool)
//! in each backend's own spelling diffs empty too — the normalisation's job, pinned by
//! `tests/tests/autogen_false_positives.rs`.
//!
//! The throwaway databases are [`Shadow`]s: an in-memory SQLite database for a `sqlite:`
//! URL; on PostgreSQL and MySQL a database `CREATE`d on the same server with the same
//! credentials and dropped at the end (also on error and on panic), or an empty database the
//! user names (`--shadow-database-url`, Prisma's `shadowDatabaseUrl`) when they may not
//! create databases. The user's own database is never written.

use std::time::Duration;

use super::declare::TableDef;
use super::diff::{Difference, diff};
use super::introspect::introspect;
use super::model::Schema;
use super::ops::{self, Plan};
use super::render::{render, render_with_notes};
use crate::db::{Backend, ConnectOptions, Db, redact_url};
use crate::error::Error;
use crate::registry::Migrations;
use crate::runner::{Options, Runner, ids_or_base};
use crate::throwaway;
use crate::version_table::DEFAULT_VERSION_TABLE;

/// How long a shadow or live database has to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the shadow is.
#[derive(Debug)]
enum Kind {
    /// In-memory SQLite: each connection its own database.
    Memory,
    /// A database we created on a server: `(admin URL, name)`, dropped at the end.
    Owned { admin: String, name: String },
    /// A database the user named (`--shadow-database-url`): empty at the start, emptied
    /// at the end; never dropped.
    Given,
}

/// A throwaway database to build a schema in (Prisma's shadow database).
///
/// - [`Shadow::create`] for the backend of `url`: SQLite → in memory; PostgreSQL / MySQL →
///   `CREATE DATABASE migrate_shadow_<pid>_<n>_<nanos>` on the server of `url` with its
///   credentials.
/// - [`Shadow::existing`]: an empty database the user names, for users without the
///   `CREATE DATABASE` right.
///
/// End it with [`Shadow::close`], which drops (or empties) it and reports failures. A shadow
/// dropped without `close` (an early return, a panic) is still removed, by a guard that
/// drops the database from a thread of its own; its failures are then only ignored.
#[derive(Debug)]
pub struct Shadow {
    db: Option<Db>,
    backend: Backend,
    url: String,
    kind: Kind,
}

fn shadow_error(reason: String) -> Error {
    Error::ShadowDatabase { reason }
}

/// Whether a database error is the server refusing for lack of a right (PostgreSQL
/// SQLSTATE 42501; MySQL errors 1044, 1045, 1227 and SQLSTATE 42000 "access denied").
fn is_permission_denied(e: &Error) -> bool {
    let source = match e {
        Error::Database { source, .. } | Error::Connect { source, .. } => source,
        _ => return false,
    };
    let Some(db) = source.as_database_error() else {
        return false;
    };
    let code = db.code().unwrap_or_default();
    let message = db.message().to_ascii_lowercase();
    code == "42501" || message.contains("access denied") || message.contains("permission denied")
}

impl Shadow {
    /// A new, empty throwaway database for the backend of `url` (`sqlite:…`,
    /// `postgres://…`, `mysql://…`). The database `url` names is only used as the admin
    /// connection that creates and drops the shadow; nothing is written to it.
    ///
    /// # Errors
    /// [`Error::BadUrl`] for a URL no backend handles; [`Error::BackendNotCompiled`];
    /// [`Error::ShadowDatabase`] when the server refuses `CREATE DATABASE` for lack of the
    /// right (the message says how to grant it, or to give `--shadow-database-url`);
    /// [`Error::Database`] when it fails otherwise; [`Error::Connect`] when the new database
    /// cannot be connected to (it is dropped again).
    pub async fn create(url: &str) -> Result<Shadow, Error> {
        let backend = Backend::from_url(url)?.ensure_compiled()?;
        if backend == Backend::Sqlite {
            return Shadow::connect(backend, "sqlite::memory:".into(), Kind::Memory).await;
        }
        let name = throwaway::unique_name("migrate_shadow");
        let shadow_url = throwaway::database_url(url, &name).map_err(|e| Error::BadUrl {
            url: redact_url(url),
            reason: e.to_string(),
        })?;
        if let Err(e) = throwaway::create_database(backend, url, &name).await {
            if is_permission_denied(&e) {
                return Err(shadow_error(format!(
                    "the server of {} refused `CREATE DATABASE {name}` ({}): autogenerate and \
                     check create the models (and replay the migrations) in a throwaway \
                     database and this user may not create one; grant it the right \
                     (PostgreSQL: `ALTER ROLE … CREATEDB`; MySQL: `GRANT CREATE, DROP ON *.* \
                     …`), or give an empty database to use instead with \
                     --shadow-database-url (also with --against-db, which reads the live \
                     database instead of replaying the migrations but still needs a database \
                     to create the models in)",
                    redact_url(url),
                    redact_url(&e.to_string())
                )));
            }
            return Err(e);
        }
        let kind = Kind::Owned {
            admin: url.to_owned(),
            name,
        };
        Shadow::connect(backend, shadow_url, kind).await
    }

    /// An existing database the user gives as the shadow (`--shadow-database-url`), of
    /// `backend`. It must be empty (no table, view, PostgreSQL enum or sequence); it is
    /// emptied again by [`Shadow::close`] and [`Shadow::reset`] and never dropped.
    ///
    /// # Errors
    /// [`Error::ShadowDatabase`] when it is of another backend than `backend` or is not
    /// empty (naming what it holds); [`Error::BadUrl`], [`Error::Connect`] as
    /// [`Db::connect_with`]; [`Error::Database`] when its catalogue cannot be read.
    pub async fn existing(shadow_url: &str, backend: Backend) -> Result<Shadow, Error> {
        let given = Backend::from_url(shadow_url)?.ensure_compiled()?;
        if given != backend {
            return Err(shadow_error(format!(
                "the shadow database {} is {given} but the database is {backend}; give a \
                 shadow database of the same backend",
                redact_url(shadow_url)
            )));
        }
        let mut shadow = Shadow::connect(backend, shadow_url.to_owned(), Kind::Given).await?;
        let schema = introspect(shadow.db(), &[]).await?;
        let mut held: Vec<String> = schema
            .tables
            .keys()
            .map(|t| format!("table `{t}`"))
            .collect();
        held.extend(schema.views.keys().map(|v| format!("view `{v}`")));
        held.extend(schema.enums.keys().map(|e| format!("enum `{e}`")));
        held.extend(schema.sequences.keys().map(|s| format!("sequence `{s}`")));
        if !held.is_empty() {
            // not ours to empty: leave it as it is
            shadow.kind = Kind::Memory;
            let _ = shadow.close().await;
            held.truncate(5);
            return Err(shadow_error(format!(
                "the shadow database {} is not empty (it holds {}); the shadow database is \
                 emptied after each use, so give one that holds nothing else",
                redact_url(shadow_url),
                held.join(", ")
            )));
        }
        Ok(shadow)
    }

    async fn connect(backend: Backend, url: String, kind: Kind) -> Result<Shadow, Error> {
        let options = ConnectOptions::default()
            .connect_timeout(CONNECT_TIMEOUT)
            .create_sqlite_file(true, "autogenerate");
        let mut shadow = Shadow {
            db: None,
            backend,
            url,
            kind,
        };
        // on failure the guard drops the database just created
        let mut db = Db::connect_with(&shadow.url, &options).await?;
        if backend == Backend::Postgres {
            // nothing in a shadow needs to survive a crash: no wait for the WAL flush at
            // each commit (each DDL statement outside a transaction is one)
            db.sql("SET synchronous_commit = off").await?;
        }
        shadow.db = Some(db);
        Ok(shadow)
    }

    /// The name of the database created on the server for this shadow (to check that it is
    /// gone afterwards); `None` for in-memory SQLite and for a given shadow database.
    pub fn database_name(&self) -> Option<&str> {
        match &self.kind {
            Kind::Owned { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection to the shadow database.
    pub fn db(&mut self) -> &mut Db {
        self.db
            .as_mut()
            .expect("a shadow holds its connection until closed")
    }

    /// Makes the shadow empty again: a new in-memory database (SQLite), or everything in it
    /// dropped (tables, views, PostgreSQL enums, sequences and functions).
    ///
    /// # Errors
    /// [`Error::Database`] when the catalogue cannot be read or a drop fails;
    /// [`Error::Connect`] when a new in-memory database cannot be opened.
    pub async fn reset(&mut self) -> Result<(), Error> {
        match self.kind {
            Kind::Memory => {
                if let Some(db) = self.db.take() {
                    db.close().await;
                }
                let options = ConnectOptions::default().create_sqlite_file(true, "autogenerate");
                self.db = Some(Db::connect_with(&self.url, &options).await?);
                Ok(())
            }
            Kind::Owned { .. } | Kind::Given => empty(self.db()).await,
        }
    }

    /// Removes the shadow: drops the database we created, empties a given one, closes the
    /// connection.
    ///
    /// # Errors
    /// [`Error::ShadowDatabase`] when the database cannot be dropped or emptied, naming it
    /// so that it can be dropped by hand.
    pub async fn close(mut self) -> Result<(), Error> {
        let mut result = Ok(());
        if matches!(self.kind, Kind::Given)
            && let Err(e) = empty(self.db()).await
        {
            result = Err(shadow_error(format!(
                "emptying the shadow database {} failed: {}; empty it by hand",
                redact_url(&self.url),
                redact_url(&e.to_string())
            )));
        }
        if let Some(db) = self.db.take() {
            db.close().await;
        }
        if let Kind::Owned { admin, name } = std::mem::replace(&mut self.kind, Kind::Memory)
            && let Err(e) = throwaway::drop_database(self.backend, &admin, &name).await
        {
            result = Err(shadow_error(format!(
                "dropping the shadow database `{name}` failed: {}; drop it by hand",
                redact_url(&e.to_string())
            )));
        }
        result
    }
}

impl Drop for Shadow {
    /// The guard: a shadow not closed (an error returned early, a panic) is still dropped,
    /// on a thread of its own with its own runtime (we may be inside an async runtime, or
    /// unwinding). Failures are ignored here; [`Shadow::close`] reports them.
    fn drop(&mut self) {
        let Kind::Owned { admin, name } = std::mem::replace(&mut self.kind, Kind::Memory) else {
            return;
        };
        let backend = self.backend;
        let db = self.db.take();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Some(db) = db {
                    db.close().await;
                }
                let _ = throwaway::drop_database(backend, &admin, &name).await;
            });
        })
        .join();
    }
}

/// A name quoted for `backend`.
fn quote(backend: Backend, name: &str) -> String {
    match backend {
        Backend::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// Drops everything the introspection sees in `db` (the version table included).
async fn empty(db: &mut Db) -> Result<(), Error> {
    let backend = db.backend();
    let schema = introspect(db, &[]).await?;
    let q = |n: &str| quote(backend, n);
    let mut script = Vec::new();
    match backend {
        Backend::Postgres => {
            for v in schema.views.keys() {
                script.push(format!("DROP VIEW IF EXISTS {} CASCADE", q(v)));
            }
            for t in schema.tables.keys() {
                script.push(format!("DROP TABLE IF EXISTS {} CASCADE", q(t)));
            }
            for s in schema.sequences.keys() {
                script.push(format!("DROP SEQUENCE IF EXISTS {} CASCADE", q(s)));
            }
            for e in schema.enums.keys() {
                script.push(format!("DROP TYPE IF EXISTS {} CASCADE", q(e)));
            }
            for f in schema.functions.keys() {
                // `name(arguments)`: the name quoted, the arguments as the catalogue wrote them
                if let Some((name, args)) = f.split_once('(') {
                    script.push(format!(
                        "DROP FUNCTION IF EXISTS {}({args} CASCADE",
                        q(name)
                    ));
                }
            }
        }
        Backend::MySql => {
            script.push("SET FOREIGN_KEY_CHECKS = 0".into());
            for v in schema.views.keys() {
                script.push(format!("DROP VIEW IF EXISTS {}", q(v)));
            }
            for t in schema.tables.keys() {
                script.push(format!("DROP TABLE IF EXISTS {}", q(t)));
            }
            script.push("SET FOREIGN_KEY_CHECKS = 1".into());
        }
        Backend::Sqlite => {
            script.push("PRAGMA foreign_keys = OFF".into());
            for v in schema.views.keys() {
                script.push(format!("DROP VIEW IF EXISTS {}", q(v)));
            }
            for t in schema.tables.keys() {
                script.push(format!("DROP TABLE IF EXISTS {}", q(t)));
            }
            script.push("PRAGMA foreign_keys = ON".into());
        }
    }
    for statement in script {
        db.sql(&statement).await?;
    }
    Ok(())
}

/// Checks a declared schema before any database sees it: table names unique, each table
/// with at least one column and no column declared twice, every primary-key, index,
/// unique-constraint and foreign-key column a column of its table, every foreign key
/// referencing a declared table's columns, as many of them as it has columns.
///
/// # Errors
/// [`Error::InvalidModel`] for the first problem, naming the table and the column or
/// referenced table.
pub fn validate(defs: &[TableDef]) -> Result<(), Error> {
    let bad = |table: &str, reason: String| Error::InvalidModel {
        table: table.to_owned(),
        reason,
    };
    for (i, t) in defs.iter().enumerate() {
        if defs[..i].iter().any(|o| o.name == t.name) {
            return Err(bad(
                &t.name,
                "two models declare this table; give each model its own table name".into(),
            ));
        }
        if t.columns.is_empty() {
            return Err(bad(&t.name, "declares no column".into()));
        }
        for (j, c) in t.columns.iter().enumerate() {
            if t.columns[..j].iter().any(|o| o.name == c.name) {
                return Err(bad(
                    &t.name,
                    format!("column `{}` is declared twice", c.name),
                ));
            }
        }
        let check_columns = |what: String, columns: &[String]| -> Result<(), Error> {
            if columns.is_empty() {
                return Err(bad(&t.name, format!("{what} names no column")));
            }
            for c in columns {
                if t.get_column(c).is_none() {
                    return Err(bad(
                        &t.name,
                        format!("{what} names column `{c}`, which the table does not declare"),
                    ));
                }
            }
            Ok(())
        };
        if !t.primary_key.is_empty() {
            check_columns("the primary key".into(), &t.primary_key)?;
        }
        for ix in &t.indexes {
            check_columns(format!("index `{}`", ix.name), &ix.columns)?;
        }
        for u in &t.uniques {
            let what = match &u.name {
                Some(n) => format!("unique constraint `{n}`"),
                None => "a unique constraint".to_owned(),
            };
            check_columns(what, &u.columns)?;
        }
        for fk in &t.foreign_keys {
            let what = match &fk.name {
                Some(n) => format!("foreign key `{n}`"),
                None => format!("the foreign key to `{}`", fk.referenced_table),
            };
            check_columns(what.clone(), &fk.columns)?;
            let Some(target) = defs.iter().find(|o| o.name == fk.referenced_table) else {
                return Err(bad(
                    &t.name,
                    format!(
                        "{what} references table `{}`, which no model declares; register its \
                         model in `migrations!(models = [...])`",
                        fk.referenced_table
                    ),
                ));
            };
            if fk.referenced_columns.len() != fk.columns.len() {
                return Err(bad(
                    &t.name,
                    format!(
                        "{what} has {} column(s) but references {}",
                        fk.columns.len(),
                        fk.referenced_columns.len()
                    ),
                ));
            }
            for c in &fk.referenced_columns {
                if target.get_column(c).is_none() {
                    return Err(bad(
                        &t.name,
                        format!(
                            "{what} references column `{}`.`{c}`, which that model does not \
                             declare",
                            target.name
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The declared schema as the database behind `db` reads it back: `defs` are validated,
/// created in `db` (which must be empty: a fresh [`Shadow`]) by the same operations an
/// autogenerated revision uses (`ops::create_all`, `ops::apply`), and introspected.
///
/// # Errors
/// [`Error::InvalidModel`] from [`validate`] (nothing is created then); the errors of
/// `ops::apply` when the database refuses a table (a type it lacks, say); [`Error::Database`]
/// when the catalogue cannot be read.
pub async fn declared_schema(db: &mut Db, defs: &[TableDef]) -> Result<Schema, Error> {
    validate(defs)?;
    let create = ops::create_all(defs, db.backend());
    // PostgreSQL: the statements rendered offline and sent as one script in one
    // transaction (one round trip instead of one per table and index); should the server
    // refuse it, they run again one by one below, for an error naming the statement
    if db.backend() == Backend::Postgres && !db.is_offline() {
        let mut offline = Db::offline(Backend::Postgres);
        ops::apply(&mut offline, &create).await?;
        let script: Vec<String> = offline
            .take_script()
            .into_iter()
            .filter(|s| !s.starts_with("--"))
            .map(|s| format!("{s};"))
            .collect();
        db.sql("BEGIN").await?;
        match db.sql(&script.join("\n")).await {
            Ok(()) => {
                db.sql("COMMIT").await?;
                return introspect(db, &[]).await;
            }
            Err(_) => {
                let _ = db.sql("ROLLBACK").await;
            }
        }
    }
    // PostgreSQL: one transaction, not one per statement (SQLite is fast as it is, and its
    // batch mode, which a foreign-key cycle needs, manages its own)
    let transaction = db.backend() == Backend::Postgres;
    if transaction {
        db.sql("BEGIN").await?;
    }
    let applied = ops::apply(db, &create).await;
    if transaction {
        match &applied {
            Ok(()) => db.sql("COMMIT").await?,
            Err(_) => {
                let _ = db.sql("ROLLBACK").await;
            }
        }
    }
    applied?;
    introspect(db, &[]).await
}

/// The schema the migrations produce: every revision replayed base → heads into `shadow`
/// (which must be empty), then introspected without the version table.
///
/// # Errors
/// [`Error::RevisionFailed`] when a revision fails in the shadow; [`Error::Database`] when
/// the catalogue cannot be read; the runner's other errors ([`Runner::upgrade`]).
pub async fn migrations_schema(
    migrations: &Migrations,
    shadow: &mut Shadow,
) -> Result<Schema, Error> {
    // the shadow's own version table: the user's name may be schema-qualified, and nothing
    // of it is compared
    let options = Options {
        version_table: DEFAULT_VERSION_TABLE.to_owned(),
        ..Options::default()
    };
    let runner = Runner::new(migrations, options)?;
    if !runner.graph().is_empty() {
        runner.upgrade(shadow.db(), "heads", &mut |_| {}).await?;
    }
    introspect(shadow.db(), &[DEFAULT_VERSION_TABLE]).await
}

/// What [`autogenerate`] and [`check_models`] compare the models with.
#[derive(Debug, Clone, Default)]
pub struct AutogenOptions {
    /// `--against-db`: compare with the live database at the URL (read only; it must be at
    /// the migrations' head) instead of the migrations replayed in a shadow database.
    pub against_db: bool,
    /// `--shadow-database-url`: an empty database to use as the shadow instead of creating
    /// one (for users without the `CREATE DATABASE` right); `None`: create one on the
    /// server of the URL (SQLite: in memory).
    pub shadow_url: Option<String>,
    /// The version table's name, as the runner's `--version-table` (left out of the live
    /// database's schema); `None`: the crate's setting, else `migrate_version`.
    pub version_table: Option<String>,
}

/// What autogenerate found and wrote.
#[derive(Debug, Clone)]
pub struct Autogenerated {
    /// The differences from the migrations' schema to the models' ([`diff`]); empty when
    /// they agree.
    pub differences: Vec<Difference>,
    /// The operations that turn the one into the other, both ways, and the notes about what
    /// they cannot express or what loses data.
    pub plan: Plan,
    /// The Rust source of the revision's `upgrade` body, the plan's notes as `//` comments.
    pub upgrade: String,
    /// The Rust source of the revision's `downgrade` body.
    pub downgrade: String,
}

/// The two schemas autogenerate compares: `(current, desired)`, and the declared tables.
async fn schemas(
    migrations: &Migrations,
    url: &str,
    opts: &AutogenOptions,
) -> Result<(Schema, Schema, Vec<TableDef>, Backend), Error> {
    let defs = migrations.models().ok_or(Error::NoModels)?;
    validate(&defs)?;
    let backend = Backend::from_url(url)?.ensure_compiled()?;
    let current = if opts.against_db {
        Some(live_schema(migrations, url, opts).await?)
    } else {
        None
    };
    if current.is_none() && opts.shadow_url.is_none() {
        // two shadows, filled at the same time: the migrations replayed in one, the models
        // created in the other
        let (mut replay, mut models) = tokio::try_join!(Shadow::create(url), Shadow::create(url))?;
        let (current, desired) = tokio::join!(
            migrations_schema(migrations, &mut replay),
            declared_schema(models.db(), &defs)
        );
        let (c1, c2) = tokio::join!(replay.close(), models.close());
        let (current, desired) = (current?, desired?);
        c1?;
        c2?;
        return Ok((current, desired, defs, backend));
    }
    let mut shadow = match &opts.shadow_url {
        Some(s) => Shadow::existing(s, backend).await?,
        None => Shadow::create(url).await?,
    };
    let result = async {
        let current = match current {
            Some(c) => c,
            None => {
                let s = migrations_schema(migrations, &mut shadow).await?;
                shadow.reset().await?;
                s
            }
        };
        let desired = declared_schema(shadow.db(), &defs).await?;
        Ok::<_, Error>((current, desired))
    }
    .await;
    let closed = shadow.close().await;
    let (current, desired) = result?;
    closed?;
    Ok((current, desired, defs, backend))
}

/// `--against-db`: the live database's schema, after checking that it is at the head.
async fn live_schema(
    migrations: &Migrations,
    url: &str,
    opts: &AutogenOptions,
) -> Result<Schema, Error> {
    let version_table = opts
        .version_table
        .clone()
        .or_else(|| migrations.settings().version_table.map(str::to_owned))
        .unwrap_or_else(|| DEFAULT_VERSION_TABLE.to_owned());
    let runner = Runner::new(
        migrations,
        Options {
            version_table: version_table.clone(),
            ..Options::default()
        },
    )?;
    let options = ConnectOptions::default()
        .connect_timeout(CONNECT_TIMEOUT)
        .create_sqlite_file(false, "check");
    let mut db = Db::connect_with(url, &options).await?;
    let result = async {
        let status = runner.status(&mut db).await?;
        let graph = runner.graph();
        let mut at = status.heads.clone();
        let mut heads = graph.heads();
        at.sort_unstable();
        heads.sort_unstable();
        if at != heads {
            let ids = |v: &[usize]| -> String {
                let ids: Vec<&str> = v.iter().map(|&i| graph.at(i).id.as_str()).collect();
                ids_or_base(&ids)
            };
            return Err(Error::NotAtHead {
                current: ids(&at),
                head: ids(&heads),
            });
        }
        let bare = version_table.rsplit('.').next().unwrap_or(&version_table);
        let lock = format!("{bare}_lock");
        introspect(&mut db, &[version_table.as_str(), bare, lock.as_str()]).await
    }
    .await;
    db.close().await;
    result
}

/// Autogenerate: compares the models registered with `migrations` with the schema the
/// migrations produce on the backend of `url` (as [`check_models`]), and plans and renders
/// the operations that turn the one into the other (`ops::plan`, `render`). No difference:
/// an empty plan and empty bodies.
///
/// # Errors
/// As [`check_models`].
pub async fn autogenerate(
    migrations: &Migrations,
    url: &str,
    opts: &AutogenOptions,
) -> Result<Autogenerated, Error> {
    let (current, desired, defs, backend) = schemas(migrations, url, opts).await?;
    let differences = diff(&current, &desired);
    let plan = ops::plan(&current, &desired, &defs, backend);
    let upgrade = render_with_notes(&plan.upgrade, &plan.notes, backend);
    let downgrade = render(&plan.downgrade, backend);
    Ok(Autogenerated {
        differences,
        plan,
        upgrade,
        downgrade,
    })
}

/// The models' drift check (`cargo migrate check`): the differences from the migrations'
/// schema to the models'. Empty: they agree.
///
/// The migrations are replayed into a [`Shadow`] on the server of `url` (the database `url`
/// names is not written), or with `opts.against_db` the live database at `url` is read (it
/// must be at the head). The models are created in a shadow and read back with the same
/// introspection.
///
/// # Errors
/// [`Error::NoModels`] when no models are registered; [`Error::InvalidModel`];
/// [`Error::NotAtHead`] with `against_db` when the database is behind or ahead;
/// [`Error::ShadowDatabase`] when the shadow cannot be made, used or removed;
/// [`Error::RevisionFailed`] when a revision fails in the shadow; [`Error::Connect`],
/// [`Error::Database`], [`Error::BadUrl`] as their names say.
pub async fn check_models(
    migrations: &Migrations,
    url: &str,
    opts: &AutogenOptions,
) -> Result<Vec<Difference>, Error> {
    let (current, desired, _, _) = schemas(migrations, url, opts).await?;
    Ok(diff(&current, &desired))
}

/// A difference of [`check_models`] in `check`'s words: what the models declare against what
/// the migrations build (`diff(migrations, models)`: added = only in the models), e.g.
/// ``column `posts`.`subtitle`: in the models, not in the migrations``.
pub fn drift_line(d: &Difference) -> String {
    use super::diff::Change;
    match &d.change {
        Change::Added => format!("{}: in the models, not in the migrations", d.object),
        Change::Removed => format!("{}: in the migrations, not in the models", d.object),
        Change::Changed { field, from, to } => format!(
            "{}: {field} is `{from}` in the migrations, `{to}` in the models",
            d.object
        ),
        #[allow(unreachable_patterns)]
        _ => d.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::declare::{ColumnDef, ColumnType, ForeignKeyDef};

    fn users() -> TableDef {
        TableDef::new("users")
            .column(ColumnDef::new("id", ColumnType::Integer))
            .column(ColumnDef::new("email", ColumnType::Text))
            .primary_key(["id"])
    }

    fn message(defs: &[TableDef]) -> String {
        validate(defs).expect_err("invalid").to_string()
    }

    #[test]
    fn validate_names_what_is_wrong() {
        assert!(validate(&[users()]).is_ok());
        assert_eq!(
            message(&[users(), users()]),
            "model of table `users`: two models declare this table; give each model its own \
             table name"
        );
        assert_eq!(
            message(&[users().primary_key(["uid"])]),
            "model of table `users`: the primary key names column `uid`, which the table does \
             not declare"
        );
        assert_eq!(
            message(&[users().index("ix", ["mail"], false)]),
            "model of table `users`: index `ix` names column `mail`, which the table does not \
             declare"
        );
        assert_eq!(
            message(&[users().unique(None, ["e"])]),
            "model of table `users`: a unique constraint names column `e`, which the table does \
             not declare"
        );
        let posts = TableDef::new("posts")
            .column(ColumnDef::new("user_id", ColumnType::Integer))
            .foreign_key(ForeignKeyDef::new(["user_id"], "people", ["id"]));
        assert_eq!(
            message(&[users(), posts.clone()]),
            "model of table `posts`: the foreign key to `people` references table `people`, \
             which no model declares; register its model in `migrations!(models = [...])`"
        );
        let posts = TableDef::new("posts")
            .column(ColumnDef::new("user_id", ColumnType::Integer))
            .foreign_key(ForeignKeyDef::new(["user_id"], "users", ["uid"]).name("fk_u"));
        assert_eq!(
            message(&[users(), posts]),
            "model of table `posts`: foreign key `fk_u` references column `users`.`uid`, which \
             that model does not declare"
        );
        assert_eq!(
            message(&[TableDef::new("empty")]),
            "model of table `empty`: declares no column"
        );
        assert_eq!(
            message(&[users().column(ColumnDef::new("email", ColumnType::Text))]),
            "model of table `users`: column `email` is declared twice"
        );
    }
}
