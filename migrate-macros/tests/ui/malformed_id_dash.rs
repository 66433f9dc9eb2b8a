#[migrate_macros::migration(revision = "a1", down_revision = "create-users")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }

    pub async fn downgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }
}

fn main() {}
