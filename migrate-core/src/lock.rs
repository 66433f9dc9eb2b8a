//! Migration lock strategies (`--lock`): how runners on PostgreSQL and MySQL keep out of each
//! other's way. SQLite always serialises runners with its own write lock (`BEGIN IMMEDIATE`)
//! and takes none of these.
//!
//! - [`LockStrategy::Advisory`] (the default): a session lock of the server
//!   (`pg_try_advisory_lock`, MySQL `GET_LOCK`), released by the server when the session ends.
//!   It only works where one client connection is one server session: behind a
//!   transaction-pooling proxy (PgBouncer `pool_mode=transaction`, RDS Proxy, Supavisor in
//!   transaction mode) the session the lock was taken in is handed to other clients between
//!   statements, and on engines without advisory locks (CockroachDB) the function is missing.
//! - [`LockStrategy::Table`]: a lease in a one-row table `<version table>_lock` (holder id,
//!   acquired and renewed timestamps from the server's clock, lease length in seconds). Taking
//!   it is one `UPDATE` that succeeds only when the lease is free or expired, so every
//!   statement stands alone and works through any proxy. While the run lasts a background
//!   task renews the lease on a second connection every third of its length; a holder that
//!   crashed stops renewing and its lease expires. It is released on every exit path: at the
//!   end of the command, and when the handle is dropped (a panic, a cancelled run) by the
//!   renewal task.
//! - [`LockStrategy::None`]: no lock (dangerous: two concurrent runs may apply a revision
//!   twice; for a database nothing else can migrate).
//! - [`LockStrategy::Auto`]: probes the connection ([`Capabilities`]) and picks advisory or
//!   table ([`Capabilities::lock`]).

// SQLite alone: the server-side statements here are compiled out
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(unused_variables, unused_imports, dead_code)
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::AssertSqlSafe;

use crate::Error;
use crate::db::{Backend, Conn, Db, Reopen};
use crate::version_table::quoted;

/// How runners exclude each other (`--lock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockStrategy {
    /// The server's session lock (PostgreSQL advisory lock, MySQL `GET_LOCK`).
    #[default]
    Advisory,
    /// A lease row in `<version table>_lock`, renewed while the run lasts.
    Table,
    /// No lock at all (dangerous).
    None,
    /// Probe the connection and pick [`LockStrategy::Advisory`] or [`LockStrategy::Table`].
    Auto,
}

impl LockStrategy {
    /// The name used on the command line (`advisory`, `table`, `none`, `auto`).
    pub fn name(self) -> &'static str {
        match self {
            LockStrategy::Advisory => "advisory",
            LockStrategy::Table => "table",
            LockStrategy::None => "none",
            LockStrategy::Auto => "auto",
        }
    }
}

/// The warning `--lock none` prints.
pub const NONE_WARNING: &str = "--lock none: no migration lock is taken; a concurrent run on \
                                this database can apply a revision twice or interleave with \
                                this one";

/// The lease table of a version table: `<version table>_lock` (in the same schema when the
/// version table is qualified).
pub fn lock_table_name(version_table: &str) -> String {
    format!("{version_table}_lock")
}

