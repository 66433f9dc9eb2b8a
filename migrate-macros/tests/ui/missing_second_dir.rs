migrate_macros::migrations!(dirs = ["pass/graph", "no_such_dir"]);

fn main() {}
