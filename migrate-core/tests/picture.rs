//! The revision graph as a picture (`graph::picture::render`), data-driven: a graph written
//! one revision per line (`ID [down P...] [label L...] [depends D...] [msg WORDS...]`), what
//! to mark, and the exact DOT and Mermaid text. `check` is the one place that calls the API.
//!
//! Then the output is checked the way a reader consumes it: DOT through Graphviz itself
//! (`dot -Tpng` must exist; `.ci/run` installs graphviz), Mermaid against the grammar of
//! the statements we emit here, and by Mermaid's own parser in CI: with
//! `MIGRATE_MERMAID_OUT=DIR` every Mermaid picture is also written to `DIR/<name>.mmd`,
//! which `.ci/mermaid/check.sh` parses with mermaid 11 (Node).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};

use migrate_core::graph::picture::{self, Format, Options};
use migrate_core::graph::{Graph, RevisionInfo};

fn graph(input: &str) -> Graph {
    let revs: Vec<RevisionInfo> = input
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let id = words.next().unwrap();
            let mut rev = RevisionInfo::new(id, &[]);
            let mut field = "";
            let mut msg = Vec::new();
            for w in words {
                match w {
                    "down" | "label" | "depends" | "msg" => field = w,
                    _ => match field {
                        "down" => rev.down_revisions.push(w.to_owned()),
                        "label" => rev.branch_labels.push(w.to_owned()),
                        "depends" => rev.depends_on.push(w.to_owned()),
                        "msg" => msg.push(w),
                        _ => panic!("`{w}` in `{line}`"),
                    },
                }
            }
            rev.message = msg.join(" ");
            rev
        })
        .collect();
    Graph::new(revs).expect("a valid graph")
}

/// The `examples/branches` graph (the same ids, parents, labels and messages as its files).
const BRANCHES: &str = "
    a1b2c3d4e5f6 msg create accounts
    c0ffee000001 down a1b2c3d4e5f6 label shoppingcart msg create carts
    c0ffee000002 down c0ffee000001 msg create cart items
    d00d00000001 label networking msg create hosts
    d00d00000002 down d00d00000001 depends c0ffee000001 msg create ports
    0e0e0e0e0e0e down c0ffee000002 d00d00000002 msg merge shoppingcart and networking
";

fn indices(g: &Graph, ids: &[&str]) -> Vec<usize> {
    ids.iter().map(|id| g.index_of(id).unwrap()).collect()
}

/// Writes a Mermaid picture to `$MIGRATE_MERMAID_OUT/<name>.mmd` for Mermaid's own parser
/// (`.ci/mermaid/check.sh`); nothing when the variable is unset.
fn dump(name: &str, mermaid: &str) {
    if let Some(dir) = std::env::var_os("MIGRATE_MERMAID_OUT") {
        std::fs::write(
            std::path::Path::new(&dir).join(format!("{name}.mmd")),
            mermaid,
        )
        .expect("MIGRATE_MERMAID_OUT is a writable directory");
    }
}

/// Renders `input` with `only` (ids; `None`: all) and `current` (ids) marked, in both formats,
/// and compares with the expected text.
#[track_caller]
fn check(
    name: &str,
    input: &str,
    only: Option<&[&str]>,
    current: &[&str],
    dot: &str,
    mermaid: &str,
) {
    let g = graph(input);
    let options = Options {
        only: only.map(|o| indices(&g, o)),
        current: indices(&g, current).into_iter().collect::<BTreeSet<_>>(),
    };
    let got_dot = picture::render(&g, &options, Format::Dot);
    assert_eq!(got_dot, dot, "DOT:\n{got_dot}");
    let got_mermaid = picture::render(&g, &options, Format::Mermaid);
    assert_eq!(got_mermaid, mermaid, "Mermaid:\n{got_mermaid}");
    check_mermaid_syntax(&got_mermaid);
    dump(name, &got_mermaid);
    run_dot(&got_dot);
}

