//! Conditional operations: whether a table, a column or an index exists, asked of the
//! database's catalogue inside the revision's transaction, so a revision can create only
//! what is missing (`if !db.has_table("users").await? { … }`).
//!
//! Where each answer comes from:
//!
//! | | SQLite | PostgreSQL | MySQL / MariaDB |
//! |---|---|---|---|
//! | table | `sqlite_master` (`type = 'table'`) | `information_schema.tables`, schema `current_schema()` | `information_schema.tables`, schema `DATABASE()` |
//! | column | `pragma_table_info(table)` | `information_schema.columns` | `information_schema.columns` |
//! | index | `sqlite_master` (`type = 'index'`) | `pg_indexes` | `information_schema.statistics` |
//!
//! Names are compared as the catalogue stores them: unquoted PostgreSQL identifiers are
//! stored in lower case, MySQL's table names follow `lower_case_table_names`.

use sqlx::AssertSqlSafe;

use crate::db::{Backend, Conn, Db, on_conn};
use crate::error::Error;

/// One catalogue question per backend: `(sqlite, postgres, mysql)` SQL, each with the same
/// parameters in the same order.
struct Question {
    operation: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    mysql: &'static str,
}

const TABLE: Question = Question {
    operation: "has_table",
    sqlite: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
    postgres: "SELECT 1 FROM information_schema.tables \
               WHERE table_schema = current_schema() AND table_name = $1",
    mysql: "SELECT 1 FROM information_schema.tables \
            WHERE table_schema = DATABASE() AND table_name = ?",
};

const COLUMN: Question = Question {
    operation: "has_column",
    sqlite: "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
    postgres: "SELECT 1 FROM information_schema.columns \
               WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
    mysql: "SELECT 1 FROM information_schema.columns \
            WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?",
};

const INDEX: Question = Question {
    operation: "has_index",
    sqlite: "SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND name = ?2",
    postgres: "SELECT 1 FROM pg_indexes \
               WHERE schemaname = current_schema() AND tablename = $1 AND indexname = $2",
    mysql: "SELECT 1 FROM information_schema.statistics \
            WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ? LIMIT 1",
};

impl Db {
    /// Whether the table `table` exists (in the current schema on PostgreSQL, the current
    /// database on MySQL). Reads the catalogue inside the revision's transaction.
    ///
    /// # Errors
    /// [`Error::OfflineRead`] in offline mode (`--sql`), naming the revision: a script cannot
    /// ask the database, so write revisions that render as SQL without conditions.
    /// [`Error::Database`] when the catalogue query fails.
    pub async fn has_table(&mut self, table: &str) -> Result<bool, Error> {
        self.ask(&TABLE, &[table]).await
    }

    /// Whether the table `table` has a column `column` (`false` when the table is missing).
    ///
    /// # Errors
    /// As [`Db::has_table`].
    pub async fn has_column(&mut self, table: &str, column: &str) -> Result<bool, Error> {
        self.ask(&COLUMN, &[table, column]).await
    }

    /// Whether the table `table` has an index named `index` (a primary key or unique
    /// constraint's index counts where the database lists it as one: PostgreSQL's
    /// `pg_indexes`, MySQL's `PRIMARY`).
    ///
    /// # Errors
    /// As [`Db::has_table`].
    pub async fn has_index(&mut self, table: &str, index: &str) -> Result<bool, Error> {
        self.ask(&INDEX, &[table, index]).await
    }

    async fn ask(&mut self, q: &Question, params: &[&str]) -> Result<bool, Error> {
        if self.is_offline() {
            return Err(Error::OfflineRead {
                revision: self.revision.into(),
                operation: q.operation,
            });
        }
        self.flush_deferred().await?;
        let sql = match self.backend() {
            Backend::Sqlite => q.sqlite,
            Backend::Postgres => q.postgres,
            Backend::MySql => q.mysql,
        };
        self.last_statement = Some(sql.to_owned());
        tracing::debug!(statement = sql, "reading the catalogue");
        let conn: &mut Conn = self.conn().expect("online: checked above");
        let r = on_conn!(conn, c => {
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for p in params {
                query = query.bind(*p);
            }
            query.fetch_optional(&mut **c).await.map(|row| row.is_some())
        });
        r.map_err(|source| Error::Database {
            context: format!("checking the catalogue ({})", q.operation),
            source,
        })
    }
}
