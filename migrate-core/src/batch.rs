//! Batch mode: several changes to one table as one operation, as Alembic's
//! `batch_alter_table`. On SQLite the changes ALTER TABLE cannot make are done by one rebuild
//! of the table (`crate::sqlite_batch`); on PostgreSQL and MySQL each change is a plain
//! `ALTER TABLE`, so the same revision source runs unchanged on all three.

use std::panic::{AssertUnwindSafe, catch_unwind};

use sea_query::{
    Alias, ColumnDef, ForeignKeyCreateStatement, Index, PostgresQueryBuilder, SqliteQueryBuilder,
    Table,
};

use crate::db::{Backend, Db};
use crate::error::Error;
use crate::sqlite_batch::{Change, Match, lex};

/// One change of a [`BatchAlter`].
#[derive(Debug, Clone)]
enum Op {
    AddColumn(ColumnDef, Option<String>),
    DropColumn(String),
    AlterColumn(ColumnDef),
    RenameColumn(String, String),
    AddForeignKey(ForeignKeyCreateStatement),
    /// A foreign key as a SQLite table-constraint clause (from an `ALTER TABLE` statement).
    AddForeignKeyClause(String),
    DropConstraint(Match),
    DropForeignKey(String),
    AddUnique(Option<String>, Vec<String>),
    DropUnique(Match),
    AddCheck(Option<String>, String),
    DropIndex(String),
}

/// Changes to one table, applied together by [`Db::batch_alter_table`] (Alembic's
/// `batch_alter_table`):
///
/// ```no_run
/// # use migrate_core::prelude::*;
/// # use migrate_core::BatchAlter;
/// # async fn f(db: &mut Db) -> Result {
/// db.batch_alter_table(
///     BatchAlter::table("posts")
///         .alter_column(ColumnDef::new("views").big_integer().not_null().default(0).to_owned())
///         .drop_column("legacy")
///         .create_foreign_key(
///             ForeignKey::create().name("fk_posts_author").from("posts", "author_id")
///                 .to("users", "id").to_owned(),
///         ),
/// )
/// .await?;
/// # Ok(()) }
/// ```
///
/// On SQLite, renames run first as `ALTER TABLE … RENAME COLUMN` (SQLite updates the indexes,
/// triggers and views that use the column); additions at the end of the table run as `ALTER
/// TABLE … ADD COLUMN`; everything else is one rebuild of the table, which keeps every row
/// (with its `rowid` and the `AUTOINCREMENT` sequence), index, trigger, view and foreign key
/// pointing at the table, and the text of every part of its definition the batch does not
/// change. The rebuild checks foreign keys before it is done. On PostgreSQL and MySQL each
/// change is its own `ALTER TABLE` (or `CREATE`/`DROP INDEX`), in order.
#[derive(Debug, Clone)]
#[must_use = "a batch does nothing until given to Db::batch_alter_table"]
pub struct BatchAlter {
    table: String,
    ops: Vec<Op>,
}

impl BatchAlter {
    /// A batch of changes to `table` (none yet).
    pub fn table(table: impl Into<String>) -> BatchAlter {
        BatchAlter {
            table: table.into(),
            ops: Vec::new(),
        }
    }

