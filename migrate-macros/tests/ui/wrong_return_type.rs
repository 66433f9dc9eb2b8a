#[migrate_macros::migration(revision = "a1")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(_db: &mut Db) -> std::result::Result<(), std::fmt::Error> {
        Ok(())
    }

    pub async fn downgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }
}

fn main() {}
