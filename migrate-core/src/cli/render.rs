//! The read-only commands' output (`heads`, `history`, `branches`, `show`, `current`) in
//! Alembic's formats, line for line (Alembic 1.x `Script.cmd_format` / `log_entry`, checked
//! against `alembic` itself; the tests in `cargo-migrate/tests/cli.rs` hold its output):
//!
//! ```text
//! heads      a003 (A) (head)
//! history    b001 (a002) -> b002 (B) (head), b two        parents (depends_on) -> id (labels) tags, message
//! branches   r0 (branchpoint)
//!               -> r1
//!               -> r2 (head)
//! current    m3 (head) (mergepoint)
//! -v, show   Rev: / Parent: or Merges: / Also depends on: / Branches into: / Branch names: /
//!            Path: / the docstring, indented
//! ```
//!
//! Labels are the ones Alembic shows ([`display_labels`]); tags follow Alembic's order:
//! `(head)` (no child and nothing depends on it) or `(effective head)` (no child, but a
//! `depends_on` names it), `(current)`, `(branchpoint)`, `(mergepoint)`.
//!
//! In `show` and `history -r`, `-N` counts from the heads, as in Alembic (`show -1`: one below
//! each head; `label@-1`: one below the heads of that branch); `+N` (ours) counts from the
//! database's current revision.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::graph::{Graph, RevisionInfo};
use crate::spec::{self, PlanError, Spec};
use crate::{Error, cli::DbCommand};

/// What the output shows of a revision beyond the graph: its docstring (Alembic prints the
/// whole of it, with the `Create Date:` line, in `history --verbose` and `show`). Without one,
/// the message stands in for it.
pub type Docstring<'a> = &'a dyn Fn(&RevisionInfo) -> Option<String>;

/// Renders `heads`, `history`, `branches` and `show` from the graph alone, in Alembic's
/// formats (module docs), and `graph` ([`crate::graph::picture`]). `applied`, when given,
/// marks the current revision(s) (`history -i`, `graph -i`). Other commands render nothing.
///
/// # Errors
/// [`Error::Plan`] when a revision or range cannot be resolved.
pub fn render_graph_command(
    graph: &Graph,
    command: &DbCommand,
    applied: Option<&BTreeSet<usize>>,
    out: &mut String,
) -> Result<(), Error> {
    render_graph_command_with(graph, command, applied, &|_| None, out)
}

/// [`render_graph_command`], with each revision's docstring from `docstring` (`cargo
/// migrate` reads it from the revision file).
///
/// # Errors
/// [`Error::Plan`] when a revision or range cannot be resolved.
pub fn render_graph_command_with(
    graph: &Graph,
    command: &DbCommand,
    applied: Option<&BTreeSet<usize>>,
    docstring: Docstring<'_>,
    out: &mut String,
) -> Result<(), Error> {
    let view = View::new(graph, applied, docstring);
    let selected = selected(graph, command, applied, &view.dependents)?;
    match command {
        DbCommand::Heads { verbose, .. } => {
            for h in selected {
                if *verbose {
                    view.log_entry(h, out);
                } else {
                    let _ = writeln!(out, "{}", view.head_only(h, Show::HEADS));
                }
            }
        }
        DbCommand::History { verbose, .. } => {
            for i in selected {
                if *verbose {
                    view.log_entry(i, out);
                } else {
                    let _ = writeln!(out, "{}", view.head_only(i, Show::HISTORY));
                }
            }
        }
        DbCommand::Branches { verbose } => {
            for i in selected {
                if *verbose {
                    view.log_entry(i, out);
                } else {
                    let _ = writeln!(out, "{}", view.head_only(i, Show::BRANCH_POINT));
                }
                let indent = " ".repeat(graph.at(i).id.chars().count());
                for c in sorted_children(graph, i) {
                    let show = Show {
                        doc: *verbose,
                        ..Show::BRANCH_POINT
                    };
                    let _ = writeln!(out, "{indent} -> {}", view.head_only(c, show));
                }
                out.push('\n');
            }
        }
        DbCommand::Show { .. } => {
            for i in selected {
                view.log_entry(i, out);
            }
        }
        DbCommand::Graph { format, range, .. } => {
            use crate::graph::picture;
            let none = BTreeSet::new();
            let current = applied.unwrap_or(&none);
            let options = picture::Options {
                only: range
                    .as_deref()
                    .map(|r| spec::history_range(graph, current, r))
                    .transpose()?,
                current: applied
                    .map(|a| crate::plan::current_heads(graph, a).into_iter().collect())
                    .unwrap_or_default(),
            };
            out.push_str(&picture::render(graph, &options, (*format).into()));
        }
        _ => {}
    }
    Ok(())
}

