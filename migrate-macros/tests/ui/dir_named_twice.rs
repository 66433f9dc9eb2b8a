migrate_macros::migrations!(dirs = ["pass/graph", "pass/./graph/"]);

fn main() {}
