//! The version table: which revisions are applied to a database.
//!
//! Schema (default name `migrate_version`, configurable with `--version-table` /
//! [`crate::runner::Options::version_table`]):
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `revision` | `VARCHAR(32)` primary key | an applied revision's id |
//! | `checksum` | `VARCHAR(64)` | hex SHA-256 of the revision's code when it was applied (`''` when stamped) |
//! | `state` | `VARCHAR(16)` | `applied`, `stamped` (recorded by `stamp`, nothing ran) or `pending` (started outside a transaction and not finished: see [`crate::Error::Dirty`]) |
//! | `applied_at` | `VARCHAR(32)` | UTC time it was recorded, `YYYY-MM-DD HH:MM:SS.mmm` |
//! | `execution_ms` | `BIGINT` | how long its `upgrade` took, in milliseconds |
//! | `checksum_format` | `BIGINT` | which canonical token walk computed `checksum` ([`CHECKSUM_FORMAT`]); added with default 1 to tables written before it existed, by the first command that writes |
//!
//! Unlike Alembic's `alembic_version`, which keeps only the current heads, the table keeps
//! one row per applied revision (the set is closed under ancestors), so that each applied
//! revision's checksum can be verified. The current heads are the applied revisions with no
//! applied child.

use sea_query::{Alias, ColumnDef, Expr, ExprTrait, Query, Table};
use sqlx::{AssertSqlSafe, Row};

use crate::Error;
use crate::db::{Backend, Conn, Db, with_builder};

/// The default version table name.
pub const DEFAULT_VERSION_TABLE: &str = "migrate_version";

/// What a version-table row records about its revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowState {
    /// The revision's `upgrade` ran and committed.
    Applied,
    /// Recorded by `stamp`: marked as applied without running anything.
    Stamped,
    /// Started outside a transaction (MySQL DDL, `transactional = false`) and not known to
    /// have finished.
    Pending,
}

impl RowState {
    /// The text stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Applied => "applied",
            RowState::Stamped => "stamped",
            RowState::Pending => "pending",
        }
    }

    /// Parses the `state` column; `None` for a state this version does not know (a table
    /// written by a newer cargo-migrate, or edited by hand).
    pub fn parse(s: &str) -> Option<RowState> {
        match s {
            "applied" => Some(RowState::Applied),
            "stamped" => Some(RowState::Stamped),
            "pending" => Some(RowState::Pending),
            _ => None,
        }
    }
}

/// One row of the version table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    /// The revision id.
    pub revision: String,
    /// Checksum of the revision's code when applied (`""` when stamped).
    pub checksum: String,
    /// Applied, stamped or pending.
    pub state: RowState,
    /// UTC time recorded, `YYYY-MM-DD HH:MM:SS.mmm`.
    pub applied_at: String,
    /// Duration of the revision's `upgrade`, in milliseconds.
    pub execution_ms: i64,
    /// The format of `checksum` ([`CHECKSUM_FORMAT`] for rows this version writes; 1 for rows
    /// of a table written before the column existed).
    pub checksum_format: i32,
}

/// The checksum format this version writes: which canonical token walk produced the
/// `checksum` column (see `migrate-macros/src/checksum.rs`). Stored per row in
/// `checksum_format`; a row written with another format is not compared with the code (its
/// checksum cannot be recomputed) until `repair` records the current one.
pub const CHECKSUM_FORMAT: i32 = 1;

/// Checks a version-table name: a table name, optionally qualified by a schema
/// (`schema.table`; on MySQL the schema is a database, on SQLite an attached database such as
/// `main`). Each part is 1 to 63 characters of ASCII letters, digits, `_` and `-`, starting
/// with a letter or `_`. Letter case is kept: every statement quotes each part
/// (`"Schema"."My-Versions"`, on MySQL with backticks), so `MyVersions` is created and found
/// as `MyVersions`.
///
/// # Errors
/// A message saying what is wrong.
pub fn validate_table_name(name: &str) -> Result<(), String> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 63
            && p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() <= 2 && parts.iter().all(|p| part_ok(p)) {
        Ok(())
    } else {
        Err(format!(
            "bad version table name `{}`: use letters, digits and `_` or `-`, starting with a \
             letter or `_` (at most 63), optionally qualified by a schema as `schema.table`",
            crate::error::echo(name)
        ))
    }
}

/// A checked version-table name split into its optional schema and its table.
fn split(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((schema, table)) => (Some(schema), table),
        None => (None, name),
    }
}

