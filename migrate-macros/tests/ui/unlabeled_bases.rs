migrate_macros::migrations!("unlabeled_bases");

fn main() {}
