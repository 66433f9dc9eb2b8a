use super::rules::{OWN_RULES, SQUAWK_RULES, is_known_rule};
use super::*;
use crate::db::Backend;

fn rev<'a>(id: &'a str, statements: &'a [String], allow: &'a [Allow]) -> RevisionSql<'a> {
    RevisionSql {
        id,
        file: "src/versions/x.rs",
        statements,
        transactional: true,
        allow,
    }
}

fn sql(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| (*s).to_owned()).collect()
}

fn rules_of(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn the_rule_list_is_squawks() {
    use squawk_linter::Rule;
    let all: Vec<String> = enum_iterator::all::<Rule>()
        .map(|r| r.to_string())
        .collect();
    let mut sorted = all.clone();
    sorted.sort();
    let mut ours: Vec<String> = SQUAWK_RULES.iter().map(|s| (*s).to_owned()).collect();
    ours.sort();
    assert_eq!(ours, sorted);
    // `unused-ignore` reports squawk's own ignore comments; it has no name to parse
    for name in SQUAWK_RULES.iter().filter(|n| **n != "unused-ignore") {
        assert!(name.parse::<Rule>().is_ok(), "{name}");
    }
    assert!(is_known_rule("prefer-timestamptz"));
    assert!(!is_known_rule("no-such-rule"));
    for r in OWN_RULES {
        assert!(is_known_rule(r));
    }
}

#[test]
fn postgres_non_concurrent_index_is_squawks_finding() {
    let s = sql(&["CREATE INDEX users_email ON users (email)"]);
    let f = lint(&[rev("a1", &s, &[])], Backend::Postgres, &[]);
    let f: Vec<_> = f
        .into_iter()
        .filter(|f| f.rule == "require-concurrent-index-creation")
        .collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].message.contains("table updates are blocked"),
        "{}",
        f[0].message
    );
    assert_eq!(
        f[0].help.as_deref(),
        Some("Use `concurrently` to avoid blocking writes.")
    );
    assert_eq!(f[0].statement, "CREATE INDEX users_email ON users (email)");
    assert_eq!(f[0].allowed, None);
}

#[test]
fn postgres_index_on_a_table_created_in_the_same_revision_is_fine() {
    let s = sql(&[
        "CREATE TABLE users (id bigint PRIMARY KEY, email text)",
        "CREATE INDEX users_email ON users (email)",
    ]);
    let f = lint(&[rev("a1", &s, &[])], Backend::Postgres, &[]);
    assert!(
        !rules_of(&f).contains(&"require-concurrent-index-creation"),
        "{f:?}"
    );
}

#[test]
fn postgres_foreign_key_and_not_null() {
    let s = sql(&[
        "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)",
        "ALTER TABLE posts ALTER COLUMN title SET NOT NULL",
        "ALTER TABLE posts ALTER COLUMN title TYPE varchar(20)",
    ]);
    let f = lint(&[rev("a1", &s, &[])], Backend::Postgres, &[]);
    let r = rules_of(&f);
    for want in [
        "adding-foreign-key-constraint",
        "adding-not-nullable-field",
        "changing-column-type",
    ] {
        assert!(r.contains(&want), "{want} missing from {r:?}");
    }
}

#[test]
fn allowed_rules_are_marked_with_their_reason() {
    let s = sql(&["CREATE INDEX i ON t (c)"]);
    let allow = [Allow {
        rule: "require-concurrent-index-creation".into(),
        reason: "the table is empty".into(),
    }];
    let f = lint(&[rev("a1", &s, &allow)], Backend::Postgres, &[]);
    let i = f
        .iter()
        .find(|f| f.rule == "require-concurrent-index-creation")
        .unwrap();
    assert_eq!(i.allowed.as_deref(), Some("the table is empty"));
    // project-wide, and squawk's alias for the two timeout rules
    let project = [Allow {
        rule: "require-timeout-settings".into(),
        reason: "allowed project-wide".into(),
    }];
    let f = lint(&[rev("a1", &s, &[])], Backend::Postgres, &project);
    for f in f
        .iter()
        .filter(|f| f.rule.starts_with("require-") && f.rule.ends_with("-timeout"))
    {
        assert_eq!(f.allowed.as_deref(), Some("allowed project-wide"), "{f:?}");
    }
}

