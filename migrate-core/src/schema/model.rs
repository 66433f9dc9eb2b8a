//! The normalised schema model: one backend-neutral description of what a database holds,
//! built by the introspection (`super::introspect`) from a live database, and later by the
//! declared schema (models) through the same normalisation functions.
//!
//! Every name is stored as the catalogue spells it (PostgreSQL folds unquoted identifiers to
//! lower case). Every type, default and expression is stored in its normalised spelling
//! ([`super::normalise`]): two schemas that mean the same thing compare equal field by field,
//! so [`super::diff::diff`] is a plain structural comparison.
//!
//! Collections are ordered maps keyed by each object's identity, so iteration (and a diff's
//! order) is deterministic. Objects a backend leaves unnamed (SQLite's inline unique, check
//! and foreign-key constraints) are keyed by their content instead of a name, see
//! [`Table::unique_key`] and friends.

use std::collections::BTreeMap;

/// A whole schema: the tables of one PostgreSQL schema (`current_schema()`), one MySQL
/// database or one SQLite database, plus the objects beside them. The version table is never
/// part of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Tables by name.
    pub tables: BTreeMap<String, Table>,
    /// PostgreSQL enum types by name: their labels in sort order.
    pub enums: BTreeMap<String, Vec<String>>,
    /// PostgreSQL sequences by name (those not owned by a serial or identity column, which
    /// are part of the column's `auto_increment`).
    pub sequences: BTreeMap<String, Sequence>,
    /// Views by name: their normalised definition (the query).
    pub views: BTreeMap<String, String>,
    /// Triggers by `table.trigger` name: their normalised definition.
    pub triggers: BTreeMap<String, String>,
    /// PostgreSQL functions and procedures by `name(identity arguments)`: their normalised
    /// definition.
    pub functions: BTreeMap<String, String>,
    /// PostgreSQL extensions by name: their version.
    pub extensions: BTreeMap<String, String>,
}

/// A table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The table's name.
    pub name: String,
    /// Columns in the table's order (the diff compares them by name, not by position).
    pub columns: Vec<Column>,
    /// The primary key, if any.
    pub primary_key: Option<PrimaryKey>,
    /// Indexes that are not the backing index of a primary key or unique constraint, by name.
    pub indexes: BTreeMap<String, Index>,
    /// Unique constraints by key ([`Table::unique_key`]).
    pub uniques: BTreeMap<String, Unique>,
    /// Check constraints by key ([`Table::check_key`]).
    pub checks: BTreeMap<String, Check>,
    /// Foreign keys by key ([`Table::foreign_key_key`]).
    pub foreign_keys: BTreeMap<String, ForeignKey>,
}

/// A column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// The normalised type (lower case, canonical alias: `varchar(255)`, `integer`,
    /// `bigint`, `boolean`, `timestamp`, `timestamptz`, `numeric(10,2)`, …).
    pub ty: String,
    /// Whether NULL is allowed (a primary-key column never is).
    pub nullable: bool,
    /// The normalised default expression; `None` for no default (and for an explicit
    /// `DEFAULT NULL`, which means the same).
    pub default: Option<String>,
    /// Whether the database generates values: PostgreSQL `serial` / identity, MySQL
    /// `AUTO_INCREMENT`, SQLite `AUTOINCREMENT`.
    pub auto_increment: bool,
    /// A generated (computed) column's normalised expression.
    pub generated: Option<String>,
}

/// A primary key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrimaryKey {
    /// The constraint's name where the backend keeps a meaningful one (PostgreSQL); `None`
    /// on SQLite and MySQL (always `PRIMARY`).
    pub name: Option<String>,
    /// The key's columns in key order.
    pub columns: Vec<String>,
}

/// An index (not a constraint's backing index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    /// The index's name.
    pub name: String,
    /// Whether it is a unique index.
    pub unique: bool,
    /// Its key parts in order: a column name, or a normalised expression in parentheses
    /// (`(lower(email))`), with ` desc` appended for a descending part.
    pub parts: Vec<String>,
    /// A partial index's normalised predicate (`WHERE …` without the keyword).
    pub predicate: Option<String>,
}

/// A unique constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unique {
    /// The constraint's name; `None` where the backend has no stable name (SQLite's inline
    /// `UNIQUE`).
    pub name: Option<String>,
    /// Its columns in order.
    pub columns: Vec<String>,
}

