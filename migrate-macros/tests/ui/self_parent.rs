migrate_macros::migrations!("self_parent");

fn main() {}
