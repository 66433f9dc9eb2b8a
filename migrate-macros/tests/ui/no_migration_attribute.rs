migrate_macros::migrations!("no_migration_attribute");

fn main() {}
