migrate_macros::migrations!("two_revisions_in_one_file");

fn main() {}
