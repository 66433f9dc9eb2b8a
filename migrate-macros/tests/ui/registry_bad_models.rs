migrate_macros::migrations!("pass/empty", models = User);

fn main() {}
