migrate_macros::migrations!("duplicate_id");

fn main() {}
