//! A revision that allows lint rules, each with its reason: they reach the registry.

migrate_macros::migrations!("allow_lint");

fn main() {
    let [rev] = MIGRATIONS.revisions() else { panic!("one revision") };
    assert_eq!(rev.id, "a1");
    assert_eq!(rev.message, "allow two lint rules");
    let allow = rev.allow_lint;
    assert_eq!(allow.len(), 2);
    assert_eq!(allow[0].rule, "require-concurrent-index-creation");
    assert_eq!(allow[0].reason, "the table is empty at this point");
    assert_eq!(allow[1].rule, "non-atomic-ddl");
    assert_eq!(allow[1].reason, "each statement is IF NOT EXISTS");
}