    /// The table the batch changes.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    fn op(mut self, op: Op) -> Self {
        self.ops.push(op);
        self
    }

    /// Adds a column (after the last one).
    pub fn add_column(self, column: ColumnDef) -> Self {
        self.op(Op::AddColumn(column, None))
    }

    /// Adds a column right after `after` (Alembic's `insert_after`; SQLite only: on
    /// PostgreSQL and MySQL the column goes last).
    pub fn add_column_after(self, column: ColumnDef, after: impl Into<String>) -> Self {
        self.op(Op::AddColumn(column, Some(after.into())))
    }

    /// Drops a column (its values are lost). On SQLite, an index that uses the column must be
    /// dropped first ([`BatchAlter::drop_index`]); column constraints go with it.
    pub fn drop_column(self, column: impl Into<String>) -> Self {
        self.op(Op::DropColumn(column.into()))
    }

    /// Changes a column to `column`'s definition: type, nullability, default. On SQLite and
    /// MySQL the definition replaces the old one whole; on PostgreSQL what it states is
    /// changed (`TYPE`, `SET`/`DROP NOT NULL`, `SET DEFAULT`; give `.using(…)` for a cast
    /// PostgreSQL cannot make implicitly).
    pub fn alter_column(self, column: ColumnDef) -> Self {
        self.op(Op::AlterColumn(column))
    }

    /// Renames a column.
    pub fn rename_column(self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.op(Op::RenameColumn(from.into(), to.into()))
    }

    /// Adds a foreign key: `ForeignKey::create().name(…).from(table, cols).to(ref, cols)`.
    pub fn create_foreign_key(self, foreign_key: ForeignKeyCreateStatement) -> Self {
        self.op(Op::AddForeignKey(foreign_key))
    }

    /// Drops the constraint (foreign key, unique or check) named `name`.
    pub fn drop_constraint(self, name: impl Into<String>) -> Self {
        self.op(Op::DropConstraint(Match::Name(name.into())))
    }

    /// Drops the foreign key named `name` (MySQL: `DROP FOREIGN KEY`).
    pub fn drop_foreign_key(self, name: impl Into<String>) -> Self {
        self.op(Op::DropForeignKey(name.into()))
    }

    /// Drops the foreign key on `columns` that references `references`, named or not (SQLite
    /// only: on PostgreSQL and MySQL every constraint has a name; drop it by name).
    pub fn drop_foreign_key_matching<S: Into<String>>(
        self,
        columns: impl IntoIterator<Item = S>,
        references: impl Into<String>,
    ) -> Self {
        self.op(Op::DropConstraint(Match::ForeignKey {
            columns: columns.into_iter().map(Into::into).collect(),
            references: references.into(),
        }))
    }

    /// Adds a `UNIQUE` constraint on `columns`, named `name` (`None`: unnamed on SQLite, the
    /// server's name elsewhere).
    pub fn create_unique<S: Into<String>>(
        self,
        name: Option<&str>,
        columns: impl IntoIterator<Item = S>,
    ) -> Self {
        self.op(Op::AddUnique(
            name.map(str::to_owned),
            columns.into_iter().map(Into::into).collect(),
        ))
    }

    /// Drops the `UNIQUE` constraint named `name` (MySQL: its index).
    pub fn drop_unique(self, name: impl Into<String>) -> Self {
        self.op(Op::DropUnique(Match::Name(name.into())))
    }

    /// Drops the `UNIQUE` constraint on exactly `columns`, named or not (SQLite only).
    pub fn drop_unique_matching<S: Into<String>>(
        self,
        columns: impl IntoIterator<Item = S>,
    ) -> Self {
        self.op(Op::DropUnique(Match::Unique(
            columns.into_iter().map(Into::into).collect(),
        )))
    }

    /// Adds a `CHECK (expression)` constraint (raw SQL), named `name`.
    pub fn create_check(self, name: Option<&str>, expression: impl Into<String>) -> Self {
        self.op(Op::AddCheck(name.map(str::to_owned), expression.into()))
    }

    /// Drops the `CHECK` constraint whose expression is `expression` (compared token by token,
    /// case and quoting aside), named or not (SQLite only).
    pub fn drop_check_matching(self, expression: impl Into<String>) -> Self {
        self.op(Op::DropConstraint(Match::Check(expression.into())))
    }

    /// Drops an index of the table.
    pub fn drop_index(self, name: impl Into<String>) -> Self {
        self.op(Op::DropIndex(name.into()))
    }
}

/// Renders `f` for a builder, turning sea-query's panic into [`Error::Unsupported`].
fn render(backend: Backend, f: impl FnOnce() -> String) -> Result<String, Error> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| Error::Unsupported {
        backend: backend.name(),
        detail: panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "sea-query cannot render this statement".into()),
    })
}

/// A column definition as SQLite text (`"c" integer NOT NULL`), rendered by sea-query.
pub(crate) fn sqlite_column(column: &ColumnDef) -> Result<String, Error> {
    let sql = render(Backend::Sqlite, || {
        Table::create()
            .table(Alias::new("x"))
            .col(column.clone())
            .to_string(SqliteQueryBuilder)
    })?;
    Ok(inside_parens(&sql).to_owned())
}

