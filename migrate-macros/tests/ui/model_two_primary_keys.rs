#[derive(migrate_macros::Model)]
#[model(primary_key("id", "org"))]
struct Member {
    #[model(primary_key)]
    id: i32,
    org: i32,
}

fn main() {}
