//! The revision graph: revisions linked by their `down_revision` parent pointers, as in Alembic.
//!
//! **This module does no IO.** It is shared by the `migrations!()` registry macro (compile-time
//! chain check), the runner and the `cargo migrate` CLI, so all three agree on what a valid
//! graph is.
//!
//! Internally revisions are addressed by their index in [`Graph::revisions`], which is a
//! topological order (every revision comes after all of its parents and `depends_on`
//! dependencies). All queries are linear in the size of the graph or better.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::fmt;

/// One revision as the graph sees it: its id, its parents and its labels.
///
/// Built by the registry macro from a revision file's `#[migration(...)]` attribute and
/// docstring, or by the CLI from the same file text (see `migrate_core::source`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionInfo {
    /// The revision id (`revision = "…"`): 12 lowercase hex characters by default, or
    /// `[a-z0-9_]+` when given by hand.
    pub id: String,
    /// Parent revision ids (`down_revision`): empty for a base, two or more for a merge.
    pub down_revisions: Vec<String>,
    /// Branch labels declared on this revision (`branch_labels = ["…"]`).
    pub branch_labels: Vec<String>,
    /// Cross-branch dependencies that are not parents (`depends_on = ["…"]`), with Alembic's
    /// `depends_on` semantics: they must be applied first, but the revision is not their child.
    pub depends_on: Vec<String>,
    /// The one-line message (the first line of the file's docstring).
    pub message: String,
    /// The file that declares the revision, for error messages (relative to the crate root
    /// when known).
    pub file: String,
}

