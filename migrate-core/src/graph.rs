//! The revision graph: revisions linked by their `down_revision` parent pointers, as in Alembic.
//!
//! **This module does no IO.** It is shared by the `migrations!()` registry macro (compile-time
//! chain check), the runner and the `cargo migrate` CLI, so all three agree on what a valid
//! graph is.
//!
//! Internally revisions are addressed by their index in [`Graph::revisions`], which is a
//! topological order (every revision comes after all of its parents and `depends_on`
//! dependencies). Edges are kept in flat arrays (one per direction, not one `Vec` per
//! revision) and ids in a hash table of indices, so the check and [`Graph::new`] allocate a
//! handful of arrays whatever the graph's size. The check and [`Graph::new`] are linear in
//! the size of the graph (the topological sort's heap adds a log of its width), and so are
//! the queries, or better.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use hashbrown::hash_table::Entry;
use hashbrown::{DefaultHashBuilder, HashTable};

mod lenient;
pub mod picture;

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
    /// Each is a revision id or a branch label (meaning the revision that declares the label).
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
         fix: point down_revision at an existing revision (each revision file's `Revision ID:` \
         line names one) or restore the missing revision file"
    )]
    MissingParent {
        /// The revision whose parent is missing.
        id: String,
        /// Its file.
        file: String,
        /// The missing parent id.
        parent: String,
    },
    /// A `depends_on` names neither a revision id nor a branch label that a file declares.
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
    index: IdIndex,
    up: UpEdges,
    children: Rows,
    /// Each revision's position in the input of [`Graph::new`] (the file order).
    input_pos: Vec<u32>,
}

/// Checks a set of revisions and returns every problem found (empty when the graph is
/// valid). This is the one compile-time chain check: the `migrations!()` macro calls it, the
/// CLI's `check` command and [`Graph::new`] too.
///
/// Same rules as Alembic, stricter where Alembic fails late: duplicate ids, dangling
/// `down_revision` or `depends_on`, cycles, unmerged heads and unlabeled extra bases are
/// errors.
///
/// Linear in the number of revisions and edges, without cloning the input.
pub fn check(revs: &[RevisionInfo]) -> Vec<GraphError> {
    match analyze(revs, false) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    }
}

impl Graph {
    /// Checks `revs` (any order) and builds the graph.
    ///
    /// # Errors
    /// [`GraphErrors`] with every problem [`check`] finds.
    pub fn new(revs: Vec<RevisionInfo>) -> Result<Graph, GraphErrors> {
        let analysis = analyze(&revs, false).map_err(GraphErrors)?;
        Ok(Graph::build(revs, analysis))
    }

    /// The graph of a valid analysis of `revs` (see [`Graph::new`]; `lenient.rs`).
    fn build(mut revs: Vec<RevisionInfo>, analysis: Analysis) -> Graph {
        let Analysis {
            mut index,
            up,
            order: kahn,
            ..
        } = analysis;

        // The index order is Alembic's full `history` order, oldest first: its topological
        // sort from every head (ordered by input position), reversed.
        let n = revs.len();
        let mut rank = vec![0u32; n];
        for (r, &i) in kahn.iter().enumerate() {
            rank[i] = r as u32;
        }
        let mut has_child = vec![false; n];
        for &p in up.to_parents() {
            has_child[p] = true;
        }
        let heads: Vec<usize> = (0..n).filter(|&i| !has_child[i]).collect();
        let mut order = alembic_sort(&up, &vec![true; n], &heads, |i| i as u32, |i| rank[i]);
        order.reverse();

        // Re-index in that order: one permutation of the revisions, their edges and the id
        // index.
        let mut pos = vec![0u32; n];
        for (new, &old) in order.iter().enumerate() {
            pos[old] = new as u32;
        }
        let mut dest = pos.clone();
        for i in 0..n {
            // every swap moves one revision to its final place
            while dest[i] as usize != i {
                let d = dest[i] as usize;
                revs.swap(i, d);
                dest.swap(i, d);
            }
        }
        let mut moved = UpEdges {
            start: Vec::with_capacity(n + 1),
            mid: Vec::with_capacity(n),
            to: Vec::with_capacity(up.to.len()),
        };
        moved.start.push(0);
        let renumber = |&p: &usize| pos[p] as usize;
        for &old in &order {
            moved.to.extend(up.parents(old).iter().map(renumber));
            moved.mid.push(moved.to.len());
            moved.to.extend(up.dependencies(old).iter().map(renumber));
            moved.start.push(moved.to.len());
        }
        index.renumber(&pos);
        // filled in index order, so each revision's children come out ascending
        let children = Rows::transpose(n, |i| moved.parents(i));
        let input_pos = order.iter().map(|&old| old as u32).collect();
        Graph {
            revs,
            index,
            up: moved,
            children,
            input_pos,
        }
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
        self.index.get(&self.revs, id)
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
        self.up.parents(index)
    }

