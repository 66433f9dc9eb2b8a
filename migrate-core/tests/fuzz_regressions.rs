//! Replays the fuzz corpora and every crasher the fuzzers found, on stable and without a
//! fuzzer: each file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through
//! the same check as the cargo-fuzz target (`fuzz/checks.rs`, included here, is the one place
//! that states the properties). See `fuzz/README.md` for running the fuzzers themselves.
//!
//! Each file is replayed in a child process (this test binary again, running one test on one
//! file): a stack overflow aborts the process instead of panicking, and must be reported
//! against its file rather than take the other files and tests down with it.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// Set in a child: the one file to replay.
const CHILD_FILE: &str = "MIGRATE_FUZZ_REPLAY_FILE";

/// Stack for the child's test thread: 8 MiB, the main-thread stack the fuzzer runs inputs on.
const CHILD_STACK: &str = "8388608";

/// Replays every file under `corpus/<target>` and `regressions/<target>`, each in its own
/// process, and reports every failing file (not only the first) with its output.
fn replay(target: &str, check: fn(&[u8])) {
    if let Some(file) = env::var_os(CHILD_FILE) {
        let data = fs::read(&file).unwrap_or_else(|e| panic!("cannot read {file:?}: {e}"));
        check(&data);
        return;
    }
    let files = inputs(target);
    assert!(!files.is_empty(), "no inputs found for `{target}`");
    let exe = env::current_exe().expect("the test binary's path");
    let mut failed = Vec::new();
    for file in &files {
        let out = Command::new(&exe)
            .args([target, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_FILE, file)
            .env("RUST_MIN_STACK", CHILD_STACK)
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            failed.push(format!(
                "{} ({}):\n  {}",
                file.display(),
                out.status,
                tail.join("\n  ")
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "`{target}` fails on {} of {} inputs:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}

/// The files of `fuzz/corpus/<target>` (which must exist) and `fuzz/regressions/<target>`
/// (which may not), sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for kind in ["corpus", "regressions"] {
        let dir = root.join(kind).join(target);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && kind == "regressions" => continue,
            Err(e) => panic!("cannot read {}: {e}", dir.display()),
        };
        let mut found: Vec<PathBuf> = entries
            .map(|e| {
                e.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                    .path()
            })
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

#[test]
fn spec_parse() {
    replay("spec_parse", checks::spec_parse);
}

#[cfg(feature = "source")]
#[test]
fn source_parse() {
    replay("source_parse", checks::source_parse);
}

#[test]
fn graph_check() {
    replay("graph_check", checks::graph_check);
}