impl RevisionInfo {
    /// A revision with the given id and parents, an empty message and no file; handy in tests.
    pub fn new(id: &str, down_revisions: &[&str]) -> Self {
        RevisionInfo {
            id: id.to_owned(),
            down_revisions: down_revisions.iter().map(|s| (*s).to_owned()).collect(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            message: String::new(),
            file: format!("{id}.rs"),
        }
    }

    /// Builder: adds branch labels.
    pub fn with_labels(mut self, labels: &[&str]) -> Self {
        self.branch_labels
            .extend(labels.iter().map(|s| (*s).to_owned()));
        self
    }

    /// Builder: adds `depends_on` dependencies.
    pub fn with_depends_on(mut self, deps: &[&str]) -> Self {
        self.depends_on.extend(deps.iter().map(|s| (*s).to_owned()));
        self
    }
}

/// A problem with the revision graph. Every variant names the revision id(s) and file(s)
/// involved, and its message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// Two or more files declare the same revision id.
    #[error(
        "revision `{id}` is declared more than once, in {}; \
         fix: give each file its own id (`cargo migrate revision` generates a fresh one)",
        quoted(files)
    )]
    DuplicateRevision {
        /// The duplicated id.
        id: String,
        /// Every file that declares it.
        files: Vec<String>,
    },
    /// A `down_revision` names a revision that no file declares.
    #[error(
        "revision `{id}` in `{file}` has down_revision `{parent}`, which no revision declares; \
         fix: point down_revision at an existing revision (see `cargo migrate heads`) or restore \
         the missing revision file"
    )]
    MissingParent {
        /// The revision whose parent is missing.
        id: String,
        /// Its file.
        file: String,
        /// The missing parent id.
        parent: String,
    },
    /// A `depends_on` names a revision that no file declares.
    #[error(
        "revision `{id}` in `{file}` depends_on `{dependency}`, which no revision declares; \
         fix: name an existing revision or remove it from depends_on"
    )]
    MissingDependency {
        /// The revision whose dependency is missing.
        id: String,
        /// Its file.
        file: String,
        /// The missing dependency id.
        dependency: String,
    },
    /// Following `down_revision` / `depends_on` pointers leads back to where it started.
    #[error(
        "revisions form a cycle: {}; fix: a revision's down_revision must name an older \
         revision, never itself or one of its descendants",
        cycle_text(ids, files)
    )]
    Cycle {
        /// The revisions on the cycle, in order (the first repeats after the last).
        ids: Vec<String>,
        /// Their files, in the same order.
        files: Vec<String>,
    },
    /// Two or more heads that are not distinguished by branch labels: a fork nobody merged.
    #[error(
        "multiple heads: {}; two revisions share an ancestor and nobody merged them; \
         fix: create a merge revision with `cargo migrate merge heads -m \"merge\"`, or give \
         each branch its own branch_labels if the fork is deliberate",
        id_files(ids, files)
    )]
    MultipleHeads {
        /// The head revisions in conflict.
        ids: Vec<String>,
        /// Their files, in the same order.
        files: Vec<String>,
    },
    /// Two or more bases (revisions with no down_revision) without branch labels.
    #[error(
        "multiple bases: {}; only one revision may have no down_revision unless each extra \
         base starts a labeled branch; fix: set down_revision to the current head, or add \
         branch_labels to the new base",
        id_files(ids, files)
    )]
    MultipleBases {
        /// The base revisions in conflict.
        ids: Vec<String>,
        /// Their files, in the same order.
        files: Vec<String>,
    },
    /// The same branch label is declared on two revisions.
    #[error(
        "branch label `{label}` is declared on more than one revision: {}; fix: a label names \
         one branch, declare it once on the revision that starts the branch",
        id_files(ids, files)
    )]
    DuplicateBranchLabel {
        /// The label.
        label: String,
        /// The revisions declaring it.
        ids: Vec<String>,
        /// Their files.
        files: Vec<String>,
    },
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn id_files(ids: &[String], files: &[String]) -> String {
    ids.iter()
        .zip(files)
        .map(|(id, f)| format!("`{id}` (in `{f}`)"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cycle_text(ids: &[String], files: &[String]) -> String {
    let mut s = id_files(ids, files).replace(", ", " -> ");
    if let Some(first) = ids.first() {
        s.push_str(&format!(" -> `{first}`"));
    }
    s
}

/// All problems found in a set of revisions, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphErrors(pub Vec<GraphError>);

impl fmt::Display for GraphErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphErrors {}

/// A checked revision graph.
///
/// Invariants (established by [`Graph::new`]): ids are unique, every parent and dependency
/// exists, there is no cycle, and heads and bases are distinguished by branch labels.
/// [`Graph::revisions`] is in topological order.
#[derive(Debug, Clone)]
pub struct Graph {
    revs: Vec<RevisionInfo>,
    index: HashMap<String, usize>,
    parents: Vec<Vec<usize>>,
    deps: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
}

/// Checks a set of revisions and returns every problem found (empty when the graph is
/// valid). This is the one compile-time chain check: the `migrations!()` macro calls it, the
/// CLI's `check` command and [`Graph::new`] too.
///
/// Same rules as Alembic, stricter where Alembic fails late: duplicate ids, dangling
/// `down_revision` or `depends_on`, cycles, unmerged heads and unlabeled extra bases are
/// errors.
pub fn check(revs: &[RevisionInfo]) -> Vec<GraphError> {
    match Graph::build(revs.to_vec()) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    }
}

impl Graph {
    /// Checks `revs` (any order) and builds the graph.
    ///
    /// # Errors
    /// [`GraphErrors`] with every problem [`check`] finds.
    pub fn new(revs: Vec<RevisionInfo>) -> Result<Graph, GraphErrors> {
        Graph::build(revs)
    }

    fn build(revs: Vec<RevisionInfo>) -> Result<Graph, GraphErrors> {
        let mut errors = Vec::new();

        // 1. unique ids
        let mut index: HashMap<String, usize> = HashMap::with_capacity(revs.len());
        let mut dup: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, r) in revs.iter().enumerate() {
            if let Some(&first) = index.get(&r.id) {
                match dup.iter_mut().find(|(id, _)| *id == r.id) {
                    Some((_, v)) => v.push(i),
                    None => dup.push((r.id.clone(), vec![first, i])),
                }
            } else {
                index.insert(r.id.clone(), i);
            }
        }
        for (id, is) in &dup {
            errors.push(GraphError::DuplicateRevision {
                id: id.clone(),
                files: is.iter().map(|&i| revs[i].file.clone()).collect(),
            });
        }

        // 2. edges; dangling references
        let n = revs.len();
        let mut parents = vec![Vec::new(); n];
        let mut deps = vec![Vec::new(); n];
        let mut children = vec![Vec::new(); n];
        for (i, r) in revs.iter().enumerate() {
            if index.get(&r.id) != Some(&i) {
                continue; // a duplicate: its edges would only repeat the error
            }
            for p in &r.down_revisions {
                match index.get(p) {
                    Some(&pi) => {
                        parents[i].push(pi);
                        children[pi].push(i);
                    }
                    None => errors.push(GraphError::MissingParent {
                        id: r.id.clone(),
                        file: r.file.clone(),
                        parent: p.clone(),
                    }),
                }
            }
            for d in &r.depends_on {
                match index.get(d) {
                    Some(&di) => deps[i].push(di),
                    None => errors.push(GraphError::MissingDependency {
                        id: r.id.clone(),
                        file: r.file.clone(),
                        dependency: d.clone(),
                    }),
                }
            }
        }

        // 3. topological order (Kahn); ties broken by input order so the result is stable
        let mut indegree: Vec<usize> = (0..n).map(|i| parents[i].len() + deps[i].len()).collect();
        let mut dependents = vec![Vec::new(); n];
        for (i, ds) in deps.iter().enumerate() {
            for &d in ds {
                dependents[d].push(i);
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&i| indegree[i] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &c in children[i].iter().chain(&dependents[i]) {
                indegree[c] -= 1;
                if indegree[c] == 0 {
                    ready.push(Reverse(c));
                }
            }
        }
        if order.len() < n {
            let in_cycle: Vec<bool> = indegree.iter().map(|&d| d > 0).collect();
            let cycle = find_cycle(&in_cycle, &parents, &deps);
            errors.push(GraphError::Cycle {
                ids: cycle.iter().map(|&i| revs[i].id.clone()).collect(),
                files: cycle.iter().map(|&i| revs[i].file.clone()).collect(),
            });
        }

        // 4. labels: unique, and they must tell extra heads and bases apart
        let mut label_owner: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in revs.iter().enumerate() {
            for l in &r.branch_labels {
                let owners = label_owner.entry(l.as_str()).or_default();
                if !owners.contains(&i) {
                    owners.push(i);
                }
            }
        }
        let mut dup_labels: Vec<_> = label_owner.iter().filter(|(_, v)| v.len() > 1).collect();
        dup_labels.sort();
        for (label, is) in dup_labels {
            errors.push(GraphError::DuplicateBranchLabel {
                label: (*label).to_owned(),
                ids: is.iter().map(|&i| revs[i].id.clone()).collect(),
                files: is.iter().map(|&i| revs[i].file.clone()).collect(),
            });
        }

        if errors.is_empty() {
            let bases: Vec<usize> = (0..n).filter(|&i| parents[i].is_empty()).collect();
            let unlabeled: Vec<usize> = bases
                .iter()
                .copied()
                .filter(|&i| revs[i].branch_labels.is_empty())
                .collect();
            if unlabeled.len() > 1 {
                errors.push(GraphError::MultipleBases {
                    ids: unlabeled.iter().map(|&i| revs[i].id.clone()).collect(),
                    files: unlabeled.iter().map(|&i| revs[i].file.clone()).collect(),
                });
            }
            let heads: Vec<usize> = (0..n).filter(|&i| children[i].is_empty()).collect();
            // unlabeled extra bases already explain extra heads: report the cause only
            if heads.len() > 1 && unlabeled.len() <= 1 {
                // Heads are told apart by the labels on their ancestry (Alembic's branch
                // labels apply to a revision and every descendant on its branch).
                let mut groups: Vec<(BTreeSet<&str>, Vec<usize>)> = Vec::new();
                for &h in &heads {
                    let labels = inherited_labels(h, &revs, &parents);
                    match groups.iter_mut().find(|(l, _)| *l == labels) {
                        Some((_, v)) => v.push(h),
                        None => groups.push((labels, vec![h])),
                    }
                }
                for (_, hs) in groups.into_iter().filter(|(_, v)| v.len() > 1) {
                    errors.push(GraphError::MultipleHeads {
                        ids: hs.iter().map(|&i| revs[i].id.clone()).collect(),
                        files: hs.iter().map(|&i| revs[i].file.clone()).collect(),
                    });
                }
            }
        }

        if !errors.is_empty() {
            return Err(GraphErrors(errors));
        }

        // Re-index in topological order.
        let mut pos = vec![0usize; n];
        for (new, &old) in order.iter().enumerate() {
            pos[old] = new;
        }
        let remap = |v: &Vec<usize>| v.iter().map(|&i| pos[i]).collect::<Vec<_>>();
        let mut slots: Vec<Option<RevisionInfo>> = revs.into_iter().map(Some).collect();
        let revs: Vec<RevisionInfo> = order
            .iter()
            .map(|&o| slots[o].take().expect("once"))
            .collect();
        let parents: Vec<Vec<usize>> = order.iter().map(|&o| remap(&parents[o])).collect();
        let deps: Vec<Vec<usize>> = order.iter().map(|&o| remap(&deps[o])).collect();
        let children: Vec<Vec<usize>> = order
            .iter()
            .map(|&o| {
                let mut c = remap(&children[o]);
                c.sort_unstable();
                c
            })
            .collect();
        let index = revs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Ok(Graph {
            revs,
            index,
            parents,
            deps,
            children,
        })
    }

    /// All revisions in topological order: parents (and `depends_on`) before children.
    pub fn revisions(&self) -> &[RevisionInfo] {
        &self.revs
    }

    /// Number of revisions.
    pub fn len(&self) -> usize {
        self.revs.len()
    }

    /// True when the graph has no revision.
    pub fn is_empty(&self) -> bool {
        self.revs.is_empty()
    }

    /// The topological index of a revision id, if it exists.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The revision with this exact id.
    pub fn get(&self, id: &str) -> Option<&RevisionInfo> {
        self.index_of(id).map(|i| &self.revs[i])
    }

    /// The revision at a topological index. Panics when out of range.
    pub fn at(&self, index: usize) -> &RevisionInfo {
        &self.revs[index]
    }

    /// Parent indices of a revision (its `down_revision`s).
    pub fn parents_of(&self, index: usize) -> &[usize] {
        &self.parents[index]
    }

    /// `depends_on` indices of a revision.
    pub fn dependencies_of(&self, index: usize) -> &[usize] {
        &self.deps[index]
    }

    /// Child indices of a revision (revisions whose `down_revision` names it), ascending.
    pub fn children_of(&self, index: usize) -> &[usize] {
        &self.children[index]
    }

    /// Head indices (revisions with no child), ascending.
    pub fn heads(&self) -> Vec<usize> {
        (0..self.revs.len())
            .filter(|&i| self.children[i].is_empty())
            .collect()
    }

    /// Base indices (revisions with no parent), ascending.
    pub fn bases(&self) -> Vec<usize> {
        (0..self.revs.len())
            .filter(|&i| self.parents[i].is_empty())
            .collect()
    }

    /// The revision carrying branch label `label`.
    pub fn labeled(&self, label: &str) -> Option<usize> {
        self.revs
            .iter()
            .position(|r| r.branch_labels.iter().any(|l| l == label))
    }

    /// Marks every ancestor of `roots` (parents and `depends_on`, transitively), the roots
    /// included. Linear in the graph size.
    pub fn ancestors_mask(&self, roots: &[usize]) -> Vec<bool> {
        let mut mask = vec![false; self.revs.len()];
        let mut stack: Vec<usize> = roots.to_vec();
        while let Some(i) = stack.pop() {
            if !mask[i] {
                mask[i] = true;
                stack.extend(self.parents[i].iter().chain(&self.deps[i]).copied());
            }
        }
        mask
    }

    /// Marks every descendant of `roots` (children and revisions that depend on them,
    /// transitively), the roots included. Linear in the graph size.
    pub fn descendants_mask(&self, roots: &[usize]) -> Vec<bool> {
        let mut mask = vec![false; self.revs.len()];
        for &r in roots {
            mask[r] = true;
        }
        // topological order: one forward pass suffices
        let start = roots.iter().copied().min().unwrap_or(self.revs.len());
        for i in start..self.revs.len() {
            if !mask[i]
                && self.parents[i]
                    .iter()
                    .chain(&self.deps[i])
                    .any(|&p| mask[p])
            {
                mask[i] = true;
            }
        }
        mask
    }

    /// Branch labels that apply to a revision: its own and those of its ancestors through
    /// `down_revision` (as Alembic: a label covers its revision and the branch after it).
    pub fn labels_of(&self, index: usize) -> BTreeSet<&str> {
        let mask = self.ancestors_mask_parents_only(index);
        self.revs
            .iter()
            .zip(mask)
            .filter(|(_, m)| *m)
            .flat_map(|(r, _)| r.branch_labels.iter().map(String::as_str))
            .collect()
    }

    fn ancestors_mask_parents_only(&self, index: usize) -> Vec<bool> {
        let mut mask = vec![false; self.revs.len()];
        let mut stack = vec![index];
        while let Some(i) = stack.pop() {
            if !mask[i] {
                mask[i] = true;
                stack.extend(self.parents[i].iter().copied());
            }
        }
        mask
    }
}

fn inherited_labels<'a>(
    head: usize,
    revs: &'a [RevisionInfo],
    parents: &[Vec<usize>],
) -> BTreeSet<&'a str> {
    let mut seen = vec![false; revs.len()];
    let mut stack = vec![head];
    let mut labels = BTreeSet::new();
    while let Some(i) = stack.pop() {
        if !seen[i] {
            seen[i] = true;
            labels.extend(revs[i].branch_labels.iter().map(String::as_str));
            stack.extend(parents[i].iter().copied());
        }
    }
    labels
}

