//! Bad inputs at `cargo migrate`: the rows of BAD_INPUTS.md about locating the migrations
//! crate, `init`, `revision`, `merge`, the graph commands (answered from the revision files,
//! with the same errors as the compiler) and commands forwarded to the runner.
//!
//! Every row asserts the message's key words, a non-zero exit code, and that nothing changed:
//! the project's files (every file under the application, `target` aside; a fallback to the
//! default SQLite database would show up there as `migrate.db`), and for forwarded commands
//! the SQLite database file, byte for byte.
//!
//! **The canary.** Every `cargo migrate` process runs with `DATABASE_URL` set to [`DECOY`], a
//! URL whose password is the canary, and database commands get `--database-url` URLs holding
//! it too; `common::Run::from` fails the test when it appears in any output.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;

/// `DATABASE_URL` of every process: the canary password, on a closed port.
const DECOY: &str = "postgres://decoy:CANARY-7f3a9c@127.0.0.1:1/decoy";

/// `cargo migrate ARGS` in `dir`, with the decoy `DATABASE_URL`.
fn bad(dir: &Path, args: &[&str]) -> Run {
    cm_env(dir, args, &[("DATABASE_URL", DECOY)])
}

/// Every file under `dir` (`target` aside) with its contents.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    walk(root, &path, out);
                }
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().to_owned(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Runs `cargo migrate ARGS` in `dir` and asserts: exit code 1, an error line holding every
/// word, no file under `project` changed. Returns the message.
#[track_caller]
fn refused(project: &Path, dir: &Path, args: &[&str], words: &[&str]) -> String {
    let before = files(project);
    let msg = bad(dir, args).fails(1);
    for w in words {
        assert!(
            msg.contains(w),
            "`cargo migrate {}`: expected `{w}` in:\n{msg}",
            args.join(" ")
        );
    }
    assert!(
        files(project) == before,
        "`cargo migrate {}` changed the project",
        args.join(" ")
    );
    msg
}

/// Clap's usage errors: exit code 2, nothing changed.
#[track_caller]
fn usage_error(project: &Path, args: &[&str], words: &[&str]) {
    let before = files(project);
    let stderr = bad(project, args).fails(2);
    for w in words {
        assert!(
            stderr.contains(w),
            "`cargo migrate {}`: expected `{w}` in:\n{stderr}",
            args.join(" ")
        );
    }
    assert!(files(project) == before);
}

#[test]
fn the_canary_check_catches_a_leak() {
    use std::os::unix::process::ExitStatusExt as _;
    let leak = std::process::Output {
        status: std::process::ExitStatus::from_raw(0),
        stdout: Vec::new(),
        stderr: format!("error: postgres://u:{CANARY}@h/db").into_bytes(),
    };
    let caught = std::panic::catch_unwind(|| Run::from("leak".into(), leak));
    assert!(caught.is_err(), "Run::from must fail on the canary");
}

// ------------------------------------------------------------------------------------------
// finding the migrations crate

#[test]
fn no_project_no_migrations_crate_or_several() {
    let tmp = tempfile::tempdir().unwrap();
    let nowhere = tmp.path().join("nowhere");
    std::fs::create_dir(&nowhere).unwrap();
    for args in [
        &["migrate", "heads"][..],
        &["migrate", "upgrade"],
        &["migrate", "revision", "-m", "x"],
    ] {
        refused(
            &nowhere,
            &nowhere,
            args,
            &["cannot read the workspace with `cargo metadata`: could not find `Cargo.toml`"],
        );
    }
    refused(
        &nowhere,
        &nowhere,
        &["migrate", "--manifest-path", "missing/Cargo.toml", "heads"],
        &[
            "cannot read the workspace with `cargo metadata`",
            "missing/Cargo.toml",
        ],
    );

    let app = cargo_new(tmp.path(), "app");
    for args in [
        &["migrate", "heads"][..],
        &["migrate", "upgrade"],
        &["migrate", "revision", "-m", "x"],
        &["migrate", "merge", "heads", "-m", "x"],
    ] {
        refused(
            &app,
            &app,
            args,
            &[
                "no migrations crate found in the workspace at",
                "create one with `cargo migrate init`",
            ],
        );
    }

    cm(&app, &["migrate", "init"]).ok();
    cm(&app, &["migrate", "init", "more"]).ok();
    for args in [
        &["migrate", "heads"][..],
        &["migrate", "upgrade"],
        &["migrate", "revision", "-m", "x"],
    ] {
        refused(
            &app,
            &app,
            args,
            &[
                "the workspace has several migrations crates (`migrations`, `more`); choose one with `-p NAME`",
            ],
        );
    }
    refused(
        &app,
        &app,
        &["migrate", "heads", "-p", "nosuch"],
        &[
            "package `nosuch` is not a member of the workspace at",
            "migrations crates: `migrations`, `more`",
        ],
    );
    refused(
        &app,
        &app,
        &["migrate", "upgrade", "-p", "app"],
        &["package `app` is not a migrations crate (it does not depend on `migrate-macros`)"],
    );
}

#[test]
fn init_refuses_to_overwrite_or_misname() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    refused(
        &app,
        &app,
        &["migrate", "init"],
        &["`migrations` already exists; choose another path (`cargo migrate init PATH`)"],
    );
    refused(
        &app,
        &app,
        &["migrate", "init", "src/main.rs"],
        &["`src/main.rs` already exists"],
    );
    refused(
        &app,
        &app,
        &["migrate", "init", "db", "--name", "9bad"],
        &[
            "`9bad` is not a valid package name",
            "choose one with --name",
        ],
    );
    refused(
        &app,
        &app,
        &["migrate", "init", "db", "--name", "a b"],
        &["`a b` is not a valid package name"],
    );
}

