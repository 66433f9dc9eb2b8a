#[derive(migrate_macros::Model)]
struct Post {
    id: i32,
    #[model(on_delete = "cascade")]
    author_id: i32,
    #[model(references = "users(id)", on_update = "delete")]
    editor_id: i32,
    #[model(references = "users(id")]
    reviewer_id: i32,
    #[model(references = "users(a, b)")]
    owner_id: i32,
}

fn main() {}
