//! Hand-built sea-query statements as declared models: the escape hatch for a table the
//! `#[derive(migrate_macros::Model)]` attributes cannot say, and the reader under
//! [`super::sea_orm`] (sea-orm entities go through sea-orm's own schema builder, then here).
//!
//! [`table_def_from_sea_query`] reads a `TableCreateStatement` (and the table's
//! `IndexCreateStatement`s) through sea-query's public getters into a [`TableDef`]. The
//! one-line way to register such a table is [`SeaQueryTable`] with the [`SeaQuery`] wrapper:
//!
//! ```
//! use migrate_core::schema::declare::{Model, TableDef};
//! use migrate_core::schema::sea::{SeaQuery, SeaQueryTable};
//! use sea_query::{ColumnDef, Expr, Index, IndexCreateStatement, Table, TableCreateStatement};
//!
//! /// The `audit_log` table, written with sea-query's builders.
//! pub struct AuditLog;
//!
//! impl SeaQueryTable for AuditLog {
//!     fn create_table() -> TableCreateStatement {
//!         Table::create()
//!             .table("audit_log")
//!             .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
//!             .col(ColumnDef::new("at").timestamp_with_time_zone().not_null()
//!                 .default(Expr::current_timestamp()))
//!             .col(ColumnDef::new("actor").string_len(64).not_null())
//!             .to_owned()
//!     }
//!     fn create_indexes() -> Vec<IndexCreateStatement> {
//!         vec![Index::create().name("audit_log_actor").table("audit_log").col("actor").to_owned()]
//!     }
//! }
//!
//! // In the migrations crate: `migrate_macros::migrations!(models = [User, SeaQuery<AuditLog>]);`
//! let table = <SeaQuery<AuditLog> as Model>::table();
//! assert_eq!(table.primary_key, ["id"]);
//! assert_eq!(table.get_column("at").unwrap().default.as_deref(), Some("CURRENT_TIMESTAMP"));
//! assert_eq!(table.indexes[0].columns, ["actor"]);
//! ```
//!
//! What a [`TableDef`] cannot hold is refused with a [`SeaQueryError`] naming the table and
//! column, never dropped silently; the exceptions, which carry no schema, are column and table
//! comments (except sea-orm's `renamed_from "…"` comment, read as a former name), `USING` (an
//! ALTER-only clause), `IF NOT EXISTS`, and table options (engine, character set), for which
//! sea-query has no getter.

use std::marker::PhantomData;

use sea_query::{
    ColumnType as SqColumnType, Expr, ForeignKeyAction, IndexCreateStatement, MysqlQueryBuilder,
    PostgresQueryBuilder, QueryBuilder, StringLen, TableBuilder, TableCreateStatement, TableRef,
    table::Check,
};

use super::declare::{ColumnDef, ColumnType, EnumDef, ForeignKeyDef, IndexDef, Model, TableDef};
use super::model::FkAction;

/// Why a sea-query statement cannot be read as a declared table. Each variant names the table
/// (and the column or index) as the statement spells them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SeaQueryError {
    /// The `TableCreateStatement` has no `.table(…)`, or a table reference that is not a plain
    /// table (a subquery, a values list, a function call).
    #[error("a sea-query TableCreateStatement without a plain table name: {0}")]
    NoTableName(String),
    /// The table is qualified with a schema or database (`("app", "users")`); a declared table
    /// lives in the connection's default schema.
    #[error("table `{table}`: schema-qualified tables are not supported (qualifier `{schema}`)")]
    SchemaQualified {
        /// The table.
        table: String,
        /// The qualifier.
        schema: String,
    },
    /// A column without a type (`ColumnDef::new("c")` and no type call).
    #[error("table `{table}`, column `{column}`: the column has no type")]
    NoColumnType {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A column feature the declared schema has no place for: a generated column, an `extra`
    /// clause.
    #[error("table `{table}`, column `{column}`: {what} is not supported in declared models")]
    UnsupportedColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What, in words (`a generated column (GENERATED ALWAYS AS …)`).
        what: String,
    },
    /// The primary key is given twice (two columns with `.primary_key()`, or a column's and the
    /// table's), which sea-query would render as two PRIMARY KEY clauses.
    #[error(
        "table `{table}`: the primary key is declared more than once ({first:?} and {second:?})"
    )]
    DuplicatePrimaryKey {
        /// The table.
        table: String,
        /// The columns of the first primary key seen.
        first: Vec<String>,
        /// The columns of the second.
        second: Vec<String>,
    },
    /// An index without a name (declared indexes are compared by name).
    #[error("table `{table}`: an index on {columns:?} has no name (`.name(\"…\")`)")]
    UnnamedIndex {
        /// The table.
        table: String,
        /// Its columns.
        columns: Vec<String>,
    },
    /// An index other than a plain list of columns: on expressions, with a column order,
    /// prefix length or operator class, a method (`USING gin`), `INCLUDE`, a filter, `NULLS NOT
    /// DISTINCT`, or without columns.
    #[error(
        "table `{table}`, index `{index}`: only indexes on plain columns are supported (`{sql}`)"
    )]
    UnsupportedIndex {
        /// The table.
        table: String,
        /// The index.
        index: String,
        /// sea-query's PostgreSQL rendering of the index.
        sql: String,
    },
    /// An `IndexCreateStatement` passed with the table names another table.
    #[error("table `{table}`: index `{index}` is on table `{other}`")]
    IndexOnOtherTable {
        /// The table.
        table: String,
        /// The index.
        index: String,
        /// The table the index names.
        other: String,
    },
    /// A foreign key without referencing or referenced columns, or without a referenced table.
    #[error("table `{table}`: foreign key {name:?} is incomplete: {what}")]
    IncompleteForeignKey {
        /// The table.
        table: String,
        /// The constraint's name, if any.
        name: Option<String>,
        /// What is missing.
        what: String,
    },
    /// A check constraint whose SQL, as sea-query renders it, could not be read back.
    #[error("table `{table}`: cannot read the check constraint `{sql}`")]
    UnreadableCheck {
        /// The table.
        table: String,
        /// sea-query's rendering.
        sql: String,
    },
}

