//! The revision graph as a picture: Graphviz DOT or Mermaid text (`cargo migrate graph`).
//!
//! **No IO**: [`render`] is a pure function from a [`Graph`] (and what to mark) to text. The
//! picture is drawn bottom-up, base at the bottom and heads on top (the way `upgrade` goes),
//! one node per revision and one arrow from each `down_revision` to its child:
//!
//! - a node reads `id (labels) (head) (current) (branchpoint) (mergepoint)` over the message,
//!   the tags as Alembic's `history` prints them (`(effective head)` for a head that another
//!   revision `depends_on`), labels those the revision declares;
//! - heads have a thick border, current revisions are filled, merge points are hexagons,
//!   branch points are stadium-shaped (Mermaid) or octagons (DOT);
//! - a `depends_on` dependency is a dashed arrow labelled `depends_on`;
//! - with a subset of revisions (`--range`), only the arrows between drawn revisions.
//!
//! Both outputs are deterministic: revisions in [`Graph::revisions`] order (oldest first).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::Graph;

/// The text format of [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Graphviz DOT (`dot -Tsvg`, `dot -Tpng`).
    Dot,
    /// A Mermaid flowchart (GitHub renders it in a ```` ```mermaid ```` block).
    Mermaid,
}

/// What [`render`] draws and marks.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The revisions to draw (indices into the graph, any order); `None`: every revision.
    pub only: Option<Vec<usize>>,
    /// The database's current revisions (indices), marked `(current)` and filled; revisions
    /// outside the graph or not drawn are ignored.
    pub current: BTreeSet<usize>,
}

/// The longest message a node shows, in characters; a longer one is cut and ends with `…`.
pub const MAX_MESSAGE_CHARS: usize = 48;

/// One drawn revision, as both formats need it.
struct Node {
    index: usize,
    title: String,
    message: String,
    head: bool,
    current: bool,
    branchpoint: bool,
    mergepoint: bool,
}

/// An arrow between two drawn revisions.
struct Edge {
    from: usize,
    to: usize,
    depends_on: bool,
}

fn nodes_and_edges(graph: &Graph, options: &Options) -> (Vec<Node>, Vec<Edge>) {
    let n = graph.len();
    let mut drawn = vec![options.only.is_none(); n];
    if let Some(only) = &options.only {
        for &i in only {
            if i < n {
                drawn[i] = true;
            }
        }
    }
    let mut dependents = vec![0usize; n];
    for i in 0..n {
        for &d in graph.dependencies_of(i) {
            dependents[d] += 1;
        }
    }
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for i in (0..n).filter(|&i| drawn[i]) {
        let r = graph.at(i);
        let childless = graph.children_of(i).is_empty();
        let head = childless && dependents[i] == 0;
        let current = options.current.contains(&i);
        let branchpoint = graph.children_of(i).len() > 1;
        let mergepoint = graph.parents_of(i).len() > 1;
        let mut title = r.id.clone();
        if !r.branch_labels.is_empty() {
            let _ = write!(title, " ({})", r.branch_labels.join(", "));
        }
        if head {
            title.push_str(" (head)");
        } else if childless {
            title.push_str(" (effective head)");
        }
        for (on, tag) in [
            (current, " (current)"),
            (branchpoint, " (branchpoint)"),
            (mergepoint, " (mergepoint)"),
        ] {
            if on {
                title.push_str(tag);
            }
        }
        let mut message: String = r.message.chars().take(MAX_MESSAGE_CHARS).collect();
        if r.message.chars().count() > MAX_MESSAGE_CHARS {
            message.pop();
            message.push('…');
        }
        nodes.push(Node {
            index: i,
            title,
            message,
            head: childless,
            current,
            branchpoint,
            mergepoint,
        });
        edges.extend(
            graph
                .parents_of(i)
                .iter()
                .filter(|&&p| drawn[p])
                .map(|&p| Edge {
                    from: p,
                    to: i,
                    depends_on: false,
                }),
        );
        edges.extend(
            graph
                .dependencies_of(i)
                .iter()
                .filter(|&&d| drawn[d])
                .map(|&d| Edge {
                    from: d,
                    to: i,
                    depends_on: true,
                }),
        );
    }
    (nodes, edges)
}

