#[derive(migrate_macros::Model)]
#[model(
    index(name = "ix_posts_title", columns("titel")),
    unique(columns("id", "slug")),
    primary_key("idd")
)]
struct Post {
    id: i32,
    title: String,
}

fn main() {}