/// The version table's name quoted for `backend`: each part of a checked name in the
/// backend's identifier quotes (`"s"."t"`, MySQL `` `s`.`t` ``), so letter case is kept.
pub fn quoted(backend: Backend, name: &str) -> String {
    let q = |part: &str| match backend {
        Backend::MySql => format!("`{part}`"),
        _ => format!("\"{part}\""),
    };
    match split(name) {
        (Some(schema), table) => format!("{}.{}", q(schema), q(table)),
        (None, table) => q(table),
    }
}

/// The version table as a sea-query table reference (schema-qualified when the name is).
fn table_ref(name: &str) -> sea_query::TableRef {
    use sea_query::{IntoIden, SchemaName, TableName};
    let (schema, table) = split(name);
    TableName(
        schema.map(|s| SchemaName(None, Alias::new(s).into_iden())),
        Alias::new(table).into_iden(),
    )
    .into()
}

/// The `CREATE TABLE IF NOT EXISTS` statement of the version table for `backend`.
pub fn create_statement(backend: Backend, table: &str) -> String {
    let stmt = Table::create()
        .table(table_ref(table))
        .if_not_exists()
        .col(
            ColumnDef::new("revision")
                .string_len(32)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new("checksum").string_len(64).not_null())
        .col(ColumnDef::new("state").string_len(16).not_null())
        .col(ColumnDef::new("applied_at").string_len(32).not_null())
        .col(ColumnDef::new("execution_ms").big_integer().not_null())
        .col(
            ColumnDef::new("checksum_format")
                .big_integer()
                .not_null()
                .default(1),
        )
        .to_owned();
    with_builder!(backend, b => stmt.to_string(b))
}

/// The `ALTER TABLE` that brings a version table written before the `checksum_format` column
/// existed up to date: its rows' checksums are all of format 1, the only one there was.
fn add_format_column_statement(backend: Backend, table: &str) -> String {
    format!(
        "ALTER TABLE {} ADD COLUMN checksum_format BIGINT NOT NULL DEFAULT 1",
        quoted(backend, table)
    )
}

/// SQLite only: a partial index over the `pending` rows. Every revision re-checks for a
/// `pending` row under the write lock (`Runner`'s SQLite gate); without the index that check
/// scans the whole table, so 1,000 revisions in one run would read ~500,000 rows. The index
/// holds only the rare `pending` rows, so it costs nothing on the writes.
pub fn pending_index_statement(table: &str) -> String {
    // SQLite: the index may be schema-qualified, its table may not (it is in that schema)
    let (schema, bare) = split(table);
    let index = match schema {
        Some(s) => format!("\"{s}\".\"{bare}_pending\""),
        None => format!("\"{bare}_pending\""),
    };
    format!("CREATE INDEX IF NOT EXISTS {index} ON \"{bare}\" (revision) WHERE state = 'pending'")
}

/// Creates the version table (and on SQLite its `pending` index) when it does not exist.
/// PostgreSQL outside a transaction: the `CREATE TABLE IF NOT EXISTS` and the check of its
/// columns go out as one simple-query batch (one round trip instead of two).
pub(crate) async fn create(db: &mut Db, table: &str) -> Result<(), Error> {
    let sql = create_statement(db.backend(), table);
    // a `BEGIN` waiting to go out with the next statement (`Db::sql`) goes the usual way
    let batched = cfg!(feature = "postgres")
        && db.backend() == Backend::Postgres
        && !db.is_offline()
        && db.deferred.is_none();
    let lacks = if batched {
        lacks_format_column(db, table, Some(&sql)).await?
    } else {
        db.sql(&sql)
            .await
            .map_err(|e| context(e, "creating the version table"))?;
        if db.backend() == Backend::Sqlite {
            // best effort: it only saves time. It fails on a table that is not ours (no
            // `revision` or `state` column), which reading the table then reports by name; a
            // failed `CREATE INDEX` outside a transaction changes nothing
            let _ = db.sql(&pending_index_statement(table)).await;
        }
        !db.is_offline() && lacks_format_column(db, table, None).await?
    };
    if lacks {
        let alter = add_format_column_statement(db.backend(), table);
        if let Err(e) = db.sql(&alter).await {
            // another process (SQLite has no migration lock) may have added it meanwhile
            if lacks_format_column(db, table, None).await? {
                return Err(context(
                    e,
                    "adding the checksum_format column to the version table",
                ));
            }
        }
    }
    Ok(())
}