/// The default lease length: a holder that stops renewing (crashed, cut off) loses the lock
/// this long after its last renewal.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// A holder id: host name, process id and a per-process counter with the start time, so two
/// runs never share one (only `[A-Za-z0-9._:-]`, so it can be written as a SQL literal).
fn holder_id() -> String {
    use std::sync::atomic::AtomicU32;
    static N: AtomicU32 = AtomicU32::new(0);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    let host: String = host
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(100)
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{host}:{}:{:x}-{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The statements of the lease table on `backend` (a server backend), the table name a
/// checked identifier and `holder` one of ours ([`holder_id`]), so both can be spliced in.
/// Every statement stands alone (no session state, simple query protocol): they work behind
/// a transaction-pooling proxy, where a prepared statement of one call may not exist on the
/// server session of the next.
struct Sql {
    create: String,
    seed: String,
    acquire: String,
    renew: String,
    release: String,
    describe: String,
}

fn statements(backend: Backend, table: &str, holder: &str, lease_secs: u64) -> Sql {
    let t = quoted(backend, table);
    match backend {
        Backend::MySql => Sql {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {t} (id INT NOT NULL PRIMARY KEY, holder VARCHAR(255) \
                 NOT NULL, acquired_at DATETIME(6) NOT NULL, renewed_at DATETIME(6) NOT NULL, \
                 lease_seconds INT NOT NULL)"
            ),
            seed: format!(
                "INSERT IGNORE INTO {t} (id, holder, acquired_at, renewed_at, lease_seconds) \
                 VALUES (1, '', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 0)"
            ),
            acquire: format!(
                "UPDATE {t} SET holder = '{holder}', acquired_at = UTC_TIMESTAMP(6), \
                 renewed_at = UTC_TIMESTAMP(6), lease_seconds = {lease_secs} WHERE id = 1 AND \
                 (holder = '' OR holder = '{holder}' OR \
                 renewed_at + INTERVAL lease_seconds SECOND < UTC_TIMESTAMP(6))"
            ),
            renew: format!(
                "UPDATE {t} SET renewed_at = UTC_TIMESTAMP(6) WHERE id = 1 AND holder = '{holder}'"
            ),
            release: format!("UPDATE {t} SET holder = '' WHERE id = 1 AND holder = '{holder}'"),
            describe: format!(
                "SELECT CONCAT(holder, '|', TIMESTAMPDIFF(SECOND, renewed_at, UTC_TIMESTAMP(6)), \
                 '|', TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), renewed_at + INTERVAL \
                 lease_seconds SECOND)) FROM {t} WHERE id = 1"
            ),
        },
        _ => Sql {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {t} (id INTEGER NOT NULL PRIMARY KEY, holder \
                 VARCHAR(255) NOT NULL, acquired_at TIMESTAMPTZ NOT NULL, renewed_at \
                 TIMESTAMPTZ NOT NULL, lease_seconds INTEGER NOT NULL)"
            ),
            seed: format!(
                "INSERT INTO {t} (id, holder, acquired_at, renewed_at, lease_seconds) \
                 VALUES (1, '', now(), now(), 0) ON CONFLICT (id) DO NOTHING"
            ),
            acquire: format!(
                "UPDATE {t} SET holder = '{holder}', acquired_at = now(), renewed_at = now(), \
                 lease_seconds = {lease_secs} WHERE id = 1 AND (holder = '' OR holder = \
                 '{holder}' OR renewed_at + lease_seconds * interval '1 second' < now())"
            ),
            renew: format!(
                "UPDATE {t} SET renewed_at = now() WHERE id = 1 AND holder = '{holder}'"
            ),
            release: format!("UPDATE {t} SET holder = '' WHERE id = 1 AND holder = '{holder}'"),
            describe: format!(
                "SELECT holder || '|' || floor(extract(epoch FROM now() - renewed_at))::bigint \
                 || '|' || floor(extract(epoch FROM renewed_at + lease_seconds * \
                 interval '1 second' - now()))::bigint FROM {t} WHERE id = 1"
            ),
        },
    }
}

/// Runs one statement (simple protocol); returns the rows it changed.
async fn exec(conn: &mut Conn, sql: &str) -> Result<u64, sqlx::Error> {
    match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected()),
        #[cfg(feature = "mysql")]
        Conn::MySql(c) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected()),
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(_) => Ok(0),
    }
}

/// Runs one query (simple protocol); returns the first column of its first row as text.
async fn text(conn: &mut Conn, sql: &str) -> Result<Option<String>, sqlx::Error> {
    use sqlx::Row as _;
    match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => {
            let rows = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .fetch_all(&mut **c)
                .await?;
            rows.first()
                .map(|r| r.try_get::<Option<String>, _>(0))
                .transpose()
                .map(Option::flatten)
        }
        #[cfg(feature = "mysql")]
        Conn::MySql(c) => {
            let rows = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .fetch_all(&mut **c)
                .await?;
            rows.first()
                .map(|r| {
                    r.try_get::<Option<String>, _>(0).or_else(|_| {
                        r.try_get::<Option<Vec<u8>>, _>(0)
                            .map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
                    })
                })
                .transpose()
                .map(Option::flatten)
        }
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(_) => Ok(None),
    }
}

fn is_undefined_table(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d)
        if d.code().is_some_and(|c| c == "42P01" || c == "1146" || c == "42S02"))
}

