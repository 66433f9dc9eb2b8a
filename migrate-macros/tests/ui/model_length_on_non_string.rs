#[derive(migrate_macros::Model)]
struct User {
    id: i32,
    #[model(length = 20)]
    age: Option<i64>,
}

fn main() {}
