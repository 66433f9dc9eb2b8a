migrate_macros::migrations!("unmerged_heads");

fn main() {}
