//! A directory without revision files gives an empty registry.

migrate_macros::migrations!(dir = "empty");

fn main() {
    assert!(MIGRATIONS.revisions().is_empty());
}
