//! The `#[migration]` attribute and the `migrations!()` registry of cargo-migrate.
//!
//! A migrations crate keeps one file per revision in `src/versions/` and registers them all
//! with one line in `src/lib.rs`:
//!
//! ```rust,ignore
//! // src/lib.rs
//! migrate_macros::migrations!();
//! // generates: `pub static MIGRATIONS: ::migrate_core::Migrations`
//! ```
//!
//! ```rust,ignore
//! // src/versions/3f2a9c1b7e4d_create_users.rs (written by `cargo migrate revision -m "create users"`)
//! //! create users
//! //!
//! //! Revision ID: 3f2a9c1b7e4d
//! //! Revises: 8828a8665651
//! //! Create Date: 2026-11-21 12:00:00 UTC
//!
//! #[migrate_macros::migration(revision = "3f2a9c1b7e4d", down_revision = "8828a8665651")]
//! mod revision {
//!     use migrate_core::prelude::*;
//!
//!     pub async fn upgrade(db: &mut Db) -> Result<()> {
//!         db.create_table(
//!             Table::create()
//!                 .table("users")
//!                 .col(ColumnDef::new("id").integer().primary_key())
//!                 .to_owned(),
//!         )
//!         .await?;
//!         Ok(())
//!     }
//!
//!     pub async fn downgrade(db: &mut Db) -> Result<()> {
//!         db.drop_table(Table::drop().table("users").to_owned()).await?;
//!         Ok(())
//!     }
//! }
//! ```
//!
//! ```rust,ignore
//! // build.rs (written by `cargo migrate init`): a new revision file rebuilds the crate
//! fn main() {
//!     println!("cargo:rerun-if-changed=src/versions");
//! }
//! ```
//!
//! ```rust,ignore
//! // anywhere in the crate (or its runner binary)
//! for rev in blog_migrations::MIGRATIONS.revisions() {
//!     println!("{} {}", rev.id, rev.message);
//! }
//! ```
//!
//! The crate needs `migrate-core` (with its `runtime` feature) and `migrate-macros` as
//! dependencies: generated code names `::migrate_core::…`.
//!
//! Errors are reported at compile time, spanned where possible and all at once: a malformed
//! attribute, a revision module without `upgrade` or `downgrade`, and every problem of the
//! revision graph (a dangling `down_revision`, a duplicate id, a cycle, unmerged heads,
//! unlabeled extra bases) with the files involved and how to fix it.

extern crate proc_macro;

mod attr;
mod case;
mod checksum;
mod db_enum;
mod expand;
mod from_row;
mod model;
mod registry;
mod test_attr;
mod valid;

use proc_macro::TokenStream;

