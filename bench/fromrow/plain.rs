//! add slug to posts
//!
//! Revision ID: 8021968f7641
//! Revises:
//! Create Date: 2026-12-04 14:46:42 UTC

#[migrate_macros::migration(revision = "8021968f7641")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.alter_table(Table::alter().table("posts").add_column(ColumnDef::new("slug").string_len(200).null()).to_owned()).await?;
        db.sql("UPDATE posts SET slug = lower(title)").await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.alter_table(Table::alter().table("posts").drop_column("slug").to_owned()).await?;
        Ok(())
    }
}
