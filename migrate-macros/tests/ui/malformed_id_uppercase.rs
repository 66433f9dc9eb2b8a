#[migrate_macros::migration(revision = "3F2A9C1B7E4D")]
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
