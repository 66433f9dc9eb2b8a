//! Schema operations: what autogenerate emits, executed by [`apply`] and printed as revision
//! source by [`super::render::render`]. Each [`Op`] carries exactly what both need (columns as
//! [`build::Call`] lists, the one declared-column mapping), and both go through one
//! per-operation list of [`Step`]s, so what a revision file says and what [`apply`] runs
//! cannot disagree.
//!
//! - [`create_all`]: the declared schema from nothing (enum types, tables in foreign-key
//!   order, the foreign keys of a cycle, indexes);
//! - [`plan`](super::ops::plan): two normalised schemas and the declared tables → the upgrade,
//!   its exact inverse (the downgrade) and notes (destructive changes, possible renames,
//!   what cannot be expressed).

use std::collections::BTreeSet;

use super::build::{self, Call};
use super::declare::{ColumnType, TableDef};
use super::model::{self, FkAction};
use crate::db::Backend;

/// A column as builder calls: `ColumnDef::new(name)` followed by `calls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The column's name.
    pub name: String,
    /// The builder calls ([`build::column_calls`] for a declared column).
    pub calls: Vec<Call>,
}

impl ColumnSpec {
    /// A declared column on `backend`; `primary_key`: it is the table's whole primary key.
    pub fn declared(
        column: &super::declare::ColumnDef,
        backend: Backend,
        primary_key: bool,
    ) -> ColumnSpec {
        ColumnSpec {
            name: column.name.clone(),
            calls: build::column_calls(column, backend, primary_key),
        }
    }

    /// A column of a normalised schema (one the models do not have): its normalised type as
    /// `.custom(…)` (an auto-increment integer keeps its typed method, which each backend
    /// turns into its serial form), nullability, auto-increment, default.
    pub fn from_model(column: &model::Column, primary_key: bool) -> ColumnSpec {
        let mut calls = Vec::new();
        let typed = match column.ty.as_str() {
            "integer" | "int" => Some("integer"),
            "bigint" => Some("big_integer"),
            "smallint" => Some("small_integer"),
            _ => None,
        };
        match typed {
            Some(m) if column.auto_increment => calls.push(Call::Method(m)),
            _ => calls.push(Call::Custom(column.ty.clone())),
        }
        calls.push(Call::Method(if column.nullable {
            "null"
        } else {
            "not_null"
        }));
        if column.auto_increment {
            calls.push(Call::Method("auto_increment"));
        }
        if primary_key {
            calls.push(Call::Method("primary_key"));
        }
        if let Some(d) = &column.default {
            calls.push(Call::Default(d.clone()));
        }
        ColumnSpec {
            name: column.name.clone(),
            calls,
        }
    }

    /// The sea-query column definition.
    pub fn def(&self) -> sea_query::ColumnDef {
        build::column_def(&self.name, &self.calls)
    }

    /// Whether the calls make the column its table's primary key.
    pub fn is_inline_primary_key(&self) -> bool {
        self.calls.contains(&Call::Method("primary_key"))
    }
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeySpec {
    /// The constraint's name (`None`: unnamed on SQLite, the server's name elsewhere).
    pub name: Option<String>,
    /// The referencing table.
    pub table: String,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub referenced_table: String,
    /// The referenced columns.
    pub referenced_columns: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: FkAction,
    /// `ON UPDATE`.
    pub on_update: FkAction,
}

/// A unique constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueSpec {
    /// Its name (`None`: unnamed on SQLite, the server's name elsewhere).
    pub name: Option<String>,
    /// Its columns.
    pub columns: Vec<String>,
}

/// A check constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSpec {
    /// Its name (`None`: unnamed).
    pub name: Option<String>,
    /// The SQL expression.
    pub expression: String,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    /// The index's name.
    pub name: String,
    /// Its table.
    pub table: String,
    /// Its key parts: column names, each optionally followed by ` desc`.
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
}

/// A whole table, as `CREATE TABLE` states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// The table's name.
    pub name: String,
    /// Its columns in order (a one-column primary key is a `.primary_key()` call of its
    /// column).
    pub columns: Vec<ColumnSpec>,
    /// A primary key stated at table level (several columns); empty otherwise.
    pub primary_key: Vec<String>,
    /// Unique constraints.
    pub uniques: Vec<UniqueSpec>,
    /// Check constraints.
    pub checks: Vec<CheckSpec>,
    /// Foreign keys stated in the `CREATE TABLE`.
    pub foreign_keys: Vec<ForeignKeySpec>,
}

