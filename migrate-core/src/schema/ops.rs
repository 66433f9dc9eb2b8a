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
use super::diff::{Change, Object, diff};
use super::model::{self, FkAction, Schema};
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
        build::spec_calls(
            &mut calls,
            column.nullable,
            column.auto_increment,
            primary_key,
            column.default.as_deref(),
        );
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
    /// MySQL: the key has the index MySQL made for it (no other index starts with its
    /// columns), which dropping the key leaves behind; it is dropped with the key.
    pub own_index: bool,
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
    /// MySQL: a foreign key of the table, `(name, columns)`, that this index may be the only
    /// index for; dropping the index first creates the key's own index (MySQL refuses to
    /// drop the index a foreign key needs).
    pub foreign_key: Option<(String, Vec<String>)>,
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
        /// The labels before the addition (the inverse recreates the type with them).
        values: Vec<String>,
        /// The columns using the type (for the inverse).
        uses: Vec<EnumUse>,
    },
    /// Replaces a PostgreSQL enum type's labels (what `ADD VALUE` cannot: removing or
    /// reordering): the old type renamed away, the new one created, each column using it
    /// converted through `text` (its default dropped and set again), the old type dropped.
    RecreateEnum {
        /// The type's name.
        name: String,
        /// Its labels before.
        from: Vec<String>,
        /// Its labels after.
        to: Vec<String>,
        /// The columns using it.
        uses: Vec<EnumUse>,
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
            Op::CreateEnum { .. }
            | Op::DropEnum { .. }
            | Op::AddEnumValue { .. }
            | Op::RecreateEnum { .. } => return None,
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
            Op::AddEnumValue {
                name,
                value,
                after,
                before,
                values,
                uses,
            } => {
                // the labels after the addition, where PostgreSQL puts the new one
                let mut from = values.clone();
                let at = match (&after, &before) {
                    (Some(a), _) => from.iter().position(|v| v == a).map(|i| i + 1),
                    (None, Some(b)) => from.iter().position(|v| v == b),
                    (None, None) => None,
                };
                from.insert(at.unwrap_or(from.len()), value);
                Op::RecreateEnum {
                    name,
                    from,
                    to: values,
                    uses,
                }
            }
            Op::RecreateEnum {
                name,
                from,
                to,
                uses,
            } => Op::RecreateEnum {
                name,
                from: to,
                to: from,
                uses,
            },
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
            own_index: false,
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
            foreign_key: None,
        })
        .collect()
}

/// The PostgreSQL enum types the declared tables use, in first-use order, each once.
pub fn declared_enums(defs: &[TableDef]) -> Vec<(String, Vec<String>)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for d in defs {
        for c in &d.columns {
            if let ColumnType::Enum(e) = &c.ty
                && seen.insert(e.name.clone())
            {
                out.push((e.name.clone(), e.values.clone()));
            }
        }
    }
    out
}

/// For each table of `names` (all in `schema`), the tables its foreign keys reference: the
/// `refs` of [`foreign_key_order`].
fn referenced_tables(schema: &Schema, names: &[String]) -> Vec<BTreeSet<String>> {
    names
        .iter()
        .map(|t| {
            schema.tables[t]
                .foreign_keys
                .values()
                .map(|f| f.referenced_table.clone())
                .collect()
        })
        .collect()
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
    /// What the plan found, in words, for autogenerate's `Detected` lines: each rename
    /// (``table `a` renamed to `b` ``, ``column `t`.`a` renamed to `b` ``), then each
    /// difference of the renamed schema from the desired one (as [`super::diff::Difference`]
    /// prints it). A column renamed by `renamed_from` is one rename here, not a column removed
    /// and one added.
    pub detected: Vec<String>,
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

/// A column that uses a PostgreSQL enum type, for [`Op::RecreateEnum`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumUse {
    /// The table.
    pub table: String,
    /// The column.
    pub column: String,
    /// Its default (normalised), dropped and set again around the type change.
    pub default: Option<String>,
}

/// The PostgreSQL enum columns of `schema` using type `name`.
fn enum_uses(schema: &Schema, name: &str) -> Vec<EnumUse> {
    let mut out = Vec::new();
    for t in schema.tables.values() {
        for c in &t.columns {
            if c.ty == name {
                out.push(EnumUse {
                    table: t.name.clone(),
                    column: c.name.clone(),
                    default: c.default.clone(),
                });
            }
        }
    }
    out
}

/// A table of a normalised schema as a `CREATE TABLE` (a table the models do not have): its
/// columns through [`ColumnSpec::from_model`], keys and constraints as the catalogue has
/// them. `schema`: where an unnamed SQLite foreign key's referenced primary key is looked
/// up. `foreign_keys`: whether the foreign keys are part of it.
pub fn model_table_spec(t: &model::Table, schema: &Schema, foreign_keys: bool) -> TableSpec {
    let pk: Vec<String> = t
        .primary_key
        .as_ref()
        .map(|p| p.columns.clone())
        .unwrap_or_default();
    let inline = pk.len() == 1;
    TableSpec {
        name: t.name.clone(),
        columns: t
            .columns
            .iter()
            .map(|c| ColumnSpec::from_model(c, inline && pk[0] == c.name))
            .collect(),
        primary_key: if inline { Vec::new() } else { pk },
        uniques: t
            .uniques
            .values()
            .map(|u| UniqueSpec {
                name: u.name.clone(),
                columns: u.columns.clone(),
            })
            .collect(),
        checks: t
            .checks
            .values()
            .map(|c| CheckSpec {
                name: c.name.clone(),
                expression: c.expression.clone(),
            })
            .collect(),
        foreign_keys: if foreign_keys {
            t.foreign_keys
                .values()
                .map(|f| model_foreign_key(&t.name, f, schema))
                .collect()
        } else {
            Vec::new()
        },
    }
}

