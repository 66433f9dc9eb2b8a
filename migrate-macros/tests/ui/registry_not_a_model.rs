struct User {
    id: i32,
}

migrate_macros::migrations!("pass/empty", models = [User]);

fn main() {}
