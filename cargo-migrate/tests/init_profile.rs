//! `cargo migrate init` writes build settings for the migrations crate into the manifest
//! where cargo reads profiles (the workspace root's), once, without touching values the user
//! set, and the workspace still builds with them (BENCHMARKS.md, W5).

mod common;

use common::*;

/// The `[profile…]` header lines of a manifest.
fn headers(manifest: &str) -> Vec<&str> {
    manifest
        .lines()
        .filter(|l| l.starts_with("[profile."))
        .collect()
}

#[test]
fn init_writes_the_profile_overrides_once() {
    let tmp = tempfile::tempdir().unwrap();
    let app = cargo_new(tmp.path(), "app");

    let init = cm(&app, &["migrate", "init"]).ok();
    let manifest = read(&app.join("Cargo.toml"));
    assert!(
        manifest.contains(
            "\n[workspace]\nmembers = [\".\", \"migrations\"]\n\n\
             # Written by `cargo migrate init`: the migrations crate rebuilds fast after a new revision.\n\
             # One codegen unit per revision module (with rustc's default of 256, adding a module regroups\n\
             # them and recompiles a quarter of the crate); line tables only: half the LLVM work, and\n\
             # backtraces keep file and line.\n\
             [profile.dev.package.migrations]\ncodegen-units = 4096\ndebug = \"line-tables-only\"\n\n"
        ),
        "{manifest}"
    );
    assert!(
        init.stderr.contains(
            "     Updated `Cargo.toml`: added build settings for fast rebuilds after a new revision \
             (keep or tune them):\n             profile.dev.package.migrations.codegen-units = 4096\n             \
             profile.dev.package.migrations.debug = \"line-tables-only\"\n"
        ),
        "{}",
        init.stderr
    );
    // profiles in a member's manifest would be ignored, with a warning
    assert!(
        !read(&app.join("migrations/Cargo.toml")).contains("[profile"),
        "the member's manifest has a profile"
    );

    // a second migrations crate gets its own table; a second `init` of the same name would
    // stop at the existing directory, so the idempotence is checked by re-running the edit on
    // the written manifest (init.rs unit tests) and here by the table count
    let more = cm(&app, &["migrate", "init", "more"]).ok();
    let manifest = read(&app.join("Cargo.toml"));
    assert_eq!(
        headers(&manifest),
        [
            "[profile.dev.package.migrations]",
            "[profile.dev.package.more]"
        ],
        "{manifest}"
    );
    assert_eq!(
        manifest.matches("codegen-units = 4096").count(),
        2,
        "{manifest}"
    );
    assert!(
        !more.stderr.contains("profile.dev.package.migrations"),
        "{}",
        more.stderr
    );

    // the workspace builds with them, and cargo accepts every key
    let (path, _) = revision(&app, "create users", &["-p", "migrations"]);
    assert!(path.starts_with("migrations/"), "{path}");
    let out = cargo()
        .args(["build", "--workspace"])
        .current_dir(&app)
        .output()
        .unwrap();
    let build = Run::from("cargo build --workspace".into(), out).ok();
    assert!(!build.stderr.contains("warning"), "{}", build.stderr);
}

#[test]
fn init_keeps_the_users_profile_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let before = "[workspace]\nresolver = \"3\"\nmembers = [\"app\"]\n\n\
                  [profile.dev.package.db]\ncodegen-units = 16 # mine\n";
    std::fs::write(root.join("Cargo.toml"), before).unwrap();
    cargo_new(root, "app");

    let init = cm(root, &["migrate", "init", "db", "--deps", "crates-io"]).ok();
    assert_eq!(
        read(&root.join("Cargo.toml")),
        "[workspace]\nresolver = \"3\"\nmembers = [\"app\", \"db\"]\n\n\
         [profile.dev.package.db]\ncodegen-units = 16 # mine\ndebug = \"line-tables-only\"\n"
    );
    assert!(
        init.stderr
            .contains("(keep or tune them):\n             profile.dev.package.db.debug = \"line-tables-only\"\n     Updated `.gitignore`"),
        "{}",
        init.stderr
    );

    // everything set already: the manifest is left alone and nothing is reported
    std::fs::remove_dir_all(root.join("db")).unwrap();
    let done = read(&root.join("Cargo.toml"));
    let init = cm(root, &["migrate", "init", "db", "--deps", "crates-io"]).ok();
    assert_eq!(read(&root.join("Cargo.toml")), done);
    assert!(!init.stderr.contains("build settings"), "{}", init.stderr);
}

#[test]
fn a_crate_of_its_own_holds_its_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let init = cm(tmp.path(), &["migrate", "init", "solo"]).ok();
    let manifest = read(&tmp.path().join("solo/Cargo.toml"));
    assert_eq!(
        headers(&manifest),
        ["[profile.dev.package.solo]"],
        "{manifest}"
    );
    assert!(
        init.stderr
            .contains("     Updated `solo/Cargo.toml`: added build settings"),
        "{}",
        init.stderr
    );
}
