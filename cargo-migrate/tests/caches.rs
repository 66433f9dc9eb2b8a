//! The header cache and the project cache: read-only commands answer from them while nothing
//! they came from changed, and never serve a stale answer (an edit of the same size, files
//! added or removed, a corrupt cache, a changed workspace).
//!
//! Files younger than the caches' young-file window (`cache::RACY_WINDOW`, 3 s) are not
//! recorded. Instead of sleeping for files to age, each command runs at a clock the test sets
//! (`CARGO_MIGRATE_CACHE_NOW`), computed from the files' own timestamps: [`settled`] puts it
//! past the window for every file, [`between`] past it for files changed before a mark and
//! within it for those changed after.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;

/// The young-file window (`cache::RACY_WINDOW`).
const RACY: Duration = Duration::from_secs(3);

/// A little longer than [`RACY`].
const SETTLE: Duration = Duration::from_millis(3300);

/// When `path` last changed: the later of its mtime and ctime (the cache keys on both).
fn changed(path: &Path) -> SystemTime {
    let meta = std::fs::symlink_metadata(path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let at = |s: i64, ns: i64| {
            UNIX_EPOCH
                + Duration::from_secs(s.try_into().unwrap())
                + Duration::from_nanos(ns as u64)
        };
        at(meta.mtime(), meta.mtime_nsec()).max(at(meta.ctime(), meta.ctime_nsec()))
    }
    #[cfg(not(unix))]
    meta.modified().unwrap()
}

/// The latest change of `dir` or anything in it.
fn newest(dir: &Path) -> SystemTime {
    let mut t = changed(dir);
    if dir.is_dir() && !dir.is_symlink() {
        for e in std::fs::read_dir(dir).unwrap() {
            t = t.max(newest(&e.unwrap().path()));
        }
    }
    t
}

/// A clock at which everything in `dir` is old enough to be recorded.
fn settled(dir: &Path) -> SystemTime {
    newest(dir) + SETTLE
}

/// A clock at which files changed up to `before` are old enough to be recorded and files
/// changed from `after` on are not.
fn between(before: SystemTime, after: SystemTime) -> SystemTime {
    assert!(before < after, "{before:?} is not before {after:?}");
    before + (after.duration_since(before).unwrap() / 2) + RACY
}

fn ns(t: SystemTime) -> String {
    t.duration_since(UNIX_EPOCH).unwrap().as_nanos().to_string()
}

