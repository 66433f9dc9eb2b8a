//! add slug to posts
//!
//! Revision ID: e4d5c6b7a8f9
//! Revises: b7c1d2e3f4a5
//! Create Date: 2026-11-21 12:15:00.000
//!
//! A data migration: the new column is backfilled from each post's title with typed rows
//! (`migrate_macros::FromRow`, no sqlx `derive` feature needed) and bound values, inside the
//! revision's transaction.

#[migrate_macros::migration(revision = "e4d5c6b7a8f9", down_revision = "b7c1d2e3f4a5")]
mod revision {
    use migrate_core::prelude::*;

    #[derive(migrate_macros::FromRow)]
    struct Post {
        id: i32,
        title: String,
    }

    /// "Hello, World!" -> "hello-world"
    fn slugify(title: &str) -> String {
        let mut slug = String::new();
        for word in title.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(&word.to_ascii_lowercase());
        }
        slug
    }

    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.alter_table(Table::alter().table("posts").add_column(ColumnDef::new("slug").string_len(200).null()).to_owned())
            .await?;
        let posts: Vec<Post> = db.fetch_all(&Query::select().columns(["id", "title"]).from("posts").to_owned()).await?;
        for post in posts {
            db.execute(
                &Query::update()
                    .table("posts")
                    .value("slug", slugify(&post.title))
                    .and_where(Expr::col("id").eq(post.id))
                    .to_owned(),
            )
            .await?;
        }
        db.create_index(Index::create().name("ux_posts_slug").table("posts").col("slug").unique().to_owned()).await?;
        Ok(())
    }

    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_index(Index::drop().name("ux_posts_slug").table("posts").to_owned()).await?;
        db.alter_table(Table::alter().table("posts").drop_column("slug").to_owned()).await?;
        Ok(())
    }
}
