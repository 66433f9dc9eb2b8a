//! after the tenant tables

#[migrate_macros::migration(revision = "b1", down_revision = "t1")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }

    pub async fn downgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }
}
