//! create the auth tables
//!
//! Revision ID: x
//! Create Date: 2026-11-21 12:00:00 UTC

#[migrate_macros::migration(revision = "auth", branch_labels = ["auth"], depends_on = "c0re", transactional = false, irreversible = "drops the auth data")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        let _ = db;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        let _ = db;
        Ok(())
    }
}
