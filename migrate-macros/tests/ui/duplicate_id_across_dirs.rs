migrate_macros::migrations!(dirs = ["duplicate_id_across_dirs/main", "duplicate_id_across_dirs/tenant"]);

fn main() {}