/// A primary key's state, for [`Op::SetPrimaryKey`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrimaryKeySpec {
    /// The constraint's name where the backend keeps one (PostgreSQL).
    pub name: Option<String>,
    /// Its columns (empty: no primary key).
    pub columns: Vec<String>,
}

/// One schema operation. Every variant carries what executing it, printing it and inverting
/// it need (a drop carries the whole object, so that the downgrade can recreate it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `CREATE TYPE name AS ENUM (…)` (PostgreSQL).
    CreateEnum {
        /// The type's name.
        name: String,
        /// Its labels in order.
        values: Vec<String>,
    },
    /// `DROP TYPE name` (PostgreSQL).
    DropEnum {
        /// The type's name.
        name: String,
        /// Its labels in order (for the inverse).
        values: Vec<String>,
    },
    /// `ALTER TYPE name ADD VALUE value [AFTER after]` (PostgreSQL).
    AddEnumValue {
        /// The type's name.
        name: String,
        /// The new label.
        value: String,
        /// The label it follows (`None`: first or last, see `before`).
        after: Option<String>,
        /// The label it precedes, when it has no predecessor.
        before: Option<String>,
    },
    /// `CREATE TABLE`.
    CreateTable(TableSpec),
    /// `DROP TABLE` (carries the table, for the inverse).
    DropTable(TableSpec),
    /// `ALTER TABLE from RENAME TO to`.
    RenameTable {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Adds a column.
    AddColumn {
        /// The table.
        table: String,
        /// The column.
        column: ColumnSpec,
    },
    /// Drops a column (carries it, for the inverse).
    DropColumn {
        /// The table.
        table: String,
        /// The column.
        column: ColumnSpec,
    },
    /// Renames a column.
    RenameColumn {
        /// The table.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Changes a column's type, nullability or default to `to` (on SQLite and MySQL the
    /// whole definition is replaced; on PostgreSQL each part is set).
    AlterColumn {
        /// The table.
        table: String,
        /// The definition before (for the inverse).
        from: ColumnSpec,
        /// The definition after.
        to: ColumnSpec,
        /// The normalised type before (PostgreSQL: unchanged types are not restated).
        from_type: String,
        /// The normalised type after (PostgreSQL: the `USING "column"::type` cast).
        to_type: String,
    },
    /// `CREATE INDEX`.
    CreateIndex(IndexSpec),
    /// `DROP INDEX`.
    DropIndex(IndexSpec),
    /// Adds a unique constraint.
    AddUnique {
        /// The table.
        table: String,
        /// The constraint.
        unique: UniqueSpec,
    },
    /// Drops a unique constraint.
    DropUnique {
        /// The table.
        table: String,
        /// The constraint.
        unique: UniqueSpec,
    },
    /// Adds a check constraint.
    AddCheck {
        /// The table.
        table: String,
        /// The constraint.
        check: CheckSpec,
    },
    /// Drops a check constraint.
    DropCheck {
        /// The table.
        table: String,
        /// The constraint.
        check: CheckSpec,
    },
    /// Adds a foreign key.
    AddForeignKey(ForeignKeySpec),
    /// Drops a foreign key.
    DropForeignKey(ForeignKeySpec),
    /// Changes a table's primary key (PostgreSQL and MySQL; SQLite cannot without
    /// recreating the table, a [`NoteKind::Unsupported`] note).
    SetPrimaryKey {
        /// The table.
        table: String,
        /// The key before.
        from: PrimaryKeySpec,
        /// The key after.
        to: PrimaryKeySpec,
    },
}

impl Op {
    /// The table the operation is on (`None` for enum types).
    pub fn table(&self) -> Option<&str> {
        Some(match self {
            Op::CreateEnum { .. } | Op::DropEnum { .. } | Op::AddEnumValue { .. } => return None,
            Op::CreateTable(t) | Op::DropTable(t) => &t.name,
            Op::RenameTable { to, .. } => to,
            Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::RenameColumn { table, .. }
            | Op::AlterColumn { table, .. }
            | Op::AddUnique { table, .. }
            | Op::DropUnique { table, .. }
            | Op::AddCheck { table, .. }
            | Op::DropCheck { table, .. }
            | Op::SetPrimaryKey { table, .. } => table,
            Op::CreateIndex(i) | Op::DropIndex(i) => &i.table,
            Op::AddForeignKey(f) | Op::DropForeignKey(f) => &f.table,
        })
    }

    /// The operation that undoes this one; `None` when there is none (an enum value cannot
    /// be removed from a PostgreSQL type).
    pub fn inverse(&self) -> Option<Op> {
        Some(match self.clone() {
            Op::CreateEnum { name, values } => Op::DropEnum { name, values },
            Op::DropEnum { name, values } => Op::CreateEnum { name, values },
            Op::AddEnumValue { .. } => return None,
            Op::CreateTable(t) => Op::DropTable(t),
            Op::DropTable(t) => Op::CreateTable(t),
            Op::RenameTable { from, to } => Op::RenameTable { from: to, to: from },
            Op::AddColumn { table, column } => Op::DropColumn { table, column },
            Op::DropColumn { table, column } => Op::AddColumn { table, column },
            Op::RenameColumn { table, from, to } => Op::RenameColumn {
                table,
                from: to,
                to: from,
            },
            Op::AlterColumn {
                table,
                from,
                to,
                from_type,
                to_type,
            } => Op::AlterColumn {
                table,
                from: to,
                to: from,
                from_type: to_type,
                to_type: from_type,
            },
            Op::CreateIndex(i) => Op::DropIndex(i),
            Op::DropIndex(i) => Op::CreateIndex(i),
            Op::AddUnique { table, unique } => Op::DropUnique { table, unique },
            Op::DropUnique { table, unique } => Op::AddUnique { table, unique },
            Op::AddCheck { table, check } => Op::DropCheck { table, check },
            Op::DropCheck { table, check } => Op::AddCheck { table, check },
            Op::AddForeignKey(f) => Op::DropForeignKey(f),
            Op::DropForeignKey(f) => Op::AddForeignKey(f),
            Op::SetPrimaryKey { table, from, to } => Op::SetPrimaryKey {
                table,
                from: to,
                to: from,
            },
        })
    }
}

/// The table a declared table creates on `backend`: columns through
/// [`build::column_calls`] (a one-column primary key inline), the rest at table level.
/// `foreign_keys`: whether its foreign keys are part of the `CREATE TABLE`.
pub fn table_spec(def: &TableDef, backend: Backend, foreign_keys: bool) -> TableSpec {
    let inline_pk = def.primary_key.len() == 1;
    TableSpec {
        name: def.name.clone(),
        columns: def
            .columns
            .iter()
            .map(|c| ColumnSpec::declared(c, backend, inline_pk && def.primary_key[0] == c.name))
            .collect(),
        primary_key: if inline_pk {
            Vec::new()
        } else {
            def.primary_key.clone()
        },
        uniques: def
            .uniques
            .iter()
            .map(|u| UniqueSpec {
                name: u.name.clone(),
                columns: u.columns.clone(),
            })
            .collect(),
        checks: def
            .checks
            .iter()
            .map(|c| CheckSpec {
                name: c.name.clone(),
                expression: c.expression.clone(),
            })
            .collect(),
        foreign_keys: if foreign_keys {
            declared_foreign_keys(def)
        } else {
            Vec::new()
        },
    }
}

/// A declared table's foreign keys.
pub fn declared_foreign_keys(def: &TableDef) -> Vec<ForeignKeySpec> {
    def.foreign_keys
        .iter()
        .map(|f| ForeignKeySpec {
            name: f.name.clone(),
            table: def.name.clone(),
            columns: f.columns.clone(),
            referenced_table: f.referenced_table.clone(),
            referenced_columns: f.referenced_columns.clone(),
            on_delete: f.on_delete,
            on_update: f.on_update,
        })
        .collect()
}

/// A declared table's indexes.
pub fn declared_indexes(def: &TableDef) -> Vec<IndexSpec> {
    def.indexes
        .iter()
        .map(|i| IndexSpec {
            name: i.name.clone(),
            table: def.name.clone(),
            columns: i.columns.clone(),
            unique: i.unique,
        })
        .collect()
}

/// The PostgreSQL enum types the declared tables use, in first-use order, each once.
pub fn declared_enums(defs: &[TableDef]) -> Vec<(String, Vec<String>)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for d in defs {
        for c in &d.columns {
            if let ColumnType::Enum(e) = &c.ty {
                if seen.insert(e.name.clone()) {
                    out.push((e.name.clone(), e.values.clone()));
                }
            }
        }
    }
    out
}