    /// `depends_on` indices of a revision.
    pub fn dependencies_of(&self, index: usize) -> &[usize] {
        self.up.dependencies(index)
    }

    /// Child indices of a revision (revisions whose `down_revision` names it), ascending.
    pub fn children_of(&self, index: usize) -> &[usize] {
        self.children.row(index)
    }

    /// Head indices (revisions with no child), ascending.
    pub fn heads(&self) -> Vec<usize> {
        let start = &self.children.start;
        (0..self.revs.len())
            .filter(|&i| start[i] == start[i + 1])
            .collect()
    }

    /// Base indices (revisions with no parent), ascending.
    pub fn bases(&self) -> Vec<usize> {
        (0..self.revs.len())
            .filter(|&i| self.up.start[i] == self.up.mid[i])
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
                stack.extend_from_slice(self.up.all(i));
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
            if !mask[i] && self.up.all(i).iter().any(|&p| mask[p]) {
                mask[i] = true;
            }
        }
        mask
    }

    /// The real heads, ascending: heads ([`Graph::heads`]) that no revision `depends_on`
    /// (Alembic's `RevisionMap._real_heads`, what its `heads` spec resolves to). A head that
    /// another revision depends on is an "effective head" and is left out.
    pub fn real_heads(&self) -> Vec<usize> {
        let mut needed = vec![false; self.revs.len()];
        for i in 0..self.revs.len() {
            for &d in self.up.dependencies(i) {
                needed[d] = true;
            }
        }
        self.heads().into_iter().filter(|&h| !needed[h]).collect()
    }

    /// A revision's parents followed by the `depends_on` dependencies that no ancestor through
    /// `down_revision` also declares (Alembic's `Revision._normalized_down_revisions`).
    pub(crate) fn normalized_down(&self, index: usize) -> Vec<usize> {
        let mut v = self.up.parents(index).to_vec();
        for d in normalized_dependencies(&self.up, index) {
            if !v.contains(&d) {
                v.push(d);
            }
        }
        v
    }

    /// Branch labels that apply to a revision: its own and those of its ancestors through
    /// `down_revision` (as Alembic: a label covers its revision and the branch after it).
    pub fn labels_of(&self, index: usize) -> BTreeSet<&str> {
        inherited_labels(index, &self.revs, &self.up)
    }

    /// The position of a revision in the input of [`Graph::new`] (the order its files were
    /// read in), which Alembic uses to order independent branches.
    pub fn input_position(&self, index: usize) -> usize {
        self.input_pos[index] as usize
    }

    /// The revisions marked in `todo`, newest first, in the order Alembic lists and runs them:
    /// its `RevisionMap._topological_sort`, which `upgrade` (reversed), `downgrade` and
    /// `history` all use.
    ///
    /// The walk starts from `heads` (those marked in `todo`, ordered by
    /// [`Graph::input_position`], leaving out a head that is an ancestor of another, e.g. a
    /// head that another revision `depends_on`: Alembic walks from its real heads and reaches
    /// that one through the dependency) and follows each one down its first parent; a merge's other
    /// parents, and `depends_on` dependencies not already inherited from an ancestor, join the
    /// walk after the current ones. A revision is listed only once every marked revision above
    /// it is, so the result is a topological order (children before parents), and where
    /// independent branches could come in either order they come in Alembic's. Every marked
    /// revision must be an ancestor-or-self of a marked head (true for the sets plans and
    /// history build); `todo` has one entry per revision.
    ///
    /// Close to linear for the graphs migrations form: each revision is visited once, plus a
    /// search below a head each time the walk meets a revision that another branch still
    /// needs.
    pub fn alembic_order(&self, todo: &[bool], heads: &[usize]) -> Vec<usize> {
        alembic_sort(&self.up, todo, heads, |i| self.input_pos[i], |i| i as u32)
    }
}

