//! Data-driven tests of the graph check ([`graph::check`] / [`Graph::new`]).
//!
//! A graph is written one revision per line (or `;`-separated):
//! `ID [down P...] [label L...] [depends D...] [file F]`. `check` is the single place that
//! calls the API: it compares every error, in order, with one expected line
//! `Variant: text`, where `text` must occur in the error's message.

use migrate_core::graph::{self, Graph, RevisionInfo};

fn revisions(input: &str) -> Vec<RevisionInfo> {
    input
        .split([';', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let id = words.next().expect("a revision line starts with its id");
            let mut rev = RevisionInfo::new(id, &[]);
            let mut field = "";
            for w in words {
                match w {
                    "down" | "label" | "depends" | "file" => field = w,
                    _ => match field {
                        "down" => rev.down_revisions.push(w.to_owned()),
                        "label" => rev.branch_labels.push(w.to_owned()),
                        "depends" => rev.depends_on.push(w.to_owned()),
                        "file" => rev.file = w.to_owned(),
                        _ => panic!("`{w}` in `{line}`: expected down, label, depends or file"),
                    },
                }
            }
            rev
        })
        .collect()
}

/// Checks `input` and compares the errors with `expect` (empty: the graph is valid, and then
/// `Graph::new` must succeed and list the revisions in a topological order).
#[track_caller]
fn check(input: &str, expect: &[&str]) {
    let revs = revisions(input);
    let errors = graph::check(&revs);
    let got: Vec<String> = errors
        .iter()
        .map(|e| {
            let debug = format!("{e:?}");
            let variant: String = debug
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            format!("{variant}: {e}")
        })
        .collect();
    let matches = got.len() == expect.len()
        && got.iter().zip(expect).all(|(g, e)| {
            let (variant, text) = e.split_once(": ").unwrap_or((e, ""));
            g.starts_with(&format!("{variant}: ")) && g.contains(text)
        });
    assert!(
        matches,
        "graph `{input}`\nexpected:\n  {}\ngot:\n  {}",
        expect.join("\n  "),
        got.join("\n  ")
    );

    match Graph::new(revs.clone()) {
        Ok(g) => {
            assert!(expect.is_empty(), "Graph::new accepted `{input}`");
            assert_eq!(g.len(), revs.len());
            for (i, r) in g.revisions().iter().enumerate() {
                for &p in g.parents_of(i).iter().chain(g.dependencies_of(i)) {
                    assert!(p < i, "`{}` comes before its parent or dependency", r.id);
                }
            }
        }
        Err(e) => assert_eq!(e.0, errors, "Graph::new and check disagree on `{input}`"),
    }
}

/// Checks that `input` is valid and that `Graph::new` orders it as `expect` (ids).
#[track_caller]
fn check_order(input: &str, expect: &str) {
    let g = Graph::new(revisions(input)).unwrap_or_else(|e| panic!("`{input}`: {e}"));
    let got: Vec<&str> = g.revisions().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(got.join(" "), expect, "order of `{input}`");
}

#[test]
fn valid_graphs() {
    check("", &[]);
    check("a", &[]);
    check("a; b down a; c down b; d down c", &[]);
    // labeled branches with separate bases: every extra base is labeled, one may be unlabeled
    check("a; b down a; n1 label networking; n2 down n1", &[]);
    check(
        "s1 label shoppingcart; s2 down s1; n1 label networking; n2 down n1",
        &[],
    );
    // two heads told apart by the labels they inherit
    check(
        "t1; t2 down t1; x1 down t2 label xb; x2 down x1; y1 down t2 label yb",
        &[],
    );
    // a merge revision resolves the fork
    check("a; b down a; c down a; d down b c", &[]);
    // depends_on across branches
    check(
        "s1 label shoppingcart; s2 down s1; n1 label networking; n2 down n1 depends s2",
        &[],
    );
}

#[test]
fn dangling_references() {
    check(
        "a; b down zz",
        &[
            "MissingParent: revision `b` in `b.rs` has down_revision `zz`, which no revision declares",
        ],
    );
    check(
        "a; b down a depends nope file versions/b.rs",
        &[
            "MissingDependency: revision `b` in `versions/b.rs` depends_on `nope`, which no revision declares",
        ],
    );
}