#[test]
fn the_branches_example() {
    check(
        "branches",
        BRANCHES,
        None,
        &["c0ffee000002", "d00d00000002"],
        r##"digraph revisions {
  rankdir=BT;
  node [shape=box, style=rounded, fontname="monospace"];
  "a1b2c3d4e5f6" [label="a1b2c3d4e5f6\ncreate accounts"];
  "c0ffee000001" [label="c0ffee000001 (shoppingcart)\ncreate carts"];
  "d00d00000001" [label="d00d00000001 (networking)\ncreate hosts"];
  "d00d00000002" [label="d00d00000002 (current)\ncreate ports", style="rounded,filled", fillcolor="#cfe2ff"];
  "c0ffee000002" [label="c0ffee000002 (current)\ncreate cart items", style="rounded,filled", fillcolor="#cfe2ff"];
  "0e0e0e0e0e0e" [label="0e0e0e0e0e0e (head) (mergepoint)\nmerge shoppingcart and networking", shape=hexagon, penwidth=3];
  "a1b2c3d4e5f6" -> "c0ffee000001";
  "d00d00000001" -> "d00d00000002";
  "c0ffee000001" -> "d00d00000002" [style=dashed, label="depends_on"];
  "c0ffee000001" -> "c0ffee000002";
  "c0ffee000002" -> "0e0e0e0e0e0e";
  "d00d00000002" -> "0e0e0e0e0e0e";
}
"##,
        r##"flowchart BT
  r_a1b2c3d4e5f6["a1b2c3d4e5f6<br/>create accounts"]
  r_c0ffee000001["c0ffee000001 (shoppingcart)<br/>create carts"]
  r_d00d00000001["d00d00000001 (networking)<br/>create hosts"]
  r_d00d00000002["d00d00000002 (current)<br/>create ports"]
  r_c0ffee000002["c0ffee000002 (current)<br/>create cart items"]
  r_0e0e0e0e0e0e{{"0e0e0e0e0e0e (head) (mergepoint)<br/>merge shoppingcart and networking"}}
  r_a1b2c3d4e5f6 --> r_c0ffee000001
  r_d00d00000001 --> r_d00d00000002
  r_c0ffee000001 -. depends_on .-> r_d00d00000002
  r_c0ffee000001 --> r_c0ffee000002
  r_c0ffee000002 --> r_0e0e0e0e0e0e
  r_d00d00000002 --> r_0e0e0e0e0e0e
  classDef head stroke-width:3px
  classDef current fill:#cfe2ff
  class r_0e0e0e0e0e0e head
  class r_d00d00000002,r_c0ffee000002 current
"##,
    );
}

#[test]
fn branch_points_effective_heads_and_two_heads() {
    // b is a branch point; c is a head another revision depends on (an effective head); d
    // and e are heads on labeled branches
    check(
        "branchpoints",
        "a msg base
         b down a msg fork
         c down b label x msg left
         d down b label y depends c msg right",
        None,
        &[],
        r##"digraph revisions {
  rankdir=BT;
  node [shape=box, style=rounded, fontname="monospace"];
  "a" [label="a\nbase"];
  "b" [label="b (branchpoint)\nfork", shape=octagon];
  "c" [label="c (x) (effective head)\nleft", penwidth=3];
  "d" [label="d (y) (head)\nright", penwidth=3];
  "a" -> "b";
  "b" -> "c";
  "b" -> "d";
  "c" -> "d" [style=dashed, label="depends_on"];
}
"##,
        r##"flowchart BT
  r_a["a<br/>base"]
  r_b(["b (branchpoint)<br/>fork"])
  r_c["c (x) (effective head)<br/>left"]
  r_d["d (y) (head)<br/>right"]
  r_a --> r_b
  r_b --> r_c
  r_b --> r_d
  r_c -. depends_on .-> r_d
  classDef head stroke-width:3px
  classDef current fill:#cfe2ff
  class r_c,r_d head
"##,
    );
}

#[test]
fn a_range_draws_only_its_revisions_and_the_arrows_between_them() {
    let g = graph(BRANCHES);
    // as `graph --range c0ffee000001:c0ffee000002` selects them
    let only =
        migrate_core::spec::history_range(&g, &BTreeSet::new(), "c0ffee000001:0e0e").unwrap();
    let mut ids: Vec<&str> = only.iter().map(|&i| g.at(i).id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "0e0e0e0e0e0e",
            "c0ffee000001",
            "c0ffee000002",
            "d00d00000002"
        ]
    );
    let ids_ref: Vec<&str> = ids.clone();
    check(
        "range",
        BRANCHES,
        Some(&ids_ref),
        &[],
        r##"digraph revisions {
  rankdir=BT;
  node [shape=box, style=rounded, fontname="monospace"];
  "c0ffee000001" [label="c0ffee000001 (shoppingcart)\ncreate carts"];
  "d00d00000002" [label="d00d00000002\ncreate ports"];
  "c0ffee000002" [label="c0ffee000002\ncreate cart items"];
  "0e0e0e0e0e0e" [label="0e0e0e0e0e0e (head) (mergepoint)\nmerge shoppingcart and networking", shape=hexagon, penwidth=3];
  "c0ffee000001" -> "d00d00000002" [style=dashed, label="depends_on"];
  "c0ffee000001" -> "c0ffee000002";
  "c0ffee000002" -> "0e0e0e0e0e0e";
  "d00d00000002" -> "0e0e0e0e0e0e";
}
"##,
        r##"flowchart BT
  r_c0ffee000001["c0ffee000001 (shoppingcart)<br/>create carts"]
  r_d00d00000002["d00d00000002<br/>create ports"]
  r_c0ffee000002["c0ffee000002<br/>create cart items"]
  r_0e0e0e0e0e0e{{"0e0e0e0e0e0e (head) (mergepoint)<br/>merge shoppingcart and networking"}}
  r_c0ffee000001 -. depends_on .-> r_d00d00000002
  r_c0ffee000001 --> r_c0ffee000002
  r_c0ffee000002 --> r_0e0e0e0e0e0e
  r_d00d00000002 --> r_0e0e0e0e0e0e
  classDef head stroke-width:3px
  classDef current fill:#cfe2ff
  class r_0e0e0e0e0e0e head
"##,
    );
}