/// The revisions a graph command lists, in its output order: `heads` (file order, without
/// effective heads under `--resolve-dependencies`), `history` (newest first), `branches`
/// (the branch points), `show`. Shared by the human and the JSON output. Other commands:
/// none.
///
/// # Errors
/// [`Error::Plan`] when a revision or range cannot be resolved.
pub(crate) fn selected(
    graph: &Graph,
    command: &DbCommand,
    applied: Option<&BTreeSet<usize>>,
    dependents: &[usize],
) -> Result<Vec<usize>, Error> {
    let none = BTreeSet::new();
    let current = applied.unwrap_or(&none);
    Ok(match command {
        DbCommand::Heads {
            resolve_dependencies,
            ..
        } => {
            // Alembic lists its heads in file order (`RevisionMap.heads`)
            let mut heads = graph.heads();
            heads.sort_by_key(|&h| graph.input_position(h));
            // under --resolve-dependencies an effective head (something depends on it) is
            // not listed
            heads.retain(|&h| !(*resolve_dependencies && dependents[h] > 0));
            heads
        }
        DbCommand::History { rev_range, .. } => {
            let revs: Vec<usize> = match rev_range {
                Some(r) => spec::history_range(graph, current, r)?,
                None => (0..graph.len()).collect(),
            };
            revs.into_iter().rev().collect()
        }
        DbCommand::Branches { .. } => (0..graph.len())
            .rev()
            .filter(|&i| graph.children_of(i).len() >= 2)
            .collect(),
        DbCommand::Show { revision } => resolve_show(graph, current, revision)?,
        _ => Vec::new(),
    })
}

/// A revision's children in file order (Alembic lists a frozenset, with no fixed order: file
/// order reads best).
pub(crate) fn sorted_children(graph: &Graph, i: usize) -> Vec<usize> {
    let mut children = graph.children_of(i).to_vec();
    children.sort_by_key(|&c| graph.input_position(c));
    children
}

/// One line of `current`: `id (head) (branchpoint) (mergepoint)` (Alembic's `current`
/// shows no branch label).
pub fn current_line(graph: &Graph, i: usize) -> String {
    View::new(graph, None, &|_| None).head_only(i, Show::CURRENT)
}

/// A revision's verbose entry (`current --verbose`), as [`render_graph_command`] writes it
/// for `show`.
pub fn log_entry(graph: &Graph, i: usize, out: &mut String) {
    View::new(graph, None, &|_| None).log_entry(i, out);
}

/// What a one-line entry shows (Alembic's `_head_only` arguments).
#[derive(Clone, Copy)]
struct Show {
    parents: bool,
    labels: bool,
    doc: bool,
    tree: bool,
}

impl Show {
    const HEADS: Show = Show {
        parents: false,
        labels: true,
        doc: false,
        tree: false,
    };
    const HISTORY: Show = Show {
        parents: true,
        labels: true,
        doc: true,
        tree: true,
    };
    const BRANCH_POINT: Show = Show {
        parents: false,
        labels: true,
        doc: false,
        tree: true,
    };
    const CURRENT: Show = Show {
        parents: false,
        labels: false,
        doc: false,
        tree: true,
    };
}

