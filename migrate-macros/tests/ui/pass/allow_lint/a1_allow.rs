//! allow two lint rules

#[migrate_macros::migration(
    revision = "a1",
    allow_lint("require-concurrent-index-creation", reason = "the table is empty at this point"),
    allow_lint("non-atomic-ddl", reason = "each statement is IF NOT EXISTS")
)]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.sql("CREATE INDEX i ON t (c)").await?;
        Ok(())
    }

    pub async fn downgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }
}