// ------------------------------------------------------------------------------------------
// revision, merge and the graph commands (no compiling)

#[test]
fn revision_and_merge_refuse() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    revision(&app, "first", &["--rev-id", "aaa111"]);
    revision(&app, "second", &["--rev-id", "bbb222"]);
    let too_long = "a".repeat(33);
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--rev-id", "Bad-Id"],
            &["invalid revision id `Bad-Id`: `B` is not allowed; ids use 1 to 32 characters"],
        ),
        (&["--rev-id", &too_long], &["33 characters is too long"]),
        (&["--rev-id", ""], &["empty revision id"]),
        (
            &["--rev-id", "bbb222"],
            &["revision id `bbb222` already exists in `src/versions/bbb222_second.rs`"],
        ),
        (
            &["--head", "aaa"],
            &["Revision aaa111 is not a head revision; please specify --splice"],
        ),
        (
            &["--head", "nosuch"],
            &["--head `nosuch`: Can't locate revision identified by 'nosuch'"],
        ),
        (
            &["--head", "base"],
            &["--head base starts a second base; give it a branch label"],
        ),
        (
            &["--depends-on", "nosuch"],
            &["--depends-on `nosuch`: Can't locate revision identified by 'nosuch'"],
        ),
        (
            &["--depends-on", "bbb222"],
            &["`bbb222` is already the new revision's parent"],
        ),
        (
            &["--branch-label", "no-dash"],
            &["invalid branch label `no-dash`: `-` is not allowed"],
        ),
        (
            &["--branch-label", "head"],
            &["invalid branch label `head`: revision specs reserve `head`"],
        ),
        (
            &["--version-path", "elsewhere"],
            &[
                "Path elsewhere is not represented in current version locations",
                "migrations/src/versions",
            ],
        ),
    ];
    for (extra, words) in cases {
        let mut args = vec!["migrate", "revision", "-m", "x"];
        args.extend_from_slice(extra);
        refused(&app, &app, &args, words);
    }

    let merges: &[(&[&str], &[&str])] = &[
        (&["heads"], &["nothing to merge: heads names only `bbb222`"]),
        (
            &["bbb222"],
            &["nothing to merge: bbb222 names only `bbb222`"],
        ),
        (
            &["aaa111", "bbb222"],
            &["cannot merge `aaa111` with its descendant `bbb222`"],
        ),
        (
            &["nosuch", "bbb222"],
            &["cannot merge `nosuch`: Can't locate revision identified by 'nosuch'"],
        ),
    ];
    for (revs, words) in merges {
        let mut args = vec!["migrate", "merge"];
        args.extend_from_slice(revs);
        args.extend(["-m", "merge"]);
        refused(&app, &app, &args, words);
    }

    // a fork nobody merged yet
    revision(
        &app,
        "fork",
        &["--head", "aaa111", "--splice", "--rev-id", "ccc333"],
    );
    refused(
        &app,
        &app,
        &["migrate", "revision", "-m", "x"],
        &[
            "Multiple heads are present; please specify the head revision",
            "heads: bbb222, ccc333",
            "cargo migrate merge heads",
        ],
    );
    refused(
        &app,
        &app,
        &["migrate", "revision", "-m", "x", "--head", "head"],
        &["Multiple heads are present"],
    );
    refused(
        &app,
        &app,
        &["migrate", "merge", "heads", "-m", "m", "--rev-id", "aaa111"],
        &["revision id `aaa111` already exists"],
    );
    refused(
        &app,
        &app,
        &["migrate", "merge", "heads", "-m", "m", "--rev-id", "Nope"],
        &["invalid revision id `Nope`"],
    );
    cm(
        &app,
        &[
            "migrate", "merge", "heads", "-m", "merge", "--rev-id", "ddd444",
        ],
    )
    .ok();

    let graph: &[(&[&str], &[&str])] = &[
        (
            &["show", "nosuch"],
            &["Can't locate revision identified by 'nosuch'"],
        ),
        (
            &["show", "head:base"],
            &["A range ('head:base') is not allowed here"],
        ),
        (
            &["history", "-r", "head"],
            &["History range requires [start]:[end], [start]:, or :[end]; got 'head'"],
        ),
        (
            &["history", "-r", "nosuch:"],
            &["Can't locate revision identified by 'nosuch'"],
        ),
        (
            &["history", "-r", "a:b:c"],
            &["Invalid revision spec 'a:b:c'"],
        ),
        // a URL typed where the revision goes: quoted back without its password
        (
            &["show", "postgres://u:CANARY-7f3a9c@h/db"],
            &["Invalid revision spec 'postgres://u:***@h/db'"],
        ),
    ];
    for (args, words) in graph {
        let mut all = vec!["migrate"];
        all.extend_from_slice(args);
        refused(&app, &app, &all, words);
    }
}

