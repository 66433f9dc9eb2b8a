//! Several versions directories (`versions-dir = ["src/versions", "src/tenant_versions"]`,
//! Alembic's `version_locations`): every command sees the revisions of both, `revision` and
//! `merge` write into the directory of the head they build on or the one `--version-path`
//! names (any other path is an error), the runner applies the chain across both on SQLite,
//! and a revision added to the second directory later is built and applied (through the
//! runner stamp, which watches both).

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// The revision files (`*.rs`) of both directories, relative to the migrations crate.
fn revision_files(m: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["src/versions", "src/tenant_versions"] {
        let Ok(entries) = std::fs::read_dir(m.join(dir)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "rs") {
                out.push(p.strip_prefix(m).unwrap().to_owned());
            }
        }
    }
    out.sort();
    out
}

/// `cargo migrate ARGS` in `dir`: exit code 1, the error holding every word, no revision
/// file written. Returns stderr.
#[track_caller]
fn refused(m: &Path, dir: &Path, args: &[&str], words: &[&str]) -> String {
    let before = revision_files(m);
    let msg = cm(dir, args).fails(1);
    for w in words {
        assert!(msg.contains(w), "`{}`: no `{w}` in\n{msg}", args.join(" "));
    }
    assert_eq!(
        revision_files(m),
        before,
        "`{}` wrote a file",
        args.join(" ")
    );
    msg
}

