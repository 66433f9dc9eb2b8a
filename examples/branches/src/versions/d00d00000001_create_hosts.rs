//! create hosts
//!
//! Revision ID: d00d00000001
//! Revises: 
//! Create Date: 2026-11-21 13:00:00.000

#[migrate_macros::migration(revision = "d00d00000001", branch_labels = ["networking"])]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(
            Table::create()
                .table("hosts")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .to_owned(),
        )
        .await?;
        db.create_index(Index::create().name("ix_hosts_name").table("hosts").col("name").to_owned()).await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_table(Table::drop().table("hosts").to_owned()).await?;
        Ok(())
    }
}