/// A lease held in the lock table, renewed by a background task until it is released or
/// dropped. Dropping it (a panic, a cancelled run, a dropped handle) tells the task to
/// release the lease and stop.
pub(crate) struct Lease {
    holder: String,
    table: String,
    lease: Duration,
    /// Set by the renewal task when the lease was found taken over (it had expired: this
    /// process stalled longer than the lease, or lost the server for that long).
    lost: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        // the task releases the lease and ends (if the runtime lives on; else it expires)
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Lease {
    /// Whether the lease was lost (taken over after it expired).
    pub(crate) fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// The holder id written in the table.
    pub(crate) fn holder(&self) -> &str {
        &self.holder
    }

    /// Releases the lease on `db`'s connection and stops the renewal task.
    pub(crate) async fn release(mut self, db: &mut Db) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        let sql = statements(db.backend(), &self.table, &self.holder, 0).release;
        if let Some(conn) = db.conn()
            && exec(conn, &sql).await.is_ok()
        {
            return;
        }
        // the main connection failed (a dropped server): try once on a new one
        if let Some(reopen) = db.reopen.clone()
            && let Ok(mut other) = reopen.open().await
        {
            if let Some(conn) = other.conn() {
                let _ = exec(conn, &sql).await;
            }
            // dropped, not closed: closing may release a lease, which is this function
            drop(other);
        }
    }
}

