migrate_macros::migrations!("no_such_dir");

fn main() {}