#[test]
fn messages_are_escaped_and_cut_and_keywords_are_not_ids() {
    let mut revs = vec![RevisionInfo::new("end", &[])];
    revs[0].message = r#"say "hi" <b> & #1 `x` \ back"#.to_owned();
    let mut long = RevisionInfo::new("graph", &["end"]);
    long.message = "x".repeat(60);
    revs.push(long);
    let g = Graph::new(revs).unwrap();
    let dot = picture::render(&g, &Options::default(), Format::Dot);
    assert!(
        dot.contains(r#""end" [label="end\nsay \"hi\" <b> & #1 `x` \\ back"];"#),
        "{dot}"
    );
    let cut = format!("{}…", "x".repeat(picture::MAX_MESSAGE_CHARS - 1));
    assert!(dot.contains(&cut), "{dot}");
    let mermaid = picture::render(&g, &Options::default(), Format::Mermaid);
    assert!(
        mermaid.contains(
            r#"r_end["end<br/>say #quot;hi#quot; #lt;b#gt; #amp; #35;1 #96;x#96; \ back"]"#
        ),
        "{mermaid}"
    );
    assert!(mermaid.contains("r_end --> r_graph"), "{mermaid}");
    check_mermaid_syntax(&mermaid);
    dump("escapes", &mermaid);
    run_dot(&dot);
}

#[test]
fn an_empty_graph_is_an_empty_picture() {
    let g = Graph::new(Vec::new()).unwrap();
    let mermaid = picture::render(&g, &Options::default(), Format::Mermaid);
    assert_eq!(
        mermaid,
        "flowchart BT\n  classDef head stroke-width:3px\n  classDef current fill:#cfe2ff\n"
    );
    dump("empty", &mermaid);
    run_dot(&picture::render(&g, &Options::default(), Format::Dot));
}

/// `dot -Tpng` of `text`: Graphviz must be installed (`.ci/run` installs it), must accept the
/// text without a warning, and must write a PNG.
#[track_caller]
fn run_dot(text: &str) -> Vec<u8> {
    let mut child = Command::new("dot")
        .arg("-Tpng")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run Graphviz's `dot` ({e}); install graphviz (.ci/run does)")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "dot rejects:\n{text}\n{stderr}"
    );
    assert!(out.stdout.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    out.stdout
}

#[test]
fn graphviz_renders_the_branches_example() {
    let g = graph(BRANCHES);
    let options = Options {
        only: None,
        current: indices(&g, &["c0ffee000002"]).into_iter().collect(),
    };
    let png = run_dot(&picture::render(&g, &options, Format::Dot));
    assert!(png.len() > 1000, "a picture of six revisions");
}

/// Checks Mermaid flowchart text against the grammar of what `picture` writes: the header,
/// node statements (`ID["…"]`, `ID(["…"])`, `ID{{"…"}}`) whose quoted label holds no `"` and
/// no raw `<` other than `<br/>`, edges (`A --> B`, `A -. depends_on .-> B`) between declared
/// nodes, `classDef` and `class` lines naming declared nodes. Not Mermaid's own parser (it
/// needs a browser), but every statement shape is one Mermaid's documentation defines.
#[track_caller]
fn check_mermaid_syntax(text: &str) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart BT"));
    let mut declared: BTreeSet<String> = BTreeSet::new();
    let mut classes: BTreeSet<String> = BTreeSet::new();
    let is_id =
        |s: &str| s.starts_with("r_") && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    for line in lines {
        let line = line
            .strip_prefix("  ")
            .unwrap_or_else(|| panic!("not indented: {line:?}"));
        if let Some(rest) = line.strip_prefix("classDef ") {
            let (name, style) = rest.split_once(' ').expect("classDef NAME STYLE");
            assert!(style.contains(':') && !style.contains(' '), "{line}");
            classes.insert(name.to_owned());
        } else if let Some(rest) = line.strip_prefix("class ") {
            let (ids, name) = rest.split_once(' ').expect("class IDS NAME");
            assert!(classes.contains(name), "class {name} used before classDef");
            for id in ids.split(',') {
                assert!(declared.contains(id), "class names undeclared node {id}");
            }
        } else if let Some((from, to)) = line
            .split_once(" --> ")
            .or_else(|| line.split_once(" -. depends_on .-> "))
        {
            assert!(
                declared.contains(from),
                "edge from undeclared {from}: {line}"
            );
            assert!(declared.contains(to), "edge to undeclared {to}: {line}");
        } else {
            let open = line.find(['[', '(', '{']).expect("a node statement");
            let (id, shape) = line.split_at(open);
            assert!(is_id(id), "node id {id:?}");
            let label = ["[\"", "([\"", "{{\""]
                .iter()
                .zip(["\"]", "\"])", "\"}}"])
                .find_map(|(o, c)| shape.strip_prefix(o)?.strip_suffix(c))
                .unwrap_or_else(|| panic!("unknown node shape: {line}"));
            assert!(!label.contains('"'), "a quote inside a label: {line}");
            assert!(
                !label.replace("<br/>", "").contains(['<', '>']),
                "markup inside a label: {line}"
            );
            assert!(declared.insert(id.to_owned()), "node {id} declared twice");
        }
    }
}