/// The order to create `tables` in so that each comes after the tables its foreign keys
/// reference (declaration order otherwise). `refs(i)`: the names table `i` references.
/// Returns the order (indexes into `names`) and, per table, the referenced names that are
/// created after it (a cycle: those foreign keys must be added once all tables exist).
pub fn foreign_key_order(
    names: &[String],
    refs: &[BTreeSet<String>],
) -> (Vec<usize>, Vec<BTreeSet<String>>) {
    let known: BTreeSet<&String> = names.iter().collect();
    let mut done = vec![false; names.len()];
    let mut created: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::new();
    let mut deferred = vec![BTreeSet::new(); names.len()];
    while order.len() < names.len() {
        let ready = (0..names.len()).find(|&i| {
            !done[i]
                && refs[i]
                    .iter()
                    .all(|r| r == &names[i] || created.contains(r) || !known.contains(r))
        });
        // a cycle: the first table left goes first, its forward references later
        let i = ready.unwrap_or_else(|| (0..names.len()).find(|&i| !done[i]).expect("left"));
        deferred[i] = refs[i]
            .iter()
            .filter(|r| *r != &names[i] && !created.contains(*r) && known.contains(r))
            .cloned()
            .collect();
        done[i] = true;
        created.insert(names[i].clone());
        order.push(i);
    }
    (order, deferred)
}

