//! Testing a data migration: `e4d5c6b7a8f9` (add slug to posts) backfills `posts.slug` from
//! each post's title. The test brings a fresh database to just before it, inserts posts,
//! runs it, checks every slug, then downgrades and checks that the posts survive without
//! the column. See README.md, "Testing a data migration".

use blog_migrations::MIGRATIONS;
use migrate_core::Backend;
use migrate_core::sea_query::{Expr, ExprTrait, Order, Query};
use migrate_core::testing::Migrator;

const BACKFILL: &str = "e4d5c6b7a8f9";

#[derive(Debug, PartialEq, migrate_macros::FromRow)]
struct Post {
    id: i32,
    title: String,
    slug: Option<String>,
}

#[derive(Debug, PartialEq, migrate_macros::FromRow)]
struct PostBefore {
    id: i32,
    title: String,
}

#[tokio::test]
async fn backfill_slugs_from_titles() -> Result<(), Box<dyn std::error::Error>> {
    let mut m = Migrator::fresh(&MIGRATIONS, Backend::Sqlite).await?;

    // 1. just before the backfill: the posts table has no slug yet
    m.upgrade_before(BACKFILL).await?;
    assert_eq!(m.current().await?, ["b7c1d2e3f4a5"]);
    assert!(!m.db().has_column("posts", "slug").await?);
    for title in ["Rust 2024: What's New?", "  Spaces   everywhere  "] {
        m.db()
            .execute(
                &Query::insert()
                    .into_table("posts")
                    .columns(["author_id", "title", "body"])
                    .select_from(
                        Query::select()
                            .column("id")
                            .expr(Expr::val(title))
                            .expr(Expr::val("…"))
                            .from("users")
                            .to_owned(),
                    )?
                    .to_owned(),
            )
            .await?;
    }

    // 2. the backfill
    m.upgrade_to(BACKFILL).await?;
    assert!(m.db().has_column("posts", "slug").await?);
    let select = Query::select()
        .columns(["id", "title", "slug"])
        .from("posts")
        .order_by("id", Order::Asc)
        .to_owned();
    let posts: Vec<Post> = m.db().fetch_all(&select).await?;
    let slugs: Vec<_> = posts.iter().map(|p| p.slug.as_deref()).collect();
    assert_eq!(
        slugs,
        [
            Some("hello-world"), // the seed post of 3f2a9c1b7e4d
            Some("rust-2024-what-s-new"),
            Some("spaces-everywhere"),
        ]
    );
    // the unique index came with it
    let duplicate = Query::update()
        .table("posts")
        .value("slug", "hello-world")
        .and_where(Expr::col("id").eq(posts[1].id))
        .to_owned();
    assert!(
        m.db().execute(&duplicate).await.is_err(),
        "ux_posts_slug is unique"
    );

    // 3. downgrade: the column goes, the posts stay
    m.downgrade_before(BACKFILL).await?;
    assert_eq!(m.current().await?, ["b7c1d2e3f4a5"]);
    assert!(!m.db().has_column("posts", "slug").await?, "slug is gone");
    let before: Vec<PostBefore> = m
        .db()
        .fetch_all(
            &Query::select()
                .columns(["id", "title"])
                .from("posts")
                .order_by("id", Order::Asc)
                .to_owned(),
        )
        .await?;
    assert_eq!(
        before,
        posts
            .into_iter()
            .map(|p| PostBefore {
                id: p.id,
                title: p.title
            })
            .collect::<Vec<_>>()
    );
    Ok(())
}