/// The `error: ` lines of a trybuild `.stderr` file, paths made relative to a crate root as
/// the CLI shows them (`<case>/x.rs` becomes `src/versions/x.rs`).
fn compiler_errors(case: &str) -> Vec<String> {
    let stderr = read(&repo_root().join(format!("migrate-macros/tests/ui/{case}.stderr")));
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .map(|l| l.replace(&format!("`{case}/"), "`src/versions/"))
        .collect()
}

/// The CLI's error lines (not its notes), the context of the first one dropped.
fn cli_errors(stderr_msg: &str) -> Vec<String> {
    stderr_msg
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .map(|l| {
            l.strip_prefix("the revision graph is invalid: ")
                .unwrap_or(l)
                .to_owned()
        })
        .collect()
}

#[test]
fn broken_graphs_are_reported_like_the_compiler_does() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let versions = app.join("migrations/src/versions");
    let use_case = |case: &str| {
        for e in std::fs::read_dir(&versions).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "rs") {
                std::fs::remove_file(p).unwrap();
            }
        }
        for e in std::fs::read_dir(repo_root().join("migrate-macros/tests/ui").join(case)).unwrap()
        {
            let p = e.unwrap().path();
            std::fs::copy(&p, versions.join(p.file_name().unwrap())).unwrap();
        }
    };
    // (the trybuild case the compiler fails on, the command that reports it without compiling)
    let cases: &[(&str, &str)] = &[
        ("dangling_down_revision", "heads"),
        ("duplicate_id", "heads"),
        ("three_cycle", "heads"),
        ("unlabeled_bases", "heads"),
        ("several_errors", "heads"),
    ];
    for (case, command) in cases {
        use_case(case);
        let expected = compiler_errors(case);
        assert!(!expected.is_empty(), "{case}");
        let before = files(&app);
        let run = bad(&app, &["migrate", command]);
        assert_eq!(
            run.code, 1,
            "`cargo migrate {command}` on {case}\n{}",
            run.stderr
        );
        assert!(files(&app) == before);
        // every error, each on its own `error: ` line, in the compiler's order
        assert_eq!(
            cli_errors(&run.stderr),
            expected,
            "`cargo migrate {command}` on {case}"
        );
    }
    // after a fork nobody merged, the read-only commands show both heads (that is when you
    // need them, as in Alembic) and warn; the crate does not compile
    use_case("unmerged_heads");
    for command in ["heads", "history", "branches"] {
        let run = bad(&app, &["migrate", command]).ok();
        assert!(
            run.stderr.contains("warning: several heads") && run.stdout.contains("(head)"),
            "{command}: {}",
            run.stderr
        );
    }
    refused(
        &app,
        &app,
        &["migrate", "revision", "-m", "x"],
        &["Multiple heads are present"],
    );

    // per-file mistakes the compiler reports on the file: the CLI names the file and says the
    // same (a revision naming itself is also a cycle of one)
    use_case("self_parent");
    let self_parent = compiler_errors("self_parent").remove(0);
    let msg = refused(
        &app,
        &app,
        &["migrate", "heads"],
        &["invalid revision file `src/versions/b2_loop.rs`"],
    );
    assert!(
        msg.ends_with(&self_parent),
        "the compiler says `{self_parent}`, the CLI `{msg}`"
    );
    let uppercase = compiler_errors("malformed_id_uppercase").remove(0);
    use_case("dangling_down_revision");
    std::fs::remove_file(versions.join("b2_next.rs")).unwrap();
    let base = read(&versions.join("a1_base.rs"))
        .replace("revision = \"a1\"", "revision = \"3F2A9C1B7E4D\"");
    std::fs::write(versions.join("a1_base.rs"), base).unwrap();
    let msg = refused(
        &app,
        &app,
        &["migrate", "heads"],
        &["invalid revision file `src/versions/a1_base.rs`"],
    );
    assert!(
        msg.ends_with(&uppercase),
        "the compiler says `{uppercase}`, the CLI `{msg}`"
    );
    std::fs::write(versions.join("a1_base.rs"), "this is not Rust").unwrap();
    refused(
        &app,
        &app,
        &["migrate", "heads"],
        &["invalid revision file `src/versions/a1_base.rs`"],
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    usage_error(&app, &["migrate", "revision"], &["--message <MSG>"]);
    usage_error(&app, &["migrate", "downgrade"], &["<REVISION>"]);
    usage_error(&app, &["migrate", "stamp"], &["<REVISIONS>"]);
    usage_error(
        &app,
        &["migrate", "upgrade", "--dialect", "postgres"],
        &["--sql"],
    );
    usage_error(
        &app,
        &["migrate", "upgrade", "--sql", "--dialect", "oracle"],
        &["oracle"],
    );
    usage_error(
        &app,
        &["migrate", "--lock-timeout", "soon", "upgrade"],
        &["soon"],
    );
    usage_error(
        &app,
        &["migrate", "--transaction-mode", "some", "upgrade"],
        &["some"],
    );
    usage_error(&app, &["migrate", "frobnicate"], &["frobnicate"]);
}

