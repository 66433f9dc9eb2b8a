//! Reading a live database's schema into the normalised model ([`super::model`]): one file
//! per backend ([`sqlite`], [`postgres`], [`mysql`]), each a handful of catalogue queries
//! whose answers go through that backend's normalisation ([`super::normalise`]).
//!
//! Why our own catalogue queries and not sea-schema's discovery: sea-schema 0.18 builds with
//! our sqlx 0.9 and sea-query 1.0, but its discovery does not see what the stairway must
//! compare — see ARCHITECTURE.md, "Schema engine".
//!
//! What is read, per backend:
//!
//! | | SQLite | PostgreSQL (`current_schema()`) | MySQL / MariaDB (`DATABASE()`) |
//! |---|---|---|---|
//! | tables, columns | `sqlite_master`, `pragma_table_info` | `pg_class`, `pg_attribute`, `pg_attrdef` | `information_schema.columns` |
//! | primary key, uniques | `pragma_table_info.pk`, `pragma_index_list` (origin `u`) | `pg_constraint` | `information_schema.statistics` (`PRIMARY`, unique indexes) |
//! | indexes (partial, expression) | `pragma_index_list` + the `CREATE INDEX` text | `pg_index`, `pg_get_indexdef`, `indpred` | `information_schema.statistics` (`EXPRESSION` on MySQL 8) |
//! | checks | parsed from the `CREATE TABLE` text | `pg_constraint` | `information_schema.check_constraints` |
//! | foreign keys | `pragma_foreign_key_list` | `pg_constraint` | `information_schema.referential_constraints` + `key_column_usage` |
//! | views, triggers | `sqlite_master` | `pg_views`, `pg_trigger` | `information_schema.views`, `.triggers` |
//! | other | | enums, sequences (not owned by a column), functions, extensions | |
//!
//! The version table (and any table named in `exclude`) is left out.

use crate::db::{Connection, Db};
use crate::error::Error;

use super::model::Schema;

#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// Reads the schema of the database `db` is connected to, leaving out the tables named in
/// `exclude` (pass the version table's name). Runs inside `db`'s current transaction, if any.
///
/// # Errors
/// [`Error::OfflineRead`] for an offline handle; [`Error::Database`] when a catalogue query
/// fails.
pub async fn introspect(db: &mut Db, exclude: &[&str]) -> Result<Schema, Error> {
    let r = match db.connection().await? {
        #[cfg(feature = "sqlite")]
        Connection::Sqlite(c) => sqlite::schema(c, exclude).await,
        #[cfg(feature = "postgres")]
        Connection::Postgres(c) => postgres::schema(c, exclude).await,
        #[cfg(feature = "mysql")]
        Connection::MySql(c) => mysql::schema(c, exclude).await,
    };
    r.map_err(|source| Error::Database {
        context: "reading the schema from the catalogue".into(),
        source,
    })
}