/// Finds one cycle among the nodes marked `in_cycle` (nodes Kahn's algorithm could not order).
fn find_cycle(in_cycle: &[bool], parents: &[Vec<usize>], deps: &[Vec<usize>]) -> Vec<usize> {
    let start = match in_cycle.iter().position(|&b| b) {
        Some(s) => s,
        None => return Vec::new(),
    };
    // Walk parent pointers that stay inside the unordered set until a node repeats. Every
    // unordered node has at least one unordered predecessor, so the walk never gets stuck.
    let mut pos_in_path: HashMap<usize, usize> = HashMap::new();
    let mut path = Vec::new();
    let mut cur = start;
    loop {
        if let Some(&p) = pos_in_path.get(&cur) {
            let mut cycle: Vec<usize> = path[p..].to_vec();
            cycle.reverse(); // parent -> child order reads as "a -> b" (b revises a)
            // rotate so the smallest index comes first: stable messages
            if let Some(min_pos) = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, v)| **v)
                .map(|(i, _)| i)
            {
                cycle.rotate_left(min_pos);
            }
            return cycle;
        }
        pos_in_path.insert(cur, path.len());
        path.push(cur);
        cur = match parents[cur]
            .iter()
            .chain(&deps[cur])
            .copied()
            .find(|&p| in_cycle[p])
        {
            Some(next) => next,
            None => return path,
        };
    }
}
