//! SQLite batch mode: changes ALTER TABLE cannot make (a column's type, nullability or
//! default, foreign keys, unique and check constraints, a column an index uses) done by
//! rebuilding the table, as SQLite's documentation describes for "other kinds of table
//! schema changes" (<https://www.sqlite.org/lang_altertable.html#otheralter>) and Alembic's
//! `batch_alter_table` does ("move and copy"). SQLite-only: the whole module can be gated
//! with one `cfg`.
//!
//! - [`plan`]: pure, the table's definition and the changes in, statements out (used online
//!   and by offline mode over the shadow database).
//! - this module: reading the definition from the live catalogue (`sqlite_master`,
//!   `pragma_table_xinfo`, `pragma_index_xinfo`, `pragma_foreign_key_list`), running the
//!   plan inside the revision's transaction, and the foreign-key check before commit.
//!
//! # The procedure and its pragmas
//! 1. `SAVEPOINT`, so a failed rebuild leaves nothing behind even outside a transaction.
//! 2. Foreign-key enforcement off, through `sqlite3_db_config(SQLITE_DBCONFIG_ENABLE_FKEY)`.
//!    `PRAGMA foreign_keys = OFF` is a no-op inside a transaction, and `PRAGMA
//!    defer_foreign_keys = ON` is not enough: it only defers violations, while `DROP TABLE`
//!    of a parent runs an implicit `DELETE` whose `ON DELETE CASCADE` / `SET NULL` actions
//!    still fire (measured: the children's rows were deleted, or their keys set to NULL). With
//!    enforcement on, `ALTER TABLE … RENAME` would also rewrite the children's `REFERENCES`.
//! 3. `PRAGMA legacy_alter_table = ON`, `ALTER TABLE t RENAME TO _migrate_old_t`, back `OFF`:
//!    with the legacy behaviour the rename touches nothing but the table and its own indexes
//!    and triggers. Without it, SQLite rewrites every view and trigger that names the table to
//!    the temporary name (and, with enforcement on, the children's foreign keys); and the
//!    other order (create the new table under a temporary name, drop the old one, rename)
//!    fails with `error in view v: no such table: main.t`, because a rename re-checks every
//!    view while the table is missing, and changes the table's text to a quoted name.
//! 4. `CREATE TABLE` with the original text, edited only where the changes say (collations,
//!    generated columns, `CHECK`s, `AUTOINCREMENT`, comments all kept), `INSERT … SELECT`
//!    with the `rowid`, the `sqlite_sequence` row carried over, `DROP TABLE` of the old one,
//!    its indexes and triggers created again from their stored text, each view that names
//!    the table compiled once (`SELECT * FROM v LIMIT 0`) so a view broken by the change fails
//!    the revision.
//! 5. Enforcement back as it was; `pragma_foreign_key_check` on the table and every table
//!    whose foreign keys reference it: any row is an [`Error::ForeignKeyViolation`] naming
//!    the table and row ids, and everything rolls back. `RELEASE`.

pub(crate) mod lex;
pub(crate) mod plan;

// The pure parts (`lex`, `plan`) are always compiled (batch mode's API and its PostgreSQL and
// MySQL paths use them); what reads and runs against SQLite needs the `sqlite` feature.
#[cfg(feature = "sqlite")]
use sqlx::AssertSqlSafe;

#[cfg(feature = "sqlite")]
use crate::db::{Conn, Db};
#[cfg(feature = "sqlite")]
use crate::error::Error;
#[cfg(feature = "sqlite")]
use crate::sqlite::SqliteConn;
pub(crate) use plan::{Change, Match};
#[cfg(feature = "sqlite")]
use plan::{IndexDef, TableDef};

#[cfg(feature = "sqlite")]
/// The most violations an [`Error::ForeignKeyViolation`] lists.
const MAX_VIOLATIONS: usize = 20;