/// Whether the existing table is a version table written before `checksum_format` existed:
/// it has `revision` and `state` but not `checksum_format`. Another tool's table under the
/// same name is left alone (reading it reports it). PostgreSQL: `create_first`, the table's
/// `CREATE TABLE IF NOT EXISTS`, runs first in the same batch (its failure is reported as
/// creating the version table).
async fn lacks_format_column(
    db: &mut Db,
    table: &str,
    create_first: Option<&str>,
) -> Result<bool, Error> {
    let Some(conn) = db.conn() else {
        return Ok(false);
    };
    #[cfg_attr(
        not(any(feature = "sqlite", feature = "mysql")),
        allow(unused_variables)
    )]
    let (schema, bare) = split(table);
    let names = "('revision', 'state', 'checksum_format')";
    let r = match conn {
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) => {
            sqlx::query_scalar::<_, String>(AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info(?, ?) WHERE name IN {names}"
            )))
            .bind(bare)
            .bind(schema.unwrap_or("main"))
            .fetch_all(&mut **c)
            .await
        }
        #[cfg(feature = "postgres")]
        // simple protocol (see `read_rows`)
        Conn::Postgres(c) => sqlx::raw_sql(AssertSqlSafe(format!(
            "{}SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass('{}') \
             AND NOT attisdropped AND attname IN {names}",
            create_first.map_or(String::new(), |s| format!("{s};\n")),
            quoted(Backend::Postgres, table)
        )))
        .fetch_all(&mut **c)
        .await
        .and_then(|rows| {
            rows.iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<Vec<String>, _>>()
        }),
        #[cfg(feature = "mysql")]
        Conn::MySql(c) => {
            sqlx::query_scalar::<_, String>(AssertSqlSafe(format!(
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
             WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? \
             AND column_name IN {names}"
            )))
            .bind(schema)
            .bind(bare)
            .fetch_all(&mut **c)
            .await
        }
    };
    let names = r.map_err(|source| Error::Database {
        context: if create_first.is_some() {
            "creating the version table"
        } else {
            "reading the version table's columns"
        }
        .into(),
        source,
    })?;
    let has = |n: &str| names.iter().any(|c| c.eq_ignore_ascii_case(n));
    Ok(has("revision") && has("state") && !has("checksum_format"))
}

fn context(e: Error, what: &str) -> Error {
    match e {
        Error::Database { source, .. } => Error::Database {
            context: what.into(),
            source,
        },
        other => other,
    }
}

/// Whether the version table exists.
pub(crate) async fn exists(db: &mut Db, table: &str) -> Result<bool, Error> {
    let Some(conn) = db.conn() else {
        return Ok(false);
    };
    #[cfg_attr(
        not(any(feature = "sqlite", feature = "mysql")),
        allow(unused_variables)
    )]
    let (schema, bare) = split(table);
    let r = match conn {
        // SQLite's names are case-insensitive: `MyVersions` is the table `myversions`
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) => {
            let master = match schema {
                Some(s) => format!("\"{s}\".sqlite_master"),
                None => "sqlite_master".to_owned(),
            };
            sqlx::query(AssertSqlSafe(format!(
                "SELECT 1 FROM {master} WHERE type = 'table' AND name = ? COLLATE NOCASE"
            )))
            .bind(bare)
            .fetch_optional(&mut **c)
            .await
            .map(|r| r.is_some())
        }
        // `to_regclass` parses its argument as SQL does: quoted, so letter case is kept
        #[cfg(feature = "postgres")]
        // simple protocol (see `read_rows`); the quoted name of a checked identifier has no `'`
        Conn::Postgres(c) => sqlx::raw_sql(AssertSqlSafe(format!(
            "SELECT to_regclass('{}')::text",
            quoted(Backend::Postgres, table)
        )))
        .fetch_all(&mut **c)
        .await
        .and_then(|rows| match rows.first() {
            Some(r) => r.try_get::<Option<String>, _>(0),
            None => Ok(None),
        })
        .map(|r| r.is_some()),
        #[cfg(feature = "mysql")]
        Conn::MySql(c) => sqlx::query(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) \
             AND table_name = ?",
        )
        .bind(schema)
        .bind(bare)
        .fetch_optional(&mut **c)
        .await
        .map(|r| r.is_some()),
    };
    r.map_err(|source| Error::Database {
        context: "looking for the version table".into(),
        source,
    })
}

/// `SELECT` of every column of the version table for `backend` (the table name quoted as
/// the backend quotes identifiers; it is a checked identifier), followed by `tail`.
pub(crate) fn select_sql(backend: Backend, table: &str, tail: &str) -> String {
    format!(
        "SELECT revision, checksum, state, applied_at, execution_ms FROM {}{tail}",
        quoted(backend, table)
    )
}

/// [`select_sql`] with the `checksum_format` column (last, so that a table of another tool
/// fails on `revision` first).
fn select_with_format_sql(backend: Backend, table: &str, tail: &str) -> String {
    format!(
        "SELECT revision, checksum, state, applied_at, execution_ms, checksum_format FROM {}{tail}",
        quoted(backend, table)
    )
}