/// The declared table a sea-query `CREATE TABLE` statement describes, with `indexes` (the
/// table's `CREATE INDEX` statements; each must be on this table or name no table).
///
/// Read through sea-query's public getters:
/// - the table name (unqualified);
/// - each column: its type (below), `NULL`/`NOT NULL` (a column without either is nullable
///   unless it is part of the primary key), `auto_increment`, `primary_key`, `unique_key` (an
///   unnamed unique constraint), `default` (the expression rendered as SQL by sea-query's
///   PostgreSQL builder, e.g. `Expr::current_timestamp()` → `CURRENT_TIMESTAMP`, `"draft"` →
///   `'draft'`; a string holding a quote, a backslash or a control character becomes
///   PostgreSQL's `E'…'`, which only PostgreSQL reads: write such a default with `Expr::cust`),
///   `check` (a table check constraint, named if the check is);
/// - the table's primary key (`.primary_key(Index::create()…)`), its inline indexes, its
///   foreign keys (name, columns, referenced table and columns, `ON DELETE`, `ON UPDATE`) and
///   its check constraints.
///
/// Types: sea-query's types with a declared equivalent map to it (`integer()` →
/// [`ColumnType::Integer`], `string_len(n)` → [`ColumnType::Varchar`], `json_binary()` →
/// [`ColumnType::Json`], `enumeration(…)` → [`ColumnType::Enum`], a `VarBinary` without a
/// length (sea-orm's `Vec<u8>`) → [`ColumnType::Blob`], …); `string()` without a length
/// is `VARCHAR(255)` (MySQL's reading, indexable on every backend); `StringLen::Max` is `TEXT`.
/// Every other type is [`ColumnType::Custom`] with the SQL sea-query's PostgreSQL builder
/// renders (`char(4)`, `json`, `decimal`, `timestamp`, `interval`, `inet`, `integer[]`, …),
/// or MySQL's for the types PostgreSQL lacks (`year`, `binary(16)`, `varbinary(64)`), used as
/// written on every backend (so portable only where the other backends accept that text).
///
/// # Errors
/// [`SeaQueryError`], naming the table and column: no table name or a schema-qualified one; a
/// column without a type; a generated column or an `extra` clause; two primary keys; an
/// unnamed index, one on another table, or one that is not a plain list of columns
/// ([`SeaQueryError::UnsupportedIndex`]); an incomplete foreign key;
/// a check constraint that cannot be read back.
pub fn table_def_from_sea_query(
    table: &TableCreateStatement,
    indexes: &[IndexCreateStatement],
) -> Result<TableDef, SeaQueryError> {
    let name = table_name(table.get_table_name())?;
    let mut def = TableDef::new(&name);
    let mut primary_key: Option<Vec<String>> = None;
    let mut set_pk = |cols: Vec<String>, table: &str| -> Result<(), SeaQueryError> {
        if let Some(first) = primary_key.take() {
            return Err(SeaQueryError::DuplicatePrimaryKey {
                table: table.to_owned(),
                first,
                second: cols,
            });
        }
        primary_key = Some(cols);
        Ok(())
    };

    for column in table.get_columns() {
        let column_name = column.get_column_name();
        let spec = column.get_column_spec();
        let unsupported = |what: &str| SeaQueryError::UnsupportedColumn {
            table: name.clone(),
            column: column_name.clone(),
            what: what.to_owned(),
        };
        if spec.generated.is_some() {
            return Err(unsupported("a generated column (GENERATED ALWAYS AS …)"));
        }
        if let Some(extra) = &spec.extra {
            return Err(unsupported(&format!("an extra clause (`{extra}`)")));
        }
        let ty = column
            .get_column_type()
            .ok_or_else(|| SeaQueryError::NoColumnType {
                table: name.clone(),
                column: column_name.clone(),
            })?;
        let mut col =
            ColumnDef::new(&column_name, column_type(ty)).nullable(spec.nullable.unwrap_or(true));
        col.auto_increment = spec.auto_increment;
        col.default = spec.default.as_ref().map(expr_sql);
        if let Some(comment) = &spec.comment {
            col.renamed_from.extend(renamed_from(comment));
        }
        if spec.primary_key {
            set_pk(vec![column_name.clone()], &name)?;
        }
        if spec.unique {
            def = def.unique(None, [column_name.clone()]);
        }
        if let Some(check) = &spec.check {
            let (check_name, expression) = check_parts(check, &name)?;
            def = def.check(check_name.as_deref(), expression);
        }
        def = def.column(col);
    }

    for index in table.get_indexes().iter().chain(indexes) {
        match index_def(index, &name)? {
            Some(index) => def.indexes.push(index),
            None => set_pk(index.get_index_spec().get_column_names(), &name)?,
        }
    }
    def.primary_key = primary_key.unwrap_or_default();
    // A key column said neither NULL nor NOT NULL is NOT NULL (every backend makes it so).
    for (col, column) in def.columns.iter_mut().zip(table.get_columns()) {
        if column.get_column_spec().nullable.is_none() && def.primary_key.contains(&col.name) {
            col.nullable = false;
        }
    }

    for fk in table.get_foreign_key_create_stmts() {
        let fk = fk.get_foreign_key();
        let fk_name = fk.get_name().map(str::to_owned);
        let incomplete = |what: &str| SeaQueryError::IncompleteForeignKey {
            table: name.clone(),
            name: fk_name.clone(),
            what: what.to_owned(),
        };
        let referenced =
            table_name(fk.get_ref_table()).map_err(|_| incomplete("no plain referenced table"))?;
        let (columns, ref_columns) = (fk.get_columns(), fk.get_ref_columns());
        if columns.is_empty() || columns.len() != ref_columns.len() {
            return Err(incomplete(&format!(
                "{} referencing and {} referenced columns",
                columns.len(),
                ref_columns.len()
            )));
        }
        let mut f = ForeignKeyDef::new(columns, referenced, ref_columns)
            .on_delete(fk_action(fk.get_on_delete()))
            .on_update(fk_action(fk.get_on_update()));
        f.name = fk_name;
        def = def.foreign_key(f);
    }

    for (check_name, expression) in table_checks(table, &name)? {
        def = def.check(check_name.as_deref(), expression);
    }
    Ok(def)
}

