//! The declared schema ("models"): what the application's structs say the database should
//! hold, the analogue of SQLAlchemy's declarative models. Backend-neutral data, built by
//! `#[derive(migrate_macros::Model)]` (or by hand with the builders below), registered with
//! the migrations crate by `migrate_macros::migrations!(models = [User, Post])`.
//!
//! Compiled without any feature: a crate of models shared by the application and the
//! migrations crate depends on `migrate-core` with `default-features = false` and pulls in no
//! database driver.
//!
//! Types come from the Rust field's type through [`SqlType`], following sqlx's type tables
//! (`i32` → `INTEGER`, `String` → `TEXT`, or `VARCHAR(n)` with `#[model(length = n)]`,
//! `Option<T>` → nullable, …). The declared schema is turned into a database's schema by
//! creating it in a throwaway database and reading that back (`schema::autogen`): the same
//! introspection and normalisation read both sides, so a database created from the models
//! diffs empty (Atlas's "dev database" approach).

use super::model::FkAction;

/// A Rust type that maps to a column type (sqlx's type tables). Implemented for the integer
/// and float types, `bool`, `String`, `Vec<u8>`, `Option<T>` (nullable), and behind
/// migrate-core's features `chrono`, `time`, `uuid`, `rust_decimal` and `serde_json` for their
/// types; `#[derive(migrate_macros::DbEnum)]` implements it for a Rust enum.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no column type known to cargo-migrate",
    label = "no column type for this field",
    note = "supported: integers, f32, f64, bool, String, Vec<u8>, Option<T>, and with \
            migrate-core's features chrono, time, uuid, rust_decimal, serde_json their types; \
            a Rust enum with #[derive(migrate_macros::DbEnum)]; or name the type with \
            #[model(sql_type = \"…\")]"
)]
pub trait SqlType {
    /// The column type.
    fn column_type() -> ColumnType;
    /// Whether the type admits NULL (`Option<T>`).
    const NULLABLE: bool = false;
}

/// A model: a struct that declares one table. Implemented by `#[derive(migrate_macros::Model)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model",
    label = "not a model",
    note = "derive it on the struct: `#[derive(migrate_macros::Model)]`, or implement \
            `migrate_core::schema::declare::Model` by hand"
)]
pub trait Model {
    /// The table this model declares.
    fn table() -> TableDef;
}

/// A backend-neutral column type. Each backend renders it as sea-query does
/// (`schema::autogen` uses sea-query's `ColumnDef` builders), e.g. [`ColumnType::Boolean`] is
/// `boolean` on PostgreSQL and SQLite and `bool` (`tinyint(1)`) on MySQL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// `i8`: `TINYINT` (PostgreSQL: `smallint`).
    TinyInt,
    /// `i16`: `SMALLINT`.
    SmallInt,
    /// `i32`: `INTEGER`.
    Integer,
    /// `i64`: `BIGINT`.
    BigInt,
    /// `u8`: MySQL `TINYINT UNSIGNED` (elsewhere `smallint`).
    TinyUnsigned,
    /// `u16`: MySQL `SMALLINT UNSIGNED` (elsewhere `integer`).
    SmallUnsigned,
    /// `u32`: MySQL `INT UNSIGNED` (elsewhere `bigint`).
    Unsigned,
    /// `u64`: MySQL `BIGINT UNSIGNED` (elsewhere `bigint`).
    BigUnsigned,
    /// `f32`: `REAL` / `FLOAT`.
    Float,
    /// `f64`: `DOUBLE PRECISION` / `DOUBLE`.
    Double,
    /// `bool`: `BOOLEAN`.
    Boolean,
    /// `String` without a length: `TEXT`.
    Text,
    /// `String` with `#[model(length = n)]`: `VARCHAR(n)`.
    Varchar(u32),
    /// `Vec<u8>`: `BYTEA` / `BLOB`.
    Blob,
    /// A date: `DATE`.
    Date,
    /// A time of day: `TIME`.
    Time,
    /// A date and time without time zone: `TIMESTAMP` (MySQL `DATETIME`).
    DateTime,
    /// A date and time with time zone: PostgreSQL `TIMESTAMPTZ`, MySQL `TIMESTAMP`.
    TimestampTz,
    /// A UUID: PostgreSQL `uuid`, MySQL `binary(16)`, SQLite text.
    Uuid,
    /// A decimal: `NUMERIC(precision, scale)` (`#[model(precision = p, scale = s)]`).
    Decimal(u32, u32),
    /// JSON: PostgreSQL `jsonb`, MySQL `json`, SQLite text.
    Json,
    /// An enumeration: a PostgreSQL enum type; on MySQL an inline `ENUM(…)`; on SQLite text
    /// with a check constraint listing the values.
    Enum(EnumDef),
    /// A type named in SQL as written (`#[model(sql_type = "citext")]`), for types the list
    /// above lacks; the same text on every backend.
    Custom(String),
}

