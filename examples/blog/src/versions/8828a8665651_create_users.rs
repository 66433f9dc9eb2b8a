//! create users
//!
//! Revision ID: 8828a8665651
//! Revises:
//! Create Date: 2026-11-21 12:00:00.000

#[migrate_macros::migration(revision = "8828a8665651")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(
            Table::create()
                .table("users")
                .col(ColumnDef::new("id").integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("email").string_len(255).not_null().unique_key())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_table(Table::drop().table("users").to_owned()).await?;
        Ok(())
    }
}