/// The graph as the output shows it.
struct View<'a> {
    graph: &'a Graph,
    applied: Option<&'a BTreeSet<usize>>,
    docstring: Docstring<'a>,
    /// How many revisions name each one in `depends_on`.
    dependents: Vec<usize>,
    /// Each revision's labels as Alembic shows them, sorted.
    labels: Vec<Vec<&'a str>>,
}

impl<'a> View<'a> {
    fn new(
        graph: &'a Graph,
        applied: Option<&'a BTreeSet<usize>>,
        docstring: Docstring<'a>,
    ) -> View<'a> {
        let dependents = dependents(graph);
        let labels = display_labels(graph, &dependents);
        View {
            graph,
            applied,
            docstring,
            dependents,
            labels,
        }
    }

    fn ids(&self, v: &[usize]) -> String {
        v.iter()
            .map(|&i| self.graph.at(i).id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn parents(&self, i: usize) -> String {
        match self.graph.parents_of(i) {
            [] => "<base>".to_owned(),
            p => self.ids(p),
        }
    }

    fn is_current(&self, i: usize) -> bool {
        self.applied.is_some_and(|a| {
            a.contains(&i) && !self.graph.children_of(i).iter().any(|c| a.contains(c))
        })
    }

    /// Alembic's `_head_only`.
    fn head_only(&self, i: usize, show: Show) -> String {
        let g = self.graph;
        let r = g.at(i);
        let mut s = String::new();
        if show.parents {
            s.push_str(&self.parents(i));
            if !g.dependencies_of(i).is_empty() {
                let _ = write!(s, " ({})", self.ids(g.dependencies_of(i)));
            }
            s.push_str(" -> ");
        }
        s.push_str(&r.id);
        if show.labels && !self.labels[i].is_empty() {
            let _ = write!(s, " ({})", self.labels[i].join(", "));
        }
        let childless = g.children_of(i).is_empty();
        if childless && self.dependents[i] == 0 {
            s.push_str(" (head)");
        } else if childless {
            s.push_str(" (effective head)");
        }
        if self.is_current(i) {
            s.push_str(" (current)");
        }
        if show.tree {
            if g.children_of(i).len() > 1 {
                s.push_str(" (branchpoint)");
            }
            if g.parents_of(i).len() > 1 {
                s.push_str(" (mergepoint)");
            }
        }
        if show.doc {
            let _ = write!(s, ", {}", r.message);
        }
        s
    }

    /// Alembic's `log_entry`, followed by the blank line `print` adds.
    fn log_entry(&self, i: usize, out: &mut String) {
        let g = self.graph;
        let r = g.at(i);
        let children = g.children_of(i);
        let _ = write!(out, "Rev: {}", r.id);
        if children.is_empty() {
            out.push_str(" (head)");
        }
        if children.len() > 1 {
            out.push_str(" (branchpoint)");
        }
        if g.parents_of(i).len() > 1 {
            out.push_str(" (mergepoint)");
        }
        if self.is_current(i) {
            out.push_str(" (current)");
        }
        out.push('\n');
        if g.parents_of(i).len() > 1 {
            let _ = writeln!(out, "Merges: {}", self.parents(i));
        } else {
            let _ = writeln!(out, "Parent: {}", self.parents(i));
        }
        if !g.dependencies_of(i).is_empty() {
            let _ = writeln!(out, "Also depends on: {}", self.ids(g.dependencies_of(i)));
        }
        if children.len() > 1 {
            let _ = writeln!(out, "Branches into: {}", self.ids(children));
        }
        if !self.labels[i].is_empty() {
            let _ = writeln!(out, "Branch names: {}", self.labels[i].join(", "));
        }
        let _ = writeln!(out, "Path: {}", r.file);
        out.push('\n');
        let doc = (self.docstring)(r).unwrap_or_else(|| r.message.clone());
        for line in doc.trim().lines() {
            let _ = writeln!(out, "    {line}");
        }
        out.push('\n');
    }
}

pub(crate) fn dependents(graph: &Graph) -> Vec<usize> {
    let mut n = vec![0; graph.len()];
    for i in 0..graph.len() {
        for &d in graph.dependencies_of(i) {
            n[d] += 1;
        }
    }
    n
}

/// Each revision's branch labels as Alembic shows them (`RevisionMap._add_branches`), sorted:
/// a label applies to the revision declaring it and to its descendants through
/// `down_revision`; and when those form one chain, it also applies to the ancestors below
/// the labeled revision, walking down until a revision that is a branch point (counting
/// `depends_on` dependents, Alembic's "real" branch point) or a merge point. Alembic walks
/// down from its last descendant, which stops inside a branch that forks; the chain rule
/// says the same without depending on an iteration order.
///
/// So in `a1 -> a2 (label X) -> a3`, `a1` shows `(X)` too, as in `alembic history`. Only the
/// output uses this rule: `label@…` specs scope to [`Graph::labels_of`].
fn display_labels<'a>(graph: &'a Graph, dependents: &[usize]) -> Vec<Vec<&'a str>> {
    let n = graph.len();
    let mut labels: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); n];
    let real_branch_point = |i: usize| graph.children_of(i).len() + dependents[i] > 1;
    let merge_point = |i: usize| graph.parents_of(i).len() > 1;
    for l in 0..n {
        let own = &graph.at(l).branch_labels;
        if own.is_empty() {
            continue;
        }
        // descendants through down_revision: topological order, one forward pass
        let mut desc = vec![false; n];
        desc[l] = true;
        let mut chain = true;
        for i in l..n {
            if i > l && graph.parents_of(i).iter().any(|&p| desc[p]) {
                desc[i] = true;
            }
            if desc[i] {
                chain &= graph.children_of(i).len() <= 1;
                labels[i].extend(own.iter().map(String::as_str));
            }
        }
        if !chain {
            continue;
        }
        // the chain from its tip down: stop at a real branch point or a merge point
        let mut at = Some(l);
        let mut stopped = (l..n).any(|i| desc[i] && (real_branch_point(i) || merge_point(i)));
        while let Some(i) = at
            && !stopped
        {
            at = graph.parents_of(i).first().copied();
            if let Some(p) = at {
                if real_branch_point(p) || merge_point(p) {
                    stopped = true;
                } else {
                    labels[p].extend(own.iter().map(String::as_str));
                }
            }
        }
    }
    labels
        .into_iter()
        .map(|s| s.into_iter().collect())
        .collect()
}