#[cfg(feature = "sqlite")]
/// Reads what a rebuild of `table` needs from the live catalogue.
///
/// # Errors
/// [`Error::BatchRefused`] when there is no such table; [`Error::Database`] when a catalogue
/// query fails.
pub(crate) async fn read(c: &mut SqliteConn, table: &str) -> Result<TableDef, Error> {
    let db_err = |source| Error::Database {
        context: format!("reading the definition of table `{table}`"),
        source,
    };
    let master: Vec<(String, String, String, Option<String>)> =
        sqlx::query_as("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid")
            .fetch_all(&mut **c)
            .await
            .map_err(db_err)?;
    let same = |a: &str| a.eq_ignore_ascii_case(table);
    let Some((_, name, _, Some(sql))) = master
        .iter()
        .find(|(ty, name, _, _)| ty == "table" && same(name))
        .cloned()
    else {
        return Err(Error::BatchRefused {
            table: table.to_owned(),
            operation: "rebuild".into(),
            reason: "there is no such table".into(),
        });
    };
    let columns: Vec<(String, i64)> =
        sqlx::query_as("SELECT name, hidden FROM pragma_table_xinfo(?1)")
            .bind(&name)
            .fetch_all(&mut **c)
            .await
            .map_err(db_err)?;
    let mut indexes = Vec::new();
    for (_, ix, _, sql) in master
        .iter()
        .filter(|(ty, _, tbl, sql)| ty == "index" && same(tbl) && sql.is_some())
    {
        let cols: Vec<(Option<String>,)> =
            sqlx::query_as("SELECT name FROM pragma_index_xinfo(?1) WHERE key = 1")
                .bind(ix)
                .fetch_all(&mut **c)
                .await
                .map_err(db_err)?;
        indexes.push(IndexDef {
            name: ix.clone(),
            sql: sql.clone().unwrap_or_default(),
            columns: cols.into_iter().map(|(c,)| c).collect(),
        });
    }
    let triggers = master
        .iter()
        .filter(|(ty, _, tbl, sql)| ty == "trigger" && same(tbl) && sql.is_some())
        .map(|(_, n, _, sql)| (n.clone(), sql.clone().unwrap_or_default()))
        .collect();
    let views = master
        .iter()
        .filter(|(ty, _, _, sql)| {
            ty == "view"
                && sql.as_deref().is_some_and(|sql| {
                    lex::tokens(sql).iter().any(|t| {
                        matches!(t.kind, lex::Kind::Word | lex::Kind::Quoted) && same(&t.name(sql))
                    })
                })
        })
        .map(|(_, n, _, _)| n.clone())
        .collect();
    let children: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND f.\"table\" = ?1 COLLATE NOCASE",
    )
    .bind(&name)
    .fetch_all(&mut **c)
    .await
    .map_err(db_err)?;
    Ok(TableDef {
        name,
        sql,
        columns,
        indexes,
        triggers,
        views,
        children: children.into_iter().map(|(c,)| c).collect(),
    })
}

/// The savepoint a rebuild runs in.
const SAVEPOINT: &str = "_migrate_batch";

#[cfg(feature = "sqlite")]
/// Rebuilds `table` with `changes` on a SQLite [`Db`]: online on the live connection, offline
/// from the shadow database (the statements go to the script, with a foreign-key check a
/// script can carry).
///
/// # Errors
/// [`Error::BatchRefused`] when the change cannot be made even by a rebuild;
/// [`Error::ForeignKeyViolation`] when the rebuilt table breaks a foreign key (everything is
/// rolled back); [`Error::Database`] when a statement fails (a `NOT NULL` column with NULLs,
/// a view that used a dropped column: SQLite's message names it).
pub(crate) async fn rebuild(db: &mut Db, table: &str, changes: &[Change]) -> Result<(), Error> {
    db.flush_deferred().await?;
    let def = read(db.definition_source(table).await?, table).await?;
    let rebuild = plan::plan(&def, changes).map_err(|r| Error::BatchRefused {
        table: def.name.clone(),
        operation: r.operation,
        reason: r.reason,
    })?;
    if db.is_offline() {
        db.sql(&format!(
            "-- batch mode: rebuild of table {} (run with foreign-key enforcement off: the \
             sqlite3 shell's default)",
            def.name
        ))
        .await?;
        let views: Vec<String> = rebuild.views.iter().map(|v| plan::view_check(v)).collect();
        for s in rebuild
            .statements
            .iter()
            .chain(&views)
            .chain(&plan::offline_fk_check(&rebuild.check_tables))
        {
            db.sql(s).await?;
        }
        return Ok(());
    }
    db.sql(&format!("SAVEPOINT {SAVEPOINT}")).await?;
    let was_on = match db.conn() {
        Some(Conn::Sqlite(c)) => {
            c.set_foreign_keys(false)
                .await
                .map_err(|source| Error::Database {
                    context: "switching foreign-key enforcement off".into(),
                    source,
                })?
        }
        _ => false,
    };
    let mut r = run(db, &rebuild.statements).await;
    if let Some(Conn::Sqlite(c)) = db.conn() {
        // back as it was whatever happened (the connection outlives this revision)
        let back = c.set_foreign_keys(was_on).await;
        if r.is_ok() {
            r = back.map(drop).map_err(|source| Error::Database {
                context: "switching foreign-key enforcement back on".into(),
                source,
            });
        }
    }
    for v in &rebuild.views {
        if r.is_ok() {
            r = db
                .sql(&plan::view_check(v))
                .await
                .map_err(|e| Error::BatchRefused {
                    table: def.name.clone(),
                    operation: "rebuild".into(),
                    reason: format!(
                        "view `{v}` no longer works on the rebuilt table ({}); drop or change the \
                     view first",
                        match &e {
                            Error::Database { source, .. } => source.to_string(),
                            e => e.to_string(),
                        }
                    ),
                });
        }
    }
    if r.is_ok() {
        r = check_foreign_keys(db, &def.name, &rebuild.check_tables).await;
    }
    match r {
        Ok(()) => db.sql(&format!("RELEASE {SAVEPOINT}")).await,
        Err(e) => {
            // the failing statement stays the one the error reports
            let failed = db.last_statement.take();
            let _ = db
                .sql(&format!("ROLLBACK TO {SAVEPOINT}; RELEASE {SAVEPOINT}"))
                .await;
            db.last_statement = failed;
            Err(e)
        }
    }
}

