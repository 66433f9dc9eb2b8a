struct Audit {
    created: String,
}

#[derive(migrate_macros::Model)]
struct Post {
    id: i32,
    #[sqlx(flatten)]
    audit: Audit,
}

fn main() {}
