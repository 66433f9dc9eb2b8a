//! `cargo migrate graph` on the `examples/branches` crate: answered from the revision files
//! (nothing compiled), rendered by Graphviz (`dot` must be installed; `.ci/run` installs
//! graphviz), and the Mermaid block in README.md is exactly what it prints.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::*;

fn graph(args: &[&str]) -> String {
    let mut all = vec!["migrate", "-p", "branches-migrations", "graph"];
    all.extend_from_slice(args);
    let run = cm(&repo_root(), &all).ok();
    run.stdout
}

#[test]
fn the_branches_example_renders_with_graphviz() {
    let dot = graph(&[]);
    assert!(dot.starts_with("digraph revisions {"), "{dot}");
    for want in [
        "(shoppingcart)",
        "(networking)",
        "(head) (mergepoint)",
        "[style=dashed, label=\"depends_on\"]",
    ] {
        assert!(dot.contains(want), "no `{want}` in\n{dot}");
    }
    let mut child = Command::new("dot")
        .arg("-Tpng")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz's `dot` runs (install graphviz; .ci/run does)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.starts_with(b"\x89PNG"));
}

#[test]
fn readme_shows_the_mermaid_picture_of_the_branches_example() {
    let mermaid = graph(&["--format", "mermaid"]);
    assert!(mermaid.starts_with("flowchart BT\n"), "{mermaid}");
    let readme = read(&repo_root().join("README.md"));
    let block = format!("```mermaid\n{mermaid}```\n");
    assert!(
        readme.contains(&block),
        "README.md should hold the output of `cargo migrate -p branches-migrations graph \
         --format mermaid` in a mermaid block:\n{block}"
    );
}

#[test]
fn a_range_and_its_errors() {
    let ranged = graph(&["--format", "mermaid", "-r", "c0ffee000002:"]);
    // c0ffee000002 and the merge above it, nothing else
    let nodes: Vec<&str> = ranged
        .lines()
        .filter(|l| l.contains("[\"") || l.contains("{{\""))
        .collect();
    assert_eq!(nodes.len(), 2, "{ranged}");
    assert!(
        ranged.contains("r_c0ffee000002 --> r_0e0e0e0e0e0e"),
        "{ranged}"
    );
    let err = cm(
        &repo_root(),
        &[
            "migrate",
            "-p",
            "branches-migrations",
            "graph",
            "-r",
            "nope:",
        ],
    )
    .fails(1);
    assert!(err.contains("nope"), "{err}");
    // an unknown format is a usage error
    cm(
        &repo_root(),
        &[
            "migrate",
            "-p",
            "branches-migrations",
            "graph",
            "--format",
            "png",
        ],
    )
    .fails(2);
}
