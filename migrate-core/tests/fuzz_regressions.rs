//! Replays the fuzz corpora and every crasher the fuzzers found, on stable and without a
//! fuzzer: each file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through
//! the same check as the cargo-fuzz target (`fuzz/checks.rs`, included here, is the one place
//! that states the properties). See `fuzz/README.md` for running the fuzzers themselves.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::fs;
use std::panic;
use std::path::Path;

/// Runs `check` on every file under `corpus/<target>` and `regressions/<target>`, reporting
/// every failing file (not only the first) by path.
fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failed = Vec::new();
    let mut replayed = 0;
    for kind in ["corpus", "regressions"] {
        let dir = root.join(kind).join(target);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && kind == "regressions" => continue,
            Err(e) => panic!("cannot read {}: {e}", dir.display()),
        };
        let mut files: Vec<_> = entries
            .map(|e| e.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())).path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
            .collect();
        files.sort();
        for file in files {
            let data = fs::read(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            replayed += 1;
            if panic::catch_unwind(|| check(&data)).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    assert!(replayed > 0, "no inputs found for `{target}` under {}", root.display());
    assert!(failed.is_empty(), "`{target}` fails on (see the panic messages above):\n{}", failed.join("\n"));
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