/// Declares a revision: put it on the inline module of a revision file.
///
/// ```rust
/// #[migrate_macros::migration(revision = "3f2a9c1b7e4d", down_revision = "8828a8665651")]
/// mod revision {
///     use migrate_core::prelude::*;
///
///     pub async fn upgrade(_db: &mut Db) -> Result<()> { Ok(()) }
///
///     pub async fn downgrade(_db: &mut Db) -> Result<()> { Ok(()) }
/// }
/// ```
///
/// # Arguments
///
/// | key | value |
/// |---|---|
/// | `revision` (required) | the id: 1 to 32 characters from `a-z`, `0-9`, `_` |
/// | `down_revision` | the parent `"id"`; `["a", "b"]` for a merge; `None` or absent for a base |
/// | `branch_labels` | `"label"` or `["label", …]` (`a-z`, `A-Z`, `0-9`, `_`) |
/// | `depends_on` | `"id"` or `["id", …]`: applied first, but not a parent |
/// | `transactional` | `false` runs the revision outside a transaction (default `true`) |
/// | `irreversible` | the downgrade is expected to fail: `irreversible` or `irreversible = "reason"` (`cargo migrate test` reports it as such) |
///
/// # The module
///
/// The attribute goes on an inline module that declares
/// `async fn upgrade(db: &mut Db) -> Result<()>` and
/// `async fn downgrade(db: &mut Db) -> Result<()>`, with `Db` and `Result` from
/// `migrate_core::prelude`. The return type must be exactly that `Result<()>`
/// (`Result<(), BoxError>`): `?` converts any error into it. The future must be `Send`.
///
/// # What it generates
///
/// The module unchanged, with two hidden wrappers appended inside it,
/// `__migrate_upgrade` and `__migrate_downgrade`
/// (`fn(&mut Db) -> BoxFuture<'_>`, boxing the future of your function), and next to the
/// module their hidden re-export and a hidden constant `__MIGRATE_CHECKSUM: &str`.
/// `migrations!()` builds each `::migrate_core::Revision` from these and from the
/// arguments, which it reads from the file with the same parser.
///
/// Only the module's top-level tokens are read (its name, and the signatures of `upgrade`
/// and `downgrade`): the bodies are left to the compiler, which parses them anyway. This
/// runs for every revision on every build of the crate.
///
/// The checksum is the SHA-256 of the module's tokens, so whitespace, comments, doc comments,
/// the spacing of punctuation and trailing commas do not change it; rustfmt's reordering of
/// `use` lists does. The attribute's arguments are not part of it.
///
/// # Errors
///
/// All of these are reported together, each at the offending token:
///
/// - an unknown key, a duplicate key, a value of the wrong type, a malformed id or label,
///   an id listed twice, a revision naming itself in `down_revision` or `depends_on`, a
///   missing `revision`;
/// - the attribute on something other than an inline module (a function, `mod x;`, …);
/// - `upgrade` or `downgrade` missing (at the module name), not `async`, `unsafe`, generic,
///   without exactly one parameter, or without a return type;
/// - from rustc, at your return type: a return type other than `Result<()>`, or a future
///   that is not `Send`.
///
/// When only `upgrade` / `downgrade` are wrong the constant is still generated (with stub
/// wrappers), so `migrations!()` adds no errors of its own.
#[proc_macro_attribute]
pub fn migration(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::migration(args.into(), item.into()).into()
}

/// A test that receives its own database at head (or a given revision), cloned from a
/// template migrated once: `migrate_core::testing::TestDb::at` (migrate-core's `testing`
/// feature), on a runtime of its own; the database is removed when the test ends, also when
/// it panics.
///
/// ```rust,ignore
/// #[migrate_macros::test(migrations = my_migrations::MIGRATIONS, backend = "postgres")]
/// async fn signup_creates_a_user(db: migrate_core::testing::TestDb) {
///     let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
///     // …
/// }
/// ```
///
/// # Arguments
///
/// | key | value |
/// |---|---|
/// | `migrations` (required) | the path of the registry, e.g. `my_migrations::MIGRATIONS` |
/// | `backend` | `"sqlite"` (default), `"postgres"` or `"mysql"`; servers from `MIGRATE_TEST_POSTGRES_URL` / `MIGRATE_TEST_MYSQL_URL` or `DATABASE_URL` |
/// | `revision` | the target, default `"head"` |
///
/// The function must be `async` and take one parameter (the `TestDb`); it may return what a
/// `#[test]` may (`()`, `Result<(), E>`). Other attributes (`#[ignore]`, …) are kept.
///
/// # Errors
/// A compile error for an unknown key or backend, a missing `migrations`, a function that is
/// not `async` or does not take exactly one parameter. At run time the test fails (panics)
/// when the database cannot be made (no server URL, server unreachable, a revision fails).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into()).into()
}