#[test]
fn mysql_not_null_column_without_default() {
    let s = sql(&["ALTER TABLE `users` ADD COLUMN `age` int NOT NULL"]);
    let f = lint(&[rev("a1", &s, &[])], Backend::MySql, &[]);
    assert_eq!(rules_of(&f), ["adding-required-field"]);
    assert!(f[0].message.contains("`age`"), "{}", f[0].message);
    // with a default, nullable, or on a table created in the same revision: fine
    for ok in [
        sql(&["ALTER TABLE `users` ADD COLUMN `age` int NOT NULL DEFAULT 0"]),
        sql(&["ALTER TABLE users ADD age int NULL"]),
        sql(&["ALTER TABLE users ADD COLUMN id bigint NOT NULL AUTO_INCREMENT"]),
        sql(&[
            "CREATE TABLE users (id int)",
            "ALTER TABLE users ADD age int NOT NULL",
        ]),
        sql(&["ALTER TABLE users ADD CONSTRAINT c CHECK (a IS NOT NULL)"]),
    ] {
        let f = lint(&[rev("a1", &ok, &[])], Backend::MySql, &[]);
        assert!(
            !rules_of(&f).contains(&"adding-required-field"),
            "{ok:?}: {f:?}"
        );
    }
}

#[test]
fn mysql_several_ddl_statements_are_not_atomic() {
    let s = sql(&[
        "CREATE TABLE a (id int); CREATE TABLE b (id int)",
        "INSERT INTO a VALUES (1)",
    ]);
    let f = lint(&[rev("a1", &s, &[])], Backend::MySql, &[]);
    assert_eq!(rules_of(&f), ["non-atomic-ddl"]);
    assert!(
        f[0].message.contains("2 DDL statements"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].statement, "CREATE TABLE b (id int)");
    let one = sql(&["CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)"]);
    assert!(lint(&[rev("a1", &one, &[])], Backend::MySql, &[]).is_empty());
}

#[test]
fn mysql_enum_reorder_across_revisions() {
    let create = sql(&["CREATE TABLE t (id int, s ENUM('a','b') NOT NULL)"]);
    let append = sql(&["ALTER TABLE t MODIFY COLUMN s ENUM('a','b','c') NOT NULL"]);
    let reorder = sql(&["ALTER TABLE t MODIFY s ENUM('c','a','b') NOT NULL"]);
    let f = lint(
        &[
            rev("a1", &create, &[]),
            rev("a2", &append, &[]),
            rev("a3", &reorder, &[]),
        ],
        Backend::MySql,
        &[],
    );
    assert_eq!(rules_of(&f), ["enum-value-reorder"], "{f:?}");
    assert_eq!(f[0].revision, "a3");
    assert!(
        f[0].message.contains("('a', 'b', 'c') to ('c', 'a', 'b')"),
        "{}",
        f[0].message
    );
}

#[test]
fn mysql_copy_algorithm_changes() {
    let s = sql(&["ALTER TABLE t MODIFY COLUMN n bigint NOT NULL"]);
    let f = lint(&[rev("a1", &s, &[])], Backend::MySql, &[]);
    assert_eq!(rules_of(&f), ["table-rebuild"]);
    let s = sql(&["ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, b)"]);
    assert_eq!(
        rules_of(&lint(&[rev("a1", &s, &[])], Backend::MySql, &[])),
        ["table-rebuild", "table-rebuild"]
    );
    // ALGORITHM given: MySQL refuses rather than copy
    let s = sql(&["ALTER TABLE t MODIFY n bigint, ALGORITHM=INPLACE"]);
    assert!(lint(&[rev("a1", &s, &[])], Backend::MySql, &[]).is_empty());
}

#[test]
fn sqlite_rules() {
    let s = sql(&["ALTER TABLE \"users\" ADD COLUMN \"age\" integer NOT NULL"]);
    let f = lint(&[rev("a1", &s, &[])], Backend::Sqlite, &[]);
    assert_eq!(rules_of(&f), ["adding-required-field"]);
    let ok = sql(&["ALTER TABLE users ADD COLUMN age integer NOT NULL DEFAULT 0"]);
    assert!(lint(&[rev("a1", &ok, &[])], Backend::Sqlite, &[]).is_empty());
    let rebuild = sql(&[
        "CREATE TABLE users_new (id integer PRIMARY KEY, age integer NOT NULL)",
        "INSERT INTO users_new (id, age) SELECT id, age FROM users",
        "DROP TABLE users",
        "ALTER TABLE users_new RENAME TO users",
    ]);
    let f = lint(&[rev("a1", &rebuild, &[])], Backend::Sqlite, &[]);
    assert_eq!(rules_of(&f), ["table-rebuild"]);
    assert!(f[0].message.contains("`users`"), "{}", f[0].message);
    // a plain drop is not a rebuild
    let drop = sql(&["DROP TABLE users"]);
    assert!(lint(&[rev("a1", &drop, &[])], Backend::Sqlite, &[]).is_empty());
}
