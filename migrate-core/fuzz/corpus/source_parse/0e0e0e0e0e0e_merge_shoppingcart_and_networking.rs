//! merge shoppingcart and networking
//!
//! Revision ID: 0e0e0e0e0e0e
//! Revises: c0ffee000002, d00d00000002
//! Create Date: 2026-11-21 13:30:00.000

#[migrate_macros::migration(revision = "0e0e0e0e0e0e", down_revision = ["c0ffee000002", "d00d00000002"])]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }

    pub async fn downgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }
}
