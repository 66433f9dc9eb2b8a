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
//! - `ops` (runtime feature): schema operations for autogenerate: the declared schema from
//!   nothing (`create_all`), two schemas → an upgrade and its inverse (`plan`), run on a
//!   `Db` (`apply`); `render` prints them as revision source.
//! - `autogen` (runtime feature): autogenerate and the models' drift check: the declared
//!   schema created in a shadow database and read back, compared with the migrations
//!   replayed in another (or the live database).
//!
//! Used by `cargo migrate test` ([`crate::testing`]); the declared schema (models) and
//! autogenerate build on the same model.

#[cfg(feature = "runtime")]
pub mod build;
pub mod declare;
pub mod diff;
pub mod model;
pub mod normalise;
#[cfg(feature = "runtime")]
pub mod ops;
#[cfg(feature = "runtime")]
pub mod render;
#[cfg(any(feature = "runtime", feature = "sea-orm"))]
pub mod sea;
#[cfg(feature = "sea-orm")]
pub mod sea_orm;

#[cfg(feature = "runtime")]
pub mod autogen;
#[cfg(feature = "runtime")]
pub mod introspect;

pub use diff::{Change, Difference, Object, diff};
pub use model::Schema;
