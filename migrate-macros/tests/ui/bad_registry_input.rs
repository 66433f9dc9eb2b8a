migrate_macros::migrations!(42);

fn main() {}
