//! The library never prints: outside the runner binary's command line (`src/cli.rs`,
//! `src/cli/`), migrate-core reports through `tracing` and its return values. A `println!`
//! slipped into `runner.rs` would write into an application's stdout.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn library_code_prints_nothing() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let library: Vec<_> = files
        .iter()
        .filter(|p| {
            let rel = p.strip_prefix(&src).unwrap();
            // the runner binary's command line prints by design; so does test support
            // (`testing`: runs inside tests, whose harness captures stderr and shows it with
            // a failure, e.g. a test database it could not remove)
            !(rel == Path::new("cli.rs")
                || rel.starts_with("cli")
                || rel == Path::new("testing.rs")
                || rel.starts_with("testing"))
        })
        .collect();
    assert!(library.len() > 10, "{library:?}");
    for file in library {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for mac in ["println!", "eprintln!", "print!", "eprint!", "dbg!"] {
                assert!(
                    !code.contains(mac),
                    "{}:{}: `{mac}` in library code; report through `tracing` instead",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}