/// What [`analyze`] keeps of a valid input, for [`Graph::new`]; indices are input positions.
struct Analysis {
    index: IdIndex,
    up: UpEdges,
    /// A topological order: ties broken by input position, so it is stable.
    order: Vec<usize>,
    /// The [`GraphError::MultipleHeads`] problems, when they were allowed (`lenient.rs`).
    unmerged: Vec<GraphError>,
}

/// The chain check on the borrowed input, shared by [`check`] and [`Graph::new`]: every
/// error in the documented order, or the index, edges and topological order of a valid graph.
/// With `allow_unmerged_heads`, unmerged heads are not errors: they are returned in
/// [`Analysis::unmerged`] (the lenient graph of `lenient.rs`).
fn analyze(revs: &[RevisionInfo], allow_unmerged_heads: bool) -> Result<Analysis, Vec<GraphError>> {
    let n = revs.len();
    assert!(n < u32::MAX as usize, "more than 4 billion revisions");
    let mut errors = Vec::new();
    let mut unmerged = Vec::new();

    // 1. unique ids; a duplicate's index says where the first declaration is
    let mut index = IdIndex::with_capacity(n);
    let mut dup: Vec<(usize, Vec<usize>)> = Vec::new(); // (first, every declaration)
    // allocated at the first duplicate: which revisions are one, and where their id is in `dup`
    let mut is_dup: Vec<bool> = Vec::new();
    let mut dup_slot: Vec<usize> = Vec::new();
    for i in 0..n {
        if let Some(first) = index.push(revs, i) {
            if is_dup.is_empty() {
                is_dup = vec![false; n];
                dup_slot = vec![usize::MAX; n];
            }
            is_dup[i] = true;
            match dup_slot[first] {
                usize::MAX => {
                    dup_slot[first] = dup.len();
                    dup.push((first, vec![first, i]));
                }
                d => dup[d].1.push(i),
            }
        }
    }
    for (first, is) in &dup {
        errors.push(GraphError::DuplicateRevision {
            id: revs[*first].id.clone(),
            files: is.iter().map(|&i| revs[i].file.clone()).collect(),
        });
    }

    // labels, needed by `depends_on` (which may name a branch label) and checked in step 4
    let mut label_owner: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in revs.iter().enumerate() {
        for l in &r.branch_labels {
            let owners = label_owner.entry(l.as_str()).or_default();
            if !owners.contains(&i) {
                owners.push(i);
            }
        }
    }

    // 2. edges (parents, then dependencies); dangling references. A `depends_on` entry is a
    // revision id or, as in Alembic, a branch label: the revision that declares it.
    let mut up = UpEdges {
        start: Vec::with_capacity(n + 1),
        mid: Vec::with_capacity(n),
        to: Vec::with_capacity(n + n / 4),
    };
    up.start.push(0);
    for (i, r) in revs.iter().enumerate() {
        // a duplicate's edges would only repeat the error
        if !is_dup.get(i).is_some_and(|&d| d) {
            for p in &r.down_revisions {
                match index.get(revs, p) {
                    Some(pi) => up.to.push(pi),
                    None => errors.push(GraphError::MissingParent {
                        id: r.id.clone(),
                        file: r.file.clone(),
                        parent: p.clone(),
                    }),
                }
            }
            up.mid.push(up.to.len());
            for d in &r.depends_on {
                let labeled = || label_owner.get(d.as_str()).map(|owners| owners[0]);
                match index.get(revs, d).or_else(labeled) {
                    Some(di) => up.to.push(di),
                    None => errors.push(GraphError::MissingDependency {
                        id: r.id.clone(),
                        file: r.file.clone(),
                        dependency: d.clone(),
                    }),
                }
            }
        } else {
            up.mid.push(up.to.len());
        }
        up.start.push(up.to.len());
    }

    // 3. topological order (Kahn); ties broken by input order so the result is stable
    let down = Rows::transpose(n, |i| up.all(i)); // children and dependents
    let mut indegree: Vec<usize> = (0..n).map(|i| up.all(i).len()).collect();
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| indegree[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &c in down.row(i) {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.push(Reverse(c));
            }
        }
    }
    if order.len() < n {
        let cycle = find_cycle(&indegree, &up);
        errors.push(GraphError::Cycle {
            ids: cycle.iter().map(|&i| revs[i].id.clone()).collect(),
            files: cycle.iter().map(|&i| revs[i].file.clone()).collect(),
        });
    }

    // 4. labels: unique, and they must tell extra heads and bases apart
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
        let unlabeled: Vec<usize> = (0..n)
            .filter(|&i| up.parents(i).is_empty() && revs[i].branch_labels.is_empty())
            .collect();
        if unlabeled.len() > 1 {
            errors.push(GraphError::MultipleBases {
                ids: unlabeled.iter().map(|&i| revs[i].id.clone()).collect(),
                files: unlabeled.iter().map(|&i| revs[i].file.clone()).collect(),
            });
        }
        let mut has_child = vec![false; n];
        for &p in up.to_parents() {
            has_child[p] = true;
        }
        let heads: Vec<usize> = (0..n).filter(|&i| !has_child[i]).collect();
        // unlabeled extra bases already explain extra heads: report the cause only
        if heads.len() > 1 && unlabeled.len() <= 1 {
            // Heads are told apart by the labels on their ancestry (Alembic's branch
            // labels apply to a revision and every descendant on its branch). Without any
            // label they are all alike: no walk needed.
            let mut groups: Vec<(BTreeSet<&str>, Vec<usize>)> = Vec::new();
            if label_owner.is_empty() {
                groups.push((BTreeSet::new(), heads));
            } else {
                for &h in &heads {
                    let labels = inherited_labels(h, revs, &up);
                    match groups.iter_mut().find(|(l, _)| *l == labels) {
                        Some((_, v)) => v.push(h),
                        None => groups.push((labels, vec![h])),
                    }
                }
            }
            for (_, hs) in groups.into_iter().filter(|(_, v)| v.len() > 1) {
                unmerged.push(GraphError::MultipleHeads {
                    ids: hs.iter().map(|&i| revs[i].id.clone()).collect(),
                    files: hs.iter().map(|&i| revs[i].file.clone()).collect(),
                });
            }
        }
    }

    if !allow_unmerged_heads {
        errors.append(&mut unmerged);
    }
    if errors.is_empty() {
        Ok(Analysis {
            index,
            up,
            order,
            unmerged,
        })
    } else {
        Err(errors)
    }
}

