migrate_macros::migrations!("several_errors");

fn main() {}
