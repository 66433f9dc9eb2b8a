//! # migrate-core
//!
//! The engine of cargo-migrate: the revision graph, revision specs and plans (pure, no IO),
//! the [`Db`] handle revisions receive, the runner and the version table.
#![warn(missing_docs)]

pub mod graph;
pub mod lint;
pub mod plan;
pub mod schema;
pub mod spec;

#[cfg(feature = "source")]
pub mod source;

#[cfg(feature = "config")]
pub mod config;

#[cfg(feature = "runtime")]
mod batch;
#[cfg(feature = "runtime")]
mod bound_sql;
#[cfg(feature = "runtime")]
mod db;
#[cfg(feature = "runtime")]
mod error;
#[cfg(feature = "runtime")]
pub mod fleet;
#[cfg(feature = "runtime")]
mod introspect;
#[cfg(feature = "runtime")]
pub mod lock;
#[cfg(feature = "runtime")]
mod registry;
#[cfg(feature = "runtime")]
pub mod retry;
#[cfg(feature = "runtime")]
pub mod runner;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(all(
    feature = "runtime",
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql"))
))]
compile_error!(
    "migrate-core's `runtime` needs at least one backend feature: \"sqlite\", \"postgres\" or \"mysql\""
);
#[cfg(feature = "runtime")]
// the planner is compiled for batch mode's API on every backend; only SQLite runs it
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
mod sqlite_batch;
#[cfg(feature = "runtime")]
pub mod test_suite;
#[cfg(feature = "runtime")]
mod throwaway;
#[cfg(feature = "runtime")]
pub mod version_table;

#[cfg(feature = "testing")]
#[cfg_attr(
    not(all(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub mod testing;

#[cfg(feature = "cli")]
pub mod cli;

/// Defaults of the runner's command line.
#[cfg(feature = "cli")]
mod config_defaults {
    /// The environment variable holding the database URL unless configured otherwise.
    pub const DATABASE_URL_ENV: &str = "DATABASE_URL";
}

#[cfg(feature = "runtime")]
pub use batch::BatchAlter;
#[cfg(feature = "runtime")]
pub use db::{
    Backend, ConnectOptions, Connection, DataStatement, Db, FromAnyRow, redact_url,
    remember_url_secrets,
};
#[cfg(feature = "runtime")]
pub use error::Error;
#[cfg(feature = "runtime")]
pub use registry::{AllowLint, BoxError, BoxFuture, MigrationFn, Migrations, Revision, Settings};

/// What a revision file needs: `use migrate_core::prelude::*;`.
#[cfg(feature = "runtime")]
pub mod prelude {
    pub use crate::batch::BatchAlter;
    pub use crate::db::{Backend, Db};
    pub use crate::registry::BoxError;
    pub use sea_query::extension::postgres::Type;
    pub use sea_query::{
        Alias, ColumnDef, Expr, ExprTrait, ForeignKey, ForeignKeyAction, Iden, Index, IndexOrder,
        Order, PostgresQueryBuilder, Query, Table,
    };
    /// The result of `upgrade` / `downgrade`: any error converts with `?`.
    pub type Result<T = (), E = BoxError> = std::result::Result<T, E>;
}

#[cfg(feature = "runtime")]
pub use sea_query;
#[cfg(feature = "runtime")]
pub use sqlx;
