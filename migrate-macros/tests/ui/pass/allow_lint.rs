//! A revision that allows lint rules, each with its reason: they reach the registry.

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

fn main() {
    let allow = __MIGRATE_REVISION.allow_lint;
    assert_eq!(allow.len(), 2);
    assert_eq!(allow[0].rule, "require-concurrent-index-creation");
    assert_eq!(allow[0].reason, "the table is empty at this point");
    assert_eq!(allow[1].rule, "non-atomic-ddl");
}
