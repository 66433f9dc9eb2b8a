migrate_macros::migrations!("dangling_down_revision");

fn main() {}