/// Adjacency lists in one flat array (compressed sparse rows): row `i` is
/// `to[start[i]..start[i + 1]]`.
#[derive(Debug, Clone)]
struct Rows {
    start: Vec<usize>,
    to: Vec<usize>,
}

impl Rows {
    fn row(&self, i: usize) -> &[usize] {
        &self.to[self.start[i]..self.start[i + 1]]
    }

    /// The reverse edges of `rows` over `n` nodes (`j` in row `i` gives `i` in row `j`),
    /// each row ascending.
    fn transpose<'a>(n: usize, rows: impl Fn(usize) -> &'a [usize]) -> Rows {
        // count into start[j], take inclusive prefix sums (start[j] = end of row j), then
        // fill backwards so that every start[j] ends at the beginning of its row
        let mut start = vec![0usize; n + 1];
        for i in 0..n {
            for &j in rows(i) {
                start[j] += 1;
            }
        }
        let mut sum = 0;
        for s in &mut start {
            sum += *s;
            *s = sum;
        }
        let mut to = vec![0usize; sum];
        for i in (0..n).rev() {
            for &j in rows(i) {
                start[j] -= 1;
                to[start[j]] = i;
            }
        }
        Rows { start, to }
    }
}

/// Every revision's parents, then its `depends_on` dependencies, in one flat array: revision
/// `i`'s are `to[start[i]..start[i + 1]]`, the parents before `mid[i]`.
#[derive(Debug, Clone)]
struct UpEdges {
    start: Vec<usize>,
    mid: Vec<usize>,
    to: Vec<usize>,
}

impl UpEdges {
    fn all(&self, i: usize) -> &[usize] {
        &self.to[self.start[i]..self.start[i + 1]]
    }