/// Takes the lease in `<version table>_lock` on `db` (PostgreSQL or MySQL), creating the
/// table when missing, waiting up to `timeout` for a holder to release it or for its lease to
/// expire. Starts the renewal task (on a second connection opened like `db`'s). Returns the
/// lease.
///
/// # Errors
/// [`Error::LockTimeout`] naming the holder, its last renewal and when its lease expires;
/// [`Error::Database`] when the table cannot be created or updated.
pub(crate) async fn acquire_table(
    db: &mut Db,
    version_table: &str,
    lease: Duration,
    timeout: Duration,
) -> Result<Lease, Error> {
    let table = lock_table_name(version_table);
    let holder = holder_id();
    let lease_secs = lease.as_secs().max(1);
    let sql = statements(db.backend(), &table, &holder, lease_secs);
    let started = Instant::now();
    let deadline = started + timeout;
    let failed = |source| Error::Database {
        context: format!("taking the migration lock in the lock table `{table}`"),
        source,
    };
    let mut created = false;
    loop {
        let conn = db.conn().expect("online");
        match exec(conn, &sql.acquire).await {
            Ok(1) => break,
            Ok(_) if !created => {
                // the table exists without its row (created by hand): seed it, and retry
                exec(conn, &sql.seed).await.map_err(failed)?;
                created = true;
                continue;
            }
            Ok(_) => {}
            Err(e) if is_undefined_table(&e) && !created => {
                // two runners may create it at once; PostgreSQL's CREATE TABLE IF NOT EXISTS
                // can then fail in the loser: it exists afterwards either way
                if let Err(e) = exec(conn, &sql.create).await {
                    let conn = db.conn().expect("online");
                    if exec(conn, &sql.seed).await.is_err() {
                        return Err(failed(e));
                    }
                }
                let conn = db.conn().expect("online");
                exec(conn, &sql.seed).await.map_err(failed)?;
                created = true;
                continue;
            }
            Err(e) => return Err(failed(e)),
        }
        if Instant::now() >= deadline {
            let conn = db.conn().expect("online");
            let holder = text(conn, &sql.describe).await.ok().flatten().map(|d| {
                let mut parts = d.split('|');
                let who = parts.next().unwrap_or_default().to_owned();
                let ago = parts.next().unwrap_or("?").to_owned();
                let left = parts.next().unwrap_or("?").to_owned();
                format!(
                    "the lock table `{table}` names holder `{who}`, which renewed its lease {ago} \
                     s ago and keeps it for {left} s more unless it renews it; a holder that \
                     crashed stops renewing and its lease expires on its own"
                )
            });
            return Err(Error::LockTimeout {
                waited_ms: started.elapsed().as_millis() as u64,
                holder,
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lost = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let task = db.reopen.clone().map(|reopen| {
        tokio::spawn(renew(
            reopen,
            db.backend(),
            table.clone(),
            holder.clone(),
            lease,
            lost.clone(),
            stop.clone(),
        ))
    });
    Ok(Lease {
        holder,
        table,
        lease,
        lost,
        stop,
        task,
    })
}

/// The renewal task: every third of the lease, on its own connection, moves `renewed_at` to
/// the server's now while the row still names `holder`. Ends when told to stop (then
/// releases the lease), or when the row names another holder (sets `lost`). A failed
/// renewal (the server unreachable) is retried at the next tick on a new connection.
async fn renew(
    reopen: Reopen,
    backend: Backend,
    table: String,
    holder: String,
    lease: Duration,
    lost: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let sql = statements(backend, &table, &holder, 0);
    let every = (lease / 3).max(Duration::from_millis(200));
    let mut last = Instant::now();
    let mut conn: Option<Db> = None;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stop.load(Ordering::SeqCst) {
            if conn.is_none() {
                conn = reopen.open().await.ok();
            }
            if let Some(mut c) = conn {
                if let Some(k) = c.conn() {
                    let _ = exec(k, &sql.release).await;
                }
                c.close().await;
            }
            return;
        }
        if last.elapsed() < every {
            continue;
        }
        if conn.is_none() {
            conn = reopen.open().await.ok();
        }
        let Some(c) = conn.as_mut().and_then(Db::conn) else {
            continue;
        };
        match exec(c, &sql.renew).await {
            Ok(1) => last = Instant::now(),
            Ok(_) => {
                lost.store(true, Ordering::SeqCst);
                if let Some(c) = conn {
                    c.close().await;
                }
                return;
            }
            Err(_) => conn = None,
        }
    }
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("holder", &self.holder)
            .field("table", &self.table)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

/// What the server behind a connection can do, as probed ([`crate::Db::probe_capabilities`]).
/// Drives `--lock auto` and how the runner records revisions on engines that scale out
/// (RELIABILITY.md, "Engines that scale out").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// The server's own description (`version()`, MySQL `VERSION()`), one line, e.g.
    /// `PostgreSQL 15.20 …`, `CockroachDB CCL v23.1 …`, `8.0.11-TiDB-v7.5.0`, `10.11.6-MariaDB`.
    pub engine: String,
    /// DDL inside a transaction rolls back with it. PostgreSQL: probed (a temporary table
    /// created in a transaction that is rolled back must be gone; YugabyteDB without DDL
    /// rollback fails this); CockroachDB: false (its schema changes in a transaction are not
    /// all rolled back; from its documentation, not run here); SQLite: true; MySQL and its
    /// kin: false.
    pub transactional_ddl: bool,
    /// The server's advisory locks can be used: PostgreSQL `pg_try_advisory_xact_lock(0)`
    /// runs (false where the function is missing, CockroachDB, or where this role may not
    /// execute it); MySQL `IS_FREE_LOCK` runs.
    pub advisory_locks: bool,
    /// Session state stays with this connection: a setting made on it is read back on it
    /// and is not seen from a second connection. False behind a transaction-pooling proxy
    /// (PgBouncer `pool_mode=transaction`), where a session lock does not hold. A heuristic:
    /// a pooler with many busy clients may hand out another session and pass. MySQL: not
    /// probed (true).
    pub session_sticky: bool,
}

impl Capabilities {
    /// The lock `--lock auto` picks with these capabilities, and why (one line).
    pub fn lock(&self) -> (LockStrategy, String) {
        if !self.advisory_locks {
            (
                LockStrategy::Table,
                "advisory locks cannot be used here (pg_try_advisory_xact_lock is missing or \
                 this role may not execute it)"
                    .to_owned(),
            )
        } else if !self.session_sticky {
            (
                LockStrategy::Table,
                "session state does not stay with this connection (a transaction-pooling proxy \
                 such as PgBouncer in transaction mode?), so a session advisory lock would not \
                 hold"
                    .to_owned(),
            )
        } else {
            (
                LockStrategy::Advisory,
                "advisory locks exist and the session stays with this connection".to_owned(),
            )
        }
    }
}

fn is_missing_or_forbidden(e: &sqlx::Error) -> bool {
    // undefined_function, feature_not_supported, insufficient_privilege; MySQL: 1305
    // (FUNCTION does not exist), 1370 (no EXECUTE), 1142 (command denied)
    matches!(e, sqlx::Error::Database(d)
        if d.code().is_some_and(|c| matches!(c.as_ref(),
            "42883" | "0A000" | "42501" | "1305" | "1370" | "1142")))
}

/// Probes `db`'s server ([`Capabilities`]). Leaves nothing behind: the temporary table of
/// the DDL probe is rolled back, the probe setting is reset.
///
/// # Errors
/// [`Error::Database`] when a probe statement fails for another reason than a missing
/// function or privilege.
pub(crate) async fn probe_capabilities(db: &mut Db) -> Result<Capabilities, Error> {
    let failed = |source| Error::Database {
        context: "probing what the server can do (--lock auto)".into(),
        source,
    };
    let backend = db.backend();
    let Some(conn) = db.conn() else {
        return Ok(Capabilities {
            engine: backend.to_string(),
            transactional_ddl: backend.transactional_ddl(),
            advisory_locks: false,
            session_sticky: true,
        });
    };
    match backend {
        Backend::Sqlite => Ok(Capabilities {
            engine: "SQLite".into(),
            transactional_ddl: true,
            advisory_locks: false,
            session_sticky: true,
        }),
        Backend::MySql => {
            let engine = text(conn, "SELECT VERSION()")
                .await
                .map_err(failed)?
                .unwrap_or_default();
            let advisory_locks =
                match exec(conn, "SELECT IS_FREE_LOCK('cargo-migrate-probe')").await {
                    Ok(_) => true,
                    Err(e) if is_missing_or_forbidden(&e) => false,
                    Err(e) => return Err(failed(e)),
                };
            Ok(Capabilities {
                engine,
                transactional_ddl: false,
                advisory_locks,
                session_sticky: true,
            })
        }
        Backend::Postgres => {
            let engine = text(conn, "SELECT version()")
                .await
                .map_err(failed)?
                .unwrap_or_default();
            let advisory_locks = match exec(conn, "SELECT pg_try_advisory_xact_lock(0)").await {
                Ok(_) => true,
                Err(e) if is_missing_or_forbidden(&e) => false,
                Err(e) => return Err(failed(e)),
            };
            let transactional_ddl = if engine.contains("CockroachDB") {
                false
            } else {
                // one script: the table exists inside the transaction, and not after it
                let gone = text(
                    conn,
                    "BEGIN; CREATE TEMPORARY TABLE cargo_migrate_ddl_probe (x INTEGER); \
                     ROLLBACK; SELECT CASE WHEN to_regclass('pg_temp.cargo_migrate_ddl_probe') \
                     IS NULL THEN 'yes' ELSE 'no' END",
                )
                .await;
                match gone {
                    Ok(v) => v.as_deref() == Some("yes"),
                    Err(e) => {
                        let _ = exec(conn, "ROLLBACK").await;
                        if !is_missing_or_forbidden(&e) {
                            return Err(failed(e));
                        }
                        // no right to create a temporary table: PostgreSQL's rule
                        true
                    }
                }
            };
            let session_sticky = session_sticky(db).await.map_err(failed)?;
            Ok(Capabilities {
                engine,
                transactional_ddl,
                advisory_locks,
                session_sticky,
            })
        }
    }
}

/// PostgreSQL: a session setting made on `db` is read back on it and not seen from a second
/// connection opened like it.
async fn session_sticky(db: &mut Db) -> Result<bool, sqlx::Error> {
    let token = holder_id();
    let conn = db.conn().expect("online");
    exec(
        conn,
        &format!("SELECT set_config('cargo_migrate.lock_probe', '{token}', false)"),
    )
    .await?;
    let mut seen_elsewhere = false;
    if let Some(reopen) = db.reopen.clone()
        && let Ok(mut other) = reopen.open().await
    {
        if let Some(c) = other.conn() {
            seen_elsewhere = text(
                c,
                "SELECT current_setting('cargo_migrate.lock_probe', true)",
            )
            .await
            .ok()
            .flatten()
            .is_some_and(|v| v == token);
        }
        other.close().await;
    }
    let conn = db.conn().expect("online");
    let kept = text(
        conn,
        "SELECT current_setting('cargo_migrate.lock_probe', true)",
    )
    .await?
    .is_some_and(|v| v == token);
    let _ = exec(
        conn,
        "SELECT set_config('cargo_migrate.lock_probe', '', false)",
    )
    .await;
    Ok(kept && !seen_elsewhere)
}

/// `--lock auto`: probes the server ([`crate::Db::probe_capabilities`]) and picks the lock
/// ([`Capabilities::lock`]): table where advisory locks cannot be used (missing, CockroachDB;
/// or not allowed to this role) or where session state does not follow the client (a
/// transaction-pooling proxy); advisory otherwise. MySQL: advisory when `GET_LOCK`'s family
/// runs.
///
/// # Errors
/// As [`crate::Db::probe_capabilities`].
pub(crate) async fn probe(db: &mut Db) -> Result<(LockStrategy, String), Error> {
    let c = db.probe_capabilities().await?;
    let (s, why) = c.lock();
    let engine = c
        .engine
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    Ok((
        s,
        format!(
            "{why} [{engine}: transactional DDL {}, advisory locks {}, session kept {}]",
            yes(c.transactional_ddl),
            yes(c.advisory_locks),
            yes(c.session_sticky)
        ),
    ))
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
