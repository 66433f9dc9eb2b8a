//! create tags
//!
//! Revision ID: b7c1d2e3f4a5
//! Revises: 3f2a9c1b7e4d
//! Create Date: 2026-11-21 12:10:00.000

#[migrate_macros::migration(revision = "b7c1d2e3f4a5", down_revision = "3f2a9c1b7e4d")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(
            Table::create()
                .table("tags")
                .col(ColumnDef::new("id").integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("name").string_len(50).not_null().unique_key())
                .to_owned(),
        )
        .await?;
        db.create_table(
            Table::create()
                .table("post_tags")
                .col(ColumnDef::new("post_id").integer().not_null())
                .col(ColumnDef::new("tag_id").integer().not_null())
                .primary_key(Index::create().col("post_id").col("tag_id"))
                .foreign_key(ForeignKey::create().from("post_tags", "post_id").to("posts", "id").on_delete(ForeignKeyAction::Cascade))
                .foreign_key(ForeignKey::create().from("post_tags", "tag_id").to("tags", "id").on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_table(Table::drop().table("post_tags").to_owned()).await?;
        db.drop_table(Table::drop().table("tags").to_owned()).await?;
        Ok(())
    }
}