/// Reads every row of the version table; empty when the table does not exist (offline:
/// always empty).
///
/// # Errors
/// [`Error::Database`] when looking for the table fails;
/// [`Error::UnreadableVersionTable`] when it exists but cannot be read (a table of that name
/// with other columns, or a row state written by a newer cargo-migrate).
pub async fn read(db: &mut Db, table: &str) -> Result<Vec<VersionRow>, Error> {
    if db.is_offline() || !exists(db, table).await? {
        return Ok(Vec::new());
    }
    let tail = " ORDER BY applied_at, revision";
    let sql = select_with_format_sql(db.backend(), table, tail);
    let conn = db.conn().expect("online");
    let mut rows = read_rows(conn, sql).await;
    if let Err(sqlx::Error::Database(e)) = &rows
        && e.message().contains("checksum_format")
    {
        // a table written before the column existed (it is added by the next command that
        // writes): every checksum in it is of format 1
        let sql = select_sql(db.backend(), table, tail);
        let conn = db.conn().expect("online");
        rows = read_rows(conn, sql).await;
    }
    rows.map_err(|source| match source {
        sqlx::Error::Decode(e) if e.to_string().starts_with("unknown state") => Error::UnreadableVersionTable {
            table: table.to_owned(),
            reason: format!("{e}: it was written by a newer version of cargo-migrate or edited by hand; upgrade cargo-migrate, or repair the table with `cargo migrate stamp <revision> --purge`"),
        },
        source => Error::UnreadableVersionTable {
            table: table.to_owned(),
            reason: format!("{source}; is it a table of another tool or of a newer cargo-migrate? pick another name with --version-table, or repair it with `cargo migrate stamp <revision> --purge`"),
        },
    })
}

/// Runs the version table's `SELECT` and decodes its rows. PostgreSQL: in the simple query
/// protocol (no prepared statement), as every statement the runner sends about the version
/// table there, so the runner works behind a transaction-pooling proxy (PgBouncer before
/// 1.21, `pool_mode=transaction`), where a statement prepared on one server session may be
/// missing, or already present, on the session of the next call.
async fn read_rows(conn: &mut Conn, sql: String) -> Result<Vec<VersionRow>, sqlx::Error> {
    match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_all(&mut **c)
            .await
            .and_then(|rows| rows.iter().map(decode).collect()),
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) => sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&mut **c)
            .await
            .and_then(|rows| rows.iter().map(decode).collect()),
        #[cfg(feature = "mysql")]
        Conn::MySql(c) => sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&mut **c)
            .await
            .and_then(|rows| rows.iter().map(decode).collect()),
    }
}

fn decode<R: Row>(row: &R) -> Result<VersionRow, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(VersionRow {
        revision: row.try_get(0)?,
        checksum: row.try_get(1)?,
        state: {
            let text: String = row.try_get(2)?;
            RowState::parse(&text)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown state `{text}`").into()))?
        },
        applied_at: row.try_get(3)?,
        execution_ms: row.try_get(4)?,
        checksum_format: if row.len() > 5 {
            row.try_get::<i64, _>(5)? as i32
        } else {
            1
        },
    })
}

/// The `INSERT` of a row, with its values inline (they are the runner's own: a checked id, a
/// hex checksum, a timestamp, a number), for batching with `COMMIT`.
pub(crate) fn insert_sql(backend: Backend, table: &str, row: &VersionRow) -> String {
    render(backend, &insert_statement(table, row))
}

/// The `DELETE` of a revision's row, values inline.
pub(crate) fn delete_sql(backend: Backend, table: &str, revision: &str) -> String {
    render(
        backend,
        &Query::delete()
            .from_table(table_ref(table))
            .and_where(Expr::col("revision").eq(revision))
            .to_owned(),
    )
}

fn render<S: sea_query::QueryStatementWriter>(backend: Backend, stmt: &S) -> String {
    with_builder!(backend, b => stmt.to_string(b))
}

fn insert_statement(table: &str, row: &VersionRow) -> sea_query::InsertStatement {
    Query::insert()
        .into_table(table_ref(table))
        .columns([
            "revision",
            "checksum",
            "state",
            "applied_at",
            "execution_ms",
            "checksum_format",
        ])
        .values_panic([
            row.revision.clone().into(),
            row.checksum.clone().into(),
            row.state.as_str().into(),
            row.applied_at.clone().into(),
            row.execution_ms.into(),
            i64::from(row.checksum_format).into(),
        ])
        .to_owned()
}