/// The text between a statement's first `(` and its matching `)`, trimmed.
fn inside_parens(sql: &str) -> &str {
    let toks = lex::tokens(sql);
    let open = toks.iter().position(|t| t.is_punct(sql, "("));
    match open.and_then(|o| Some((o, lex::matching_paren(sql, &toks, o)?))) {
        Some((o, c)) => sql[toks[o].range.end..toks[c].range.start].trim(),
        None => "",
    }
}

/// A foreign key as a SQLite table constraint, from sea-query's PostgreSQL rendering
/// (`ALTER TABLE "t" ADD CONSTRAINT "n" FOREIGN KEY …`, whose clause SQLite takes as it is),
/// with the table it is on.
pub(crate) fn sqlite_foreign_key(
    fk: &ForeignKeyCreateStatement,
) -> Result<(String, String), Error> {
    let sql = render(Backend::Sqlite, || fk.to_string(PostgresQueryBuilder))?;
    let toks = lex::tokens(&sql);
    let add = toks.iter().position(|t| t.is(&sql, "ADD"));
    match (toks.get(2), add.and_then(|a| toks.get(a + 1))) {
        (Some(table), Some(first)) => Ok((table.name(&sql), sql[first.range.start..].to_owned())),
        _ => Err(Error::Unsupported {
            backend: "sqlite",
            detail: format!("cannot read the foreign key `{sql}`; give it a table with .from(…)"),
        }),
    }
}

/// SQLite's rebuild (`sqlite_batch::rebuild`); without the `sqlite` feature no [`Db`] is on
/// SQLite, and this says which feature is missing.
async fn rebuild(db: &mut Db, table: &str, changes: &[Change]) -> Result<(), Error> {
    #[cfg(feature = "sqlite")]
    {
        crate::sqlite_batch::rebuild(db, table, changes).await
    }
    #[cfg(not(feature = "sqlite"))]
    {
        let _ = (db, table, changes);
        Err(Backend::Sqlite
            .ensure_compiled()
            .expect_err("the sqlite feature is off"))
    }
}

fn quote_for(backend: Backend, name: &str) -> String {
    match backend {
        Backend::MySql => format!("`{}`", name.replace('`', "``")),
        _ => lex::quote(name),
    }
}

impl Db {
    /// Applies a [`BatchAlter`]: several changes to one table, on SQLite as one rebuild
    /// where `ALTER TABLE` cannot make them (see [`BatchAlter`]), elsewhere as plain `ALTER
    /// TABLE`s.
    ///
    /// # Errors
    /// - [`Error::BatchRefused`] naming the operation even a rebuild cannot do (an unknown
    ///   column or constraint, a column an index still uses), or a match-by-definition drop
    ///   on PostgreSQL or MySQL.
    /// - [`Error::ForeignKeyViolation`] (SQLite) when the rebuilt table breaks a foreign key,
    ///   naming the table and row ids; the rebuild is rolled back.
    /// - [`Error::Unsupported`] when sea-query cannot render a change for the backend.
    /// - [`Error::Database`] when a statement fails (SQLite: a column made `NOT NULL` that
    ///   holds NULLs, a view that used a dropped column).
    /// - [`Error::OfflineRead`] offline on SQLite when there is no shadow database.
    pub async fn batch_alter_table(&mut self, batch: BatchAlter) -> Result<(), Error> {
        match self.backend() {
            Backend::Sqlite => self.batch_sqlite(batch).await,
            backend => self.batch_server(backend, batch).await,
        }
    }

    /// `ALTER TABLE … ALTER COLUMN`: changes a column's type, nullability or default (see
    /// [`BatchAlter::alter_column`]); on SQLite by a rebuild of the table.
    ///
    /// # Errors
    /// As [`Db::batch_alter_table`].
    pub async fn alter_column(&mut self, table: &str, column: ColumnDef) -> Result<(), Error> {
        self.batch_alter_table(BatchAlter::table(table).alter_column(column))
            .await
    }

