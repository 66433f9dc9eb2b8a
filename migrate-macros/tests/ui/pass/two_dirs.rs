//! Two versions directories (Alembic's `version_locations`): one chain across both, and a file
//! name used in each (the modules still differ).

migrate_macros::migrations!(dirs = ["two_dirs/main", "two_dirs/tenant"]);

fn main() {
    // directory by directory, by name within each
    let revs = MIGRATIONS.revisions();
    let files: Vec<&str> = revs.iter().map(|r| r.file).collect();
    assert_eq!(
        files,
        ["two_dirs/main/x.rs", "two_dirs/main/y.rs", "two_dirs/tenant/x.rs"]
    );
    let graph = MIGRATIONS.graph().expect("valid");
    let order: Vec<&str> = graph.revisions().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, ["a1", "t1", "b1"]);
    assert_eq!(revs[2].message, "the tenant tables");
}
