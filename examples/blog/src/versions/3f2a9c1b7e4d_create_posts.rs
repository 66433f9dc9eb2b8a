//! create posts
//!
//! Revision ID: 3f2a9c1b7e4d
//! Revises: 8828a8665651
//! Create Date: 2026-11-21 12:05:00.000

#[migrate_macros::migration(revision = "3f2a9c1b7e4d", down_revision = "8828a8665651")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(
            Table::create()
                .table("posts")
                .col(ColumnDef::new("id").integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("author_id").integer().not_null())
                .col(ColumnDef::new("title").string_len(200).not_null())
                .col(ColumnDef::new("body").text().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_posts_author")
                        .from("posts", "author_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        db.create_index(Index::create().name("ix_posts_author").table("posts").col("author_id").to_owned())
            .await?;

        // seed data, with bound values, in the same transaction
        db.execute(
            &Query::insert()
                .into_table("users")
                .columns(["email", "name"])
                .values_panic(["editor@example.com".into(), "The Editor".into()])
                .to_owned(),
        )
        .await?;
        db.execute(
            &Query::insert()
                .into_table("posts")
                .columns(["author_id", "title", "body"])
                .select_from(
                    Query::select()
                        .column("id")
                        .expr(Expr::val("Hello, World!"))
                        .expr(Expr::val("The first post."))
                        .from("users")
                        .and_where(Expr::col("email").eq("editor@example.com"))
                        .to_owned(),
                )?
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_table(Table::drop().table("posts").to_owned()).await?;
        db.execute(&Query::delete().from_table("users").and_where(Expr::col("email").eq("editor@example.com")).to_owned())
            .await?;
        Ok(())
    }
}