#[test]
fn two_versions_directories() {
    let tmp = tempfile::tempdir().unwrap();
    // a crate name of its own: the runner binary in the shared target directory is ours
    let app = app_with_migrations(tmp.path(), "vlocmigs");
    let m = app.join("vlocmigs");
    let manifest = m.join("Cargo.toml");
    let mut toml = read(&manifest);
    toml.push_str(
        "\n[package.metadata.migrate]\nversions-dir = [\"src/versions\", \"src/tenant_versions\"]\n",
    );
    std::fs::write(&manifest, toml).unwrap();

    // `config` shows both, and where they came from
    let shown = cm(&app, &["migrate", "config"]).ok().stdout;
    assert!(
        shown.contains("versions-dir = [\"src/versions\", \"src/tenant_versions\"]")
            && shown.contains("(package.metadata.migrate.versions-dir)"),
        "{shown}"
    );

    // the first revision builds on nothing: no directory to take, `--version-path` needed
    refused(
        &m,
        &app,
        &["migrate", "revision", "-m", "create users"],
        &["Multiple version locations present, please specify --version-path"],
    );
    // a path that is not one of the directories
    for bad in ["vlocmigs/src", "elsewhere", "vlocmigs/src/versions/sub"] {
        refused(
            &m,
            &app,
            &[
                "migrate",
                "revision",
                "-m",
                "create users",
                "--version-path",
                bad,
            ],
            &[
                &format!("Path {bad} is not represented in current version locations"),
                "`vlocmigs/src/versions`, `vlocmigs/src/tenant_versions`",
            ],
        );
    }

    // into the first directory, as asked
    let (users, a) = revision(
        &app,
        "create users",
        &["--version-path", "vlocmigs/src/versions"],
    );
    assert_eq!(users, format!("vlocmigs/src/versions/{a}_create_users.rs"));
    let (up, down) = bodies("CREATE TABLE users (id INTEGER)", "DROP TABLE users");
    fill(&app.join(&users), &up, &down);

    // into the second directory, as asked (`./` and a trailing `/` are the same directory);
    // build.rs names only the first directory: a warning says the crate will not rebuild
    let run = cm(
        &app,
        &[
            "migrate",
            "revision",
            "-m",
            "create tenants",
            "--version-path",
            "./vlocmigs/src/tenant_versions/",
        ],
    )
    .ok();
    let tenants = run.stdout.trim().to_owned();
    let b = id_of(&app.join(&tenants));
    assert_eq!(
        tenants,
        format!("vlocmigs/src/tenant_versions/{b}_create_tenants.rs")
    );
    assert!(
        run.stderr
            .contains("build.rs does not name `src/tenant_versions` in a `rerun-if-changed` line"),
        "{}",
        run.stderr
    );
    assert!(read(&app.join(&tenants)).contains(&format!("down_revision = \"{a}\"")));
    std::fs::write(
        m.join("build.rs"),
        "fn main() {\n    println!(\"cargo:rerun-if-changed=src/versions\");\n    \
         println!(\"cargo:rerun-if-changed=src/tenant_versions\");\n}\n",
    )
    .unwrap();
    // needs the users table of the other directory: applied out of order, it fails
    let (up, down) = bodies(
        "ALTER TABLE users ADD COLUMN tenant_id INTEGER",
        "ALTER TABLE users DROP COLUMN tenant_id",
    );
    fill(&app.join(&tenants), &up, &down);

    // no --version-path: the directory of the head it builds on (the second), no warning now
    let run = cm(&app, &["migrate", "revision", "-m", "create audit"]).ok();
    let audit = run.stdout.trim().to_owned();
    let c = id_of(&app.join(&audit));
    assert_eq!(
        audit,
        format!("vlocmigs/src/tenant_versions/{c}_create_audit.rs")
    );
    assert!(!run.stderr.contains("rerun-if-changed"), "{}", run.stderr);
    let (up, down) = bodies("CREATE TABLE audit (tenant_id INTEGER)", "DROP TABLE audit");
    fill(&app.join(&audit), &up, &down);

    // from the crate's directory, a path relative to it: back into the first directory
    let (posts, d) = revision(&m, "index audit", &["--version-path", "src/versions"]);
    assert_eq!(posts, format!("src/versions/{d}_index_audit.rs"));
    assert!(read(&m.join(&posts)).contains(&format!("down_revision = \"{c}\"")));
    let (up, down) = bodies(
        "CREATE INDEX audit_tenant ON audit (tenant_id)",
        "DROP INDEX audit_tenant",
    );
    fill(&m.join(&posts), &up, &down);

    // the graph spans both directories
    let history = cm(&app, &["migrate", "history"]).ok().stdout;
    for line in [
        format!("{c} -> {d} (head), index audit"),
        format!("{b} -> {c}, create audit"),
        format!("{a} -> {b}, create tenants"),
        format!("<base> -> {a}, create users"),
    ] {
        assert!(history.contains(&line), "no `{line}` in\n{history}");
    }
    let heads = cm(&app, &["migrate", "heads"]).ok().stdout;
    assert!(heads.starts_with(&format!("{d} (head)")), "{heads}");
    let show = cm(&app, &["migrate", "show", &b]).ok().stdout;
    assert!(show.contains("create tenants"), "{show}");

    // a fork off the second directory's `b`, then a merge: the merge goes into the directory
    // of its first parent (in file order: the first directory's `d`), or where asked
    let (fork, e) = revision(&app, "fork", &["--head", &b, "--splice"]);
    assert!(fork.starts_with("vlocmigs/src/tenant_versions/"), "{fork}");
    refused(
        &m,
        &app,
        &[
            "migrate",
            "merge",
            "heads",
            "-m",
            "merge",
            "--version-path",
            "nowhere",
        ],
        &["Path nowhere is not represented in current version locations"],
    );
    let run = cm(&app, &["migrate", "merge", "heads", "-m", "merge"]).ok();
    let merge = run.stdout.trim().to_owned();
    let f = id_of(&app.join(&merge));
    assert_eq!(merge, format!("vlocmigs/src/versions/{f}_merge.rs"));
    assert!(
        read(&app.join(&merge)).contains(&format!("down_revision = [\"{d}\", \"{e}\"]")),
        "{}",
        read(&app.join(&merge))
    );

    // an id declared in both directories: both files named
    let copy = m.join("src/tenant_versions/zz_copy.rs");
    std::fs::copy(app.join(&users), &copy).unwrap();
    let msg = cm(&app, &["migrate", "heads"]).fails(1);
    assert!(
        msg.contains(&format!(
            "revision `{a}` is declared more than once, in `src/versions/{a}_create_users.rs`, \
             `src/tenant_versions/zz_copy.rs`"
        )),
        "{msg}"
    );
    std::fs::remove_file(&copy).unwrap();

    // the runner applies the chain across both directories, in order
    let db = app.join("migrate.db");
    stamped(&app, &["upgrade"], &[]);
    for sql in [
        "SELECT id, tenant_id FROM users",
        "SELECT tenant_id FROM audit",
    ] {
        assert!(sql_ok(&db, sql), "{sql}");
    }
    // (a build whose files were all settled records the stamp; a no-op `cargo build` does too)
    stamped(&app, &["current"], &[]);
    let current = stamped(&app, &["current"], &[]);
    assert!(current.stderr.contains(SKIPPED), "{}", current.stderr);
    assert!(current.stdout.contains(&f), "{}", current.stdout);

    // a revision added to the second directory: the stamp sees it, cargo rebuilds, applied
    let (late, g) = revision(
        &app,
        "create late",
        &["--version-path", "vlocmigs/src/tenant_versions"],
    );
    let (up, down) = bodies("CREATE TABLE late (id INTEGER)", "DROP TABLE late");
    fill(&app.join(&late), &up, &down);
    let upgraded = stamped(&app, &["upgrade"], &[]);
    assert!(!upgraded.stderr.contains(SKIPPED), "{}", upgraded.stderr);
    assert!(sql_ok(&db, "SELECT id FROM late"));
    let current = stamped(&app, &["current"], &[]);
    assert!(current.stdout.contains(&g), "{}", current.stdout);
}