/// The operations that create the declared schema `defs` in an empty database on
/// `backend`: PostgreSQL enum types first, then the tables in foreign-key order (a cycle:
/// the tables first, the foreign keys that close it added after them), then the indexes.
pub fn create_all(defs: &[TableDef], backend: Backend) -> Vec<Op> {
    let mut ops = Vec::new();
    if backend == Backend::Postgres {
        for (name, values) in declared_enums(defs) {
            ops.push(Op::CreateEnum { name, values });
        }
    }
    let names: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
    let refs: Vec<BTreeSet<String>> = defs
        .iter()
        .map(|d| {
            d.foreign_keys
                .iter()
                .map(|f| f.referenced_table.clone())
                .collect()
        })
        .collect();
    let (order, deferred) = foreign_key_order(&names, &refs);
    let mut later = Vec::new();
    for i in order {
        let mut spec = table_spec(&defs[i], backend, false);
        for fk in declared_foreign_keys(&defs[i]) {
            if deferred[i].contains(&fk.referenced_table) {
                later.push(Op::AddForeignKey(fk));
            } else {
                spec.foreign_keys.push(fk);
            }
        }
        ops.push(Op::CreateTable(spec));
    }
    ops.extend(later);
    for d in defs {
        ops.extend(declared_indexes(d).into_iter().map(Op::CreateIndex));
    }
    ops
}

/// What kind of remark a [`Note`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoteKind {
    /// The upgrade loses data (a dropped table or column, a narrowed type).
    Destructive,
    /// A column dropped and one of the same type added in one table, without a
    /// `renamed_from` hint: perhaps a rename.
    PossibleRename,
    /// A difference no operation expresses; the revision must be completed by hand.
    Unsupported,
}

/// A remark on a plan, printed as a `//` comment in the revision (and by the CLI on stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Its kind.
    pub kind: NoteKind,
    /// What it says.
    pub message: String,
    /// The table it is about, if any (the comment goes before that table's first operation).
    pub table: Option<String>,
}

/// The operations that turn one schema into another, both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The upgrade, in order.
    pub upgrade: Vec<Op>,
    /// The downgrade: the inverse of each upgrade operation, in reverse order.
    pub downgrade: Vec<Op>,
    /// Remarks (destructive changes, possible renames, what cannot be expressed).
    pub notes: Vec<Note>,
}

impl Plan {
    /// Whether there is nothing to do and nothing to say.
    pub fn is_empty(&self) -> bool {
        self.upgrade.is_empty() && self.notes.is_empty()
    }
}

pub(crate) fn fk_action(a: FkAction) -> Option<&'static str> {
    match a {
        FkAction::NoAction => None,
        FkAction::Restrict => Some("Restrict"),
        FkAction::Cascade => Some("Cascade"),
        FkAction::SetNull => Some("SetNull"),
        FkAction::SetDefault => Some("SetDefault"),
    }
}

/// An index key part: the column and whether it is descending (`"title desc"`).
pub(crate) fn index_part(part: &str) -> (&str, bool) {
    match part.strip_suffix(" desc") {
        Some(c) => (c, true),
        None => (part, false),
    }
}

/// One change inside a [`Step::Batch`]: a [`crate::BatchAlter`] method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BatchStep {
    AddColumn(ColumnSpec),
    DropColumn(String),
    AlterColumn(ColumnSpec),
    RenameColumn(String, String),
    DropConstraint(String),
    DropForeignKeyMatching(Vec<String>, String),
    CreateUnique(Option<String>, Vec<String>),
    DropUnique(String),
    DropUniqueMatching(Vec<String>),
    CreateCheck(Option<String>, String),
    DropCheckMatching(String),
}