/// An enumeration type (`#[derive(migrate_macros::DbEnum)]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EnumDef {
    /// The type's name (PostgreSQL's enum type).
    pub name: String,
    /// Its values, in declaration order.
    pub values: Vec<String>,
}

impl EnumDef {
    /// An enumeration named `name` with `values` in order.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        values: impl IntoIterator<Item = S>,
    ) -> EnumDef {
        EnumDef {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// A declared column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// The column's name.
    pub name: String,
    /// Its type.
    pub ty: ColumnType,
    /// Whether NULL is allowed (`Option<T>`).
    pub nullable: bool,
    /// Whether the database generates the value (`#[model(auto_increment)]`): PostgreSQL
    /// `serial`/`bigserial`, MySQL `AUTO_INCREMENT`, SQLite `INTEGER PRIMARY KEY
    /// AUTOINCREMENT`.
    pub auto_increment: bool,
    /// The server default, as a SQL expression (`#[model(default = "0")]`,
    /// `default = "'draft'"`, `default = "CURRENT_TIMESTAMP"`).
    pub default: Option<String>,
    /// Former names (`#[model(renamed_from = "old")]`): autogenerate renames the column
    /// instead of dropping and adding it.
    pub renamed_from: Vec<String>,
}

impl ColumnDef {
    /// A NOT NULL column `name` of type `ty`.
    pub fn new(name: impl Into<String>, ty: ColumnType) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            ty,
            nullable: false,
            auto_increment: false,
            default: None,
            renamed_from: Vec::new(),
        }
    }

    /// The column's type and nullability from a Rust type ([`SqlType`]).
    pub fn of<T: SqlType>(name: impl Into<String>) -> ColumnDef {
        ColumnDef::new(name, T::column_type()).nullable(T::NULLABLE)
    }

    /// Sets whether NULL is allowed.
    pub fn nullable(mut self, nullable: bool) -> ColumnDef {
        self.nullable = nullable;
        self
    }

    /// Replaces the type (`#[model(length = n)]`, `sql_type`, `precision`).
    pub fn ty(mut self, ty: ColumnType) -> ColumnDef {
        self.ty = ty;
        self
    }

    /// Marks the column auto-increment.
    pub fn auto_increment(mut self) -> ColumnDef {
        self.auto_increment = true;
        self
    }

    /// Sets the server default (a SQL expression).
    pub fn default(mut self, expression: impl Into<String>) -> ColumnDef {
        self.default = Some(expression.into());
        self
    }

    /// Adds a former name.
    pub fn renamed_from(mut self, old: impl Into<String>) -> ColumnDef {
        self.renamed_from.push(old.into());
        self
    }
}

/// A declared index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    /// The index's name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// Whether it is a unique index.
    pub unique: bool,
}

/// A declared unique constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueDef {
    /// The constraint's name; `None`: the backend names it.
    pub name: Option<String>,
    /// Its columns, in order.
    pub columns: Vec<String>,
}

/// A declared check constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDef {
    /// The constraint's name; `None`: the backend names it.
    pub name: Option<String>,
    /// The SQL expression.
    pub expression: String,
}

/// A declared foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyDef {
    /// The constraint's name; `None`: the backend names it.
    pub name: Option<String>,
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

/// A declared table: what one model says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableDef {
    /// The table's name.
    pub name: String,
    /// Former names (`#[model(table = "…", renamed_from = "old")]`).
    pub renamed_from: Vec<String>,
    /// Columns in declaration order.
    pub columns: Vec<ColumnDef>,
    /// The primary key's columns (empty: none).
    pub primary_key: Vec<String>,
    /// Indexes.
    pub indexes: Vec<IndexDef>,
    /// Unique constraints.
    pub uniques: Vec<UniqueDef>,
    /// Check constraints.
    pub checks: Vec<CheckDef>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKeyDef>,
}

impl TableDef {
    /// An empty table named `name`.
    pub fn new(name: impl Into<String>) -> TableDef {
        TableDef {
            name: name.into(),
            ..TableDef::default()
        }
    }

    /// Adds a column.
    pub fn column(mut self, column: ColumnDef) -> TableDef {
        self.columns.push(column);
        self
    }