#[test]
fn duplicate_ids() {
    check(
        "a file one/a.rs; b down a; a file two/a.rs; a file three/a.rs",
        &[
            "DuplicateRevision: revision `a` is declared more than once, in `one/a.rs`, `two/a.rs`, `three/a.rs`",
        ],
    );
}

#[test]
fn cycles() {
    check(
        "a down a",
        &["Cycle: revisions form a cycle: `a` (in `a.rs`) -> `a`; fix"],
    );
    check(
        "root; a down c; b down a; c down b",
        &[
            "Cycle: revisions form a cycle: `a` (in `a.rs`) -> `b` (in `b.rs`) -> `c` (in `c.rs`) -> `a`",
        ],
    );
    // through depends_on
    check(
        "a depends b; b down a",
        &["Cycle: revisions form a cycle: `a` (in `a.rs`) -> `b` (in `b.rs`) -> `a`"],
    );
}

#[test]
fn heads_and_bases() {
    check(
        "a; b down a; c down a",
        &[
            "MultipleHeads: multiple heads: `b` (in `b.rs`), `c` (in `c.rs`); two revisions share an ancestor and nobody merged them",
        ],
    );
    // an unlabeled fork under a labeled trunk: both heads inherit only `main`
    check(
        "a label main; b down a; c down a",
        &["MultipleHeads: multiple heads: `b` (in `b.rs`), `c` (in `c.rs`)"],
    );
    // labeled branches, but one of them forks again without a label
    check(
        "t1; x1 down t1 label xb; y1 down t1 label yb; y2 down y1; y3 down y1",
        &["MultipleHeads: `y2` (in `y2.rs`), `y3` (in `y3.rs`)"],
    );
    // two unlabeled bases are also two unlabeled heads: only the cause (the bases) is
    // reported, since "two revisions share an ancestor" would be untrue
    check(
        "a; b",
        &[
            "MultipleBases: multiple bases: `a` (in `a.rs`), `b` (in `b.rs`); only one revision may have no down_revision unless each extra base starts a labeled branch",
        ],
    );
    // an unlabeled second base whose branch is merged in: one base too many, heads fine
    check(
        "a; b; c down a b",
        &["MultipleBases: multiple bases: `a` (in `a.rs`), `b` (in `b.rs`)"],
    );
}

#[test]
fn duplicate_branch_label() {
    check(
        "a label main; b down a label main",
        &[
            "DuplicateBranchLabel: branch label `main` is declared on more than one revision: `a` (in `a.rs`), `b` (in `b.rs`)",
        ],
    );
}

#[test]
fn errors_are_accumulated() {
    check(
        "a; a file again/a.rs; b down gone; c down a depends missing; d down a label x; e down a label x",
        &[
            "DuplicateRevision: `a` is declared more than once, in `a.rs`, `again/a.rs`",
            "MissingParent: revision `b` in `b.rs` has down_revision `gone`",
            "MissingDependency: revision `c` in `c.rs` depends_on `missing`",
            "DuplicateBranchLabel: branch label `x` is declared on more than one revision: `d` (in `d.rs`), `e` (in `e.rs`)",
        ],
    );
}

#[test]
fn topological_order() {
    check_order("c down b; b down a; a", "a b c");
    // parents and dependencies first; otherwise Alembic's `history` order, reversed
    // (checked with Alembic 1.20.1: `alembic history` prints n2, n1, s2, s1 and d, b, c, a)
    check_order(
        "n2 down n1 depends s2; n1 label networking; s2 down s1; s1 label shoppingcart",
        "s1 s2 n1 n2",
    );
    check_order("d down b c; c down a; b down a; a", "a c b d");
    // independent branches: the head read first is listed first by Alembic, so comes last
    check_order(
        "a1 label A; b1 label B; a2 down a1; b2 down b1",
        "b1 b2 a1 a2",
    );
}
