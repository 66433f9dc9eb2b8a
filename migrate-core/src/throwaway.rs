//! Throwaway databases on a PostgreSQL or MySQL server: a unique name, `CREATE DATABASE` /
//! `DROP DATABASE` on an admin connection, the URL of the new database. Shared by
//! `cargo migrate test` ([`crate::test_suite`]) and autogenerate's shadow database
//! ([`crate::schema::autogen::Shadow`]).

// SQLite alone: the server-side statements here are compiled out
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(unused_variables, unused_imports, dead_code)
)]

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection as _;

use crate::db::{Backend, redact_url};
use crate::error::Error;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database name unique to this process and call: `<prefix>_<pid>_<n>_<nanos>` (lower
/// case letters, digits and `_`, so it needs no quoting on any backend).
pub(crate) fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() % 1_000_000)
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `admin` with its path replaced by `/name`: the URL of database `name` on the same server,
/// with the same credentials and parameters.
///
/// # Errors
/// When `admin` is not a URL.
pub(crate) fn database_url(admin: &str, name: &str) -> Result<String, url::ParseError> {
    let mut url = url::Url::parse(admin)?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

/// `CREATE DATABASE name` on the server of `admin`.
///
/// # Errors
/// [`Error::Database`] (or [`Error::Connect`]-like database errors) as [`admin_exec`].
pub(crate) async fn create_database(
    backend: Backend,
    admin: &str,
    name: &str,
) -> Result<(), Error> {
    admin_exec(backend, admin, &format!("CREATE DATABASE {name}")).await
}

/// `DROP DATABASE IF EXISTS name` on the server of `admin` (PostgreSQL: `WITH (FORCE)`, so
/// a connection left open does not block it).
///
/// # Errors
/// As [`admin_exec`].
pub(crate) async fn drop_database(backend: Backend, admin: &str, name: &str) -> Result<(), Error> {
    let sql = match backend {
        Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS {name}"),
    };
    admin_exec(backend, admin, &sql).await
}

/// Runs one statement on a new connection to `admin` (`CREATE DATABASE`, `DROP DATABASE`).
///
/// # Errors
/// [`Error::Database`] naming the statement and the (redacted) URL when connecting or the
/// statement fails; [`Error::BackendNotCompiled`] for a backend not compiled in.
pub(crate) async fn admin_exec(backend: Backend, admin: &str, sql: &str) -> Result<(), Error> {
    let wrap = |source| Error::Database {
        context: format!("`{sql}` on the admin connection {}", redact_url(admin)),
        source,
    };
    let q = sqlx::AssertSqlSafe(sql.to_owned());
    match backend {
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(admin).await.map_err(wrap)?;
            sqlx::raw_sql(q).execute(&mut c).await.map_err(wrap)?;
            let _ = c.close().await;
        }
        #[cfg(feature = "mysql")]
        Backend::MySql => {
            let mut c = sqlx::MySqlConnection::connect(admin).await.map_err(wrap)?;
            sqlx::raw_sql(q).execute(&mut c).await.map_err(wrap)?;
            let _ = c.close().await;
        }
        Backend::Sqlite => {}
        #[allow(unreachable_patterns)]
        other => return Err(other.ensure_compiled().expect_err("not compiled in")),
    }
    Ok(())
}
