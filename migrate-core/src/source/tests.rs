use super::*;
use proc_macro2::TokenStream;
use std::str::FromStr;

/// The `parse_args` messages for `args`, or the parsed args.
fn args(src: &str) -> Result<MigrationArgs, Vec<String>> {
    let tokens = TokenStream::from_str(src).expect("lexes");
    parse_args(tokens).map_err(|e| e.into_iter().map(|e| e.to_string()).collect())
}

fn arg_errors(src: &str) -> Vec<String> {
    args(src).expect_err("should fail")
}

fn new_rev(id: &str, parents: &[&str]) -> NewRevision {
    NewRevision {
        id: id.to_owned(),
        down_revisions: parents.iter().map(|s| (*s).to_owned()).collect(),
        message: "create users".to_owned(),
        create_date: "2026-11-21 12:00:00 UTC".to_owned(),
        ..NewRevision::default()
    }
}

const TEMPLATE: &str = r#"//! create users
//!
//! Revision ID: 3f2a9c1b7e4d
//! Revises: 8828a8665651
//! Create Date: 2026-11-21 12:00:00 UTC

#[migrate_macros::migration(revision = "3f2a9c1b7e4d", down_revision = "8828a8665651")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }

    pub async fn downgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }
}
"#;

#[test]
fn renders_the_template() {
    assert_eq!(
        render_revision_file(&new_rev("3f2a9c1b7e4d", &["8828a8665651"])),
        TEMPLATE
    );
}