/// One `Db` call: what [`apply`] runs and [`super::render::render`] prints, so that both
/// come from one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// `db.sql(&Type::create().as_enum(name).values(…).to_string(PostgresQueryBuilder))`.
    CreateType(String, Vec<String>),
    /// `db.sql(&Type::drop().name(name)…)`.
    DropType(String),
    /// `db.sql(&Type::alter().name(name).add_value(v)[.after(a)|.before(b)]…)`.
    AddTypeValue(String, String, Option<String>, Option<String>),
    /// `db.create_table(…)`.
    CreateTable(TableSpec),
    /// `db.drop_table(Table::drop().table(name))`.
    DropTable(String),
    /// `db.rename_table(Table::rename().table(from, to))`.
    RenameTable(String, String),
    /// `db.create_index(…)`.
    CreateIndex(IndexSpec),
    /// `db.drop_index(Index::drop().name(n)[.table(t)])` (the table on MySQL).
    DropIndex(String, Option<String>),
    /// `db.create_foreign_key(…)`.
    CreateForeignKey(ForeignKeySpec),
    /// `db.drop_foreign_key(ForeignKey::drop().name(n).table(t))`.
    DropForeignKey(String, String),
    /// `db.batch_alter_table(BatchAlter::table(t)…)`.
    Batch(String, Vec<BatchStep>),
    /// `db.sql("…")`: what no builder states (primary-key changes).
    Sql(String),
}

