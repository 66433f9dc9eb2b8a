//! Raw SQL with bound values, portable across the backends: `?` placeholders everywhere,
//! rewritten to PostgreSQL's `$1`, `$2`, … there.

use sea_query::token::{Token, Tokenizer};
use sea_query::{Value, Values};
use sea_query_sqlx::SqlxValues;
use sqlx::AssertSqlSafe;

use crate::db::{Backend, Conn, Db, on_conn, with_builder};
use crate::error::Error;

/// `sql` with each `?` outside quoted strings and comments as `backend` writes a placeholder
/// (`$1`, `$2`, … on PostgreSQL; `?` elsewhere), and `??` as a literal `?` on PostgreSQL (its
/// JSON operators). Returns the SQL and the number of placeholders. Tokenized with
/// sea-query's tokenizer, as its `Expr::cust_with_values` is.
pub(crate) fn rewrite_placeholders(sql: &str, backend: Backend) -> (String, usize) {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut tokens = Tokenizer::new(sql).iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            Token::Punctuation("?") if backend == Backend::Postgres => {
                if matches!(tokens.peek(), Some(Token::Punctuation("?"))) {
                    tokens.next();
                    out.push('?');
                } else {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
            }
            Token::Punctuation("?") => {
                n += 1;
                out.push('?');
            }
            t => out.push_str(t.as_str()),
        }
    }
    (out, n)
}

impl Db {
    /// Runs one raw SQL statement with bound values: `?` marks each value on every backend
    /// (rewritten to `$1`, `$2`, … on PostgreSQL, where `??` is a literal `?`), in the
    /// revision's transaction. Returns the number of rows affected (0 offline). Offline
    /// (`--sql`) the statement is rendered with the values inlined as SQL literals.
    ///
    /// ```rust,ignore
    /// db.execute_sql(
    ///     "INSERT INTO roles (id, name) VALUES (?, ?)",
    ///     [1.into(), "admin".into()],
    /// )
    /// .await?;
    /// ```
    ///
    /// # Errors
    /// [`Error::BoundValues`] when the number of `?` differs from the number of values
    /// (nothing runs); [`Error::Database`] when the database rejects the statement.
    pub async fn execute_sql<I, V>(&mut self, sql: &str, values: I) -> Result<u64, Error>
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        let values: Vec<Value> = values.into_iter().map(Into::into).collect();
        let backend = self.backend();
        let (sql, placeholders) = rewrite_placeholders(sql, backend);
        if placeholders != values.len() {
            return Err(Error::BoundValues {
                placeholders,
                values: values.len(),
            });
        }
        if self.is_offline() {
            let rendered =
                with_builder!(backend, b => sea_query::inject_parameters(&sql, &values, &b));
            self.sql(&rendered).await?;
            return Ok(0);
        }
        self.flush_deferred().await?;
        self.last_statement = Some(sql.clone());
        tracing::debug!(statement = sql.as_str(), "executing bound sql");
        let conn = self.conn().expect("online: checked above");
        let r = on_conn!(conn, c => {
            sqlx::query_with(AssertSqlSafe(sql), SqlxValues(Values(values)))
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected())
        });
        self.last_call_atomic = true;
        self.calls_ok += u32::from(r.is_ok());
        r.map_err(|source| Error::Database {
            context: "executing a statement".into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        let r = |s, b| rewrite_placeholders(s, b);
        assert_eq!(
            r(
                "UPDATE t SET a = ? WHERE b = ? AND c = '?'",
                Backend::Postgres
            ),
            ("UPDATE t SET a = $1 WHERE b = $2 AND c = '?'".to_owned(), 2)
        );
        assert_eq!(
            r("SELECT data ?? 'k' FROM t WHERE id = ?", Backend::Postgres),
            ("SELECT data ? 'k' FROM t WHERE id = $1".to_owned(), 1)
        );
        assert_eq!(
            r("INSERT INTO t VALUES (?, ?) -- ?", Backend::Sqlite).1,
            2,
            "a comment holds no placeholder"
        );
        assert_eq!(
            r("INSERT INTO t VALUES (?, \"?\")", Backend::MySql),
            ("INSERT INTO t VALUES (?, \"?\")".to_owned(), 1)
        );
    }
}
