//! The migrations of a small blog: users, posts, tags.
//!
//! Run them with `cargo migrate upgrade` (or `cargo run -p blog-migrations -- upgrade`), or
//! from the application at start-up:
//!
//! ```no_run
//! # async fn start() -> Result<(), migrate_core::Error> {
//! blog_migrations::MIGRATIONS.upgrade_url("sqlite:blog.db", "head").await?;
//! # Ok(()) }
//! ```

migrate_macros::migrations!();
