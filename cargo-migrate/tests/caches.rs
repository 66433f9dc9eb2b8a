//! The header cache and the project cache: read-only commands answer from them while nothing
//! they came from changed, and never serve a stale answer (an edit of the same size, files
//! added or removed, a corrupt cache, a changed workspace).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

/// Longer than the window in which new files are not cached (`cache::RACY_WINDOW`, 3 s).
const SETTLE: Duration = Duration::from_millis(3300);

/// `cargo-migrate migrate <args>` in `app` with its own target directory and cache stats.
fn run(app: &Path, target: &Path, args: &[&str]) -> Run {
    let mut all = vec!["migrate"];
    all.extend_from_slice(args);
    cm_env(
        app,
        &all,
        &[
            ("CARGO_TARGET_DIR", target.to_str().unwrap()),
            ("CARGO_MIGRATE_CACHE_STATS", "1"),
        ],
    )
}

/// The same command with both caches off: what the output must be.
fn uncached(app: &Path, target: &Path, args: &[&str]) -> String {
    let mut all = vec!["migrate"];
    all.extend_from_slice(args);
    cm_env(
        app,
        &all,
        &[
            ("CARGO_TARGET_DIR", target.to_str().unwrap()),
            ("CARGO_MIGRATE_NO_CACHE", "1"),
        ],
    )
    .ok()
    .stdout
}

/// Runs `args`, checks the output is the uncached one and that `hits` of `files` revision
/// files came from the header cache. Returns stdout.
#[track_caller]
fn check(app: &Path, target: &Path, args: &[&str], hits: usize, files: usize) -> String {
    let r = run(app, target, args).ok();
    assert_eq!(r.stdout, uncached(app, target, args), "{args:?}");
    let want = format!("cache: {hits} of {files} revision files from the header cache");
    assert!(r.stderr.contains(&want), "want `{want}`:\n{}", r.stderr);
    r.stdout
}

fn header_cache_files(target: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(target.join("cargo-migrate")) {
        Ok(d) => d
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "bin"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn the_header_cache_never_serves_a_stale_header() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let target = tmp.path().join("target");
    let (_, a) = revision(&app.join("migrations"), "create users", &[]);
    let (b_path, b) = revision(&app.join("migrations"), "create posts", &[]);
    let (_, c) = revision(&app.join("migrations"), "create tags", &[]);
    let b_file = app.join("migrations").join(&b_path);

    // new files are read every time until they are a few seconds old
    check(&app, &target, &["history"], 0, 3);
    std::thread::sleep(SETTLE);
    check(&app, &target, &["history"], 0, 3); // cold: written now
    assert_eq!(header_cache_files(&target).len(), 1);
    let out = check(&app, &target, &["history"], 3, 3);
    assert!(out.contains("create posts"), "{out}");
    check(&app, &target, &["heads"], 3, 3);

    // an edit that keeps the size (and would keep the mtime's second)
    let text = read(&b_file);
    std::fs::write(&b_file, text.replace("create posts", "create pasts")).unwrap();
    assert_eq!(read(&b_file).len(), text.len());
    let out = check(&app, &target, &["history"], 2, 3);
    assert!(
        out.contains("create pasts") && !out.contains("create posts"),
        "{out}"
    );
    std::thread::sleep(SETTLE);
    check(&app, &target, &["history"], 2, 3); // recorded now
    check(&app, &target, &["history"], 3, 3);

    // a parent changed in place: the graph follows
    let text = read(&b_file);
    std::fs::write(
        &b_file,
        text.replace(
            &format!("down_revision = \"{a}\""),
            "down_revision = \"zzzzzzzzzzzz\"",
        ),
    )
    .unwrap();
    let r = run(&app, &target, &["heads"]);
    assert!(r.stderr.contains("zzzzzzzzzzzz"), "{}", r.stderr);
    std::fs::write(&b_file, text).unwrap();

    // a file added, then removed
    let (d_path, d) = revision(&app.join("migrations"), "create likes", &[]);
    let out = check(&app, &target, &["heads"], 2, 4);
    assert!(out.contains(&d), "{out}");
    std::fs::remove_file(app.join("migrations").join(&d_path)).unwrap();
    let out = check(&app, &target, &["heads"], 2, 3);
    assert!(out.contains(&c) && !out.contains(&d), "{out}");
    std::thread::sleep(SETTLE);
    check(&app, &target, &["heads"], 2, 3);
    check(&app, &target, &["heads"], 3, 3);

    // a removed file that was cached
    let c_file = app
        .join("migrations/src/versions")
        .join(format!("{c}_create_tags.rs"));
    let c_text = read(&c_file);
    std::fs::remove_file(&c_file).unwrap();
    let out = check(&app, &target, &["heads"], 2, 2);
    assert!(out.contains(&b), "{out}");
    std::fs::write(&c_file, c_text).unwrap();

    // corrupt, truncated, empty or foreign caches are ignored and rewritten
    std::thread::sleep(SETTLE);
    check(&app, &target, &["history"], 2, 3);
    let [cache] = header_cache_files(&target).try_into().unwrap();
    let good = std::fs::read(&cache).unwrap();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    let bad: [Vec<u8>; 4] = [
        flipped,
        good[..good.len() / 2].to_vec(),
        Vec::new(),
        b"not a cache".to_vec(),
    ];
    for bytes in bad {
        std::fs::write(&cache, bytes).unwrap();
        check(&app, &target, &["history"], 0, 3);
        check(&app, &target, &["history"], 3, 3);
    }
}

#[test]
fn revision_uses_the_caches_and_the_next_command_sees_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let target = tmp.path().join("target");
    let m = app.join("migrations");
    let (_, a) = revision(&m, "one", &[]);
    std::thread::sleep(SETTLE);
    check(&app, &target, &["heads"], 0, 1);
    let r = run(&m, &target, &["revision", "-m", "two"]).ok();
    assert!(
        r.stderr
            .contains("cache: 1 of 1 revision files from the header cache"),
        "{}",
        r.stderr
    );
    let b = id_of(&m.join(r.stdout.trim()));
    let out = check(&app, &target, &["history"], 1, 2);
    assert!(out.contains(&format!("{a} -> {b} (head), two")), "{out}");
}

