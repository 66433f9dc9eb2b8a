//! create the core tables
//!
//! Revision ID: x
//! Create Date: 2026-11-21 12:00:00 UTC

#[migrate_macros::migration(revision = "c0re", branch_labels = "core")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.sql("CREATE TABLE core (id INTEGER)").await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.sql("DROP TABLE core").await?;
        Ok(())
    }
}