/// The registry of a migrations crate: `pub static MIGRATIONS: ::migrate_core::Migrations`.
///
/// ```rust,ignore
/// migrate_macros::migrations!();                 // reads ./versions (next to this file)
/// migrate_macros::migrations!("../migrations");  // another directory
/// migrate_macros::migrations!(dir = "versions"); // the same, named
/// migrate_macros::migrations!(dirs = ["versions", "tenant_versions"]); // several
/// // with the declared schema: models of this crate or of another (any path)
/// migrate_macros::migrations!(models = [User, blog_models::Post]);
/// migrate_macros::migrations!("../migrations", models = [User]);
/// ```
///
/// A complete example, on the three revision files of this crate's `tests/ui/pass/graph/`
/// (a doctest has no file of its own, so the directory is relative to `src/`):
///
/// ```rust
/// mod graph {
///     migrate_macros::migrations!("../tests/ui/pass/graph");
/// }
///
/// // the graph's order: parents (and depends_on) first
/// let graph = graph::MIGRATIONS.graph().unwrap();
/// let ids: Vec<&str> = graph.revisions().iter().map(|r| r.id.as_str()).collect();
/// assert_eq!(ids, ["c0re", "auth", "a0merge"]);
/// assert_eq!(graph.revisions()[0].message, "create the core tables");
/// ```
///
/// # Input
///
/// Nothing, or the directory of revision files as a string (optionally `dir = "…"`), or
/// several as `dirs = ["…", "…"]` (Alembic's `version_locations`), optionally followed by `models = [A, path::to::B]`: the types, each implementing
/// `migrate_core::schema::declare::Model` (`#[derive(Model)]`), whose tables are the
/// declared schema (`MIGRATIONS.models()`). A path that is not a model is an error at it.
///
/// The directory is resolved like `include!` does: relative to the directory of the file
/// that invokes the macro (`$CARGO_MANIFEST_DIR/src` when the compiler cannot tell). Given
/// none, the directories are `versions-dir` of the crate's `[package.metadata.migrate]`
/// (one or several, relative to the crate root; see `migrate_core::config`), else
/// `versions`, so `migrations!()` in `src/lib.rs` reads `src/versions/`.
///
/// Every `*.rs` file in those directories (not in subdirectories; names starting with `.`
/// are skipped) is one revision file, read directory by directory in the order given and in
/// name order within each (the `cargo migrate` CLI's order) with
/// `migrate_core::source::parse_file`, the parser the CLI uses too. Revision ids are unique
/// across all directories and the graph is checked as one; two files of the same name in
/// different directories get different modules.
///
/// With `archive = "DIR"` in the configuration (`cargo migrate archive` writes it), the
/// archive crate at `DIR` (a dependency of this crate, compiled on its own) holds the
/// settled revisions: their headers are read from its versions directories and checked with
/// this crate's as one graph, but not compiled here, and `MIGRATIONS` is built by
/// `Migrations::with_archive` over the archive's `MIGRATIONS` (its revisions first).
///
/// # Output
///
/// - for each file, `#[path = "<absolute path>"] #[doc(hidden)] pub mod rev_<file stem>;`
///   (e.g. `rev_3f2a9c1b7e4d_create_users`), so rustc compiles the file (its
///   `#[migration]` attribute expands there) and rebuilds when it changes;
/// - for each revision, a hidden constant `__MIGRATE_REV_<FILE STEM>: ::migrate_core::Revision`
///   (its arguments, message, file, and the checksum and wrappers `#[migration]` generated);
/// - `pub static MIGRATIONS: ::migrate_core::Migrations` listing every revision in
///   topological order (parents and `depends_on` before children), each with its message
///   (the first line of the file's `//!` docstring) and its file (relative to the crate
///   root); with `models = [...]` built by `Migrations::with_models` with a function
///   returning `vec![<A as Model>::table(), …]`.
///
/// **New files**: rustc tracks the files it compiled, not the directory, so adding or
/// removing a revision file needs the crate's `build.rs` to print
/// `cargo:rerun-if-changed=src/versions` (`cargo migrate init` writes it), one line for each
/// versions directory.
///
/// # Errors
///
/// Reported together, one `compile_error!` each (at the directory literal, or at the macro
/// call when none is given); `MIGRATIONS` is then generated empty so code using it adds no
/// errors of its own:
///
/// - a directory does not exist or cannot be read, or is named twice; a file cannot be read;
/// - a file holds no `#[migration(...)]` module, or more than one;
/// - every problem of the revision graph (see `migrate_core::graph::check`): a duplicate
///   revision id, a `down_revision` or `depends_on` naming no revision, a cycle, several
///   heads nobody merged (fix: `cargo migrate merge heads`), several bases without branch
///   labels, a branch label declared twice. Each message names the ids and files involved.
///
/// A file whose `#[migration]` attribute is malformed is still compiled (the attribute
/// reports its own spanned error) but left out of the graph check; graph errors that leaving
/// it out could cause (a missing parent, an extra head) are then not reported.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    let invoking_file = proc_macro::Span::call_site().local_file();
    registry::migrations(input.into(), invoking_file).into()
}