#[test]
fn the_project_cache_follows_the_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let target = tmp.path().join("target");
    revision(&app.join("migrations"), "one", &[]);
    std::thread::sleep(SETTLE);
    let from_cache = "cache: project from the project cache";
    let r = run(&app, &target, &["heads"]).ok();
    assert!(!r.stderr.contains(from_cache), "{}", r.stderr);
    let r = run(&app, &target, &["heads"]).ok();
    assert!(r.stderr.contains(from_cache), "{}", r.stderr);
    // another directory, --manifest-path, -p: other queries
    let sub = app.join("migrations/src");
    let r = run(&sub, &target, &["heads"]).ok();
    assert!(!r.stderr.contains(from_cache), "{}", r.stderr);
    let manifest = app.join("Cargo.toml");
    let r = run(
        tmp.path(),
        &target,
        &["--manifest-path", manifest.to_str().unwrap(), "heads"],
    )
    .ok();
    assert!(!r.stderr.contains(from_cache), "{}", r.stderr);

    // a second migrations crate joins the workspace: the answer changes at once
    cm(&app, &["migrate", "init", "other"]).ok();
    let err = run(&app, &target, &["heads"]).fails(1);
    assert!(err.contains("several migrations crates"), "{err}");
    run(&app, &target, &["-p", "other", "heads"]).ok();
    std::thread::sleep(SETTLE);
    run(&app, &target, &["-p", "migrations", "heads"]).ok();
    let r = run(&app, &target, &["-p", "migrations", "heads"]).ok();
    assert!(r.stderr.contains(from_cache), "{}", r.stderr);

    // a member manifest edited: the package is renamed
    let toml = app.join("migrations/Cargo.toml");
    let text = read(&toml);
    std::fs::write(
        &toml,
        text.replace("name = \"migrations\"", "name = \"renamed\""),
    )
    .unwrap();
    let err = run(&app, &target, &["-p", "migrations", "heads"]).fails(1);
    assert!(err.contains("not a member"), "{err}");
    run(&app, &target, &["-p", "renamed", "heads"]).ok();

    // a target directory set in .cargo/config.toml: the cached answer is not used
    let default_target = |dir: &Path| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
        isolate(&mut cmd);
        let out = cmd
            .env_remove("CARGO_TARGET_DIR")
            .env("CARGO_MIGRATE_CACHE_STATS", "1")
            .args(["migrate", "-p", "renamed", "heads"])
            .current_dir(dir)
            .output()
            .unwrap();
        Run::from("heads in the default target directory".into(), out).ok()
    };
    std::thread::sleep(SETTLE);
    default_target(&app);
    assert!(default_target(&app).stderr.contains(from_cache));
    assert_eq!(header_cache_files(&app.join("target")).len(), 1);
    std::fs::create_dir_all(app.join(".cargo")).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::write(
        app.join(".cargo/config.toml"),
        format!("[build]\ntarget-dir = {:?}\n", elsewhere.to_str().unwrap()),
    )
    .unwrap();
    let r = default_target(&app);
    assert!(!r.stderr.contains(from_cache), "{}", r.stderr);
    assert_eq!(header_cache_files(&elsewhere).len(), 1);
}