#[test]
fn rendered_files_round_trip() {
    let long = "a".repeat(32);
    let cases = [
        new_rev("3f2a9c1b7e4d", &[]),
        new_rev("3f2a9c1b7e4d", &["8828a8665651"]),
        NewRevision {
            merge: true,
            message: "merge heads".into(),
            ..new_rev("m1", &["a1", "b2"])
        },
        NewRevision {
            branch_labels: vec!["auth".into()],
            depends_on: vec!["x9".into()],
            ..new_rev("ab", &[])
        },
        NewRevision {
            message: String::new(),
            ..new_rev("ab", &["cd"])
        },
        NewRevision {
            message: "first line\nsecond line".into(),
            ..new_rev("ab", &["cd"])
        },
        // too long for one line: the attribute is split like rustfmt would
        NewRevision {
            branch_labels: vec!["a_long_label".into()],
            ..new_rev(&long, &[&"b".repeat(32), &"c".repeat(32)])
        },
    ];
    for r in cases {
        let text = render_revision_file(&r);
        let parsed = parse_file(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(parsed.args.revision, r.id);
        assert_eq!(parsed.args.down_revisions, r.down_revisions);
        assert_eq!(parsed.args.branch_labels, r.branch_labels);
        assert_eq!(parsed.args.depends_on, r.depends_on);
        assert!(parsed.args.transactional);
        assert_eq!(parsed.module, "revision");
        assert_eq!(
            parsed.message,
            r.message.lines().next().unwrap_or(""),
            "{text}"
        );
        assert_eq!(parsed.create_date.as_deref(), Some(r.create_date.as_str()));
        assert!(
            text.lines().all(|l| l.len() <= 100 && l == l.trim_end()),
            "{text}"
        );
        let info = parsed.to_info("src/versions/x.rs");
        assert_eq!(info.file, "src/versions/x.rs");
        assert_eq!(info.id, r.id);
    }
}

#[test]
fn renders_keys_only_when_needed() {
    let base = render_revision_file(&new_rev("ab", &[]));
    assert!(
        base.contains("#[migrate_macros::migration(revision = \"ab\")]\n"),
        "{base}"
    );
    assert!(base.contains("//! Revises:\n"), "{base}");
    let merge = render_revision_file(&NewRevision {
        merge: true,
        ..new_rev("m", &["a", "b"])
    });
    assert!(
        merge.contains("down_revision = [\"a\", \"b\"])]"),
        "{merge}"
    );
    assert!(merge.contains("//! Revises: a, b\n"), "{merge}");
    assert!(merge.contains("// a merge revision"), "{merge}");
}

#[test]
fn parses_every_key() {
    let a = args(
        r#"revision = "ab_1", down_revision = ["x", "y"], branch_labels = "auth",
               depends_on = ["z"], transactional = false,
               allow_lint("ban-drop-column", reason = "nothing reads it since v2"),
               allow_lint("table-rebuild", reason = "ten rows"),"#,
    )
    .unwrap();
    assert_eq!(
        a,
        MigrationArgs {
            revision: "ab_1".into(),
            down_revisions: vec!["x".into(), "y".into()],
            branch_labels: vec!["auth".into()],
            depends_on: vec!["z".into()],
            transactional: false,
            irreversible: None,
            allow_lint: vec![
                ("ban-drop-column".into(), "nothing reads it since v2".into()),
                ("table-rebuild".into(), "ten rows".into()),
            ],
        }
    );
    assert_eq!(
        args(r#"revision = "a", irreversible"#)
            .unwrap()
            .irreversible
            .as_deref(),
        Some("")
    );
    assert_eq!(
        args(r#"irreversible, revision = "a""#)
            .unwrap()
            .irreversible
            .as_deref(),
        Some("")
    );
    assert_eq!(
        args(r#"revision = "a", irreversible = "drops data","#)
            .unwrap()
            .irreversible
            .as_deref(),
        Some("drops data")
    );
    for bad in [
        r#"revision = "a", irreversible = true"#,
        r#"revision = "a", irreversible = """#,
        r#"revision = "a", irreversible = 3"#,
        r#"revision = "a", irreversible, irreversible"#,
    ] {
        assert!(args(bad).is_err(), "{bad}");
    }

    assert_eq!(
        args(r#"revision = "a", down_revision = None"#)
            .unwrap()
            .down_revisions,
        Vec::<String>::new()
    );
    assert_eq!(
        args(r#"down_revision = "b", revision = "a""#)
            .unwrap()
            .down_revisions,
        ["b"]
    );
}

#[test]
fn arg_errors_are_spanned_and_accumulated() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"revision = "a", down_revison = "b""#,
            &[
                "unknown key `down_revison`; expected one of revision, down_revision, branch_labels, depends_on, transactional, irreversible, allow_lint",
            ],
        ),
        (
            r#"revision = "a", revision = "b""#,
            &["duplicate key `revision`; give each key once"],
        ),
        (
            r#"revision = "3F2A""#,
            &[
                "invalid revision id `3F2A`: `F` is not allowed; ids use 1 to 32 characters from `a-z`, `0-9` and `_`",
            ],
        ),
        (
            r#"revision = "a-b""#,
            &[
                "invalid revision id `a-b`: `-` is not allowed; ids use 1 to 32 characters from `a-z`, `0-9` and `_`",
            ],
        ),
        (
            r#"down_revision = "b""#,
            &[
                "missing `revision`: `#[migration(revision = \"3f2a9c1b7e4d\")]` (ids are generated by `cargo migrate revision`)",
            ],
        ),
        (
            "",
            &[
                "missing `revision`: `#[migration(revision = \"3f2a9c1b7e4d\")]` (ids are generated by `cargo migrate revision`)",
            ],
        ),
        (
            r#"revision = 3"#,
            &["`revision` expects a string literal, e.g. `revision = \"3f2a9c1b7e4d\"`"],
        ),
        (
            r#"revision = "a", transactional = "no""#,
            &["`transactional` expects `true` or `false`, e.g. `transactional = false`"],
        ),
        (
            r#"revision = "a", down_revision = a"#,
            &[
                "`down_revision` expects a string literal or an array of string literals, e.g. `down_revision = \"8828a8665651\"`, or `None` for a base",
            ],
        ),
        (
            r#"revision = "a", down_revision = "a""#,
            &["revision `a` names itself in `down_revision`; name an older revision"],
        ),
        (
            r#"revision = "a", depends_on = ["b", "b"]"#,
            &["`b` is listed twice in `depends_on`"],
        ),
        (
            r#"revision = "a", branch_labels = ["head"]"#,
            &["invalid branch label `head`: revision specs reserve `head`; pick another name"],
        ),
        // accumulated: three problems, one report
        (
            r#"revision = "A", foo = 1, down_revision = 2"#,
            &[
                "invalid revision id `A`: `A` is not allowed; ids use 1 to 32 characters from `a-z`, `0-9` and `_`",
                "unknown key `foo`; expected one of revision, down_revision, branch_labels, depends_on, transactional, irreversible, allow_lint",
                "`down_revision` expects a string literal or an array of string literals, e.g. `down_revision = \"8828a8665651\"`, or `None` for a base",
            ],
        ),
        // a syntax error stops the parse but keeps what came before
        (
            r#"foo = 1, revision "a""#,
            &[
                "unknown key `foo`; expected one of revision, down_revision, branch_labels, depends_on, transactional, irreversible, allow_lint",
                "expected `=` after `revision`, e.g. `revision = \"3f2a9c1b7e4d\"`",
            ],
        ),
    ];
    for (src, expected) in cases {
        assert_eq!(arg_errors(src), *expected, "{src}");
    }
}

#[test]
fn hostile_arguments_do_not_overflow_the_stack() {
    let deep = format!(
        "revision = {}\"a\"{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_eq!(
        arg_errors(&deep),
        [
            "`#[migration(...)]` arguments nest too deeply; values are string literals, arrays of string literals, `true`, `false` or `None`"
        ]
    );
    let unary = format!("revision = {}1", "-".repeat(100_000));
    assert_eq!(
        arg_errors(&unary),
        ["`revision` expects a string literal, e.g. `revision = \"3f2a9c1b7e4d\"`"]
    );
    let file = format!(
        "#[migration({})]\nmod revision {{}}\n",
        "[".repeat(100_000) + &"]".repeat(100_000)
    );
    assert!(matches!(
        parse_file(&file),
        Err(SourceError::BadArgs { line: 1, .. })
    ));
    let ok = r#"revision = "a", down_revision = ["b", "c"]"#;
    assert_eq!(args(ok).unwrap().down_revisions, ["b", "c"]);
}

#[test]
fn validates_ids() {
    assert!(validate_revision_id("3f2a9c1b7e4d").is_ok());
    assert!(validate_revision_id("a_b_0").is_ok());
    assert!(validate_revision_id(&"a".repeat(32)).is_ok());
    assert_eq!(
        validate_revision_id(&"a".repeat(33)).unwrap_err(),
        format!(
            "invalid revision id `{}`: 33 characters is too long; ids use 1 to 32 characters from `a-z`, `0-9` and `_`",
            "a".repeat(33)
        )
    );
    assert!(
        validate_revision_id("")
            .unwrap_err()
            .starts_with("empty revision id")
    );
    assert!(validate_revision_id("é").is_err());
    assert!(validate_branch_label("Auth_2").is_ok());
    assert!(validate_branch_label("a@b").is_err());
}

fn file_err(text: &str) -> SourceError {
    parse_file(text).expect_err("should fail")
}

#[test]
fn file_errors() {
    assert_eq!(
        file_err("//! nothing\nfn main() {}\n"),
        SourceError::NoMigration
    );
    assert_eq!(file_err(""), SourceError::NoMigration);
    assert_eq!(
        file_err(
            "#[migration(revision = \"a\")]\nmod a {}\n#[migration(revision = \"b\")]\nmod b {}\n"
        ),
        SourceError::MultipleMigrations { lines: vec![1, 3] }
    );
    assert_eq!(
        file_err("#[migration(revision = \"a\")]\n#[migration(revision = \"b\")]\nmod b {}\n"),
        SourceError::MultipleMigrations { lines: vec![1, 2] }
    );
    assert_eq!(
        file_err("\n#[migration(revision = \"a\")]\nfn revision() {}\n"),
        SourceError::NotInlineMod { line: 2 }
    );
    assert_eq!(
        file_err("#[migration(revision = \"a\")]\nmod revision;\n"),
        SourceError::NotInlineMod { line: 1 }
    );
    assert_eq!(
        file_err("#[migration(revision = \"a\")]\n"),
        SourceError::NotInlineMod { line: 1 }
    );
    assert_eq!(
            file_err("//! x\n#[migration(revision = \"a\", foo = 1, bar = 2)]\nmod revision {}\n"),
            SourceError::BadArgs {
                line: 2,
                message: "unknown key `foo`; expected one of revision, down_revision, branch_labels, depends_on, transactional, irreversible, allow_lint; unknown key `bar`; expected one of revision, down_revision, branch_labels, depends_on, transactional, irreversible, allow_lint".into()
            }
        );
    assert_eq!(
        file_err("#[migration = \"a\"]\nmod revision {}\n"),
        SourceError::BadArgs {
            line: 1,
            message: "expected `#[migration(revision = \"…\", …)]`".into()
        }
    );
    assert_eq!(
        file_err(
            "#[migration(revision = \"a\")]\nmod revision {\n    fn f() {\n        let s = \"x;\n    }\n}\n"
        ),
        SourceError::Lex {
            line: 4,
            message: "unterminated string literal".into()
        }
    );
    assert_eq!(
        file_err("#[migration(revision = \"a\")]\nmod revision {\n    fn f() {\n}\n"),
        SourceError::Lex {
            line: 2,
            message: "unclosed delimiter `{`".into()
        }
    );
    assert_eq!(
        file_err("mod a { fn f() ] }"),
        SourceError::Lex {
            line: 1,
            message: "mismatched closing delimiter `]` for `{`".into()
        }
    );
    assert_eq!(
        file_err("/* x */ }"),
        SourceError::Lex {
            line: 1,
            message: "unexpected closing delimiter `}`".into()
        }
    );
    assert_eq!(
        file_err("/* /* */"),
        SourceError::Lex {
            line: 1,
            message: "unterminated block comment".into()
        }
    );
    // messages
    assert_eq!(
        SourceError::MultipleMigrations { lines: vec![3, 9] }.to_string(),
        "more than one `#[migration(...)]` attribute (lines 3, 9); a revision file declares exactly one revision, move the others to files of their own"
    );
}

#[test]
fn scanner_skips_what_may_hide_delimiters_and_attributes() {
    let text = r####"#![allow(dead_code)]
//! tricky
// #[migration(revision = "in_comment")]
/* #[migration(revision = "in_block")] /* nested } */ */
const S: &str = "#[migration(revision = \"in_string\")] }";
const R: &str = r##"raw "# } "##;
const B: &[u8] = br#"}"#;
const C: char = '{';
const E: char = '\'';
const U: char = '}';
const BC: u8 = b'}';
fn f<'a>(x: &'a str) -> &'a str { 'outer: loop { break 'outer; } x }
/// doc on the item
#[allow(unused)]
#[migrate_macros::migration(
    revision = "real", // a comment inside
    transactional = false,
)]
/// doc after the attribute
#[allow(unused)]
pub(crate) mod r#revision {
    const T: &str = "}";
    #[migration(revision = "nested_is_ignored")]
    mod inner {}
}
struct After;
"####;
    let r = parse_file(text).unwrap();
    assert_eq!(r.args.revision, "real");
    assert!(!r.args.transactional);
    assert_eq!(r.module, "revision");
    assert_eq!(r.message, "tricky");
    assert_eq!(r.create_date, None);
}