/// A foreign key of a normalised schema (SQLite's "the referenced primary key" spelled out).
pub fn model_foreign_key(table: &str, f: &model::ForeignKey, schema: &Schema) -> ForeignKeySpec {
    let referenced_columns = if f.referenced_columns.is_empty() {
        schema
            .tables
            .get(&f.referenced_table)
            .and_then(|t| t.primary_key.as_ref())
            .map(|p| p.columns.clone())
            .unwrap_or_default()
    } else {
        f.referenced_columns.clone()
    };
    ForeignKeySpec {
        name: f.name.clone(),
        table: table.to_owned(),
        columns: f.columns.clone(),
        referenced_table: f.referenced_table.clone(),
        referenced_columns,
        on_delete: f.on_delete,
        on_update: f.on_update,
        own_index: false,
    }
}

/// An index of a normalised schema; `Err` (a message) for what the builders cannot state:
/// expression parts and partial indexes.
fn model_index(table: &str, i: &model::Index) -> Result<IndexSpec, String> {
    if let Some(p) = &i.predicate {
        return Err(format!(
            "index `{}` on `{table}` is partial (WHERE {p}): write it with db.sql(…)",
            i.name
        ));
    }
    if let Some(p) = i.parts.iter().find(|p| p.starts_with('(')) {
        return Err(format!(
            "index `{}` on `{table}` has an expression part {p}: write it with db.sql(…)",
            i.name
        ));
    }
    Ok(IndexSpec {
        name: i.name.clone(),
        table: table.to_owned(),
        columns: i.parts.clone(),
        unique: i.unique,
        foreign_key: None,
    })
}

/// Integer width rank for [`narrows`].
fn int_rank(t: &str) -> Option<u8> {
    Some(match t {
        "tinyint" | "tinyint unsigned" => 1,
        "smallint" | "smallint unsigned" => 2,
        "mediumint" | "mediumint unsigned" => 3,
        "integer" | "int" | "integer unsigned" | "int unsigned" => 4,
        "bigint" | "bigint unsigned" => 5,
        _ => return None,
    })
}

/// `varchar(n)` / `char(n)` → `n`.
fn length(t: &str) -> Option<u64> {
    let inner = t
        .strip_prefix("varchar(")
        .or_else(|| t.strip_prefix("character varying("))
        .or_else(|| t.strip_prefix("char("))?;
    inner.strip_suffix(')')?.parse().ok()
}

/// Whether changing a column from type `from` to `to` may lose or reject data: anything but
/// a known widening (a wider integer, a longer string, any string to `text`, a wider
/// `numeric`, `real` to `double precision`).
pub fn narrows(from: &str, to: &str) -> bool {
    if from == to {
        return false;
    }
    if let (Some(a), Some(b)) = (int_rank(from), int_rank(to)) {
        return b < a;
    }
    // a MySQL enum gaining values
    let labels = |t: &str| -> Option<Vec<String>> {
        let inner = t.strip_prefix("enum(")?.strip_suffix(')')?;
        Some(inner.split(',').map(|v| v.trim().to_owned()).collect())
    };
    if let (Some(a), Some(b)) = (labels(from), labels(to)) {
        return !a.iter().all(|v| b.contains(v));
    }
    // `varchar` without a length is unbounded (PostgreSQL; SQLite's spelling of a string
    // column that sea-query's `string()` writes): `text` holds what it holds
    if to == "text" && (length(from).is_some() || matches!(from, "varchar" | "character varying")) {
        return false;
    }
    if let (Some(a), Some(b)) = (length(from), length(to)) {
        return b < a;
    }
    let base = |t: &str| t.split('(').next().unwrap_or(t).to_owned();
    let num = |t: &str| -> Option<(u64, u64)> {
        let inner = t.split_once('(')?.1.strip_suffix(')')?;
        let (p, s) = inner.split_once(',').unwrap_or((inner, "0"));
        Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
    };
    if let (Some((p1, s1)), Some((p2, s2))) = (num(from), num(to))
        && base(from) == base(to)
    {
        return p2 < p1 || s2 < s1 || p2 - s2 < p1 - s1;
    }
    !(from == "real" && to == "double precision")
}

/// Renames table `from` to `to` inside `schema` (its key, name, and the foreign keys that
/// reference it), as a rename operation would.
fn rename_table_in(schema: &mut Schema, from: &str, to: &str) {
    if let Some(mut t) = schema.tables.remove(from) {
        t.name = to.to_owned();
        schema.tables.insert(to.to_owned(), t);
    }
    for t in schema.tables.values_mut() {
        let fks = std::mem::take(&mut t.foreign_keys);
        for (_, mut f) in fks {
            if f.referenced_table == from {
                f.referenced_table = to.to_owned();
            }
            t.add_foreign_key(f);
        }
    }
}

/// Renames column `from` of `table` to `to` inside `schema` (the column, keys, indexes,
/// uniques and foreign keys naming it, here and in the tables that reference it).
fn rename_column_in(schema: &mut Schema, table: &str, from: &str, to: &str) {
    let rn = |v: &mut Vec<String>| {
        for c in v.iter_mut() {
            if c == from {
                *c = to.to_owned();
            } else if let Some(rest) = c.strip_prefix(from).and_then(|r| r.strip_prefix(' ')) {
                *c = format!("{to} {rest}");
            }
        }
    };
    for t in schema.tables.values_mut() {
        let own = t.name == table;
        if own {
            for c in &mut t.columns {
                if c.name == from {
                    c.name = to.to_owned();
                }
            }
            if let Some(p) = &mut t.primary_key {
                rn(&mut p.columns);
            }
            for i in t.indexes.values_mut() {
                rn(&mut i.parts);
            }
            let uniques = std::mem::take(&mut t.uniques);
            for (_, mut u) in uniques {
                rn(&mut u.columns);
                t.add_unique(u);
            }
        }
        let fks = std::mem::take(&mut t.foreign_keys);
        for (_, mut f) in fks {
            if own {
                rn(&mut f.columns);
            }
            if f.referenced_table == table {
                rn(&mut f.referenced_columns);
            }
            t.add_foreign_key(f);
        }
    }
}