fn q(backend: Backend, name: &str) -> String {
    match backend {
        Backend::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

fn q_list(backend: Backend, names: &[String]) -> String {
    names
        .iter()
        .map(|n| q(backend, n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The calls of an `ALTER COLUMN` on `backend`: PostgreSQL sets only what changed (the type
/// with a `USING` cast, nullability, the default; a removed default is `SET DEFAULT NULL`),
/// and no backend restates the primary key (SQLite's rebuild replaces the whole definition,
/// so it keeps it).
fn alter_calls(
    column: &ColumnSpec,
    from: &ColumnSpec,
    from_type: &str,
    to_type: &str,
    backend: Backend,
) -> ColumnSpec {
    let mut calls = Vec::new();
    for (i, c) in column.calls.iter().enumerate() {
        match (backend, c) {
            (Backend::Sqlite, _) => calls.push(c.clone()),
            (_, Call::Method("primary_key")) => {}
            (Backend::Postgres, Call::Method("auto_increment")) => {}
            (Backend::Postgres, _) if i == 0 && from_type == to_type => {}
            _ => calls.push(c.clone()),
        }
    }
    if backend == Backend::Postgres {
        if from_type != to_type {
            calls.push(Call::Using(format!(
                "{}::{}",
                q(backend, &column.name),
                to_type
            )));
        }
        let has_default = |s: &ColumnSpec| s.calls.iter().any(|c| matches!(c, Call::Default(_)));
        if has_default(from) && !has_default(column) {
            calls.push(Call::Default("NULL".into()));
        }
    }
    ColumnSpec {
        name: column.name.clone(),
        calls,
    }
}

/// The `Db` calls that carry out `op` on `backend`; `Err(reason)` when the backend cannot.
pub(crate) fn steps(op: &Op, backend: Backend) -> Result<Vec<Step>, String> {
    let batch = |t: &str, s: BatchStep| Ok(vec![Step::Batch(t.to_owned(), vec![s])]);
    match op.clone() {
        Op::CreateEnum { name, values } => Ok(vec![Step::CreateType(name, values)]),
        Op::DropEnum { name, .. } => Ok(vec![Step::DropType(name)]),
        Op::AddEnumValue {
            name,
            value,
            after,
            before,
        } => Ok(vec![Step::AddTypeValue(name, value, after, before)]),
        Op::CreateTable(t) => Ok(vec![Step::CreateTable(t)]),
        Op::DropTable(t) => Ok(vec![Step::DropTable(t.name)]),
        Op::RenameTable { from, to } => Ok(vec![Step::RenameTable(from, to)]),
        Op::AddColumn { table, column } => batch(&table, BatchStep::AddColumn(column)),
        Op::DropColumn { table, column } => batch(&table, BatchStep::DropColumn(column.name)),
        Op::RenameColumn { table, from, to } => batch(&table, BatchStep::RenameColumn(from, to)),
        Op::AlterColumn {
            table,
            from,
            to,
            from_type,
            to_type,
        } => batch(
            &table,
            BatchStep::AlterColumn(alter_calls(&to, &from, &from_type, &to_type, backend)),
        ),
        Op::CreateIndex(i) => Ok(vec![Step::CreateIndex(i)]),
        Op::DropIndex(i) => Ok(vec![Step::DropIndex(
            i.name,
            (backend == Backend::MySql).then_some(i.table),
        )]),
        Op::AddUnique { table, unique } => {
            batch(&table, BatchStep::CreateUnique(unique.name, unique.columns))
        }
        Op::DropUnique { table, unique } => match unique.name {
            Some(n) => batch(&table, BatchStep::DropUnique(n)),
            None => batch(&table, BatchStep::DropUniqueMatching(unique.columns)),
        },
        Op::AddCheck { table, check } => {
            batch(&table, BatchStep::CreateCheck(check.name, check.expression))
        }
        Op::DropCheck { table, check } => match check.name {
            Some(n) => batch(&table, BatchStep::DropConstraint(n)),
            None => batch(&table, BatchStep::DropCheckMatching(check.expression)),
        },
        Op::AddForeignKey(f) => Ok(vec![Step::CreateForeignKey(f)]),
        Op::DropForeignKey(f) => match f.name {
            Some(n) => Ok(vec![Step::DropForeignKey(n, f.table)]),
            None => batch(
                &f.table,
                BatchStep::DropForeignKeyMatching(f.columns, f.referenced_table),
            ),
        },
        Op::SetPrimaryKey { table, from, to } => {
            let t = q(backend, &table);
            let add = |to: &PrimaryKeySpec| {
                format!(
                    "ADD {}PRIMARY KEY ({})",
                    match (&to.name, backend) {
                        (Some(n), Backend::Postgres) => format!("CONSTRAINT {} ", q(backend, n)),
                        _ => String::new(),
                    },
                    q_list(backend, &to.columns)
                )
            };
            match backend {
                Backend::Sqlite => Err(format!(
                    "SQLite cannot change the primary key of `{table}` without recreating the \
                     table ({} -> {})",
                    from.columns.join(", "),
                    to.columns.join(", ")
                )),
                Backend::Postgres => {
                    if from.columns == to.columns {
                        return match (&from.name, &to.name) {
                            (Some(a), Some(b)) => Ok(vec![Step::Sql(format!(
                                "ALTER TABLE {t} RENAME CONSTRAINT {} TO {}",
                                q(backend, a),
                                q(backend, b)
                            ))]),
                            _ => Ok(Vec::new()),
                        };
                    }
                    let mut parts = Vec::new();
                    if let Some(n) = &from.name {
                        if !from.columns.is_empty() {
                            parts.push(format!("DROP CONSTRAINT {}", q(backend, n)));
                        }
                    }
                    if !to.columns.is_empty() {
                        parts.push(add(&to));
                    }
                    Ok(vec![Step::Sql(format!(
                        "ALTER TABLE {t} {}",
                        parts.join(", ")
                    ))])
                }
                Backend::MySql => {
                    let mut parts = Vec::new();
                    if !from.columns.is_empty() {
                        parts.push("DROP PRIMARY KEY".to_owned());
                    }
                    if !to.columns.is_empty() {
                        parts.push(add(&to));
                    }
                    Ok(vec![Step::Sql(format!(
                        "ALTER TABLE {t} {}",
                        parts.join(", ")
                    ))])
                }
            }
        }
    }
}

/// The sea-query `CREATE TABLE` of a table.
pub(crate) fn create_table_statement(t: &TableSpec) -> sea_query::TableCreateStatement {
    use sea_query::{Alias, Expr, Index, Table};
    let mut s = Table::create();
    s.table(Alias::new(t.name.as_str()));
    for c in &t.columns {
        s.col(c.def());
    }
    if !t.primary_key.is_empty() {
        let mut pk = Index::create();
        for c in &t.primary_key {
            pk.col(Alias::new(c.as_str()));
        }
        s.primary_key(&mut pk);
    }
    for u in &t.uniques {
        let mut i = Index::create();
        i.unique();
        if let Some(n) = &u.name {
            i.name(n.as_str());
        }
        for c in &u.columns {
            i.col(Alias::new(c.as_str()));
        }
        s.index(&mut i);
    }
    for c in &t.checks {
        match &c.name {
            Some(n) => s.check((Alias::new(n.as_str()), Expr::cust(c.expression.clone()))),
            None => s.check(Expr::cust(c.expression.clone())),
        };
    }
    for f in &t.foreign_keys {
        s.foreign_key(&mut foreign_key_statement(f));
    }
    s
}

/// The sea-query `ForeignKey::create()` of a foreign key.
pub(crate) fn foreign_key_statement(f: &ForeignKeySpec) -> sea_query::ForeignKeyCreateStatement {
    use sea_query::{Alias, ForeignKey, ForeignKeyAction};
    let mut s = ForeignKey::create();
    if let Some(n) = &f.name {
        s.name(n.as_str());
    }
    s.from_tbl(Alias::new(f.table.as_str()));
    for c in &f.columns {
        s.from_col(Alias::new(c.as_str()));
    }
    s.to_tbl(Alias::new(f.referenced_table.as_str()));
    for c in &f.referenced_columns {
        s.to_col(Alias::new(c.as_str()));
    }
    let action = |a: FkAction| match a {
        FkAction::NoAction => ForeignKeyAction::NoAction,
        FkAction::Restrict => ForeignKeyAction::Restrict,
        FkAction::Cascade => ForeignKeyAction::Cascade,
        FkAction::SetNull => ForeignKeyAction::SetNull,
        FkAction::SetDefault => ForeignKeyAction::SetDefault,
    };
    if fk_action(f.on_delete).is_some() {
        s.on_delete(action(f.on_delete));
    }
    if fk_action(f.on_update).is_some() {
        s.on_update(action(f.on_update));
    }
    s
}

/// The sea-query `CREATE INDEX` of an index.
pub(crate) fn create_index_statement(i: &IndexSpec) -> sea_query::IndexCreateStatement {
    use sea_query::{Alias, Index, IndexOrder};
    let mut s = Index::create();
    s.name(i.name.as_str()).table(Alias::new(i.table.as_str()));
    for p in &i.columns {
        match index_part(p) {
            (c, true) => s.col((Alias::new(c), IndexOrder::Desc)),
            (c, false) => s.col(Alias::new(c)),
        };
    }
    if i.unique {
        s.unique();
    }
    s
}

/// The [`crate::BatchAlter`] of a batch.
pub(crate) fn batch_statement(table: &str, steps: &[BatchStep]) -> crate::BatchAlter {
    let mut b = crate::BatchAlter::table(table);
    for s in steps {
        b = match s.clone() {
            BatchStep::AddColumn(c) => b.add_column(c.def()),
            BatchStep::DropColumn(c) => b.drop_column(c),
            BatchStep::AlterColumn(c) => b.alter_column(c.def()),
            BatchStep::RenameColumn(f, t) => b.rename_column(f, t),
            BatchStep::DropConstraint(n) => b.drop_constraint(n),
            BatchStep::DropForeignKeyMatching(c, r) => b.drop_foreign_key_matching(c, r),
            BatchStep::CreateUnique(n, c) => b.create_unique(n.as_deref(), c),
            BatchStep::DropUnique(n) => b.drop_unique(n),
            BatchStep::DropUniqueMatching(c) => b.drop_unique_matching(c),
            BatchStep::CreateCheck(n, e) => b.create_check(n.as_deref(), e),
            BatchStep::DropCheckMatching(e) => b.drop_check_matching(e),
        };
    }
    b
}

/// Runs `ops` on `db`, in order (on a `Db` in a transaction, inside it).
///
/// # Errors
/// [`Error::Unsupported`] for an operation the backend cannot carry out (a primary-key change
/// on SQLite), before anything runs; otherwise what the `Db` call of the failing operation
/// returns ([`Error::Database`], [`Error::BatchRefused`], …).
pub async fn apply(db: &mut crate::db::Db, ops: &[Op]) -> Result<(), crate::Error> {
    use sea_query::extension::postgres::Type;
    use sea_query::{Alias, Index, PostgresQueryBuilder, Table};
    let backend = db.backend();
    let mut all = Vec::new();
    for op in ops {
        all.extend(
            steps(op, backend).map_err(|detail| crate::Error::Unsupported {
                backend: backend.name(),
                detail,
            })?,
        );
    }
    for step in all {
        match step {
            Step::CreateType(n, v) => {
                db.sql(
                    &Type::create()
                        .as_enum(Alias::new(n))
                        .values(v.into_iter().map(Alias::new))
                        .to_string(PostgresQueryBuilder),
                )
                .await?
            }
            Step::DropType(n) => {
                db.sql(
                    &Type::drop()
                        .name(Alias::new(n))
                        .to_string(PostgresQueryBuilder),
                )
                .await?
            }
            Step::AddTypeValue(n, v, after, before) => {
                let add = Type::alter().name(Alias::new(n)).add_value(Alias::new(v));
                let sql = match (after, before) {
                    (Some(a), _) => add.after(Alias::new(a)).to_string(PostgresQueryBuilder),
                    (None, Some(b)) => add.before(Alias::new(b)).to_string(PostgresQueryBuilder),
                    (None, None) => add.to_string(PostgresQueryBuilder),
                };
                db.sql(&sql).await?
            }
            Step::CreateTable(t) => db.create_table(create_table_statement(&t)).await?,
            Step::DropTable(t) => {
                db.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                    .await?
            }
            Step::RenameTable(f, t) => {
                db.rename_table(
                    Table::rename()
                        .table(Alias::new(f), Alias::new(t))
                        .to_owned(),
                )
                .await?
            }
            Step::CreateIndex(i) => db.create_index(create_index_statement(&i)).await?,
            Step::DropIndex(n, t) => {
                let mut s = Index::drop();
                s.name(n.as_str());
                if let Some(t) = t {
                    s.table(Alias::new(t));
                }
                db.drop_index(s).await?
            }
            Step::CreateForeignKey(f) => db.create_foreign_key(foreign_key_statement(&f)).await?,
            Step::DropForeignKey(n, t) => {
                db.drop_foreign_key(
                    sea_query::ForeignKey::drop()
                        .name(n.as_str())
                        .table(Alias::new(t))
                        .to_owned(),
                )
                .await?
            }
            Step::Batch(t, s) => db.batch_alter_table(batch_statement(&t, &s)).await?,
            Step::Sql(s) => db.sql(&s).await?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::declare::{ColumnDef, ForeignKeyDef};

    fn t(name: &str, refs: &[&str]) -> TableDef {
        let mut d = TableDef::new(name)
            .column(ColumnDef::new("id", ColumnType::Integer))
            .primary_key(["id"]);
        for r in refs {
            let c = format!("{r}_id");
            d = d
                .column(ColumnDef::new(c.clone(), ColumnType::Integer))
                .foreign_key(ForeignKeyDef::new([c], *r, ["id"]));
        }
        d
    }

    fn kinds(ops: &[Op]) -> Vec<String> {
        ops.iter()
            .map(|o| match o {
                Op::CreateTable(t) => format!("create {}", t.name),
                Op::AddForeignKey(f) => format!("fk {}->{}", f.table, f.referenced_table),
                Op::CreateIndex(i) => format!("index {}", i.name),
                Op::CreateEnum { name, .. } => format!("enum {name}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn tables_come_in_foreign_key_order() {
        let defs = [
            t("posts", &["users"]),
            t("comments", &["posts", "users"]),
            t("users", &[]),
        ];
        assert_eq!(
            kinds(&create_all(&defs, Backend::Sqlite)),
            ["create users", "create posts", "create comments"]
        );
    }

    #[test]
    fn a_cycle_creates_the_tables_then_the_closing_foreign_keys() {
        let defs = [t("a", &["b"]), t("b", &["a"]), t("c", &["c"])];
        let ops = create_all(&defs, Backend::Postgres);
        // c (referencing only itself) is ready first; a and b form the cycle
        assert_eq!(kinds(&ops), ["create c", "create a", "create b", "fk a->b"]);
        // b's foreign key to a and c's to itself are part of their CREATE TABLE
        match &ops[2] {
            Op::CreateTable(t) => assert_eq!(t.foreign_keys.len(), 1),
            _ => unreachable!(),
        }
    }

    #[test]
    fn enum_types_first_and_indexes_last_on_postgres_only() {
        use crate::schema::declare::EnumDef;
        let mood = ColumnType::Enum(EnumDef::new("mood", ["sad", "ok"]));
        let defs = [t("users", &[])
            .column(ColumnDef::new("m", mood.clone()))
            .column(ColumnDef::new("n", mood))
            .index("ix_users_m", ["m"], false)];
        assert_eq!(
            kinds(&create_all(&defs, Backend::Postgres)),
            ["enum mood", "create users", "index ix_users_m"]
        );
        assert_eq!(
            kinds(&create_all(&defs, Backend::MySql)),
            ["create users", "index ix_users_m"]
        );
    }

    #[test]
    fn every_op_inverts_back_to_itself() {
        let defs = [t("posts", &["users"])];
        let spec = table_spec(&defs[0], Backend::Sqlite, true);
        let col = spec.columns[1].clone();
        let ops = [
            Op::CreateTable(spec.clone()),
            Op::RenameTable {
                from: "a".into(),
                to: "b".into(),
            },
            Op::AddColumn {
                table: "posts".into(),
                column: col.clone(),
            },
            Op::AlterColumn {
                table: "posts".into(),
                from: col.clone(),
                to: ColumnSpec {
                    name: col.name.clone(),
                    calls: vec![Call::Method("text")],
                },
                from_type: "integer".into(),
                to_type: "text".into(),
            },
            Op::AddForeignKey(spec.foreign_keys[0].clone()),
        ];
        for op in ops {
            let inv = op.inverse().unwrap();
            assert_ne!(inv, op);
            assert_eq!(inv.inverse().unwrap(), op);
        }
    }
}