/// The graph (or the subset `options.only`) as DOT or Mermaid text, ending with a newline.
/// See the module docs for what is drawn. Revisions whose index is out of range in
/// `options` are ignored; an empty graph gives a picture with no node.
pub fn render(graph: &Graph, options: &Options, format: Format) -> String {
    let (nodes, edges) = nodes_and_edges(graph, options);
    match format {
        Format::Dot => dot(graph, &nodes, &edges),
        Format::Mermaid => mermaid(graph, &nodes, &edges),
    }
}

/// A DOT string literal's content: `"` and `\` escaped, newlines as `\n`.
fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn dot(graph: &Graph, nodes: &[Node], edges: &[Edge]) -> String {
    let mut out = String::new();
    out.push_str("digraph revisions {\n");
    out.push_str("  rankdir=BT;\n");
    out.push_str("  node [shape=box, style=rounded, fontname=\"monospace\"];\n");
    for n in nodes {
        let r = graph.at(n.index);
        let mut attrs = vec![format!(
            "label=\"{}\\n{}\"",
            dot_escape(&n.title),
            dot_escape(&n.message)
        )];
        if n.mergepoint {
            attrs.push("shape=hexagon".into());
        } else if n.branchpoint {
            attrs.push("shape=octagon".into());
        }
        if n.head {
            attrs.push("penwidth=3".into());
        }
        if n.current {
            attrs.push("style=\"rounded,filled\"".into());
            attrs.push("fillcolor=\"#cfe2ff\"".into());
        }
        let _ = writeln!(out, "  \"{}\" [{}];", dot_escape(&r.id), attrs.join(", "));
    }
    for e in edges {
        let _ = write!(
            out,
            "  \"{}\" -> \"{}\"",
            dot_escape(&graph.at(e.from).id),
            dot_escape(&graph.at(e.to).id)
        );
        if e.depends_on {
            out.push_str(" [style=dashed, label=\"depends_on\"]");
        }
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out
}

/// A Mermaid node id: `r_` and the revision id (ids are `[a-z0-9_]`, and the prefix keeps
/// one such as `end` from reading as a keyword); any other character as `_xHH_`.
fn mermaid_id(id: &str) -> String {
    let mut out = String::from("r_");
    for c in id.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            let _ = write!(out, "_x{:x}_", u32::from(c));
        }
    }
    out
}

/// Text inside a quoted Mermaid label: characters Mermaid would read as syntax or markup as
/// its entity codes (`#quot;`, `#lt;`, …; `#35;` for `#`).
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn mermaid(graph: &Graph, nodes: &[Node], edges: &[Edge]) -> String {
    let mut out = String::from("flowchart BT\n");
    for n in nodes {
        let label = format!(
            "\"{}<br/>{}\"",
            mermaid_text(&n.title),
            mermaid_text(&n.message)
        );
        let (open, close) = if n.mergepoint {
            ("{{", "}}")
        } else if n.branchpoint {
            ("([", "])")
        } else {
            ("[", "]")
        };
        let _ = writeln!(
            out,
            "  {}{open}{label}{close}",
            mermaid_id(&graph.at(n.index).id)
        );
    }
    for e in edges {
        let from = mermaid_id(&graph.at(e.from).id);
        let to = mermaid_id(&graph.at(e.to).id);
        if e.depends_on {
            let _ = writeln!(out, "  {from} -. depends_on .-> {to}");
        } else {
            let _ = writeln!(out, "  {from} --> {to}");
        }
    }
    let class = |out: &mut String, name: &str, pick: &dyn Fn(&Node) -> bool| {
        let ids: Vec<String> = nodes
            .iter()
            .filter(|n| pick(n))
            .map(|n| mermaid_id(&graph.at(n.index).id))
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(out, "  class {} {name}", ids.join(","));
        }
    };
    out.push_str("  classDef head stroke-width:3px\n");
    out.push_str("  classDef current fill:#cfe2ff\n");
    class(&mut out, "head", &|n| n.head);
    class(&mut out, "current", &|n| n.current);
    out
}