/// `-N` or `label@-N` (N ≥ 1): counted from the heads in `show` and `history -r`, as in
/// Alembic. Returns the label and N (negative).
fn from_heads(spec: &Spec) -> Option<(Option<&str>, i64)> {
    match spec {
        Spec::Relative(n) if *n < 0 => Some((None, *n)),
        Spec::Label { label, target } => match **target {
            Spec::Relative(n) if n < 0 => Some((Some(label.as_str()), n)),
            _ => None,
        },
        _ => None,
    }
}

/// The specs `spec` stands for: `-N` becomes `<head>-N` for each head (of the branch, for
/// `label@-N`), anything else itself.
fn expand(graph: &Graph, spec: &Spec) -> Result<Vec<String>, PlanError> {
    let Some((label, n)) = from_heads(spec) else {
        return Ok(vec![spec.to_string()]);
    };
    if let Some(l) = label
        && graph.labeled(l).is_none()
    {
        return Err(PlanError::UnknownBranch(l.to_owned()));
    }
    // Alembic walks from its heads in file order
    let mut heads = graph.heads();
    heads.sort_by_key(|&h| graph.input_position(h));
    Ok(heads
        .into_iter()
        .filter(|&h| label.is_none_or(|l| graph.labels_of(h).contains(l)))
        .map(|h| format!("{}{n}", graph.at(h).id))
        .collect())
}

