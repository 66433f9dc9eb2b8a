#[migrate_macros::migration(revision = "a1")]
async fn upgrade(_db: &mut migrate_core::Db) -> migrate_core::prelude::Result<()> {
    Ok(())
}

fn main() {}