    fn parents(&self, i: usize) -> &[usize] {
        &self.to[self.start[i]..self.mid[i]]
    }

    fn dependencies(&self, i: usize) -> &[usize] {
        &self.to[self.mid[i]..self.start[i + 1]]
    }

    /// Every parent edge's target, with repeats.
    fn to_parents(&self) -> impl Iterator<Item = &usize> {
        (0..self.mid.len()).flat_map(|i| self.parents(i))
    }
}

/// The id index: a hash table of revision indices keyed by id ([`hashbrown::HashTable`]
/// with its default hasher, foldhash). It stores only indices and compares against the
/// revisions' own ids, so it holds no borrow and survives re-indexing
/// ([`IdIndex::renumber`]).
#[derive(Clone, Default)]
struct IdIndex {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl fmt::Debug for IdIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdIndex")
            .field("len", &self.table.len())
            .finish_non_exhaustive()
    }
}

impl IdIndex {
    fn with_capacity(n: usize) -> IdIndex {
        IdIndex {
            table: HashTable::with_capacity(n),
            hasher: DefaultHashBuilder::default(),
        }
    }

    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The index of the revision with this id; `revs` are the revisions the indices point at.
    fn get(&self, revs: &[RevisionInfo], id: &str) -> Option<usize> {
        self.table
            .find(self.hash(id), |&i| revs[i as usize].id == id)
            .map(|&i| i as usize)
    }

    /// Adds revision `i` (`revs[i]`) unless its id is present; returns the index that
    /// already has it.
    fn push(&mut self, revs: &[RevisionInfo], i: usize) -> Option<usize> {
        let id = revs[i].id.as_str();
        let hasher = &self.hasher;
        match self.table.entry(
            hasher.hash_one(id),
            |&j| revs[j as usize].id == id,
            |&j| hasher.hash_one(revs[j as usize].id.as_str()),
        ) {
            Entry::Occupied(e) => Some(*e.get() as usize),
            Entry::Vacant(e) => {
                e.insert(u32::try_from(i).expect("fewer than 4 billion revisions"));
                None
            }
        }
    }

    /// Re-indexes: `pos[old]` is the new index of each revision.
    fn renumber(&mut self, pos: &[u32]) {
        for v in self.table.iter_mut() {
            *v = pos[*v as usize];
        }
    }
}