/// Inserts a row.
pub(crate) async fn insert(db: &mut Db, table: &str, row: &VersionRow) -> Result<(), Error> {
    let stmt = insert_statement(table, row);
    db.execute(&stmt)
        .await
        .map(|_| ())
        .map_err(|e| context(e, "recording the revision in the version table"))
}

/// Updates a row's state (and checksum and timing when finishing an upgrade).
pub(crate) async fn finish(
    db: &mut Db,
    table: &str,
    revision: &str,
    checksum: &str,
    execution_ms: i64,
) -> Result<(), Error> {
    let stmt = Query::update()
        .table(table_ref(table))
        .value("state", RowState::Applied.as_str())
        .value("checksum", checksum)
        .value("checksum_format", i64::from(CHECKSUM_FORMAT))
        .value("execution_ms", execution_ms)
        .and_where(Expr::col("revision").eq(revision))
        .to_owned();
    db.execute(&stmt)
        .await
        .map(|_| ())
        .map_err(|e| context(e, "recording the revision in the version table"))
}

/// Records `checksum` (of the current [`CHECKSUM_FORMAT`]) in a revision's row, leaving its
/// state and time (`repair`).
pub(crate) async fn set_checksum(
    db: &mut Db,
    table: &str,
    revision: &str,
    checksum: &str,
) -> Result<(), Error> {
    let stmt = Query::update()
        .table(table_ref(table))
        .value("checksum", checksum)
        .value("checksum_format", i64::from(CHECKSUM_FORMAT))
        .and_where(Expr::col("revision").eq(revision))
        .to_owned();
    db.execute(&stmt)
        .await
        .map(|_| ())
        .map_err(|e| context(e, "recording the checksum in the version table"))
}

/// Marks a row pending (before a non-transactional downgrade).
pub(crate) async fn mark_pending(db: &mut Db, table: &str, revision: &str) -> Result<(), Error> {
    set_state(db, table, revision, RowState::Pending).await
}

/// Sets a row's state.
pub(crate) async fn set_state(
    db: &mut Db,
    table: &str,
    revision: &str,
    state: RowState,
) -> Result<(), Error> {
    let stmt = Query::update()
        .table(table_ref(table))
        .value("state", state.as_str())
        .and_where(Expr::col("revision").eq(revision))
        .to_owned();
    db.execute(&stmt)
        .await
        .map(|_| ())
        .map_err(|e| context(e, "updating the version table"))
}

/// Deletes a revision's row.
pub(crate) async fn delete(db: &mut Db, table: &str, revision: &str) -> Result<(), Error> {
    let stmt = Query::delete()
        .from_table(table_ref(table))
        .and_where(Expr::col("revision").eq(revision))
        .to_owned();
    db.execute(&stmt)
        .await
        .map(|_| ())
        .map_err(|e| context(e, "removing the revision from the version table"))
}

/// Deletes every row.
pub(crate) async fn clear(db: &mut Db, table: &str) -> Result<(), Error> {
    let stmt = Query::delete().from_table(table_ref(table)).to_owned();
    db.execute(&stmt)
        .await
        .map(|_| ())
        .map_err(|e| context(e, "clearing the version table"))
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS.mmm` (what `applied_at` stores, and the
/// `Create Date` of new revision files).
pub fn utc_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format_utc(now.as_secs() as i64, now.subsec_millis())
}

/// Formats seconds since the Unix epoch (UTC) as `YYYY-MM-DD HH:MM:SS.mmm` (the civil date
/// from the `time` crate; seconds outside its range, years beyond ±9999, clamp to its ends).
pub fn format_utc(secs: i64, millis: u32) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(if secs < 0 {
        time::PrimitiveDateTime::MIN.assume_utc()
    } else {
        time::PrimitiveDateTime::MAX.assume_utc()
    });
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{millis:03}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(format_utc(0, 0), "1970-01-01 00:00:00.000");
        assert_eq!(format_utc(1_795_219_200, 5), "2026-11-21 00:00:00.005");
        assert_eq!(format_utc(951_782_400, 0), "2000-02-29 00:00:00.000");
        // independent values: `date -u -d @SECS '+%F %T'` (GNU coreutils)
        assert_eq!(format_utc(4_107_542_399, 999), "2100-02-28 23:59:59.999");
        assert_eq!(format_utc(-86_401, 0), "1969-12-30 23:59:59.000");
    }

    #[test]
    fn table_names() {
        assert!(validate_table_name("migrate_version").is_ok());
        assert!(validate_table_name("x; drop table y").is_err());
        assert!(validate_table_name("1abc").is_err());
    }
}
