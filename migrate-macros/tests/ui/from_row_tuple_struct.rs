#[derive(migrate_macros::FromRow)]
struct Post(i32, String);

#[derive(migrate_macros::FromRow)]
struct Nothing;

fn main() {}