/// A table written as sea-query statements, registered as a model through [`SeaQuery<T>`]:
/// implement this on a unit struct and list `SeaQuery<ThatStruct>` in
/// `migrate_macros::migrations!(models = [...])`.
pub trait SeaQueryTable {
    /// The table's `CREATE TABLE` statement.
    fn create_table() -> TableCreateStatement;
    /// Its `CREATE INDEX` statements (default: none).
    fn create_indexes() -> Vec<IndexCreateStatement> {
        Vec::new()
    }
}

/// The [`Model`] of a [`SeaQueryTable`]: `migrations!(models = [SeaQuery<AuditLog>])`.
/// Never constructed; a type-level wrapper.
pub struct SeaQuery<T>(PhantomData<T>);

impl<T: SeaQueryTable> Model for SeaQuery<T> {
    /// The table read by [`table_def_from_sea_query`].
    ///
    /// # Panics
    /// If the statements cannot be read (a [`SeaQueryError`], whose message names the table and
    /// column): a mistake in the program's own statements, found by the first run of the
    /// migrations crate (`cargo migrate check` or any command that loads the models).
    fn table() -> TableDef {
        match table_def_from_sea_query(&T::create_table(), &T::create_indexes()) {
            Ok(table) => table,
            Err(e) => panic!("{e}"),
        }
    }
}

/// The plain table name of a table reference.
fn table_name(table: Option<&TableRef>) -> Result<String, SeaQueryError> {
    match table {
        Some(TableRef::Table(t, _)) => {
            let name = t.1.to_string();
            match &t.0 {
                Some(schema) => Err(SeaQueryError::SchemaQualified {
                    table: name,
                    schema: format!("{schema:?}"),
                }),
                None => Ok(name),
            }
        }
        Some(other) => Err(SeaQueryError::NoTableName(format!("{other:?}"))),
        None => Err(SeaQueryError::NoTableName("no `.table(…)`".to_owned())),
    }
}