/// `sqlx::FromRow` for a struct with named fields, for the rows of every backend: the row
/// type [`Db::fetch_all`](../migrate_core/struct.Db.html#method.fetch_all) and its siblings
/// decode into. Each field reads the column of its name (`r#type` reads `type`), and a
/// column may be NULL only where the field is an `Option`.
///
/// ```rust
/// #[derive(migrate_macros::FromRow)]
/// struct Post {
///     id: i32,
///     title: String,
///     slug: Option<String>,
/// }
///
/// fn decodes<T: migrate_core::FromAnyRow>() {}
/// decodes::<Post>();
/// ```
///
/// The same as `#[derive(sqlx::FromRow)]` without its attributes, but with no need for
/// sqlx's `derive` feature: turning that on in a migrations crate rebuilds the database
/// drivers (BENCHMARKS.md, "typed rows"). The generated impl names sqlx through
/// `migrate_core`, so the crate needs no `sqlx` dependency for it.
///
/// # Errors
///
/// A compile error at the input when it is an enum, a union, a tuple struct or a unit
/// struct. A field whose type sqlx cannot decode fails where the row is fetched (a missing
/// `Decode` / `Type` bound).
#[proc_macro_derive(FromRow)]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    from_row::derive(input.into()).into()
}

/// Declares a table: implements `migrate_core::schema::declare::Model` for a struct with
/// named fields (the struct the application already reads rows into with
/// `#[derive(sqlx::FromRow)]`), so `migrations!(models = [...])` can register it and
/// autogenerate compare it with the migrations.
///
/// ```rust
/// use migrate_core::schema::declare::{ColumnDef, ColumnType, ForeignKeyDef, Model, TableDef};
/// use migrate_core::schema::model::FkAction;
///
/// #[derive(migrate_macros::Model)]
/// #[model(table = "users")]
/// struct User {
///     #[model(primary_key, auto_increment)]
///     id: i64,
///     #[model(length = 320, unique)]
///     email: String,
///     bio: Option<String>, // nullable
/// }
///
/// #[derive(migrate_macros::DbEnum)]
/// #[db_enum(rename_all = "lowercase")]
/// enum PostStatus { Draft, Live }
///
/// #[derive(migrate_macros::Model)]
/// #[model(
///     table = "posts",
///     renamed_from = "articles",
///     index(name = "ix_posts_author_title", columns("author_id", "title"), unique),
///     check(name = "ck_posts_score", expr = "score >= 0"),
/// )]
/// struct Post {
///     #[model(primary_key, auto_increment)]
///     id: i32,
///     #[model(references = "users(id)", on_delete = "cascade", index)]
///     author_id: i64,
///     #[model(length = 200, renamed_from = "headline")]
///     title: String,
///     #[model(default = "'draft'")]
///     status: PostStatus,
///     #[model(default = 0)]
///     score: i32,
///     #[model(sql_type = "citext", column = "slug_text")]
///     slug: Option<String>,
///     #[model(skip)]
///     cached_html: String,
/// }
///
/// let expected = TableDef::new("posts")
///     .renamed_from("articles")
///     .column(ColumnDef::new("id", ColumnType::Integer).auto_increment())
///     .column(ColumnDef::new("author_id", ColumnType::BigInt))
///     .column(ColumnDef::new("title", ColumnType::Varchar(200)).renamed_from("headline"))
///     .column(ColumnDef::new("status", <PostStatus as migrate_core::schema::declare::SqlType>::column_type()).default("'draft'"))
///     .column(ColumnDef::new("score", ColumnType::Integer).default("0"))
///     .column(ColumnDef::new("slug_text", ColumnType::Custom("citext".into())).nullable(true))
///     .primary_key(["id"])
///     .index("ix_posts_author_id", ["author_id"], false)
///     .index("ix_posts_author_title", ["author_id", "title"], true)
///     .check(Some("ck_posts_score"), "score >= 0")
///     .foreign_key(ForeignKeyDef::new(["author_id"], "users", ["id"]).on_delete(FkAction::Cascade));
/// assert_eq!(Post::table(), expected);
/// assert_eq!(User::table().uniques[0].columns, ["email"]);
/// ```
///
/// # Columns
///
/// Every field is a column, in field order, named as the field (`r#type` is `type`). Its
/// type and nullability come from the field's type through
/// `migrate_core::schema::declare::SqlType` (integers, floats, `bool`, `String` → text,
/// `Vec<u8>`, `Option<T>` → nullable; chrono, time, uuid, rust_decimal and serde_json types
/// with migrate-core's features of those names; a `#[derive(DbEnum)]` enum). A type without
/// it is a compile error at the field's type, unless `sql_type` names the column's type.
/// A generic struct gets a `FieldType: SqlType` bound for each such field.
///
/// # On the struct: `#[model(...)]`
///
/// | key | meaning |
/// |---|---|
/// | `table = "users"` | the table's name; default: the struct's name in snake_case (`UserProfile` → `user_profile`, no plural) |
/// | `renamed_from = "old"` | a former name of the table (repeatable): autogenerate renames instead of dropping and creating |
/// | `primary_key("a", "b")` | a composite primary key, in this order |
/// | `index(name = "ix_…", columns("a", "b"), unique)` | an index (repeatable); `name` optional (default `ix_<table>_<a>_<b>`), `unique` optional |
/// | `unique(name = "uq_…", columns("a", "b"))` | a unique constraint (repeatable); `name` optional (the backend names it) |
/// | `check(name = "ck_…", expr = "a > 0")` | a check constraint (repeatable); `name` optional |
///
/// Columns in these lists are column names, or field names (taken to their column).
///
/// # On a field: `#[model(...)]`
///
/// | key | meaning |
/// |---|---|
/// | `primary_key` | the primary key is this column (on several fields: a composite key in field order) |
/// | `auto_increment` | the database generates the value (serial / identity / `AUTO_INCREMENT` / SQLite `AUTOINCREMENT`); integer fields only |
/// | `unique` | a single-column unique constraint (unnamed) |
/// | `index`, `index = "name"` | a single-column index; default name `ix_<table>_<column>` |
/// | `length = 255` | `VARCHAR(255)` instead of text; `String` / `Option<String>` only |
/// | `precision = 10, scale = 2` | `NUMERIC(10, 2)` (scale defaults to 0); decimal fields only |
/// | `sql_type = "citext"` | the column's type as written in SQL (`ColumnType::Custom`), for any field type; nullable when the field is an `Option` |
/// | `default = "SQL"` | the server default, a SQL expression: `"0"`, `"'draft'"` (a string needs its quotes), `"CURRENT_TIMESTAMP"`; a number literal (`default = 0`) is taken as written |
/// | `references = "users(id)"` / `references = "users"` | a foreign key to that column (to `id` when none is named) |
/// | `on_delete = "cascade"`, `on_update = …` | the foreign key's actions: `cascade`, `restrict`, `set null`, `set default`, `no action` (any case); need `references` |
/// | `check = "expr"` | a check constraint (unnamed; repeatable) |
/// | `renamed_from = "old"` | a former column name (repeatable) |
/// | `column = "name"` | the column's name when it differs from the field's |
/// | `skip` | not a column (no other key allowed) |
///
/// # sqlx's attributes
///
/// The same struct usually derives `sqlx::FromRow`, so its `#[sqlx(...)]` attributes are
/// read to declare the columns the rows are decoded from: on the struct `rename_all = "…"`;
/// on a field `rename = "…"` (the column's name; `column` must agree with it), `skip` (not a
/// column), `json` (a JSON column), `try_from = "T"` (the column has `T`'s type).
/// `flatten` is a compile error: a model declares one table's columns.
///
/// # Errors
///
/// All reported together, each at the offending token: an unknown key (the message lists
/// the known ones), a duplicate key, a value of the wrong kind, `length` on a field that is
/// not a `String`, `precision`/`scale` on a field that is not a decimal, `auto_increment` on
/// a field that is not an integer (a `String`, `bool`, float, …; an unknown path such as an
/// alias is let through), two ways of setting the type (`sql_type` with `length`, …), a
/// primary key declared both on the struct and on a field, `on_delete`/`on_update` without
/// `references`, an unknown action, a malformed `references`, a column in a list that is no
/// column of the model, two fields with the same column name, `#[sqlx(flatten)]`, a
/// struct whose fields are all skipped; and (no other output) a tuple struct, a unit
/// struct, an enum or a union. With attribute errors the impl is still generated (with an
/// empty table) so uses of the model add no errors of their own.
#[proc_macro_derive(Model, attributes(model, sqlx))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    model::derive(input.into()).into()
}