    /// SQLite: the batch in a savepoint, so that a refusal or a failure after the renames
    /// (which run first, as `ALTER TABLE`) leaves the table as it was even outside a
    /// revision's transaction.
    async fn batch_sqlite(&mut self, batch: BatchAlter) -> Result<(), Error> {
        if self.is_offline() {
            return self.batch_sqlite_steps(batch).await;
        }
        self.flush_deferred().await?;
        self.sql("SAVEPOINT _migrate_batch_all").await?;
        match self.batch_sqlite_steps(batch).await {
            Ok(()) => self.sql("RELEASE _migrate_batch_all").await,
            Err(e) => {
                let failed = self.last_statement.take();
                let _ = self
                    .sql("ROLLBACK TO _migrate_batch_all; RELEASE _migrate_batch_all")
                    .await;
                self.last_statement = failed;
                Err(e)
            }
        }
    }

    async fn batch_sqlite_steps(&mut self, batch: BatchAlter) -> Result<(), Error> {
        let table = batch.table.clone();
        let q = lex::quote;
        let mut changes = Vec::new();
        let mut native_adds = Vec::new();
        for op in batch.ops {
            match op {
                Op::RenameColumn(from, to) => {
                    self.sql(&format!(
                        "ALTER TABLE {} RENAME COLUMN {} TO {}",
                        q(&table),
                        q(&from),
                        q(&to)
                    ))
                    .await?;
                }
                Op::AddColumn(c, after) => {
                    let sql = sqlite_column(&c)?;
                    if after.is_none() {
                        native_adds.push(sql.clone());
                    }
                    changes.push(Change::AddColumn {
                        name: c.get_column_name(),
                        sql,
                        after,
                    });
                }
                Op::DropColumn(c) => changes.push(Change::DropColumn(c)),
                Op::AlterColumn(c) => changes.push(Change::AlterColumn {
                    name: c.get_column_name(),
                    sql: sqlite_column(&c)?,
                }),
                Op::AddForeignKey(fk) => {
                    changes.push(Change::AddConstraint(sqlite_foreign_key(&fk)?.1));
                }
                Op::AddForeignKeyClause(clause) => changes.push(Change::AddConstraint(clause)),
                Op::DropConstraint(m) | Op::DropUnique(m) => {
                    changes.push(Change::DropConstraint(m));
                }
                Op::DropForeignKey(n) => changes.push(Change::DropConstraint(Match::Name(n))),
                Op::AddUnique(name, cols) => changes.push(Change::AddConstraint(format!(
                    "{}UNIQUE ({})",
                    name.map(|n| format!("CONSTRAINT {} ", q(&n)))
                        .unwrap_or_default(),
                    cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
                ))),
                Op::AddCheck(name, expr) => changes.push(Change::AddConstraint(format!(
                    "{}CHECK ({expr})",
                    name.map(|n| format!("CONSTRAINT {} ", q(&n)))
                        .unwrap_or_default()
                ))),
                Op::DropIndex(n) => changes.push(Change::DropIndex(n)),
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        // nothing but columns added at the end: SQLite's ADD COLUMN does it without a copy
        // (it refuses a column it cannot add, e.g. NOT NULL without a default: then rebuild)
        if native_adds.len() == changes.len()
            && native_adds.iter().all(|c| {
                let t = lex::tokens(c);
                !t.iter().any(|t| {
                    ["PRIMARY", "UNIQUE", "NOT", "AS", "GENERATED"]
                        .iter()
                        .any(|k| t.is(c, k))
                })
            })
        {
            for c in native_adds {
                self.sql(&format!("ALTER TABLE {} ADD COLUMN {c}", q(&table)))
                    .await?;
            }
            return Ok(());
        }
        rebuild(self, &table, &changes).await
    }

    async fn batch_server(&mut self, backend: Backend, batch: BatchAlter) -> Result<(), Error> {
        let table = batch.table;
        // refused before anything runs (MySQL would keep what ran before the refusal)
        if let Some(m) = batch.ops.iter().find_map(|op| match op {
            Op::DropConstraint(m) | Op::DropUnique(m) if !matches!(m, Match::Name(_)) => Some(m),
            _ => None,
        }) {
            return Err(Error::BatchRefused {
                table,
                operation: format!("drop {m}"),
                reason: format!(
                    "{backend} names every constraint: drop it by name (drop_constraint)"
                ),
            });
        }
        let q = |n: &str| quote_for(backend, n);
        let t = Alias::new(table.as_str());
        for op in batch.ops {
            match op {
                Op::AddColumn(c, _) => {
                    self.schema(&Table::alter().table(t.clone()).add_column(c).to_owned())
                        .await?
                }
                Op::DropColumn(c) => {
                    self.schema(
                        &Table::alter()
                            .table(t.clone())
                            .drop_column(Alias::new(c))
                            .to_owned(),
                    )
                    .await?
                }
                Op::AlterColumn(c) => {
                    self.schema(&Table::alter().table(t.clone()).modify_column(c).to_owned())
                        .await?
                }
                Op::RenameColumn(a, b) => {
                    self.schema(
                        &Table::alter()
                            .table(t.clone())
                            .rename_column(Alias::new(a), Alias::new(b))
                            .to_owned(),
                    )
                    .await?
                }
                Op::AddForeignKey(fk) => self.schema(&fk).await?,
                Op::AddForeignKeyClause(clause) => {
                    self.sql(&format!("ALTER TABLE {} ADD {clause}", q(&table)))
                        .await?
                }
                Op::DropForeignKey(n) => {
                    self.schema(
                        &sea_query::ForeignKey::drop()
                            .name(n.as_str())
                            .table(t.clone())
                            .to_owned(),
                    )
                    .await?
                }
                Op::DropConstraint(Match::Name(n)) => {
                    self.sql(&format!(
                        "ALTER TABLE {} DROP CONSTRAINT {}",
                        q(&table),
                        q(&n)
                    ))
                    .await?
                }
                Op::DropUnique(Match::Name(n)) => match backend {
                    Backend::MySql => {
                        self.schema(&Index::drop().name(n.as_str()).table(t.clone()).to_owned())
                            .await?
                    }
                    _ => {
                        self.sql(&format!(
                            "ALTER TABLE {} DROP CONSTRAINT {}",
                            q(&table),
                            q(&n)
                        ))
                        .await?
                    }
                },
                Op::DropConstraint(_) | Op::DropUnique(_) => {
                    unreachable!("matching drops are refused above")
                }
                Op::AddUnique(name, cols) => {
                    self.sql(&format!(
                        "ALTER TABLE {} ADD {}UNIQUE ({})",
                        q(&table),
                        name.map(|n| format!("CONSTRAINT {} ", q(&n)))
                            .unwrap_or_default(),
                        cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
                    ))
                    .await?
                }
                Op::AddCheck(name, expr) => {
                    self.sql(&format!(
                        "ALTER TABLE {} ADD {}CHECK ({expr})",
                        q(&table),
                        name.map(|n| format!("CONSTRAINT {} ", q(&n)))
                            .unwrap_or_default()
                    ))
                    .await?
                }
                Op::DropIndex(n) => {
                    let mut drop = Index::drop().name(n.as_str()).to_owned();
                    if backend == Backend::MySql {
                        drop.table(t.clone());
                    }
                    self.schema(&drop).await?
                }
            }
        }
        Ok(())
    }
}

/// What an `ALTER TABLE` rendered by sea-query for PostgreSQL asks, as batch changes: the
/// table and each option. Options a rebuild cannot take from the statement (a column's new
/// definition is rendered with PostgreSQL's types) are refused naming the way out.
fn alter_options(sql: &str) -> Result<(String, Vec<Op>), Error> {
    let toks = lex::tokens(sql);
    let table = toks.get(2).map(|t| t.name(sql)).unwrap_or_default();
    let refuse = |operation: &str| Error::BatchRefused {
        table: table.clone(),
        operation: operation.to_owned(),
        reason: "an ALTER TABLE statement does not let the SQLite rebuild read the new \
                 column definition; use Db::alter_column(table, column) or \
                 Db::batch_alter_table(BatchAlter::table(table).…), which run unchanged on \
                 every backend"
            .into(),
    };
    let mut ops = Vec::new();
    let mut start = 3;
    let mut depth = 0usize;
    for i in 3..=toks.len() {
        let end = i == toks.len();
        if !end {
            let t = &toks[i];
            if t.is_punct(sql, "(") {
                depth += 1;
            } else if t.is_punct(sql, ")") {
                depth -= 1;
            }
            if !(t.is_punct(sql, ",") && depth == 0) {
                continue;
            }
        }
        let op = &toks[start..i];
        start = i + 1;
        let is = |n: usize, kw: &str| op.get(n).is_some_and(|t| t.is(sql, kw));
        let last = op.last().map(|t| t.name(sql)).unwrap_or_default();
        if is(0, "DROP") && is(1, "COLUMN") {
            ops.push(Op::DropColumn(last));
        } else if is(0, "DROP") && is(1, "CONSTRAINT") {
            ops.push(Op::DropConstraint(Match::Name(last)));
        } else if is(0, "RENAME") && is(1, "COLUMN") && op.len() == 5 {
            ops.push(Op::RenameColumn(op[2].name(sql), last));
        } else if is(0, "ADD") && (is(1, "CONSTRAINT") || is(1, "FOREIGN")) {
            let clause = &sql[op[1].range.start..op[op.len() - 1].range.end];
            ops.push(Op::AddForeignKeyClause(clause.to_owned()));
        } else if is(0, "ADD") {
            return Err(refuse("add a column with other changes in one ALTER TABLE"));
        } else {
            return Err(refuse("modify a column through alter_table"));
        }
    }
    Ok((table, ops))
}

impl Db {
    /// SQLite: `ALTER TABLE` as sea-query renders it when SQLite can run it (one add, drop
    /// or rename of a column), else as a rebuild of the table: several options, dropping a
    /// foreign key or a constraint; a column SQLite's `DROP COLUMN` refuses (one with a
    /// `UNIQUE` or `PRIMARY KEY` or foreign-key clause) is dropped by a rebuild too.
    pub(crate) async fn sqlite_alter_table(
        &mut self,
        statement: &sea_query::TableAlterStatement,
    ) -> Result<(), Error> {
        if let Ok(sql) = render(Backend::Sqlite, || statement.to_string(SqliteQueryBuilder)) {
            let r = self.sql(&sql).await;
            let drop_column = {
                let t = lex::tokens(&sql);
                t.iter().any(|t| t.is(&sql, "DROP")) && t.iter().any(|t| t.is(&sql, "COLUMN"))
            };
            match r {
                Err(Error::Database { source, .. })
                    if drop_column && source.to_string().contains("cannot drop") => {}
                r => return r,
            }
        }
        let sql = render(Backend::Postgres, || {
            statement.to_string(PostgresQueryBuilder)
        })?;
        let (table, ops) = alter_options(&sql)?;
        self.batch_sqlite(BatchAlter { table, ops }).await
    }

    /// SQLite: a foreign key added by a rebuild of its table.
    pub(crate) async fn sqlite_create_foreign_key(
        &mut self,
        statement: &ForeignKeyCreateStatement,
    ) -> Result<(), Error> {
        let (table, clause) = sqlite_foreign_key(statement)?;
        self.batch_sqlite(BatchAlter {
            table,
            ops: vec![Op::AddForeignKeyClause(clause)],
        })
        .await
    }

    /// SQLite: a foreign key dropped (by name) by a rebuild of its table.
    pub(crate) async fn sqlite_drop_foreign_key(
        &mut self,
        statement: &sea_query::ForeignKeyDropStatement,
    ) -> Result<(), Error> {
        let sql = render(Backend::Postgres, || {
            statement.to_string(PostgresQueryBuilder)
        })?;
        let (table, ops) = alter_options(&sql)?;
        self.batch_sqlite(BatchAlter { table, ops }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::{ForeignKey, ForeignKeyAction};

    #[test]
    fn renders_sqlite_parts() {
        assert_eq!(
            sqlite_column(
                &ColumnDef::new("n")
                    .big_integer()
                    .not_null()
                    .default(0)
                    .to_owned()
            )
            .unwrap(),
            "\"n\" integer NOT NULL DEFAULT 0"
        );
        let (table, fk) = sqlite_foreign_key(
            &ForeignKey::create()
                .name("fk")
                .from("posts", "author")
                .to("users", "id")
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned(),
        )
        .unwrap();
        assert_eq!(table, "posts");
        assert_eq!(
            fk,
            "CONSTRAINT \"fk\" FOREIGN KEY (\"author\") REFERENCES \"users\" (\"id\") ON DELETE CASCADE"
        );
    }
}