/// Alembic's `RevisionMap._topological_sort` over `todo`, newest first (see
/// [`Graph::alembic_order`]). `key` gives the input (file) order that orders the heads;
/// `rank` a topological rank (parents and dependencies rank lower), used to prune searches.
///
/// Alembic keeps a list of walk heads and a cursor; the revision under the cursor is emitted
/// unless another walk head has it as an ancestor, in which case the cursor moves to the
/// first such head. That test is "does it still have an unemitted revision above it":
/// `pending` counts those, and the search for the head to move to runs only then.
fn alembic_sort(
    up: &UpEdges,
    todo: &[bool],
    heads: &[usize],
    key: impl Fn(usize) -> u32,
    rank: impl Fn(usize) -> u32,
) -> Vec<usize> {
    let n = todo.len();
    let mut left = todo.to_vec();
    let mut pending = vec![0u32; n];
    for x in (0..n).filter(|&x| todo[x]) {
        for &p in up.all(x) {
            pending[p] += 1;
        }
    }
    let mut frontier: Vec<usize> = heads.iter().copied().filter(|&h| todo[h]).collect();
    frontier.sort_by_key(|&h| key(h));
    frontier.dedup();
    // A head that another head needs (a dependency of a revision above it) is no walk head of
    // its own: Alembic walks from its real heads (`RevisionMap._real_heads`, what the `heads`
    // spec resolves to) and reaches such a head through the `depends_on` that names it.
    if frontier.len() > 1 {
        let mut below = vec![false; n];
        let mut stack: Vec<usize> = frontier.iter().flat_map(|&h| up.all(h)).copied().collect();
        while let Some(x) = stack.pop() {
            if !below[x] {
                below[x] = true;
                stack.extend_from_slice(up.all(x));
            }
        }
        frontier.retain(|&h| !below[h]);
    }
    let mut in_frontier = vec![false; n];
    for &h in &frontier {
        in_frontier[h] = true;
    }
    // search marks: `seen[i] == round` when visited in the current search
    let mut seen = vec![0u32; n];
    let mut round = 0u32;
    let mut stack = Vec::new();
    let mut out = Vec::with_capacity(todo.iter().filter(|&&t| t).count());
    let mut cur = 0;
    while !frontier.is_empty() {
        let c = frontier[cur];
        if pending[c] > 0 {
            // another walk head lies above `c`: move to the first one (in list order)
            round += 1;
            let floor = rank(c);
            let above = |h: usize, seen: &mut [u32], stack: &mut Vec<usize>| {
                stack.clear();
                stack.push(h);
                while let Some(x) = stack.pop() {
                    for &p in up.all(x) {
                        if p == c {
                            return true;
                        }
                        if rank(p) > floor && seen[p] != round {
                            seen[p] = round;
                            stack.push(p);
                        }
                    }
                }
                false
            };
            match (0..frontier.len())
                .find(|&j| j != cur && above(frontier[j], &mut seen, &mut stack))
            {
                Some(j) => {
                    cur = j;
                    continue;
                }
                // unreachable for the sets the docs allow; emit rather than loop
                None => {}
            }
        }
        out.push(c);
        left[c] = false;
        in_frontier[c] = false;
        for &p in up.all(c) {
            if todo[p] {
                pending[p] -= 1;
            }
        }
        let mut add: Vec<usize> = Vec::new();
        for p in up
            .parents(c)
            .iter()
            .copied()
            .chain(normalized_dependencies(up, c))
        {
            if left[p] && !in_frontier[p] && !add.contains(&p) {
                add.push(p);
            }
        }
        if add.is_empty() {
            frontier.remove(cur);
            cur = cur.saturating_sub(1);
        } else {
            frontier[cur] = add[0];
            frontier.extend_from_slice(&add[1..]);
            for &p in &add {
                in_frontier[p] = true;
            }
        }
    }
    out
}

/// A revision's `depends_on` dependencies that no ancestor through `down_revision` also
/// declares (Alembic's `_normalized_resolved_dependencies`), in declaration order.
fn normalized_dependencies(up: &UpEdges, x: usize) -> Vec<usize> {
    let deps = up.dependencies(x);
    if deps.is_empty() {
        return Vec::new();
    }
    let mut keep = deps.to_vec();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<usize> = up.parents(x).to_vec();
    while let Some(a) = stack.pop() {
        if seen.insert(a) {
            let inherited = up.dependencies(a);
            keep.retain(|d| !inherited.contains(d));
            stack.extend_from_slice(up.parents(a));
        }
    }
    keep
}

/// The branch labels of `index` and of its ancestors through parents (not `depends_on`).
fn inherited_labels<'a>(index: usize, revs: &'a [RevisionInfo], up: &UpEdges) -> BTreeSet<&'a str> {
    let mut seen = vec![false; revs.len()];
    let mut stack = vec![index];
    let mut labels = BTreeSet::new();
    while let Some(i) = stack.pop() {
        if !seen[i] {
            seen[i] = true;
            labels.extend(revs[i].branch_labels.iter().map(String::as_str));
            stack.extend_from_slice(up.parents(i));
        }
    }
    labels
}

/// Finds one cycle among the revisions Kahn's algorithm could not order (those left with a
/// positive in-degree).
fn find_cycle(indegree: &[usize], up: &UpEdges) -> Vec<usize> {
    let unordered = |i: usize| indegree[i] > 0;
    let start = match (0..indegree.len()).find(|&i| unordered(i)) {
        Some(s) => s,
        None => return Vec::new(),
    };
    // Walk parent pointers that stay inside the unordered set until a node repeats. Every
    // unordered node has at least one unordered predecessor, so the walk never gets stuck.
    let mut pos_in_path = vec![usize::MAX; indegree.len()];
    let mut path = Vec::new();
    let mut cur = start;
    loop {
        let p = pos_in_path[cur];
        if p != usize::MAX {
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
        pos_in_path[cur] = path.len();
        path.push(cur);
        cur = match up.all(cur).iter().copied().find(|&p| unordered(p)) {
            Some(next) => next,
            None => return path,
        };
    }
}