// ------------------------------------------------------------------------------------------
// forwarded to the runner (builds a generated crate once)

const CREATE_T: (&str, &str) = (
    "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(Table::create().table(\"t\").col(ColumnDef::new(\"id\").integer().primary_key()).to_owned()).await?;
        Ok(())
    }
",
    "    pub async fn downgrade(db: &mut Db) -> Result<()> {
        db.drop_table(Table::drop().table(\"t\").to_owned()).await?;
        Ok(())
    }
",
);

#[test]
fn forwarded_commands_refuse_without_changing_the_database() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "bad-inputs-migrations");
    let (first, _) = revision(&app, "create t", &["--rev-id", "aaa111"]);
    fill(&app.join(first), CREATE_T.0, CREATE_T.1);
    revision(&app, "second", &["--rev-id", "bbb222"]);
    let db = tmp.path().join("bad.db");
    let url = format!("sqlite:{}", db.display());
    bad(
        &app,
        &["migrate", "upgrade", "aaa111", "--database-url", &url],
    )
    .ok();

    let cases: &[(&[&str], &[&str])] = &[
        (
            &["upgrade", "nosuch"],
            &["Can't locate revision identified by 'nosuch'"],
        ),
        (&["upgrade", "+x"], &["Invalid revision spec '+x'"]),
        (
            &["upgrade", "+99"],
            &["Relative revision '+99' didn't produce 99 migrations"],
        ),
        (
            &["downgrade", "-99"],
            &["Relative revision '-99' didn't produce 99 migrations"],
        ),
        (
            &["upgrade", "aaa111:bbb222"],
            &["A range ('aaa111:bbb222') is not allowed here"],
        ),
        (
            &["downgrade", "base", "--sql"],
            &["downgrade with --sql requires a range"],
        ),
        (
            &["stamp", "nosuch"],
            &["Can't locate revision identified by 'nosuch'"],
        ),
        (&["stamp", "aaa111", "bbb222"], &["Stamp targets overlap"]),
        (&["check"], &["1 revision(s) not applied"]),
        (
            &["upgrade", "postgres://u:CANARY-7f3a9c@h/db"],
            &["Invalid revision spec 'postgres://u:***@h/db'"],
        ),
        (
            &["--version-table", "x; drop", "upgrade"],
            &["bad version table name `x; drop`"],
        ),
    ];
    for (args, words) in cases {
        let before = std::fs::read(&db).unwrap();
        let mut all = vec!["migrate"];
        all.extend_from_slice(args);
        all.extend(["--database-url", &url]);
        let msg = bad(&app, &all).fails(1);
        for w in *words {
            assert!(
                msg.contains(w),
                "`cargo migrate {}`: expected `{w}` in:\n{msg}",
                all.join(" ")
            );
        }
        assert!(
            std::fs::read(&db).unwrap() == before,
            "`cargo migrate {}` changed the database",
            all.join(" ")
        );
    }

    // URLs: bad, unreachable, DATABASE_URL set but empty (never the default SQLite file)
    let urls: &[(&str, &[&str])] = &[
        (
            "oracle://scott:CANARY-7f3a9c@db/x",
            &["bad database URL `oracle://scott:***@db/x`"],
        ),
        (
            "postgres://postgres:CANARY-7f3a9c@127.0.0.1:1/x",
            &[
                "cannot connect to postgres://postgres:***@127.0.0.1:1/x",
                "Connection refused",
            ],
        ),
        (
            "mysql://root:CANARY-7f3a9c@127.0.0.1:1/x",
            &["cannot connect to mysql://root:***@127.0.0.1:1/x"],
        ),
    ];
    for (u, words) in urls {
        let msg = refused(
            &app,
            &app,
            &["migrate", "upgrade", "--database-url", u],
            words,
        );
        assert!(!msg.is_empty());
    }
    let before = files(&app);
    let msg = cm_env(&app, &["migrate", "upgrade"], &[("DATABASE_URL", "")]).fails(1);
    assert!(msg.contains("DATABASE_URL is set but empty"), "{msg}");
    assert!(files(&app) == before, "no migrate.db was created");
    // the decoy DATABASE_URL is used when nothing else is given, and shown without its password
    let msg = refused(
        &app,
        &app,
        &["migrate", "current"],
        &["cannot connect to postgres://decoy:***@127.0.0.1:1/decoy"],
    );
    assert!(!msg.is_empty());
}
