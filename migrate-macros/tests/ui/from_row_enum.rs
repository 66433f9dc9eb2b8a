#[derive(migrate_macros::FromRow)]
enum Post {
    Draft,
    Published,
}

fn main() {}