#[test]
fn accepts_short_and_absolute_paths() {
    for path in [
        "migration",
        "migrate_macros::migration",
        ":: migrate_macros :: migration",
    ] {
        let text = format!("#[{path}(revision = \"a\")]\nmod revision {{}}\n");
        assert_eq!(parse_file(&text).unwrap().args.revision, "a", "{path}");
    }
    for path in [
        "migrations",
        "other::migration",
        "migrate_macros::migrations",
    ] {
        let text = format!("#[{path}(revision = \"a\")]\nmod revision {{}}\n");
        assert_eq!(
            parse_file(&text).unwrap_err(),
            SourceError::NoMigration,
            "{path}"
        );
    }
}

#[test]
fn file_names() {
    let cases = [
        ("create users", "3f2a_create_users.rs"),
        ("Add `email` to Users!", "3f2a_add_email_to_users.rs"),
        ("", "3f2a.rs"),
        ("!!!", "3f2a.rs"),
        ("créer la table", "3f2a_cr_er_la_table.rs"),
        ("first line\nsecond", "3f2a_first_line.rs"),
        (
            "add a column to the users table for the email address",
            "3f2a_add_a_column_to_the_users_table_for_the.rs",
        ),
        (
            "x".repeat(50).as_str().to_owned().leak(),
            "3f2a_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.rs",
        ),
    ];
    for (msg, expected) in cases {
        assert_eq!(file_name("3f2a", msg), expected, "{msg}");
    }
}

