//! merge core and auth
//!
//! Revision ID: x
//! Create Date: 2026-11-21 12:00:00 UTC

#[migrate_macros::migration(revision = "a0merge", down_revision = ["c0re", "auth"], irreversible)]
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
