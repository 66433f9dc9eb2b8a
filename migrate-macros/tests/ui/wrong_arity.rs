#[migrate_macros::migration(revision = "a1")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(_db: &mut Db, _dry_run: bool) -> Result<()> {
        Ok(())
    }

    pub async fn downgrade() -> Result<()> {
        Ok(())
    }
}

fn main() {}
