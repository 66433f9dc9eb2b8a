//! On a terminal: `revision` prints the new file's path once, and the build of the
//! migrations crate shows cargo's own progress. Run under a pseudo-terminal with util-linux's
//! `script`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Runs `cargo-migrate args` in `dir` with stdout and stderr on one pseudo-terminal; returns
/// what the terminal showed.
fn on_a_terminal(dir: &Path, args: &[&str]) -> String {
    let exe = env!("CARGO_BIN_EXE_cargo-migrate");
    let line = std::iter::once(exe)
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = Command::new("script");
    isolate(&mut cmd);
    let out = cmd
        .args(["-qec", &line, "/dev/null"])
        .current_dir(dir)
        .output()
        .expect("util-linux `script` runs");
    Run::from(format!("script -qec {line}"), out)
        .ok()
        .stdout
        .replace("\r\n", "\n")
}

#[test]
fn a_terminal_sees_the_path_once_and_the_build_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let app = cargo_new(tmp.path(), "app");
    cm(&app, &["migrate", "init", "terminal_migrations"]).ok();

    let shown = on_a_terminal(&app, &["migrate", "revision", "-m", "first"]);
    assert_eq!(
        shown.matches("terminal_migrations/src/versions/").count(),
        1,
        "{shown}"
    );
    assert!(
        shown.contains("     Created terminal_migrations/src/versions/"),
        "{shown}"
    );

    let shown = on_a_terminal(&app, &["migrate", "upgrade"]);
    assert!(
        shown.contains("   Compiling terminal_migrations v0.1.0"),
        "cargo's progress is not shown:\n{shown}"
    );
    assert!(shown.contains("    Finished `dev` profile"), "{shown}");
    assert!(!shown.contains("Building migrations crate"), "{shown}");
}
