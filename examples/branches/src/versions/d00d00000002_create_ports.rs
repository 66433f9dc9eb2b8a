//! create ports
//!
//! Revision ID: d00d00000002
//! Revises: d00d00000001
//! Create Date: 2026-11-21 13:00:00.000

#[migrate_macros::migration(revision = "d00d00000002", down_revision = "d00d00000001", depends_on = ["c0ffee000001"])]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(
            Table::create()
                .table("ports")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .to_owned(),
        )
        .await?;
        db.create_index(Index::create().name("ix_ports_name").table("ports").col("name").to_owned()).await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_table(Table::drop().table("ports").to_owned()).await?;
        Ok(())
    }
}