/// `cargo-migrate migrate <args>` in `app` with its own target directory and cache stats, the
/// caches' clock at `now`.
fn run(app: &Path, target: &Path, now: SystemTime, args: &[&str]) -> Run {
    let mut all = vec!["migrate"];
    all.extend_from_slice(args);
    cm_env(
        app,
        &all,
        &[
            ("CARGO_TARGET_DIR", target.to_str().unwrap()),
            ("CARGO_MIGRATE_CACHE_STATS", "1"),
            ("CARGO_MIGRATE_CACHE_NOW", &ns(now)),
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
fn check(
    app: &Path,
    target: &Path,
    now: SystemTime,
    args: &[&str],
    hits: usize,
    files: usize,
) -> String {
    let r = run(app, target, now, args).ok();
    assert_eq!(r.stdout, uncached(app, target, args), "{args:?}");
    let want = format!("cache: {hits} of {files} revision files from the header cache");
    assert!(r.stderr.contains(&want), "want `{want}`:\n{}", r.stderr);
    r.stdout
}

/// `cargo migrate revision -m msg` in the migrations crate `m`, the caches' clock at `now`
/// (the command reads the revisions through the header cache too): (file, id).
fn new_revision(m: &Path, target: &Path, now: SystemTime, msg: &str) -> (PathBuf, String) {
    let r = run(m, target, now, &["revision", "-m", msg]).ok();
    let file = m.join(r.stdout.trim());
    let id = id_of(&file);
    (file, id)
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
fn the_clock_decides_what_is_recorded() {
    // the young-file rule itself, at its edge: a file changed 2.9 s before the clock is read
    // again by the next command, one changed 3.1 s before is recorded
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let target = tmp.path().join("target");
    let m = app.join("migrations");
    let (file, _) = new_revision(&m, &target, SystemTime::now(), "one");
    let t = changed(&file);
    for now in [t, t + Duration::from_millis(2900)] {
        check(&app, &target, now, &["heads"], 0, 1);
        check(&app, &target, now, &["heads"], 0, 1);
    }
    let now = t + Duration::from_millis(3100);
    check(&app, &target, now, &["heads"], 0, 1); // recorded now
    check(&app, &target, now, &["heads"], 1, 1);
    // an entry recorded is used only while its file is still old enough at the clock
    check(&app, &target, t, &["heads"], 0, 1);
}

#[test]
fn the_header_cache_never_serves_a_stale_header() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let target = tmp.path().join("target");
    let m = app.join("migrations");
    let versions = m.join("src/versions");
    let now = newest(tmp.path());
    let (_, a) = new_revision(&m, &target, now, "create users");
    let (b_file, b) = new_revision(&m, &target, now, "create posts");
    let (c_file, c) = new_revision(&m, &target, now, "create tags");

    // new files are read every time until they are a few seconds old
    let now = newest(&versions);
    check(&app, &target, now, &["history"], 0, 3);
    check(&app, &target, now, &["history"], 0, 3);
    assert_eq!(header_cache_files(&target), Vec::<PathBuf>::new());
    let now = settled(&versions);
    check(&app, &target, now, &["history"], 0, 3); // cold: written now
    assert_eq!(header_cache_files(&target).len(), 1);
    let out = check(&app, &target, now, &["history"], 3, 3);
    assert!(out.contains("create posts"), "{out}");
    check(&app, &target, now, &["heads"], 3, 3);

    // an edit that keeps the size (and would keep the mtime's second)
    let mark = newest(&versions);
    let text = read(&b_file);
    std::fs::write(&b_file, text.replace("create posts", "create pasts")).unwrap();
    assert_eq!(read(&b_file).len(), text.len());
    let now = between(mark, changed(&b_file));
    let out = check(&app, &target, now, &["history"], 2, 3);
    assert!(
        out.contains("create pasts") && !out.contains("create posts"),
        "{out}"
    );
    check(&app, &target, now, &["history"], 2, 3); // too young to record
    let now = settled(&versions);
    check(&app, &target, now, &["history"], 2, 3); // recorded now
    check(&app, &target, now, &["history"], 3, 3);

    // a parent changed in place: the graph follows
    let mark = newest(&versions);
    let text = read(&b_file);
    std::fs::write(
        &b_file,
        text.replace(
            &format!("down_revision = \"{a}\""),
            "down_revision = \"zzzzzzzzzzzz\"",
        ),
    )
    .unwrap();
    let now = between(mark, changed(&b_file));
    let r = run(&app, &target, now, &["heads"]);
    assert!(r.stderr.contains("zzzzzzzzzzzz"), "{}", r.stderr);
    std::fs::write(&b_file, text).unwrap();

    // a file added, then removed
    let (d_file, d) = new_revision(&m, &target, now, "create likes");
    let out = check(&app, &target, now, &["heads"], 2, 4);
    assert!(out.contains(&d), "{out}");
    std::fs::remove_file(&d_file).unwrap();
    let out = check(&app, &target, now, &["heads"], 2, 3);
    assert!(out.contains(&c) && !out.contains(&d), "{out}");
    let now = settled(&versions);
    check(&app, &target, now, &["heads"], 2, 3);
    check(&app, &target, now, &["heads"], 3, 3);

    // a removed file that was cached
    let c_text = read(&c_file);
    std::fs::remove_file(&c_file).unwrap();
    let out = check(&app, &target, now, &["heads"], 2, 2);
    assert!(out.contains(&b), "{out}");
    std::fs::write(&c_file, c_text).unwrap();

    // corrupt, truncated, empty or foreign caches are ignored and rewritten
    let now = settled(&versions);
    check(&app, &target, now, &["history"], 2, 3);
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
        check(&app, &target, now, &["history"], 0, 3);
        check(&app, &target, now, &["history"], 3, 3);
    }
}

#[test]
fn revision_uses_the_caches_and_the_next_command_sees_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let target = tmp.path().join("target");
    let m = app.join("migrations");
    let (a_file, a) = new_revision(&m, &target, SystemTime::now(), "one");
    let now = settled(&m.join("src/versions"));
    check(&app, &target, now, &["heads"], 0, 1);
    let r = run(&m, &target, now, &["revision", "-m", "two"]).ok();
    assert!(
        r.stderr
            .contains("cache: 1 of 1 revision files from the header cache"),
        "{}",
        r.stderr
    );
    let b_file = m.join(r.stdout.trim());
    let b = id_of(&b_file);
    let now = between(changed(&a_file), changed(&b_file));
    let out = check(&app, &target, now, &["history"], 1, 2);
    assert!(out.contains(&format!("{a} -> {b} (head), two")), "{out}");
    check(&app, &target, now, &["history"], 1, 2);
}

#[test]
fn each_versions_directory_has_its_header_cache_and_edits_in_either_are_seen() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let target = tmp.path().join("target");
    let m = app.join("migrations");
    let manifest = m.join("Cargo.toml");
    let mut toml = read(&manifest);
    toml.push_str(
        "\n[package.metadata.migrate]\nversions-dir = [\"src/versions\", \"src/tenant_versions\"]\n",
    );
    std::fs::write(&manifest, toml).unwrap();
    let src = m.join("src");
    let new = |now: SystemTime, msg: &str, extra: &[&str]| {
        let mut args = vec!["revision", "-m", msg];
        args.extend_from_slice(extra);
        let r = run(&m, &target, now, &args).ok();
        m.join(r.stdout.trim())
    };
    let now = newest(tmp.path());
    new(now, "one", &["--version-path", "src/versions"]);
    let two = new(now, "two", &["--version-path", "src/tenant_versions"]);
    let three = new(now, "three", &[]);
    assert!(
        three.starts_with(m.join("src/tenant_versions")),
        "{three:?}"
    );

    // one cache per directory, both used
    let now = settled(&src);
    check(&app, &target, now, &["history"], 0, 3); // cold: written now
    assert_eq!(header_cache_files(&target).len(), 2);
    check(&app, &target, now, &["history"], 3, 3);

    // an edit of the same size in the second directory
    let mark = newest(&src);
    let text = read(&three);
    std::fs::write(&three, text.replace("three", "thr33")).unwrap();
    assert_eq!(read(&three).len(), text.len());
    let now = between(mark, changed(&three));
    let out = check(&app, &target, now, &["history"], 2, 3);
    assert!(out.contains("thr33") && !out.contains("three"), "{out}");

    // a file added to the second directory, then one removed from it
    let four = new(now, "four", &[]);
    assert!(four.starts_with(m.join("src/tenant_versions")), "{four:?}");
    let out = check(&app, &target, now, &["heads"], 2, 4);
    assert!(out.contains(&id_of(&four)), "{out}");
    std::fs::remove_file(&four).unwrap();
    std::fs::remove_file(&two).unwrap();
    let r = run(&app, &target, now, &["heads"]);
    assert!(r.stderr.contains(&id_of(&three)), "{}", r.stderr); // its parent is gone
}