    /// Sets the primary key's columns.
    pub fn primary_key<S: Into<String>>(
        mut self,
        columns: impl IntoIterator<Item = S>,
    ) -> TableDef {
        self.primary_key = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an index.
    pub fn index<S: Into<String>>(
        mut self,
        name: impl Into<String>,
        columns: impl IntoIterator<Item = S>,
        unique: bool,
    ) -> TableDef {
        self.indexes.push(IndexDef {
            name: name.into(),
            columns: columns.into_iter().map(Into::into).collect(),
            unique,
        });
        self
    }

    /// Adds a unique constraint.
    pub fn unique<S: Into<String>>(
        mut self,
        name: Option<&str>,
        columns: impl IntoIterator<Item = S>,
    ) -> TableDef {
        self.uniques.push(UniqueDef {
            name: name.map(str::to_owned),
            columns: columns.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Adds a check constraint.
    pub fn check(mut self, name: Option<&str>, expression: impl Into<String>) -> TableDef {
        self.checks.push(CheckDef {
            name: name.map(str::to_owned),
            expression: expression.into(),
        });
        self
    }

    /// Adds a foreign key.
    pub fn foreign_key(mut self, foreign_key: ForeignKeyDef) -> TableDef {
        self.foreign_keys.push(foreign_key);
        self
    }

    /// Adds a former name.
    pub fn renamed_from(mut self, old: impl Into<String>) -> TableDef {
        self.renamed_from.push(old.into());
        self
    }

    /// The column named `name`.
    pub fn get_column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }
}

impl ForeignKeyDef {
    /// A foreign key from `columns` to `referenced_table(referenced_columns)`, unnamed, with
    /// `NO ACTION` on delete and update.
    pub fn new<S: Into<String>, R: Into<String>>(
        columns: impl IntoIterator<Item = S>,
        referenced_table: impl Into<String>,
        referenced_columns: impl IntoIterator<Item = R>,
    ) -> ForeignKeyDef {
        ForeignKeyDef {
            name: None,
            columns: columns.into_iter().map(Into::into).collect(),
            referenced_table: referenced_table.into(),
            referenced_columns: referenced_columns.into_iter().map(Into::into).collect(),
            on_delete: FkAction::NoAction,
            on_update: FkAction::NoAction,
        }
    }

    /// Names the constraint.
    pub fn name(mut self, name: impl Into<String>) -> ForeignKeyDef {
        self.name = Some(name.into());
        self
    }

    /// Sets `ON DELETE`.
    pub fn on_delete(mut self, action: FkAction) -> ForeignKeyDef {
        self.on_delete = action;
        self
    }

    /// Sets `ON UPDATE`.
    pub fn on_update(mut self, action: FkAction) -> ForeignKeyDef {
        self.on_update = action;
        self
    }
}

macro_rules! sql_types {
    ($($t:ty => $c:expr),* $(,)?) => {
        $(impl SqlType for $t {
            fn column_type() -> ColumnType {
                $c
            }
        })*
    };
}

sql_types! {
    i8 => ColumnType::TinyInt,
    i16 => ColumnType::SmallInt,
    i32 => ColumnType::Integer,
    i64 => ColumnType::BigInt,
    u8 => ColumnType::TinyUnsigned,
    u16 => ColumnType::SmallUnsigned,
    u32 => ColumnType::Unsigned,
    u64 => ColumnType::BigUnsigned,
    f32 => ColumnType::Float,
    f64 => ColumnType::Double,
    bool => ColumnType::Boolean,
    String => ColumnType::Text,
    Vec<u8> => ColumnType::Blob,
}

impl<T: SqlType> SqlType for Option<T> {
    fn column_type() -> ColumnType {
        T::column_type()
    }
    const NULLABLE: bool = true;
}

#[cfg(feature = "chrono")]
sql_types! {
    chrono::NaiveDate => ColumnType::Date,
    chrono::NaiveTime => ColumnType::Time,
    chrono::NaiveDateTime => ColumnType::DateTime,
    chrono::DateTime<chrono::Utc> => ColumnType::TimestampTz,
    chrono::DateTime<chrono::FixedOffset> => ColumnType::TimestampTz,
}

#[cfg(feature = "time")]
sql_types! {
    time::Date => ColumnType::Date,
    time::Time => ColumnType::Time,
    time::PrimitiveDateTime => ColumnType::DateTime,
    time::OffsetDateTime => ColumnType::TimestampTz,
}

#[cfg(feature = "uuid")]
sql_types! { uuid::Uuid => ColumnType::Uuid }

#[cfg(feature = "rust_decimal")]
sql_types! { rust_decimal::Decimal => ColumnType::Decimal(38, 10) }

#[cfg(feature = "serde_json")]
sql_types! { serde_json::Value => ColumnType::Json }
