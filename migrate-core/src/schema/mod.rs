//! The schema engine: a database's schema read into one normalised, backend-neutral model,
//! and the comparison of two such models.
//!
//! - [`model`]: the normalised schema (tables, columns, keys, indexes, constraints, and on
//!   PostgreSQL enums, sequences, functions; views and triggers).
//! - [`normalise`]: pure functions turning each backend's spelling of a type, default or
//!   expression into one canonical spelling (one file per backend).
//! - `introspect` (runtime feature): reads a live database into the model, one file per
//!   backend, through our own catalogue queries.
//! - `sea` (runtime or sea-orm feature): hand-built sea-query `CREATE TABLE`/`CREATE INDEX`
//!   statements read as declared tables; `sea_orm` (sea-orm feature): sea-orm 2.x entities as
//!   declared tables, through sea-orm's own schema builder and `sea`.
//! - [`diff`]: pure: two models → the list of differences, each naming its object.
//!
//! Used by `cargo migrate test` ([`crate::testing`]); the declared schema (models) and
//! autogenerate build on the same model.

#[cfg(feature = "runtime")]
pub mod build;
pub mod declare;
pub mod diff;
pub mod model;
pub mod normalise;
#[cfg(any(feature = "runtime", feature = "sea-orm"))]
pub mod sea;
#[cfg(feature = "sea-orm")]
pub mod sea_orm;

#[cfg(feature = "runtime")]
pub mod introspect;

pub use diff::{Change, Difference, Object, diff};
pub use model::Schema;
