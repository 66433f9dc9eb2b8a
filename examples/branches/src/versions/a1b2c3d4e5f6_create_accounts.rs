//! create accounts
//!
//! Revision ID: a1b2c3d4e5f6
//! Revises: 
//! Create Date: 2026-11-21 13:00:00.000

#[migrate_macros::migration(revision = "a1b2c3d4e5f6")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(
            Table::create()
                .table("accounts")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .to_owned(),
        )
        .await?;
        db.create_index(Index::create().name("ix_accounts_name").table("accounts").col("name").to_owned()).await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_table(Table::drop().table("accounts").to_owned()).await?;
        Ok(())
    }
}