#[test]
fn the_project_cache_follows_the_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    let target = tmp.path().join("target");
    new_revision(&app.join("migrations"), &target, SystemTime::now(), "one");
    let from_cache = "cache: project from the project cache";
    // too young: not recorded
    let now = newest(tmp.path());
    for _ in 0..2 {
        let r = run(&app, &target, now, &["heads"]).ok();
        assert!(!r.stderr.contains(from_cache), "{}", r.stderr);
    }
    let now = settled(tmp.path());
    let r = run(&app, &target, now, &["heads"]).ok();
    assert!(!r.stderr.contains(from_cache), "{}", r.stderr);
    let r = run(&app, &target, now, &["heads"]).ok();
    assert!(r.stderr.contains(from_cache), "{}", r.stderr);
    // another directory, --manifest-path, -p: other queries
    let sub = app.join("migrations/src");
    let r = run(&sub, &target, now, &["heads"]).ok();
    assert!(!r.stderr.contains(from_cache), "{}", r.stderr);
    let manifest = app.join("Cargo.toml");
    let r = run(
        tmp.path(),
        &target,
        now,
        &["--manifest-path", manifest.to_str().unwrap(), "heads"],
    )
    .ok();
    assert!(!r.stderr.contains(from_cache), "{}", r.stderr);

    // a second migrations crate joins the workspace: the answer changes at once
    cm(&app, &["migrate", "init", "other"]).ok();
    let err = run(&app, &target, now, &["heads"]).fails(1);
    assert!(err.contains("several migrations crates"), "{err}");
    run(&app, &target, now, &["-p", "other", "heads"]).ok();
    let now = settled(tmp.path());
    run(&app, &target, now, &["-p", "migrations", "heads"]).ok();
    let r = run(&app, &target, now, &["-p", "migrations", "heads"]).ok();
    assert!(r.stderr.contains(from_cache), "{}", r.stderr);

    // a member manifest edited: the package is renamed
    let toml = app.join("migrations/Cargo.toml");
    let text = read(&toml);
    std::fs::write(
        &toml,
        text.replace("name = \"migrations\"", "name = \"renamed\""),
    )
    .unwrap();
    let err = run(&app, &target, now, &["-p", "migrations", "heads"]).fails(1);
    assert!(err.contains("not a member"), "{err}");
    run(&app, &target, now, &["-p", "renamed", "heads"]).ok();

    // a target directory set in .cargo/config.toml: the cached answer is not used
    let default_target = |dir: &Path, now: SystemTime| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
        isolate(&mut cmd);
        let out = cmd
            .env_remove("CARGO_TARGET_DIR")
            .env("CARGO_MIGRATE_CACHE_STATS", "1")
            .env("CARGO_MIGRATE_CACHE_NOW", ns(now))
            .args(["migrate", "-p", "renamed", "heads"])
            .current_dir(dir)
            .output()
            .unwrap();
        Run::from("heads in the default target directory".into(), out).ok()
    };
    let now = settled(tmp.path());
    default_target(&app, now);
    assert!(default_target(&app, now).stderr.contains(from_cache));
    assert_eq!(header_cache_files(&app.join("target")).len(), 1);
    std::fs::create_dir_all(app.join(".cargo")).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::write(
        app.join(".cargo/config.toml"),
        format!("[build]\ntarget-dir = {:?}\n", elsewhere.to_str().unwrap()),
    )
    .unwrap();
    let r = default_target(&app, now);
    assert!(!r.stderr.contains(from_cache), "{}", r.stderr);
    assert_eq!(header_cache_files(&elsewhere).len(), 1);
}