/// A check constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    /// The constraint's name; `None` where it has none (SQLite's unnamed `CHECK`).
    pub name: Option<String>,
    /// The normalised expression.
    pub expression: String,
}

/// What a foreign key does when the referenced row is deleted or updated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FkAction {
    /// `NO ACTION` (the default everywhere).
    #[default]
    NoAction,
    /// `RESTRICT`.
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl FkAction {
    /// Parses a catalogue's spelling (`NO ACTION`, `cascade`, `SET NULL`, …; PostgreSQL's
    /// one-letter codes `a r c n d`). `None` for anything else.
    pub fn parse(s: &str) -> Option<FkAction> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "NO ACTION" | "A" | "" => FkAction::NoAction,
            "RESTRICT" | "R" => FkAction::Restrict,
            "CASCADE" | "C" => FkAction::Cascade,
            "SET NULL" | "N" => FkAction::SetNull,
            "SET DEFAULT" | "D" => FkAction::SetDefault,
            _ => return None,
        })
    }

    /// The SQL spelling (`NO ACTION`, `CASCADE`, …).
    pub fn as_sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

/// A foreign key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForeignKey {
    /// The constraint's name; `None` on SQLite (its foreign keys have none in the catalogue).
    pub name: Option<String>,
    /// The referencing columns, in order.
    pub columns: Vec<String>,
    /// The referenced table.
    pub referenced_table: String,
    /// The referenced columns, in order (SQLite: empty when the declaration names none, which
    /// means the referenced table's primary key).
    pub referenced_columns: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: FkAction,
    /// `ON UPDATE`.
    pub on_update: FkAction,
}

/// A PostgreSQL sequence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sequence {
    /// Its data type (`bigint`, `integer`, `smallint`).
    pub data_type: String,
    /// `START WITH`.
    pub start: i64,
    /// `INCREMENT BY`.
    pub increment: i64,
    /// `MINVALUE`.
    pub min: i64,
    /// `MAXVALUE`.
    pub max: i64,
    /// `CYCLE`.
    pub cycle: bool,
}

impl Table {
    /// An empty table named `name`.
    pub fn new(name: impl Into<String>) -> Table {
        Table {
            name: name.into(),
            ..Table::default()
        }
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The key of a unique constraint in [`Table::uniques`]: its name, else
    /// `unique(col, …)`.
    pub fn unique_key(u: &Unique) -> String {
        u.name
            .clone()
            .unwrap_or_else(|| format!("unique({})", u.columns.join(", ")))
    }

    /// The key of a check constraint in [`Table::checks`]: its name, else
    /// `check(expression)`.
    pub fn check_key(c: &Check) -> String {
        c.name
            .clone()
            .unwrap_or_else(|| format!("check({})", c.expression))
    }

    /// The key of a foreign key in [`Table::foreign_keys`]: its name, else
    /// `(cols) -> table(cols)`.
    pub fn foreign_key_key(f: &ForeignKey) -> String {
        f.name.clone().unwrap_or_else(|| {
            format!(
                "({}) -> {}({})",
                f.columns.join(", "),
                f.referenced_table,
                f.referenced_columns.join(", ")
            )
        })
    }

    /// Adds a unique constraint under its key.
    pub fn add_unique(&mut self, u: Unique) {
        self.uniques.insert(Table::unique_key(&u), u);
    }

    /// Adds a check constraint under its key.
    pub fn add_check(&mut self, c: Check) {
        self.checks.insert(Table::check_key(&c), c);
    }

    /// Adds a foreign key under its key.
    pub fn add_foreign_key(&mut self, f: ForeignKey) {
        self.foreign_keys.insert(Table::foreign_key_key(&f), f);
    }

    /// Adds an index under its name.
    pub fn add_index(&mut self, i: Index) {
        self.indexes.insert(i.name.clone(), i);
    }

    /// Makes the primary key's columns NOT NULL, as every backend enforces (SQLite's catalogue
    /// reports `notnull = 0` for an `INTEGER PRIMARY KEY`).
    pub fn settle_primary_key(&mut self) {
        if let Some(pk) = &self.primary_key {
            for c in &mut self.columns {
                if pk.columns.contains(&c.name) {
                    c.nullable = false;
                }
            }
        }
    }
}

impl Schema {
    /// Adds a table under its name.
    pub fn add_table(&mut self, t: Table) {
        self.tables.insert(t.name.clone(), t);
    }
}