#[test]
fn allow_lint_errors() {
    let err = arg_errors;
    let e = err(r#"revision = "a", allow_lint("require-concurrent-index-creation")"#);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("needs a reason"), "{e:?}");
    let e = err(r#"revision = "a", allow_lint("no-such-rule", reason = "x")"#);
    assert!(e[0].contains("unknown lint rule `no-such-rule`"), "{e:?}");
    let e = err(r#"revision = "a", allow_lint("ban-drop-column", reason = "  ")"#);
    assert!(e[0].contains("is empty"), "{e:?}");
    let e = err(
        r#"revision = "a", allow_lint("ban-drop-column", reason = "x"), allow_lint("ban-drop-column", reason = "y")"#,
    );
    assert!(e[0].contains("allowed twice"), "{e:?}");
    let e = err(r#"revision = "a", allow_lint = "ban-drop-column""#);
    assert!(e[0].contains("in parentheses"), "{e:?}");
    let e = err(r#"revision = "a", allow_lint "ban-drop-column""#);
    assert!(e[0].contains("expected `(` after `allow_lint`"), "{e:?}");
    let e = err(r#"revision = "a", allow_lint("ban-drop-column", because = "x")"#);
    assert!(e[0].contains("expected `reason"), "{e:?}");
    // several problems at once: both reported
    let e = err(r#"revision = "a", allow_lint("nope"), transactional = 3"#);
    assert_eq!(e.len(), 3, "{e:?}");
}