/// Declares a database enumeration type: implements
/// `migrate_core::schema::declare::SqlType` for a fieldless enum as
/// `ColumnType::Enum` (a PostgreSQL enum type; an inline `ENUM(…)` on MySQL; text with a
/// check constraint on SQLite), so a model's field can have the enum's type.
///
/// ```rust
/// use migrate_core::schema::declare::{ColumnType, EnumDef, SqlType};
///
/// #[derive(migrate_macros::DbEnum)]
/// #[db_enum(name = "mood", rename_all = "snake_case")]
/// enum Mood {
///     VeryHappy,
///     Sad,
///     #[db_enum(rename = "meh")]
///     Indifferent,
/// }
/// assert_eq!(
///     Mood::column_type(),
///     ColumnType::Enum(EnumDef::new("mood", ["very_happy", "sad", "meh"]))
/// );
///
/// // the attributes of `#[derive(sqlx::Type)]` are read too, so the database's type is
/// // the one sqlx encodes
/// #[derive(migrate_macros::DbEnum)]
/// #[sqlx(type_name = "post_status", rename_all = "lowercase")]
/// enum PostStatus {
///     Draft,
///     #[sqlx(rename = "live")]
///     Published,
/// }
/// assert_eq!(
///     PostStatus::column_type(),
///     ColumnType::Enum(EnumDef::new("post_status", ["draft", "live"]))
/// );
/// ```
///
/// # Attributes
///
/// | where | key | meaning |
/// |---|---|---|
/// | enum | `name = "mood"` | the type's name; default: `#[sqlx(type_name)]`, else the enum's name in snake_case (`PostStatus` → `post_status`) |
/// | enum | `rename_all = "…"` | how variant names become values: `lowercase`, `UPPERCASE`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `camelCase`, `PascalCase`; default: `#[sqlx(rename_all)]`, else the variant's name as written (what `sqlx::Type` encodes without `rename_all`) |
/// | variant | `rename = "…"` | this variant's value; default `#[sqlx(rename)]`, else by `rename_all` |
///
/// `#[db_enum(...)]` wins where both it and `#[sqlx(...)]` are given. sqlx's default type
/// name is the enum's name as written; PostgreSQL folds an unquoted `PostStatus` to
/// `poststatus`, not `post_status`: when the enum derives `sqlx::Type`, give
/// `#[sqlx(type_name = "…")]` so both agree.
///
/// An enum with `#[repr(i8 | i16 | i32 | i64 | u8 | …)]`, which `sqlx::Type` encodes as that
/// integer, has the integer's column type instead.
///
/// # Errors
///
/// All reported together, at the token: an unknown key or `rename_all` rule, a variant with
/// fields, two variants with the same value, an enum without variants; and (no other output)
/// a struct or a union.
#[proc_macro_derive(DbEnum, attributes(db_enum, sqlx))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    db_enum::derive(input.into()).into()
}