/// A declared index from a sea-query index: its name, its plain columns in order, whether
/// it is unique. Read from sea-query's PostgreSQL rendering as well as the getters, which do
/// not show the index's table, column order, prefix lengths, expressions, method or filter.
/// Returns `None` for a primary key (its columns are read by the caller).
fn index_def(index: &IndexCreateStatement, table: &str) -> Result<Option<IndexDef>, SeaQueryError> {
    let spec = index.get_index_spec();
    let columns = spec.get_column_names();
    if index.is_primary_key() {
        return Ok(None);
    }
    let Some(name) = spec.get_name() else {
        return Err(SeaQueryError::UnnamedIndex {
            table: table.to_owned(),
            columns,
        });
    };
    let unsupported = |sql: &str| SeaQueryError::UnsupportedIndex {
        table: table.to_owned(),
        index: name.to_owned(),
        sql: sql.to_owned(),
    };
    let sql = index.to_string(PostgresQueryBuilder);
    let marker = format!("\"{name}\" ON ");
    let Some(at) = sql.find(&marker) else {
        return Err(unsupported(&sql));
    };
    let mut rest = &sql[at + marker.len()..];
    if let Some(after) = rest.strip_prefix('"') {
        let (other, len) = quoted(after, '"').ok_or_else(|| unsupported(&sql))?;
        rest = &after[len..];
        if rest.starts_with('.') {
            return Err(SeaQueryError::SchemaQualified {
                table: table.to_owned(),
                schema: other,
            });
        }
        if other != table {
            return Err(SeaQueryError::IndexOnOtherTable {
                table: table.to_owned(),
                index: name.to_owned(),
                other,
            });
        }
    }
    // Exactly ` ("a", "b")`: one quoted column per part, nothing after.
    let expected = format!(
        " ({})",
        columns
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if columns.is_empty() || rest != expected {
        return Err(unsupported(&sql));
    }
    Ok(Some(IndexDef {
        name: name.to_owned(),
        columns,
        unique: index.is_unique_key(),
    }))
}

fn fk_action(action: Option<ForeignKeyAction>) -> FkAction {
    match action {
        None | Some(ForeignKeyAction::NoAction) => FkAction::NoAction,
        Some(ForeignKeyAction::Restrict) => FkAction::Restrict,
        Some(ForeignKeyAction::Cascade) => FkAction::Cascade,
        Some(ForeignKeyAction::SetNull) => FkAction::SetNull,
        Some(ForeignKeyAction::SetDefault) => FkAction::SetDefault,
        // `#[non_exhaustive]`: sea-query 1.0 has the five above only.
        Some(_) => FkAction::NoAction,
    }
}

/// The declared type of a sea-query type.
fn column_type(ty: &SqColumnType) -> ColumnType {
    use SqColumnType as S;
    match ty {
        S::TinyInteger => ColumnType::TinyInt,
        S::SmallInteger => ColumnType::SmallInt,
        S::Integer => ColumnType::Integer,
        S::BigInteger => ColumnType::BigInt,
        S::TinyUnsigned => ColumnType::TinyUnsigned,
        S::SmallUnsigned => ColumnType::SmallUnsigned,
        S::Unsigned => ColumnType::Unsigned,
        S::BigUnsigned => ColumnType::BigUnsigned,
        S::Float => ColumnType::Float,
        S::Double => ColumnType::Double,
        S::Boolean => ColumnType::Boolean,
        S::Text | S::String(StringLen::Max) => ColumnType::Text,
        S::String(StringLen::N(n)) => ColumnType::Varchar(*n),
        S::String(StringLen::None) => ColumnType::Varchar(255),
        // sea-orm's `Vec<u8>` (`bytea` on PostgreSQL).
        S::Blob | S::VarBinary(StringLen::None | StringLen::Max) => ColumnType::Blob,
        S::Date => ColumnType::Date,
        S::Time => ColumnType::Time,
        S::DateTime => ColumnType::DateTime,
        S::TimestampWithTimeZone => ColumnType::TimestampTz,
        S::Uuid => ColumnType::Uuid,
        S::Decimal(Some((p, s))) => ColumnType::Decimal(*p, *s),
        S::JsonBinary => ColumnType::Json,
        S::Enum { name, variants } => ColumnType::Enum(EnumDef::new(
            name.to_string(),
            variants.iter().map(|v| v.to_string()),
        )),
        S::Custom(name) => ColumnType::Custom(name.to_string()),
        // Types PostgreSQL lacks (its builder renders `bytea` or panics): MySQL's spelling.
        S::Year | S::Binary(_) | S::VarBinary(_) => {
            let mut sql = String::new();
            MysqlQueryBuilder.prepare_column_type(ty, &mut sql);
            ColumnType::Custom(sql)
        }
        other => {
            let mut sql = String::new();
            PostgresQueryBuilder.prepare_column_type(other, &mut sql);
            ColumnType::Custom(sql)
        }
    }
}

/// An expression as SQL (sea-query's PostgreSQL rendering, values inlined).
fn expr_sql(expr: &Expr) -> String {
    let mut sql = String::new();
    PostgresQueryBuilder.prepare_expr(expr, &mut sql);
    sql
}

/// The former names in a column comment written by sea-orm's schema builder for
/// `#[sea_orm(renamed_from = "…")]`: `renamed_from "old"`, possibly after `comment; `.
fn renamed_from(comment: &str) -> Option<String> {
    let rest = comment
        .rsplit("; ")
        .next()?
        .strip_prefix("renamed_from \"")?;
    Some(rest.strip_suffix('"')?.to_owned())
}

/// A check's name and expression, read from sea-query's rendering
/// (`CONSTRAINT "name" CHECK (expr)` or `CHECK (expr)`): `Check` has no getters.
fn check_parts(check: &Check, table: &str) -> Result<(Option<String>, String), SeaQueryError> {
    let mut sql = String::new();
    PostgresQueryBuilder.prepare_check_constraint(check, &mut sql);
    parse_check(&sql, '"').ok_or_else(|| SeaQueryError::UnreadableCheck {
        table: table.to_owned(),
        sql,
    })
}

/// `CONSTRAINT "name" CHECK (expr)` / `CHECK (expr)` → name and expression.
/// `quote` is the builder's identifier quote.
fn parse_check(sql: &str, quote: char) -> Option<(Option<String>, String)> {
    let (name, rest) = match sql
        .strip_prefix("CONSTRAINT ")
        .and_then(|s| s.strip_prefix(quote))
    {
        Some(rest) => {
            let (name, len) = quoted(rest, quote)?;
            (Some(name), rest[len..].strip_prefix(' ')?)
        }
        None => (None, sql),
    };
    let expr = rest.strip_prefix("CHECK (")?.strip_suffix(')')?;
    Some((name, expr.to_owned()))
}

/// The identifier at the start of `s` (after an opening `quote`), with a doubled quote
/// unescaped, and the length of `s` it spans including the closing quote.
fn quoted(s: &str, quote: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if chars.peek().map(|&(_, c)| c) == Some(quote) {
                chars.next();
                out.push(quote);
            } else {
                return Some((out, i + 1));
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// The table-level check constraints (`Table::create().check(…)`), which sea-query exposes
/// through no getter: the statement rendered by the PostgreSQL builder (MySQL's if a column is
/// `year`, on which PostgreSQL's panics), less the same statement rebuilt without them, leaves
/// exactly `, <check>, <check> )…` (checks come last inside the parentheses).
fn table_checks(
    table: &TableCreateStatement,
    name: &str,
) -> Result<Vec<(Option<String>, String)>, SeaQueryError> {
    let mut rebuilt = TableCreateStatement::new();
    rebuilt.table(sea_query::Alias::new(name.to_owned()));
    for column in table.get_columns() {
        rebuilt.col(column.clone());
    }
    for index in table.get_indexes() {
        let mut index = index.clone();
        if index.is_primary_key() {
            rebuilt.primary_key(&mut index);
        } else {
            rebuilt.index(&mut index);
        }
    }
    for fk in table.get_foreign_key_create_stmts() {
        rebuilt.foreign_key(&mut fk.clone());
    }
    let mut plain = table.clone();
    plain.table(sea_query::Alias::new(name.to_owned()));
    // PostgreSQL's builder panics on `year` (and SQLite's), MySQL's on the PostgreSQL-only types.
    let year = table
        .get_columns()
        .iter()
        .find(|c| matches!(c.get_column_type(), Some(SqColumnType::Year)));
    let (original, rebuilt, quote) = match year {
        None => (
            plain.to_string(PostgresQueryBuilder),
            rebuilt.to_string(PostgresQueryBuilder),
            '"',
        ),
        Some(year) => {
            if let Some(pg) = table.get_columns().iter().find(|c| {
                matches!(
                    c.get_column_type(),
                    Some(
                        SqColumnType::Array(_)
                            | SqColumnType::Vector(_)
                            | SqColumnType::Cidr
                            | SqColumnType::Inet
                            | SqColumnType::MacAddr
                            | SqColumnType::LTree
                    )
                )
            }) {
                return Err(SeaQueryError::UnsupportedColumn {
                    table: name.to_owned(),
                    column: pg.get_column_name(),
                    what: format!(
                        "a PostgreSQL-only type in a table with the MySQL-only `year` column `{}`",
                        year.get_column_name()
                    ),
                });
            }
            (
                plain.to_string(MysqlQueryBuilder),
                rebuilt.to_string(MysqlQueryBuilder),
                '`',
            )
        }
    };
    if rebuilt == original {
        return Ok(Vec::new());
    }
    let unreadable = || SeaQueryError::UnreadableCheck {
        table: name.to_owned(),
        sql: original.clone(),
    };
    // The rebuilt body ends with " )"; everything before it is a prefix of the original.
    let body = rebuilt.strip_suffix(" )").ok_or_else(unreadable)?;
    let Some(rest) = original.strip_prefix(body) else {
        return Err(unreadable());
    };
    let mut checks = Vec::new();
    let mut rest = rest;
    while let Some(after) = rest.strip_prefix(", ") {
        let end = item_end(after).ok_or_else(unreadable)?;
        checks.push(parse_check(after[..end].trim_end(), quote).ok_or_else(unreadable)?);
        rest = &after[end..];
    }
    if !rest.trim_start().starts_with(')') {
        return Err(unreadable());
    }
    Ok(checks)
}

/// The end of one item of a comma-separated list: the first `,` or `)` outside parentheses,
/// quotes and string literals.
fn item_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => return Some(i),
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::declare::{CheckDef, UniqueDef};
    use sea_query::{ColumnDef as Col, ExprTrait, ForeignKey, Index, PgInterval, Table};

    fn read(table: &mut TableCreateStatement) -> TableDef {
        table_def_from_sea_query(table, &[]).unwrap()
    }

    #[test]
    fn every_sea_query_type_maps() {
        let cases: Vec<(Col, ColumnType)> = vec![
            (Col::new("a").tiny_integer().to_owned(), ColumnType::TinyInt),
            (
                Col::new("a").small_integer().to_owned(),
                ColumnType::SmallInt,
            ),
            (Col::new("a").integer().to_owned(), ColumnType::Integer),
            (Col::new("a").big_integer().to_owned(), ColumnType::BigInt),
            (
                Col::new("a").tiny_unsigned().to_owned(),
                ColumnType::TinyUnsigned,
            ),
            (
                Col::new("a").small_unsigned().to_owned(),
                ColumnType::SmallUnsigned,
            ),
            (Col::new("a").unsigned().to_owned(), ColumnType::Unsigned),
            (
                Col::new("a").big_unsigned().to_owned(),
                ColumnType::BigUnsigned,
            ),
            (Col::new("a").float().to_owned(), ColumnType::Float),
            (Col::new("a").double().to_owned(), ColumnType::Double),
            (Col::new("a").boolean().to_owned(), ColumnType::Boolean),
            (Col::new("a").text().to_owned(), ColumnType::Text),
            (
                Col::new("a").string_len(40).to_owned(),
                ColumnType::Varchar(40),
            ),
            (Col::new("a").string().to_owned(), ColumnType::Varchar(255)),
            (
                Col::new_with_type("a", SqColumnType::String(StringLen::Max)),
                ColumnType::Text,
            ),
            (Col::new("a").blob().to_owned(), ColumnType::Blob),
            (Col::new("a").date().to_owned(), ColumnType::Date),
            (Col::new("a").time().to_owned(), ColumnType::Time),
            (Col::new("a").date_time().to_owned(), ColumnType::DateTime),
            (
                Col::new("a").timestamp_with_time_zone().to_owned(),
                ColumnType::TimestampTz,
            ),
            (Col::new("a").uuid().to_owned(), ColumnType::Uuid),
            (
                Col::new("a").decimal_len(10, 2).to_owned(),
                ColumnType::Decimal(10, 2),
            ),
            (Col::new("a").json_binary().to_owned(), ColumnType::Json),
            (
                Col::new("a")
                    .enumeration("mood", ["happy", "sad"])
                    .to_owned(),
                ColumnType::Enum(EnumDef::new("mood", ["happy", "sad"])),
            ),
            (
                Col::new("a").custom("citext").to_owned(),
                ColumnType::Custom("citext".into()),
            ),
            // No declared equivalent: the SQL sea-query renders.
            (Col::new("a").char_len(4).to_owned(), custom("char(4)")),
            (Col::new("a").json().to_owned(), custom("json")),
            (Col::new("a").decimal().to_owned(), custom("decimal")),
            (Col::new("a").timestamp().to_owned(), custom("timestamp")),
            (
                Col::new("a").interval(None, None).to_owned(),
                custom("interval"),
            ),
            (
                Col::new("a")
                    .interval(Some(PgInterval::Day), None)
                    .to_owned(),
                custom("interval DAY"),
            ),
            (Col::new("a").year().to_owned(), custom("year")),
            (
                Col::new("a").binary_len(16).to_owned(),
                custom("binary(16)"),
            ),
            (
                Col::new("a").var_binary(64).to_owned(),
                custom("varbinary(64)"),
            ),
            (Col::new("a").bit(Some(3)).to_owned(), custom("bit(3)")),
            (Col::new("a").money().to_owned(), custom("money")),
            (Col::new("a").inet().to_owned(), custom("inet")),
            (Col::new("a").cidr().to_owned(), custom("cidr")),
            (Col::new("a").mac_address().to_owned(), custom("macaddr")),
            (
                Col::new("a").array(SqColumnType::Integer).to_owned(),
                custom("integer[]"),
            ),
        ];
        for (col, expected) in cases {
            let debug = format!("{:?}", col.get_column_type());
            let table = read(Table::create().table("t").col(col));
            assert_eq!(table.columns[0].ty, expected, "{debug}");
        }
    }

    fn custom(sql: &str) -> ColumnType {
        ColumnType::Custom(sql.to_owned())
    }

    #[test]
    fn column_spec_defaults_keys_and_checks() {
        let mut stmt = Table::create()
            .table("post")
            .col(
                Col::new("id")
                    .big_integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(Col::new("slug").string_len(80).not_null().unique_key())
            .col(Col::new("title").text().null().default("untitled"))
            .col(Col::new("body").text())
            .col(
                Col::new("views")
                    .integer()
                    .not_null()
                    .default(0)
                    .check(Expr::col("views").gte(0)),
            )
            .col(
                Col::new("draft")
                    .boolean()
                    .not_null()
                    .default(true)
                    .check(("draft_is_bool", Expr::col("draft").is_in([true, false]))),
            )
            .col(
                Col::new("created_at")
                    .timestamp_with_time_zone()
                    .not_null()
                    .default(Expr::current_timestamp()),
            )
            .col(Col::new("rank").double().default(Expr::cust("1.5 * 2")))
            .to_owned();
        let expected = TableDef::new("post")
            .column(ColumnDef::new("id", ColumnType::BigInt).auto_increment())
            .column(ColumnDef::new("slug", ColumnType::Varchar(80)))
            .column(
                ColumnDef::new("title", ColumnType::Text)
                    .nullable(true)
                    .default("'untitled'"),
            )
            .column(ColumnDef::new("body", ColumnType::Text).nullable(true))
            .column(ColumnDef::new("views", ColumnType::Integer).default("0"))
            .column(ColumnDef::new("draft", ColumnType::Boolean).default("TRUE"))
            .column(
                ColumnDef::new("created_at", ColumnType::TimestampTz).default("CURRENT_TIMESTAMP"),
            )
            .column(
                ColumnDef::new("rank", ColumnType::Double)
                    .nullable(true)
                    .default("1.5 * 2"),
            )
            .primary_key(["id"])
            .unique(None, ["slug"])
            .check(None, "\"views\" >= 0")
            .check(Some("draft_is_bool"), "\"draft\" IN (TRUE, FALSE)");
        assert_eq!(read(&mut stmt), expected);
    }

    #[test]
    fn composite_key_foreign_keys_indexes_and_table_checks() {
        let mut stmt = Table::create()
            .table("membership")
            .col(Col::new("team_id").integer().not_null())
            .col(Col::new("user_id").integer().not_null())
            .col(Col::new("role").string_len(16).not_null())
            .col(Col::new("note").text())
            .primary_key(Index::create().col("team_id").col("user_id"))
            .index(Index::create().name("membership_role").col("role"))
            .foreign_key(
                ForeignKey::create()
                    .name("membership_team_fk")
                    .from_col("team_id")
                    .to("team", "id")
                    .on_delete(ForeignKeyAction::Cascade)
                    .on_update(ForeignKeyAction::Restrict),
            )
            .foreign_key(
                ForeignKey::create()
                    .from_tbl("membership")
                    .from_col("user_id")
                    .to_tbl("app_user")
                    .to_col("id")
                    .on_delete(ForeignKeyAction::SetNull),
            )
            .check((
                "role_known",
                Expr::col("role").is_in(["owner", "member, guest"]),
            ))
            .check(Expr::cust(
                "length(\"role\") > 0 AND (\"note\" IS NULL OR \"note\" <> ')')",
            ))
            .to_owned();
        let separate = [
            Index::create()
                .name("membership_user_role")
                .table("membership")
                .col("user_id")
                .col("role")
                .unique()
                .to_owned(),
            Index::create()
                .name("membership_note")
                .col("note")
                .to_owned(),
        ];
        let fk_user = {
            let mut f =
                ForeignKeyDef::new(["user_id"], "app_user", ["id"]).on_delete(FkAction::SetNull);
            f.name = None;
            f
        };
        let expected = TableDef {
            name: "membership".into(),
            renamed_from: vec![],
            columns: vec![
                ColumnDef::new("team_id", ColumnType::Integer),
                ColumnDef::new("user_id", ColumnType::Integer),
                ColumnDef::new("role", ColumnType::Varchar(16)),
                ColumnDef::new("note", ColumnType::Text).nullable(true),
            ],
            primary_key: vec!["team_id".into(), "user_id".into()],
            indexes: vec![
                IndexDef {
                    name: "membership_role".into(),
                    columns: vec!["role".into()],
                    unique: false,
                },
                IndexDef {
                    name: "membership_user_role".into(),
                    columns: vec!["user_id".into(), "role".into()],
                    unique: true,
                },
                IndexDef {
                    name: "membership_note".into(),
                    columns: vec!["note".into()],
                    unique: false,
                },
            ],
            uniques: Vec::<UniqueDef>::new(),
            checks: vec![
                CheckDef {
                    name: Some("role_known".into()),
                    expression: "\"role\" IN ('owner', 'member, guest')".into(),
                },
                CheckDef {
                    name: None,
                    expression: "length(\"role\") > 0 AND (\"note\" IS NULL OR \"note\" <> ')')"
                        .into(),
                },
            ],
            foreign_keys: vec![
                ForeignKeyDef::new(["team_id"], "team", ["id"])
                    .name("membership_team_fk")
                    .on_delete(FkAction::Cascade)
                    .on_update(FkAction::Restrict),
                fk_user,
            ],
        };
        assert_eq!(
            table_def_from_sea_query(&stmt, &separate).unwrap(),
            expected
        );
        // The same table without table checks reads none.
        let mut plain = Table::create()
            .table("t")
            .col(Col::new("a").integer())
            .col(Col::new("b").integer())
            .col(Col::new("c").integer())
            .primary_key(Index::create().col("a").col("b"))
            .to_owned();
        let plain = read(&mut plain);
        assert!(plain.checks.is_empty());
        let nullable: Vec<_> = plain.columns.iter().map(|c| c.nullable).collect();
        assert_eq!(nullable, [false, false, true], "key columns are NOT NULL");
        stmt.comment("memberships");
        assert_eq!(
            read(&mut stmt).checks.len(),
            2,
            "a table comment after the checks"
        );
    }

    #[test]
    fn table_checks_beside_a_year_column_are_read_with_mysqls_builder() {
        let mut stmt = Table::create()
            .table("t")
            .col(Col::new("y").year().not_null())
            .check(("y_recent", Expr::col("y").gt(1999)))
            .to_owned();
        let t = read(&mut stmt);
        assert_eq!(t.columns[0].ty, custom("year"));
        assert_eq!(
            t.checks,
            [CheckDef {
                name: Some("y_recent".into()),
                expression: "`y` > 1999".into(),
            }]
        );
        stmt.col(Col::new("addr").inet());
        assert!(matches!(
            table_def_from_sea_query(&stmt, &[]).unwrap_err(),
            SeaQueryError::UnsupportedColumn { column, .. } if column == "addr"
        ));
    }

    #[test]
    fn renamed_from_comes_from_sea_orms_comment() {
        let mut stmt = Table::create()
            .table("t")
            .col(Col::new("a").integer().comment("renamed_from \"b\""))
            .col(
                Col::new("c")
                    .integer()
                    .comment("a note; renamed_from \"d\""),
            )
            .col(Col::new("e").integer().comment("just a note"))
            .to_owned();
        let t = read(&mut stmt);
        assert_eq!(t.columns[0].renamed_from, ["b"]);
        assert_eq!(t.columns[1].renamed_from, ["d"]);
        assert!(t.columns[2].renamed_from.is_empty());
    }

    #[test]
    fn what_cannot_be_read_is_a_typed_error_naming_table_and_column() {
        let err = |stmt: &TableCreateStatement, idx: &[IndexCreateStatement]| {
            table_def_from_sea_query(stmt, idx).unwrap_err()
        };
        let base = || {
            Table::create()
                .table("t")
                .col(Col::new("a").integer())
                .to_owned()
        };

        let no_name = Table::create().col(Col::new("a").integer()).to_owned();
        assert!(matches!(err(&no_name, &[]), SeaQueryError::NoTableName(_)));

        let qualified = Table::create()
            .table(("app", "t"))
            .col(Col::new("a").integer())
            .to_owned();
        assert!(matches!(
            err(&qualified, &[]),
            SeaQueryError::SchemaQualified { table, .. } if table == "t"
        ));

        let untyped = Table::create().table("t").col(Col::new("a")).to_owned();
        let e = err(&untyped, &[]);
        assert_eq!(
            e,
            SeaQueryError::NoColumnType {
                table: "t".into(),
                column: "a".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "table `t`, column `a`: the column has no type"
        );

        let generated = Table::create()
            .table("t")
            .col(Col::new("a").integer())
            .col(
                Col::new("b")
                    .integer()
                    .generated(Expr::col("a").add(1), true),
            )
            .to_owned();
        assert!(matches!(
            err(&generated, &[]),
            SeaQueryError::UnsupportedColumn { table, column, .. } if table == "t" && column == "b"
        ));
        let extra = Table::create()
            .table("t")
            .col(Col::new("a").integer().extra("COLLATE \"C\""))
            .to_owned();
        assert!(matches!(
            err(&extra, &[]),
            SeaQueryError::UnsupportedColumn { column, .. } if column == "a"
        ));

        let two_pks = Table::create()
            .table("t")
            .col(Col::new("a").integer().primary_key())
            .col(Col::new("b").integer())
            .primary_key(Index::create().col("a").col("b"))
            .to_owned();
        assert!(matches!(
            err(&two_pks, &[]),
            SeaQueryError::DuplicatePrimaryKey { first, second, .. }
                if first == ["a"] && second == ["a", "b"]
        ));

        let unnamed = Index::create().table("t").col("a").to_owned();
        assert!(matches!(
            err(&base(), &[unnamed]),
            SeaQueryError::UnnamedIndex { columns, .. } if columns == ["a"]
        ));
        let elsewhere = Index::create().name("i").table("u").col("a").to_owned();
        assert!(matches!(
            err(&base(), &[elsewhere]),
            SeaQueryError::IndexOnOtherTable { index, other, .. } if index == "i" && other == "u"
        ));
        let unsupported = [
            Index::create()
                .name("i")
                .table("t")
                .col((sea_query::Alias::new("a"), sea_query::IndexOrder::Desc))
                .to_owned(),
            Index::create()
                .name("i")
                .table("t")
                .col(Expr::cust("lower(a)"))
                .to_owned(),
            Index::create()
                .name("i")
                .table("t")
                .col("a")
                .full_text()
                .to_owned(),
            Index::create().name("i").table("t").to_owned(),
        ];
        for index in unsupported {
            let e = err(&base(), std::slice::from_ref(&index));
            assert!(
                matches!(&e, SeaQueryError::UnsupportedIndex { index, .. } if index == "i"),
                "{e}"
            );
        }

        let dangling = Table::create()
            .table("t")
            .col(Col::new("a").integer())
            .foreign_key(ForeignKey::create().from_col("a").to_col("id"))
            .to_owned();
        assert!(matches!(
            err(&dangling, &[]),
            SeaQueryError::IncompleteForeignKey { .. }
        ));
    }

    struct Audit;
    impl SeaQueryTable for Audit {
        fn create_table() -> TableCreateStatement {
            Table::create()
                .table("audit")
                .col(Col::new("id").integer().not_null().primary_key())
                .to_owned()
        }
        fn create_indexes() -> Vec<IndexCreateStatement> {
            vec![
                Index::create()
                    .name("audit_id")
                    .table("audit")
                    .col("id")
                    .to_owned(),
            ]
        }
    }

    struct Broken;
    impl SeaQueryTable for Broken {
        fn create_table() -> TableCreateStatement {
            Table::create()
                .table("broken")
                .col(Col::new("x"))
                .to_owned()
        }
    }

    #[test]
    fn the_wrapper_is_a_model() {
        let t = <SeaQuery<Audit> as Model>::table();
        assert_eq!(t.primary_key, ["id"]);
        assert_eq!(t.indexes[0].name, "audit_id");
        let panic = std::panic::catch_unwind(<SeaQuery<Broken> as Model>::table).unwrap_err();
        assert_eq!(
            panic.downcast_ref::<String>().map(String::as_str),
            Some("table `broken`, column `x`: the column has no type")
        );
    }
}