/// The operations that turn `current` (the schema the migrations produce, introspected)
/// into `desired` (the schema of a database created from the models, introspected), with
/// the exact inverse and notes. `defs`: the declared tables, which give the typed column
/// definitions of what the models have and the `renamed_from` hints. Both schemas must come
/// from the same backend's introspection (`backend`).
///
/// Order of the upgrade: enum types created and values added; renames (tables, then
/// columns); foreign keys, indexes, uniques and checks dropped; tables dropped (in reverse
/// foreign-key order); columns added, altered; primary keys changed; columns dropped; tables
/// created (in foreign-key order); uniques, checks, indexes and foreign keys added; enum types
/// dropped. The downgrade is the inverse of each operation in reverse order.
///
/// Notes: [`NoteKind::Destructive`] for a dropped table or column and a type change that is
/// not a known widening; [`NoteKind::PossibleRename`] for a column dropped and one of the
/// same type added in one table without a hint; [`NoteKind::Unsupported`] for what no
/// operation expresses (auto-increment and generated-column changes, expression and partial
/// indexes, a primary-key change on SQLite, views, triggers, functions, sequences,
/// extensions, an upgrade operation without an inverse).
pub fn plan(current: &Schema, desired: &Schema, defs: &[TableDef], backend: Backend) -> Plan {
    let def_of = |name: &str| defs.iter().find(|d| d.name == name);
    let mut notes = Vec::new();
    let note = |notes: &mut Vec<Note>, kind, table: Option<&str>, message: String| {
        notes.push(Note {
            kind,
            message,
            table: table.map(str::to_owned),
        })
    };
    let mut cur = current.clone();
    let mut renames = Vec::new();
    // renames first: the rest of the plan compares the renamed schema
    for d in defs {
        if cur.tables.contains_key(&d.name) || !desired.tables.contains_key(&d.name) {
            continue;
        }
        if let Some(old) = d
            .renamed_from
            .iter()
            .find(|o| cur.tables.contains_key(*o) && !desired.tables.contains_key(*o))
        {
            renames.push(Op::RenameTable {
                from: old.clone(),
                to: d.name.clone(),
            });
            rename_table_in(&mut cur, old, &d.name);
        }
    }
    for d in defs {
        let (Some(ct), Some(dt)) = (cur.tables.get(&d.name), desired.tables.get(&d.name)) else {
            continue;
        };
        let mut found = Vec::new();
        for c in &d.columns {
            if ct.column(&c.name).is_some() || dt.column(&c.name).is_none() {
                continue;
            }
            if let Some(old) = c
                .renamed_from
                .iter()
                .find(|o| ct.column(o).is_some() && dt.column(o).is_none())
            {
                found.push((old.clone(), c.name.clone()));
            }
        }
        for (old, new) in found {
            renames.push(Op::RenameColumn {
                table: d.name.clone(),
                from: old.clone(),
                to: new.clone(),
            });
            rename_column_in(&mut cur, &d.name, &old, &new);
        }
    }

    let differences = diff(&cur, desired);
    let detected = renames
        .iter()
        .filter_map(|r| match r {
            Op::RenameTable { from, to } => Some(format!("table `{from}` renamed to `{to}`")),
            Op::RenameColumn { table, from, to } => {
                Some(format!("column `{table}`.`{from}` renamed to `{to}`"))
            }
            _ => None,
        })
        .chain(differences.iter().map(ToString::to_string))
        .collect();
    #[derive(Default)]
    struct Phases {
        enums_first: Vec<Op>,
        drop_fks: Vec<Op>,
        drop_constraints: Vec<Op>,
        drop_tables: Vec<String>,
        add_columns: Vec<Op>,
        alter_columns: Vec<Op>,
        primary_keys: Vec<Op>,
        drop_columns: Vec<Op>,
        create_tables: Vec<String>,
        add_constraints: Vec<Op>,
        add_fks: Vec<Op>,
        enums_last: Vec<Op>,
    }
    let mut p = Phases::default();
    let mut changed_columns: Vec<(String, String)> = Vec::new();
    let mut changed_pks: BTreeSet<String> = BTreeSet::new();
    for d in &differences {
        match (&d.object, &d.change) {
            (Object::Enum(n), Change::Added) => p.enums_first.push(Op::CreateEnum {
                name: n.clone(),
                values: desired.enums[n].clone(),
            }),
            (Object::Enum(n), Change::Removed) => p.enums_last.push(Op::DropEnum {
                name: n.clone(),
                values: cur.enums[n].clone(),
            }),
            (Object::Enum(n), Change::Changed { .. }) => {
                let (old, new) = (&cur.enums[n], &desired.enums[n]);
                let mut it = new.iter();
                let superset = old.iter().all(|o| it.any(|x| x == o));
                if superset {
                    let mut have = old.clone();
                    for (i, v) in new.iter().enumerate() {
                        if old.contains(v) {
                            continue;
                        }
                        p.enums_first.push(Op::AddEnumValue {
                            name: n.clone(),
                            value: v.clone(),
                            after: i.checked_sub(1).map(|j| new[j].clone()),
                            before: if i == 0 { new.get(1).cloned() } else { None },
                            values: have.clone(),
                            uses: enum_uses(&cur, n),
                        });
                        have.insert(i.min(have.len()), v.clone());
                    }
                } else {
                    let lost: Vec<&String> = old.iter().filter(|o| !new.contains(o)).collect();
                    if !lost.is_empty() {
                        note(
                            &mut notes,
                            NoteKind::Destructive,
                            None,
                            format!(
                                "enum `{n}` loses the values {}: rows holding them make the \
                                 upgrade fail",
                                lost.iter()
                                    .map(|v| format!("'{v}'"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                    }
                    p.enums_first.push(Op::RecreateEnum {
                        name: n.clone(),
                        from: old.clone(),
                        to: new.clone(),
                        uses: enum_uses(&cur, n),
                    });
                }
            }
            (Object::Table(t), Change::Added) => p.create_tables.push(t.clone()),
            (Object::Table(t), Change::Removed) => p.drop_tables.push(t.clone()),
            (Object::Column(t, c), Change::Added) => {
                let spec = match def_of(t).and_then(|d| d.get_column(c)) {
                    Some(dc) => ColumnSpec::declared(dc, backend, false),
                    None => ColumnSpec::from_model(
                        desired.tables[t].column(c).expect("diffed column"),
                        false,
                    ),
                };
                p.add_columns.push(Op::AddColumn {
                    table: t.clone(),
                    column: spec,
                });
            }
            (Object::Column(t, c), Change::Removed) => {
                let col = cur.tables[t].column(c).expect("diffed column");
                note(
                    &mut notes,
                    NoteKind::Destructive,
                    Some(t),
                    format!("drops column `{t}`.`{c}` and its data"),
                );
                p.drop_columns.push(Op::DropColumn {
                    table: t.clone(),
                    column: ColumnSpec::from_model(col, false),
                });
            }
            (Object::Column(t, c), Change::Changed { field, from, to }) => {
                if *field == "auto_increment" || *field == "generated" {
                    note(
                        &mut notes,
                        NoteKind::Unsupported,
                        Some(t),
                        format!(
                            "column `{t}`.`{c}`: {field} changes from `{from}` to `{to}`; \
                             autogenerate cannot express this, write it by hand"
                        ),
                    );
                    continue;
                }
                if !changed_columns.contains(&(t.clone(), c.clone())) {
                    changed_columns.push((t.clone(), c.clone()));
                }
            }
            (Object::PrimaryKey(t), _) => {
                changed_pks.insert(t.clone());
            }
            (Object::Index(t, i), change) => {
                if !matches!(change, Change::Added) {
                    match model_index(t, &cur.tables[t].indexes[i]) {
                        Ok(s) => p.drop_constraints.push(Op::DropIndex(s)),
                        Err(m) => note(&mut notes, NoteKind::Unsupported, Some(t), m),
                    }
                }
                if !matches!(change, Change::Removed) {
                    let declared = def_of(t)
                        .and_then(|d| declared_indexes(d).into_iter().find(|x| &x.name == i));
                    match declared
                        .ok_or(())
                        .or_else(|()| model_index(t, &desired.tables[t].indexes[i]))
                    {
                        Ok(s) => p.add_constraints.push(Op::CreateIndex(s)),
                        Err(m) => note(&mut notes, NoteKind::Unsupported, Some(t), m),
                    }
                }
            }
            (Object::Unique(t, k), change) => {
                let spec = |u: &model::Unique| UniqueSpec {
                    name: u.name.clone(),
                    columns: u.columns.clone(),
                };
                if !matches!(change, Change::Added) {
                    p.drop_constraints.push(Op::DropUnique {
                        table: t.clone(),
                        unique: spec(&cur.tables[t].uniques[k]),
                    });
                }
                if !matches!(change, Change::Removed) {
                    p.add_constraints.push(Op::AddUnique {
                        table: t.clone(),
                        unique: spec(&desired.tables[t].uniques[k]),
                    });
                }
            }
            (Object::Check(t, k), change) => {
                if !matches!(change, Change::Added) {
                    let c = &cur.tables[t].checks[k];
                    p.drop_constraints.push(Op::DropCheck {
                        table: t.clone(),
                        check: CheckSpec {
                            name: c.name.clone(),
                            expression: c.expression.clone(),
                        },
                    });
                }
                if !matches!(change, Change::Removed) {
                    let c = &desired.tables[t].checks[k];
                    let declared = def_of(t).and_then(|d| {
                        d.checks
                            .iter()
                            .find(|x| x.name.is_some() && x.name == c.name)
                    });
                    p.add_constraints.push(Op::AddCheck {
                        table: t.clone(),
                        check: CheckSpec {
                            name: c.name.clone(),
                            expression: declared
                                .map(|x| x.expression.clone())
                                .unwrap_or_else(|| c.expression.clone()),
                        },
                    });
                }
            }
            (Object::ForeignKey(t, k), change) => {
                if !matches!(change, Change::Added) {
                    p.drop_fks.push(Op::DropForeignKey(model_foreign_key(
                        t,
                        &cur.tables[t].foreign_keys[k],
                        &cur,
                    )));
                }
                if !matches!(change, Change::Removed) {
                    p.add_fks.push(Op::AddForeignKey(model_foreign_key(
                        t,
                        &desired.tables[t].foreign_keys[k],
                        desired,
                    )));
                }
            }
            (object, change) => note(
                &mut notes,
                NoteKind::Unsupported,
                None,
                format!(
                    "{object} {}: not managed by the models; write it by hand if it should \
                     change",
                    match change {
                        Change::Added => "added".to_owned(),
                        Change::Removed => "removed".to_owned(),
                        Change::Changed { field, from, to } =>
                            format!("changed ({field} `{from}` -> `{to}`)"),
                    }
                ),
            ),
        }
    }
    // altered columns: one operation per column, whatever fields changed
    for (t, c) in &changed_columns {
        let (ct, dt) = (&cur.tables[t], &desired.tables[t]);
        let (old, new) = (ct.column(c).expect("column"), dt.column(c).expect("column"));
        let is_pk = |tb: &model::Table| {
            tb.primary_key
                .as_ref()
                .is_some_and(|p| p.columns.len() == 1 && &p.columns[0] == c)
        };
        let to = match def_of(t).and_then(|d| d.get_column(c)) {
            Some(dc) => ColumnSpec::declared(dc, backend, is_pk(dt)),
            None => ColumnSpec::from_model(new, is_pk(dt)),
        };
        if old.ty != new.ty && narrows(&old.ty, &new.ty) {
            note(
                &mut notes,
                NoteKind::Destructive,
                Some(t),
                format!(
                    "column `{t}`.`{c}` changes type from `{}` to `{}`: values may be cut or \
                     refused",
                    old.ty, new.ty
                ),
            );
        }
        p.alter_columns.push(Op::AlterColumn {
            table: t.clone(),
            from: ColumnSpec::from_model(old, is_pk(ct)),
            to,
            from_type: old.ty.clone(),
            to_type: new.ty.clone(),
        });
    }
    for t in &changed_pks {
        let spec = |tb: &model::Table| PrimaryKeySpec {
            name: tb.primary_key.as_ref().and_then(|p| p.name.clone()),
            columns: tb
                .primary_key
                .as_ref()
                .map(|p| p.columns.clone())
                .unwrap_or_default(),
        };
        let (from, to) = (spec(&cur.tables[t]), spec(&desired.tables[t]));
        if backend == Backend::Sqlite {
            note(
                &mut notes,
                NoteKind::Unsupported,
                Some(t),
                format!(
                    "primary key of `{t}` changes from ({}) to ({}): SQLite cannot change a \
                     primary key without recreating the table; write it by hand",
                    from.columns.join(", "),
                    to.columns.join(", ")
                ),
            );
            continue;
        }
        p.primary_keys.push(Op::SetPrimaryKey {
            table: t.clone(),
            from,
            to,
        });
    }
    // possible renames: a column dropped and one of the same type added in one table
    for drop in &p.drop_columns {
        let Op::DropColumn { table, column } = drop else {
            continue;
        };
        let old_ty = &cur.tables[table].column(&column.name).expect("column").ty;
        for add in &p.add_columns {
            if let Op::AddColumn {
                table: t2,
                column: c2,
            } = add
                && t2 == table
                && desired.tables[t2].column(&c2.name).map(|c| &c.ty) == Some(old_ty)
            {
                note(
                    &mut notes,
                    NoteKind::PossibleRename,
                    Some(table),
                    format!(
                        "column `{table}`.`{}` is dropped and `{}` of the same type `{old_ty}` \
                         added: if it is a rename, add #[model(renamed_from = \"{}\")] to `{}`",
                        column.name, c2.name, column.name, c2.name
                    ),
                );
            }
        }
    }
    // SQLite: an enum column's inline CHECK comes with the column definition
    if backend == Backend::Sqlite {
        let inline: Vec<(String, String)> = p
            .add_columns
            .iter()
            .chain(&p.alter_columns)
            .filter_map(|o| match o {
                Op::AddColumn { table, column }
                | Op::AlterColumn {
                    table, to: column, ..
                } => column.calls.iter().find_map(|c| match c {
                    Call::CheckIn(col, _) => Some((table.clone(), col.clone())),
                    _ => None,
                }),
                _ => None,
            })
            .collect();
        p.add_constraints.retain(|o| match o {
            Op::AddCheck { table, check } => !inline.iter().any(|(t, c)| {
                t == table && check.name.is_none() && mentions_in(&check.expression, c)
            }),
            _ => true,
        });
    }

    // MariaDB: a JSON column comes with a CHECK (json_valid(column)) named after it
    if backend == Backend::MySql {
        let added: Vec<(String, String)> = p
            .add_columns
            .iter()
            .filter_map(|o| match o {
                Op::AddColumn { table, column } => Some((table.clone(), column.name.clone())),
                _ => None,
            })
            .collect();
        p.add_constraints.retain(|o| match o {
            Op::AddCheck { table, check } => !added.iter().any(|(t, c)| {
                t == table
                    && check.name.as_deref() == Some(c.as_str())
                    && check.expression.contains("json_valid")
            }),
            _ => true,
        });
    }

    let mut upgrade = Vec::new();
    upgrade.extend(p.enums_first);
    upgrade.extend(renames);
    upgrade.extend(p.drop_fks);
    upgrade.extend(p.drop_constraints);
    // tables dropped: reverse foreign-key order, a cycle's foreign keys dropped first
    if !p.drop_tables.is_empty() {
        let refs = referenced_tables(&cur, &p.drop_tables);
        let (order, deferred) = foreign_key_order(&p.drop_tables, &refs);
        let mut drops = Vec::new();
        for i in order.into_iter().rev() {
            let t = &cur.tables[&p.drop_tables[i]];
            note(
                &mut notes,
                NoteKind::Destructive,
                Some(&t.name),
                format!("drops table `{}` and its data", t.name),
            );
            let mut spec = model_table_spec(t, &cur, false);
            for f in t.foreign_keys.values() {
                let f = model_foreign_key(&t.name, f, &cur);
                if deferred[i].contains(&f.referenced_table) {
                    upgrade.push(Op::DropForeignKey(f));
                } else {
                    spec.foreign_keys.push(f);
                }
            }
            for ix in t.indexes.values() {
                match model_index(&t.name, ix) {
                    Ok(s) => drops.push(Op::DropIndex(s)),
                    Err(m) => note(&mut notes, NoteKind::Unsupported, Some(&t.name), m),
                }
            }
            drops.push(Op::DropTable(spec));
        }
        upgrade.extend(drops);
    }
    upgrade.extend(p.add_columns);
    upgrade.extend(p.alter_columns);
    upgrade.extend(p.primary_keys);
    upgrade.extend(p.drop_columns);
    if !p.create_tables.is_empty() {
        let refs = referenced_tables(desired, &p.create_tables);
        let (order, deferred) = foreign_key_order(&p.create_tables, &refs);
        let mut later = Vec::new();
        let mut indexes = Vec::new();
        for i in order {
            let name = &p.create_tables[i];
            let (mut spec, fks, ixs) = match def_of(name) {
                Some(d) => (
                    table_spec(d, backend, false),
                    declared_foreign_keys(d),
                    declared_indexes(d).into_iter().map(Ok).collect::<Vec<_>>(),
                ),
                None => {
                    let t = &desired.tables[name];
                    (
                        model_table_spec(t, desired, false),
                        t.foreign_keys
                            .values()
                            .map(|f| model_foreign_key(name, f, desired))
                            .collect(),
                        t.indexes.values().map(|x| model_index(name, x)).collect(),
                    )
                }
            };
            for f in fks {
                if deferred[i].contains(&f.referenced_table) {
                    later.push(Op::AddForeignKey(f));
                } else {
                    spec.foreign_keys.push(f);
                }
            }
            upgrade.push(Op::CreateTable(spec));
            for x in ixs {
                match x {
                    Ok(s) => indexes.push(Op::CreateIndex(s)),
                    Err(m) => note(&mut notes, NoteKind::Unsupported, Some(name), m),
                }
            }
        }
        upgrade.extend(indexes);
        upgrade.extend(later);
    }
    upgrade.extend(p.add_constraints);
    upgrade.extend(p.add_fks);
    upgrade.extend(p.enums_last);
    if backend == Backend::MySql {
        // an index that a foreign key may need: say which key
        let fks = |t: &str| -> Vec<(String, Vec<String>)> {
            [cur.tables.get(t), desired.tables.get(t)]
                .into_iter()
                .flatten()
                .flat_map(|t| t.foreign_keys.values())
                .filter_map(|f| Some((f.name.clone()?, f.columns.clone())))
                .collect()
        };
        // whether a foreign key has MySQL's own index: nothing else starts with its columns
        let covered = |t: Option<&model::Table>, cols: &[String]| {
            let Some(t) = t else { return true };
            let starts =
                |parts: &[String]| parts.len() >= cols.len() && parts[..cols.len()] == *cols;
            t.indexes.values().any(|i| starts(&i.parts))
                || t.uniques.values().any(|u| starts(&u.columns))
                || t.primary_key.as_ref().is_some_and(|p| starts(&p.columns))
        };
        for o in upgrade.iter_mut() {
            match o {
                Op::DropForeignKey(f) => {
                    f.own_index = !covered(cur.tables.get(&f.table), &f.columns);
                }
                Op::AddForeignKey(f) => {
                    f.own_index = !covered(desired.tables.get(&f.table), &f.columns);
                }
                _ => {}
            }
            if let Op::DropIndex(i) | Op::CreateIndex(i) = o {
                i.foreign_key = fks(&i.table).into_iter().find(|(_, cols)| {
                    i.columns.len() >= cols.len() && i.columns[..cols.len()] == cols[..]
                });
            }
        }
    }

    let mut downgrade = Vec::new();
    for op in upgrade.iter().rev() {
        match op.inverse() {
            Some(inv) => downgrade.push(inv),
            None => note(
                &mut notes,
                NoteKind::Unsupported,
                op.table(),
                format!("the downgrade cannot undo {op:?}"),
            ),
        }
    }
    Plan {
        upgrade,
        downgrade,
        notes,
        detected,
    }
}

/// Whether `expression` names column `column` (bare or quoted).
fn mentions_in(expression: &str, column: &str) -> bool {
    let e = expression.to_ascii_lowercase();
    let c = column.to_ascii_lowercase();
    e.contains(&format!("\"{c}\"")) || e.contains(&format!("`{c}`")) || {
        e.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .any(|w| w == c)
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
    /// `db.drop_index(Index::drop().name(n).table(t))`: MySQL needs the table, PostgreSQL
    /// and SQLite ignore it, so the revision runs on all three.
    DropIndex(String, String),
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
) -> Vec<ColumnSpec> {
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
        let has_default = |s: &ColumnSpec| s.calls.iter().any(|c| matches!(c, Call::Default(_)));
        if has_default(from) && !has_default(column) {
            calls.push(Call::Default("NULL".into()));
        }
        // the type with its cast alone: sea-query writes `USING` after the last clause
        if from_type != to_type {
            let rest = calls.split_off(1);
            calls.push(Call::Using(format!(
                "{}::{}",
                q(backend, &column.name),
                to_type
            )));
            let mut out = vec![ColumnSpec {
                name: column.name.clone(),
                calls,
            }];
            if !rest.is_empty() {
                out.push(ColumnSpec {
                    name: column.name.clone(),
                    calls: rest,
                });
            }
            return out;
        }
    }
    vec![ColumnSpec {
        name: column.name.clone(),
        calls,
    }]
}

/// Whether `op` drops an index, unique, check or foreign key: what `DROP TABLE` drops with
/// the table.
fn drops_with_table(op: &Op) -> bool {
    matches!(
        op,
        Op::DropIndex(_) | Op::DropUnique { .. } | Op::DropCheck { .. } | Op::DropForeignKey(_)
    )
}

/// The operations [`apply`] runs and [`super::render::render`] writes for `ops`: the same,
/// less each index, unique, check or foreign key dropped from a table that a later
/// `DROP TABLE` drops anyway, when only such drops and other tables' `DROP TABLE`s stand
/// between the two (a foreign key also not when its referenced table is dropped in between).
/// `DROP TABLE` takes them with the table; dropping them first is work, and on MySQL an error
/// (1553) for an index a foreign key needs, so that a revision autogenerated on SQLite or
/// PostgreSQL would not downgrade there. The plan keeps every operation: the inverse of a
/// dropped table still recreates its indexes.
pub fn effective_ops(ops: &[Op]) -> Vec<Op> {
    let mut keep = vec![true; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        if !drops_with_table(op) {
            continue;
        }
        let Some(table) = op.table() else { continue };
        let referenced = match op {
            Op::DropForeignKey(f) => Some(f.referenced_table.as_str()),
            _ => None,
        };
        for later in &ops[i + 1..] {
            match later {
                Op::DropTable(t) if t.name == table => {
                    keep[i] = false;
                    break;
                }
                Op::DropTable(t) if Some(t.name.as_str()) != referenced => {}
                o if drops_with_table(o) => {}
                _ => break,
            }
        }
    }
    ops.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(op, _)| op.clone())
        .collect()
}

/// Joins each [`Step::Batch`] to the one before it when both alter the same table, so that a
/// table changed several ways is rebuilt once on SQLite (as Alembic's autogenerate groups a
/// table's operations in one `batch_alter_table`). A batch that renames a column is joined
/// only to a batch of renames: SQLite's batch runs its renames first, which would otherwise
/// move a rename before the changes that came ahead of it. The order of the calls is kept.
pub(crate) fn merge_batches(steps: Vec<Step>) -> Vec<Step> {
    let renames = |b: &[BatchStep]| {
        b.iter()
            .filter(|s| matches!(s, BatchStep::RenameColumn(..)))
            .count()
    };
    let mut out: Vec<Step> = Vec::with_capacity(steps.len());
    for step in steps {
        match (out.last_mut(), step) {
            (Some(Step::Batch(t0, first)), Step::Batch(t1, next))
                if *t0 == t1 && (renames(&next) == 0 || renames(first) == first.len()) =>
            {
                first.extend(next);
            }
            (_, step) => out.push(step),
        }
    }
    out
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
            ..
        } => Ok(vec![Step::AddTypeValue(name, value, after, before)]),
        Op::RecreateEnum { name, to, uses, .. } => {
            let old = format!("{name}__old");
            let mut out = vec![
                Step::Sql(format!(
                    "ALTER TYPE {} RENAME TO {}",
                    q(backend, &name),
                    q(backend, &old)
                )),
                Step::CreateType(name.clone(), to),
            ];
            for u in uses {
                let (t, c) = (q(backend, &u.table), q(backend, &u.column));
                let mut parts = Vec::new();
                if u.default.is_some() {
                    parts.push(format!("ALTER COLUMN {c} DROP DEFAULT"));
                }
                parts.push(format!(
                    "ALTER COLUMN {c} TYPE {} USING {c}::text::{}",
                    q(backend, &name),
                    q(backend, &name)
                ));
                if let Some(d) = &u.default {
                    parts.push(format!("ALTER COLUMN {c} SET DEFAULT {d}"));
                }
                out.push(Step::Sql(format!("ALTER TABLE {t} {}", parts.join(", "))));
            }
            out.push(Step::DropType(old));
            Ok(out)
        }
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
        } => Ok(vec![Step::Batch(
            table,
            alter_calls(&to, &from, &from_type, &to_type, backend)
                .into_iter()
                .map(BatchStep::AlterColumn)
                .collect(),
        )]),
        Op::CreateIndex(i) => Ok(vec![Step::CreateIndex(i)]),
        Op::DropIndex(i) => {
            let mut out = Vec::new();
            if let (Backend::MySql, Some((fk, columns))) = (backend, &i.foreign_key) {
                out.push(Step::CreateIndex(IndexSpec {
                    name: fk.clone(),
                    table: i.table.clone(),
                    columns: columns.clone(),
                    unique: false,
                    foreign_key: None,
                }));
            }
            out.push(Step::DropIndex(i.name, i.table));
            Ok(out)
        }
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
            Some(n) if backend == Backend::MySql && f.own_index => Ok(vec![
                Step::DropForeignKey(n.clone(), f.table.clone()),
                Step::DropIndex(n, f.table),
            ]),
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
                    if let Some(n) = &from.name
                        && !from.columns.is_empty()
                    {
                        parts.push(format!("DROP CONSTRAINT {}", q(backend, n)));
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

/// Runs `ops` on `db`, in order (on a `Db` in a transaction, inside it), as the revision
/// [`super::render::render`] writes would: [`effective_ops`], one batch a table
/// ([`merge_batches`]).
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
    for op in &effective_ops(ops) {
        all.extend(
            steps(op, backend).map_err(|detail| crate::Error::Unsupported {
                backend: backend.name(),
                detail,
            })?,
        );
    }
    for step in merge_batches(all) {
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
                db.drop_index(
                    Index::drop()
                        .name(n.as_str())
                        .table(Alias::new(t))
                        .to_owned(),
                )
                .await?
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

    fn col(name: &str, ty: &str) -> model::Column {
        model::Column {
            name: name.into(),
            ty: ty.into(),
            ..model::Column::default()
        }
    }

    fn table(name: &str, cols: &[(&str, &str)]) -> model::Table {
        let mut t = model::Table::new(name);
        t.columns = cols.iter().map(|(n, ty)| col(n, ty)).collect();
        t.primary_key = Some(model::PrimaryKey {
            name: None,
            columns: vec![cols[0].0.into()],
        });
        t
    }

    fn schema(tables: Vec<model::Table>) -> Schema {
        let mut s = Schema::default();
        for t in tables {
            s.add_table(t);
        }
        s
    }

    fn users_model() -> model::Table {
        table("users", &[("id", "integer"), ("email", "varchar(255)")])
    }

    fn posts_model() -> model::Table {
        let mut p = table("posts", &[("id", "integer"), ("users_id", "integer")]);
        p.add_foreign_key(model::ForeignKey {
            name: Some("fk".into()),
            columns: vec!["users_id".into()],
            referenced_table: "users".into(),
            referenced_columns: vec!["id".into()],
            ..model::ForeignKey::default()
        });
        p
    }

    fn assert_inverse(p: &Plan) {
        let inv: Vec<Op> = p.upgrade.iter().rev().filter_map(Op::inverse).collect();
        assert_eq!(p.downgrade, inv);
    }

    #[test]
    fn new_tables_in_foreign_key_order_and_dropped_in_reverse() {
        let desired = schema(vec![users_model(), posts_model()]);
        let defs = [t("posts", &["users"]), t("users", &[])];
        let p = plan(&Schema::default(), &desired, &defs, Backend::Postgres);
        assert_eq!(kinds(&p.upgrade), ["create users", "create posts"]);
        assert!(p.notes.is_empty(), "{:?}", p.notes);
        assert_inverse(&p);
        let back = plan(&desired, &Schema::default(), &[], Backend::Postgres);
        let dropped: Vec<&str> = back
            .upgrade
            .iter()
            .map(|o| match o {
                Op::DropTable(t) => t.name.as_str(),
                other => unreachable!("{other:?}"),
            })
            .collect();
        assert_eq!(dropped, ["posts", "users"]);
        assert!(
            back.notes.iter().all(|n| n.kind == NoteKind::Destructive) && back.notes.len() == 2
        );
        assert_inverse(&back);
    }

    #[test]
    fn renamed_from_renames_and_a_guess_is_only_a_note() {
        let current = schema(vec![table("users", &[("id", "integer"), ("bio", "text")])]);
        let desired = schema(vec![table(
            "users",
            &[("id", "integer"), ("about", "text")],
        )]);
        let hinted = [TableDef::new("users")
            .column(ColumnDef::new("id", ColumnType::Integer))
            .column(ColumnDef::new("about", ColumnType::Text).renamed_from("bio"))
            .primary_key(["id"])];
        let p = plan(&current, &desired, &hinted, Backend::Sqlite);
        assert_eq!(
            p.upgrade,
            [Op::RenameColumn {
                table: "users".into(),
                from: "bio".into(),
                to: "about".into()
            }]
        );
        assert!(p.notes.is_empty());
        assert_inverse(&p);
        let mut unhinted = hinted.clone();
        unhinted[0].columns[1].renamed_from.clear();
        let p = plan(&current, &desired, &unhinted, Backend::Sqlite);
        let mut kinds: Vec<NoteKind> = p.notes.iter().map(|n| n.kind).collect();
        kinds.sort_by_key(|k| format!("{k:?}"));
        assert_eq!(kinds, [NoteKind::Destructive, NoteKind::PossibleRename]);
        assert!(matches!(p.upgrade[0], Op::AddColumn { .. }));
        assert!(matches!(p.upgrade[1], Op::DropColumn { .. }));
        assert_inverse(&p);
    }

    #[test]
    fn table_rename_carries_the_references() {
        let current = schema(vec![users_model(), posts_model()]);
        let mut people = users_model();
        people.name = "people".into();
        let mut posts = posts_model();
        let fk = posts.foreign_keys.remove("fk").unwrap();
        posts.add_foreign_key(model::ForeignKey {
            referenced_table: "people".into(),
            ..fk
        });
        let desired = schema(vec![people, posts]);
        let mut defs = vec![t("people", &[]).renamed_from("users")];
        defs[0]
            .columns
            .push(ColumnDef::new("email", ColumnType::Varchar(255)));
        let p = plan(&current, &desired, &defs, Backend::MySql);
        assert_eq!(
            p.upgrade,
            [Op::RenameTable {
                from: "users".into(),
                to: "people".into()
            }]
        );
        assert_inverse(&p);
    }

    #[test]
    fn what_no_operation_expresses_is_a_note() {
        let mut current = schema(vec![users_model()]);
        current.views.insert("v".into(), "select 1".into());
        let mut desired = schema(vec![users_model()]);
        desired.tables.get_mut("users").unwrap().columns[0].auto_increment = true;
        let p = plan(&current, &desired, &[], Backend::Postgres);
        assert!(p.upgrade.is_empty());
        assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
        assert!(p.notes.iter().all(|n| n.kind == NoteKind::Unsupported));
    }

    #[test]
    fn drops_come_before_adds_and_the_downgrade_is_the_exact_inverse() {
        let mut current = schema(vec![users_model(), posts_model()]);
        current
            .tables
            .get_mut("users")
            .unwrap()
            .add_index(model::Index {
                name: "ix_email".into(),
                unique: false,
                parts: vec!["email".into()],
                predicate: None,
            });
        let mut desired = schema(vec![users_model(), posts_model()]);
        let u = desired.tables.get_mut("users").unwrap();
        u.columns[1].ty = "text".into();
        u.columns.push(col("age", "integer"));
        u.add_check(model::Check {
            name: Some("ck_age".into()),
            expression: "age >= 0".into(),
        });
        desired
            .tables
            .get_mut("posts")
            .unwrap()
            .foreign_keys
            .clear();
        let p = plan(&current, &desired, &[], Backend::Postgres);
        let names: Vec<&str> = p
            .upgrade
            .iter()
            .map(|o| match o {
                Op::DropForeignKey(_) => "drop fk",
                Op::DropIndex(_) => "drop index",
                Op::AddColumn { .. } => "add column",
                Op::AlterColumn { .. } => "alter column",
                Op::AddCheck { .. } => "add check",
                other => unreachable!("{other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "drop fk",
                "drop index",
                "add column",
                "alter column",
                "add check"
            ]
        );
        assert!(p.notes.is_empty(), "varchar -> text widens: {:?}", p.notes);
        assert_inverse(&p);
    }

    #[test]
    fn drops_that_drop_table_takes_are_not_run() {
        let ix = |n: &str, t: &str| {
            Op::DropIndex(IndexSpec {
                name: n.into(),
                table: t.into(),
                columns: vec!["c".into()],
                unique: false,
                foreign_key: None,
            })
        };
        let table = |t: &str| {
            Op::DropTable(TableSpec {
                name: t.into(),
                columns: vec![],
                primary_key: vec![],
                uniques: vec![],
                checks: vec![],
                foreign_keys: vec![],
            })
        };
        let fk = |t: &str, r: &str| {
            Op::DropForeignKey(ForeignKeySpec {
                name: Some(format!("fk_{t}_{r}")),
                table: t.into(),
                columns: vec!["r_id".into()],
                referenced_table: r.into(),
                referenced_columns: vec!["id".into()],
                on_delete: FkAction::NoAction,
                on_update: FkAction::NoAction,
                own_index: false,
            })
        };
        let names = |ops: &[Op]| -> Vec<String> {
            effective_ops(ops)
                .iter()
                .map(|o| match o {
                    Op::DropIndex(i) => format!("ix {}", i.name),
                    Op::DropTable(t) => format!("table {}", t.name),
                    Op::DropForeignKey(f) => format!("fk {}", f.name.clone().unwrap()),
                    o => format!("{o:?}"),
                })
                .collect()
        };
        // the downgrade of two created tables: their indexes go with them
        assert_eq!(
            names(&[ix("ix_b", "b"), ix("ix_a", "a"), table("b"), table("a")]),
            ["table b", "table a"]
        );
        // an index of a table that stays is dropped
        assert_eq!(
            names(&[ix("ix_c", "c"), table("a")]),
            ["ix ix_c", "table a"]
        );
        // anything else in between keeps the drop (it may need the index gone)
        let add = Op::AddColumn {
            table: "x".into(),
            column: ColumnSpec {
                name: "y".into(),
                calls: vec![],
            },
        };
        assert_eq!(names(&[ix("ix_a", "a"), add, table("a")])[0], "ix ix_a");
        // a foreign key to a table dropped in between is dropped first (a cycle broken)
        assert_eq!(
            names(&[fk("a", "b"), table("b"), table("a")]),
            ["fk fk_a_b", "table b", "table a"]
        );
        assert_eq!(
            names(&[fk("a", "b"), table("a"), table("b")]),
            ["table a", "table b"]
        );
    }

    #[test]
    fn narrowing_types() {
        for (from, to, narrows_) in [
            ("integer", "bigint", false),
            ("bigint", "integer", true),
            ("varchar(10)", "varchar(20)", false),
            ("varchar(20)", "varchar(10)", true),
            ("varchar(20)", "text", false),
            ("varchar", "text", false),
            ("character varying", "text", false),
            ("text", "varchar", true),
            ("text", "varchar(20)", true),
            ("numeric(10,2)", "numeric(12,2)", false),
            ("numeric(10,2)", "numeric(10,1)", true),
            ("real", "double precision", false),
            ("text", "integer", true),
            ("enum('a','b')", "enum('a','b','c')", false),
            ("enum('a','b')", "enum('a')", true),
        ] {
            assert_eq!(narrows(from, to), narrows_, "{from} -> {to}");
        }
    }
}