/// The revisions `show` prints, in order: [`spec::resolve`], with `-N` counted from each head.
fn resolve_show(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    text: &str,
) -> Result<Vec<usize>, PlanError> {
    let parsed = Spec::parse(text)?;
    if from_heads(&parsed).is_none() {
        return spec::resolve(graph, applied, text);
    }
    let mut out = Vec::new();
    for s in expand(graph, &parsed)? {
        for i in spec::resolve(graph, applied, &s)? {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    Ok(out)
}

/// A hint for an error where users get stuck, printed after it on its line, or `None`.
///
/// - A revision that fails because an object it creates already exists (PostgreSQL
///   `relation "users" already exists`, MySQL `Table 'users' already exists`, SQLite `table
///   users already exists`): the database was most likely created by hand or by another
///   tool; `stamp` records that it already has the schema.
pub fn hint(err: &Error) -> Option<String> {
    match err {
        Error::RevisionFailed {
            direction,
            revision,
            source,
            ..
        } if *direction == "upgrade" && source.to_string().contains("already exists") => {
            Some(format!(
                "hint: the database already has what revision {revision} creates (was it \
                 created by hand or by another tool?); if its schema already matches revision \
                 {revision} or a later one, record that without running anything with `cargo \
                 migrate stamp {revision}` (or the later revision), then upgrade from there"
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::RevisionInfo;

    fn labels_of(revs: Vec<RevisionInfo>) -> Vec<(String, Vec<String>)> {
        let g = Graph::new(revs).unwrap();
        let d = dependents(&g);
        display_labels(&g, &d)
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                (
                    g.at(i).id.clone(),
                    l.into_iter().map(str::to_owned).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn an_object_that_already_exists_suggests_stamp() {
        let failed = |direction: &'static str, db_says: &str| Error::RevisionFailed {
            direction,
            revision: "3f2a9c1b7e4d".into(),
            message: "create users".into(),
            statement: None,
            rolled_back: true,
            ran: Vec::new(),
            parent: "base".into(),
            also_rolled_back: Vec::new(),
            source: db_says.into(),
        };
        // each backend's words (PostgreSQL 42P07, MySQL 1050, SQLite)
        for says in [
            "error returned from database: relation \"users\" already exists",
            "error returned from database: 1050 (42S01): Table 'users' already exists",
            "error returned from database: (code: 1) table users already exists",
        ] {
            let hint = hint(&failed("upgrade", says)).expect(says);
            assert!(
                hint.contains("`cargo migrate stamp 3f2a9c1b7e4d`"),
                "{hint}"
            );
        }
        assert_eq!(hint(&failed("upgrade", "no such table: users")), None);
        assert_eq!(
            hint(&failed("downgrade", "table users already exists")),
            None
        );
    }

    #[test]
    fn labels_spread_as_alembic_shows_them() {
        // alembic 1.20 `history`: `<base> -> a1 (X), one` / `a1 -> a2 (X), two` /
        // `a2 -> a3 (X) (head), three`
        let l = labels_of(vec![
            RevisionInfo::new("a1", &[]),
            RevisionInfo::new("a2", &["a1"]).with_labels(&["X"]),
            RevisionInfo::new("a3", &["a2"]),
        ]);
        for (id, labels) in &l {
            assert_eq!(labels, &["X"], "{id}");
        }
        // a branch point below the label stops the spread: alembic `branches` on this graph
        // prints `m0 (branchpoint)` / `   -> m2` / `   -> m1 (L)`
        let l = labels_of(vec![
            RevisionInfo::new("m0", &[]),
            RevisionInfo::new("m1", &["m0"]).with_labels(&["L"]),
            RevisionInfo::new("m2", &["m0"]),
            RevisionInfo::new("m3", &["m1", "m2"]),
        ]);
        let expected: [(&str, &[&str]); 4] =
            [("m0", &[]), ("m1", &["L"]), ("m2", &[]), ("m3", &["L"])];
        // compared by id: the graph's order of m1 and m2 is Alembic's, not the file's
        let mut l = l;
        l.sort();
        for ((id, labels), (eid, el)) in l.iter().zip(expected) {
            assert_eq!(
                (id.as_str(), labels.clone()),
                (eid, el.iter().map(|s| s.to_string()).collect())
            );
        }
    }
}