#[cfg(feature = "sqlite")]
async fn run(db: &mut Db, statements: &[String]) -> Result<(), Error> {
    for s in statements {
        db.sql(s).await?;
    }
    Ok(())
}

#[cfg(feature = "sqlite")]
/// `pragma_foreign_key_check` on `tables`: any row fails the rebuild of `table`.
async fn check_foreign_keys(db: &mut Db, table: &str, tables: &[String]) -> Result<(), Error> {
    let Some(Conn::Sqlite(c)) = db.conn() else {
        return Ok(());
    };
    let mut violations = Vec::new();
    let mut total = 0usize;
    for t in tables {
        let rows: Vec<(String, Option<i64>, String)> = sqlx::query_as(AssertSqlSafe(
            "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check(?1)",
        ))
        .bind(t)
        .fetch_all(&mut **c)
        .await
        .map_err(|source| Error::Database {
            context: format!("checking the foreign keys of table `{t}`"),
            source,
        })?;
        total += rows.len();
        violations.extend(
            rows.into_iter()
                .take(MAX_VIOLATIONS - violations.len().min(MAX_VIOLATIONS)),
        );
    }
    if total == 0 {
        return Ok(());
    }
    Err(Error::ForeignKeyViolation {
        table: table.to_owned(),
        total,
        violations: violations
            .into_iter()
            .map(|(t, rowid, parent)| {
                format!(
                    "{t} row {} → {parent}",
                    rowid.map_or_else(|| "(without rowid)".to_owned(), |r| r.to_string())
                )
            })
            .collect(),
    })
}

#[cfg(feature = "sqlite")]
/// Offline mode's shadow database (SQLite): an in-memory database the statements of the
/// script are replayed in, so a rebuild rendered offline reads the table's definition as it
/// is at that revision, without a live database (Alembic needs a hand-written `copy_from`
/// table there). Statements are kept until a rebuild needs the shadow and replayed then, so
/// offline mode without batch operations stays synchronous and opens nothing. Foreign-key
/// enforcement is off, as in the `sqlite3` shell that runs the script.
#[derive(Default)]
pub(crate) struct Shadow {
    conn: Option<SqliteConn>,
    /// Statements not replayed yet.
    pending: Vec<String>,
    /// The first statement the shadow could not run, and SQLite's message: from there on the
    /// shadow no longer matches the script.
    failed: Option<String>,
}

#[cfg(feature = "sqlite")]
impl Shadow {
    /// Keeps `sql` for the shadow (replayed when a rebuild reads from it).
    pub(crate) fn replay(&mut self, sql: &str) {
        if self.failed.is_none() {
            self.pending.push(sql.to_owned());
        }
    }

    /// The shadow's connection with every statement so far replayed, to read a definition
    /// from.
    ///
    /// # Errors
    /// [`Error::BatchRefused`] when a statement of the script could not be replayed, or the
    /// in-memory database could not be opened.
    pub(crate) async fn conn(&mut self, table: &str) -> Result<&mut SqliteConn, Error> {
        if self.failed.is_none() {
            self.catch_up().await;
        }
        if let Some(failed) = &self.failed {
            return Err(Error::BatchRefused {
                table: table.to_owned(),
                operation: "render the rebuild offline".into(),
                reason: format!(
                    "the shadow database (the script replayed in memory, where the table's \
                     definition is read) could not run {failed}"
                ),
            });
        }
        Ok(self.conn.as_mut().expect("connected by catch_up"))
    }

    async fn catch_up(&mut self) {
        if self.conn.is_none() {
            use sqlx::ConnectOptions as _;
            let opened = match "sqlite::memory:".parse::<sqlx::sqlite::SqliteConnectOptions>() {
                Ok(o) => o.foreign_keys(false).connect().await,
                Err(e) => Err(e),
            };
            match opened {
                Ok(c) => self.conn = Some(SqliteConn::new(crate::db::Handle::Owned(c))),
                Err(e) => {
                    self.failed = Some(format!("opening the shadow database: {e}"));
                    return;
                }
            }
        }
        let c = self.conn.as_mut().expect("connected above");
        for sql in std::mem::take(&mut self.pending) {
            if let Err(e) = c.exec(&sql).await {
                self.failed = Some(format!("`{}`: {e}", crate::error::one_line(&sql)));
                return;
            }
        }
    }
}
