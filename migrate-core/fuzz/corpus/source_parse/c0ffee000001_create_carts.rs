//! create carts
//!
//! Revision ID: c0ffee000001
//! Revises: a1b2c3d4e5f6
//! Create Date: 2026-11-21 13:00:00.000

#[migrate_macros::migration(revision = "c0ffee000001", down_revision = "a1b2c3d4e5f6", branch_labels = ["shoppingcart"])]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(
            Table::create()
                .table("carts")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .to_owned(),
        )
        .await?;
        db.create_index(Index::create().name("ix_carts_name").table("carts").col("name").to_owned()).await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_table(Table::drop().table("carts").to_owned()).await?;
        Ok(())
    }
}
