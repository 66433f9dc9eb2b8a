#[derive(migrate_macros::Model)]
struct Pair(i32, String);

#[derive(migrate_macros::Model)]
enum Kind {
    A,
    B,
}

fn main() {}
