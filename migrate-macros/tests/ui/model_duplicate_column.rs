#[derive(migrate_macros::Model)]
struct Post {
    id: i32,
    #[model(column = "title")]
    headline: String,
    #[sqlx(rename = "id")]
    other: i32,
    title: String,
}

fn main() {}
