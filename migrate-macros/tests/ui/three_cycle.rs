migrate_macros::migrations!("three_cycle");

fn main() {}
