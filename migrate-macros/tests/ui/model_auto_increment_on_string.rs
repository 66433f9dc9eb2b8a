#[derive(migrate_macros::Model)]
struct User {
    #[model(primary_key, auto_increment)]
    id: String,
}

fn main() {}
