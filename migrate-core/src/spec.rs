//! Revision specs (`head`, `base`, `+2`, `ae1027a6`, `branch@head`, `A:B`, …): parsing and
//! resolution against a graph. **This module does no IO.**
//!
//! The grammar and the meaning of every form follow Alembic's "Working with Branches" and
//! "Relative Migration Identifiers" documentation; where we differ, the item's docs say so.
//!
//! ```text
//! spec    := single | [single] ':' [single]           (a range; either side optional)
//! single  := [label '@'] plain
//! plain   := 'head' | 'heads' | 'base' | 'current'    ('current' only without a label)
//!          | ('+' | '-') N                           (relative to the current revision)
//!          | 'head' ('+' | '-') N                    (relative to the head)
//!          | rev ('+' | '-') N                       (relative to a revision)
//!          | rev                                     (full id, unique id prefix, branch label)
//! ```
//!
//! `rev` is looked up as an exact id first, then as a branch label (the revision declaring it),
//! then as a unique id prefix. A label that ends in `-<digits>` reads as a relative step when
//! written bare (`release-2` is `release` minus 2): name such a branch as `release-2@head`.
//!
//! An "applied set" is the set of topological indices the version table says are applied;
//! the current heads are the applied revisions without an applied child
//! ([`crate::plan::current_heads`]).
//!
//! **Branch scope.** A `label@…` spec looks only at the revisions the label applies to: the
//! revision that declares the label and its descendants through `down_revision` (the revisions
//! whose [`Graph::labels_of`] contains the label). Relative walks under a label stay inside
//! that branch: walking down stops just before the labeled revision (`label@base`).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::graph::Graph;
use crate::plan::{alembic_heads, current_heads};

/// Why a spec or a plan cannot be resolved. Messages follow Alembic's wording where Alembic
/// has one (hence the capitalised first word), and always name the revisions involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// No revision id, unique id prefix or branch label matches.
    #[error("Can't locate revision identified by '{0}'")]
    UnknownRevision(String),
    /// An id prefix matches several revisions.
    #[error(
        "Revision prefix '{prefix}' is ambiguous: it matches {}; give more characters",
        list_ids(candidates)
    )]
    AmbiguousPrefix {
        /// The prefix as given.
        prefix: String,
        /// Every matching revision id, in file order.
        candidates: Vec<String>,
    },
    /// `head` (or `label@head`, `head-N`) was given but there are several heads.
    #[error(
        "Multiple head revisions are present for given argument '{spec}'; please specify a \
         specific target revision, '<branchname>@head' to narrow to a specific head, or \
         'heads' for all heads (heads: {})",
        list_ids(heads)
    )]
    MultipleHeads {
        /// The spec as given.
        spec: String,
        /// The heads it could mean.
        heads: Vec<String>,
    },
    /// `+N` walked into a head before taking N steps.
    #[error(
        "Relative revision '{spec}' didn't produce {requested} {}: only {available} {} above \
         {from}",
        migrations(*requested),
        exist(*available)
    )]
    StepsPastHead {
        /// The spec as given.
        spec: String,
        /// N.
        requested: usize,
        /// How many steps exist.
        available: usize,
        /// Where the walk started (`revision 'ab12'`, or `base` when nothing is applied).
        from: String,
    },
    /// `-N` walked past the base before taking N steps.
    #[error(
        "Relative revision '{spec}' didn't produce {requested} {}: only {available} {} below \
         {from}",
        migrations(*requested),
        exist(*available)
    )]
    StepsPastBase {
        /// The spec as given.
        spec: String,
        /// N.
        requested: usize,
        /// How many steps exist (stepping from a base to "nothing applied" counts as one).
        available: usize,
        /// Where the walk started (`revision 'ab12'`, or `base` when nothing is applied).
        from: String,
    },
    /// `upgrade` to a revision that is already applied below the current heads.
    #[error(
        "Destination {target} is not a valid upgrade target from current head(s) {}: it lies \
         below them; use downgrade to go back",
        current_text(current)
    )]
    NotAbove {
        /// The target: the spec and the revisions it names.
        target: String,
        /// The current heads.
        current: Vec<String>,
    },
    /// `downgrade` to a revision that is not applied.
    #[error(
        "Destination {target} is not a valid downgrade target from current head(s) {}: it is \
         not applied; use upgrade to go forward",
        current_text(current)
    )]
    NotBelow {
        /// The target: the spec and the revisions it names.
        target: String,
        /// The current heads.
        current: Vec<String>,
    },
    /// A relative walk reached a branch point (walking up) or a merge point (walking down),
    /// where more than one revision could come next.
    #[error("{}", walk_text(spec, at.as_deref(), candidates, *upward))]
    AmbiguousWalk {
        /// The spec as given.
        spec: String,
        /// The revision where the walk forks; `None` when the fork is between several bases
        /// (walking up from nothing applied).
        at: Option<String>,
        /// The revisions the walk could continue to.
        candidates: Vec<String>,
        /// True when walking up (`+N`), false when walking down (`-N`).
        upward: bool,
    },
    /// `+N` / `-N` needs one current revision but several heads are current.
    #[error(
        "Relative revision '{spec}' needs one current revision, but several heads are \
         current: {}; give '<branchname>@{spec}' or an explicit target revision",
        list_ids(current)
    )]
    MultipleCurrent {
        /// The spec as given.
        spec: String,
        /// The current heads.
        current: Vec<String>,
    },
    /// `label@…` names a branch label that no revision declares.
    #[error("No such branch: '{0}'")]
    UnknownBranch(String),
    /// `label@rev` where `rev` is not on that branch.
    #[error("Revision '{revision}' is not a member of branch '{label}'")]
    NotOnBranch {
        /// The revision (or prefix) as given.
        revision: String,
        /// The branch label.
        label: String,
    },
    /// The text is not a spec (empty, `+x`, `+0`, `a:b:c`, …).
    #[error("Invalid revision spec '{spec}': {reason}")]
    InvalidSpec {
        /// The spec as given.
        spec: String,
        /// What is wrong and what to write instead.
        reason: String,
    },
    /// A range `A:B` where a single revision is needed (`resolve`, online `upgrade`, `stamp`).
    #[error(
        "A range ('{0}') is not allowed here; give a single revision spec (ranges 'A:B' are \
         for history and offline --sql)"
    )]
    RangeNotAllowed(String),
    /// `history -r A:B` where `A` is not below `B` (a reversed range, or revisions on
    /// different branches): nothing lies between them.
    #[error(
        "Requested range {0} does not refer to ancestor/descendant revisions along the same \
         branch"
    )]
    RangeNotAlongBranch(String),
    /// A range side that names several revisions, one of them below another (`-N` walked
    /// down from several heads onto one line): Alembic refuses it with this message.
    #[error(
        "Requested revision {revision} overlaps with other requested revisions {}; the range \
         side names revisions on one line; give a single revision instead",
        others.join(", ")
    )]
    OverlappingRevisions {
        /// The revision whose ancestry holds the others.
        revision: String,
        /// The requested revisions below it.
        others: Vec<String>,
    },
    /// A single revision where a range is needed (`history -r`).
    #[error("History range requires [start]:[end], [start]:, or :[end]; got '{0}'")]
    RangeRequired(String),
    /// `stamp` with two targets where one lies above the other (the result would depend on
    /// their order).
    #[error(
        "Stamp targets overlap: '{upper}' is above '{lower}', so stamping both is \
         contradictory; stamp only the one you mean"
    )]
    OverlappingTargets {
        /// The target that lies below.
        lower: String,
        /// The target that lies above it.
        upper: String,
    },
}

fn list_ids(ids: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut s = ids
        .iter()
        .take(SHOWN)
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        s.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    s
}

fn current_text(current: &[String]) -> String {
    if current.is_empty() {
        "none (nothing is applied)".to_owned()
    } else {
        list_ids(current)
    }
}

fn migrations(n: usize) -> &'static str {
    if n == 1 { "migration" } else { "migrations" }
}

fn exist(n: usize) -> &'static str {
    if n == 1 { "exists" } else { "exist" }
}

fn walk_text(spec: &str, at: Option<&str>, candidates: &[String], upward: bool) -> String {
    let first = candidates
        .first()
        .map(String::as_str)
        .unwrap_or("<revision>");
    match (at, upward) {
        (Some(at), true) => format!(
            "Relative revision '{spec}' is ambiguous: revision '{at}' is a branch point with \
             children {}; give an explicit target revision (e.g. '{first}') or narrow with \
             '<branchname>@{spec}'",
            list_ids(candidates)
        ),
        (None, true) => format!(
            "Relative revision '{spec}' is ambiguous: there are several bases {}; give an \
             explicit target revision (e.g. '{first}') or narrow with '<branchname>@{spec}'",
            list_ids(candidates)
        ),
        (at, false) => format!(
            "Relative revision '{spec}' is ambiguous: revision '{}' is a merge point with \
             parents {}; give an explicit target revision (e.g. '{first}') instead",
            at.unwrap_or("?"),
            list_ids(candidates)
        ),
    }
}

/// A parsed revision spec. [`Spec::parse`] reads it, [`fmt::Display`] writes it back
/// (`Spec::parse(&s.to_string()) == Ok(s)`).
///
/// Parsing does not look at any graph; [`resolve`] and the [`crate::plan`] functions give a
/// spec its meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Spec {
    /// `head`: the one head (an error when there are several).
    Head,
    /// `heads`: every head.
    Heads,
    /// `base`: before the first revision (nothing applied).
    Base,
    /// `current`: the current heads of the applied set.
    Current,
    /// A full revision id, a unique id prefix, or a bare branch label (the revision that
    /// declares it). An exact id wins over a label, and a label over a prefix.
    Id(String),
    /// `+N` / `-N`: N steps up / down from the one current revision (never 0).
    Relative(i64),
    /// `head-N` (or `head+N`, which always walks past the head): relative to the one head.
    HeadRelative(i64),
    /// `<rev>+N` / `<rev>-N`: relative to a revision (id, prefix or label).
    RevRelative {
        /// The revision walked from.
        rev: String,
        /// Steps: positive walks up, negative down; never 0.
        steps: i64,
    },
    /// `<label>@<target>`: `target` (`head`, `heads`, `base`, a revision, `±N`, `head-N`,
    /// `rev±N`) looked up within the branch `label`.
    Label {
        /// The branch label.
        label: String,
        /// What is looked up on that branch; never `Current`, `Label` or `Range`.
        target: Box<Spec>,
    },
    /// `A:B`, `A:`, `:B` (or `:`): a range, for `history -r` and offline `--sql`.
    Range {
        /// `A`; `None` when omitted.
        lower: Option<Box<Spec>>,
        /// `B`; `None` when omitted.
        upper: Option<Box<Spec>>,
    },
}

impl Spec {
    /// Parses a spec (see the module docs for the grammar).
    ///
    /// # Errors
    /// [`PlanError::InvalidSpec`] when the text is empty or has whitespace, for `+x`, `+0` /
    /// `-0` (a step count must be at least 1), `a:b:c`, `@head`, `label@`, `a@b@c`,
    /// `label@current`, `base+1`, `heads-1`, `current-1` (write `-1`).
    pub fn parse(text: &str) -> Result<Spec, PlanError> {
        if text.is_empty() {
            return Err(invalid(
                text,
                "the spec is empty; give e.g. 'head', 'base', '+1' or a revision id",
            ));
        }
        if text.chars().any(char::is_whitespace) {
            return Err(invalid(text, "a spec has no whitespace"));
        }
        if let Some((lower, upper)) = text.split_once(':') {
            if upper.contains(':') {
                return Err(invalid(text, "a range has exactly one ':' (A:B, A: or :B)"));
            }
            let side = |s: &str| -> Result<Option<Box<Spec>>, PlanError> {
                if s.is_empty() {
                    Ok(None)
                } else {
                    parse_single(text, s).map(|s| Some(Box::new(s)))
                }
            };
            return Ok(Spec::Range {
                lower: side(lower)?,
                upper: side(upper)?,
            });
        }
        parse_single(text, text)
    }

    /// True for [`Spec::Range`].
    pub fn is_range(&self) -> bool {
        matches!(self, Spec::Range { .. })
    }
}

impl FromStr for Spec {
    type Err = PlanError;

    fn from_str(s: &str) -> Result<Spec, PlanError> {
        Spec::parse(s)
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Head => f.write_str("head"),
            Spec::Heads => f.write_str("heads"),
            Spec::Base => f.write_str("base"),
            Spec::Current => f.write_str("current"),
            Spec::Id(id) => f.write_str(id),
            Spec::Relative(n) => write!(f, "{n:+}"),
            Spec::HeadRelative(n) => write!(f, "head{n:+}"),
            Spec::RevRelative { rev, steps } => write!(f, "{rev}{steps:+}"),
            Spec::Label { label, target } => write!(f, "{label}@{target}"),
            Spec::Range { lower, upper } => {
                if let Some(l) = lower {
                    write!(f, "{l}")?;
                }
                f.write_str(":")?;
                if let Some(u) = upper {
                    write!(f, "{u}")?;
                }
                Ok(())
            }
        }
    }
}

fn invalid(spec: &str, reason: &str) -> PlanError {
    PlanError::InvalidSpec {
        spec: spec.to_owned(),
        reason: reason.to_owned(),
    }
}

fn parse_single(full: &str, s: &str) -> Result<Spec, PlanError> {
    let Some((label, inner)) = s.split_once('@') else {
        return parse_plain(full, s);
    };
    if label.is_empty() {
        return Err(invalid(
            full,
            "a branch label is missing before '@' (label@head)",
        ));
    }
    if inner.is_empty() {
        return Err(invalid(
            full,
            "a target is missing after '@' (label@head, label@base, label@-1, label@<rev>)",
        ));
    }
    if inner.contains('@') {
        return Err(invalid(full, "a spec has at most one '@'"));
    }
    check_name(full, label)?;
    let target = parse_plain(full, inner)?;
    if target == Spec::Current {
        return Err(invalid(
            full,
            "'current' takes no branch label; use 'current', or 'label@-N' / 'label@+N'",
        ));
    }
    Ok(Spec::Label {
        label: label.to_owned(),
        target: Box::new(target),
    })
}

fn parse_plain(full: &str, s: &str) -> Result<Spec, PlanError> {
    match s {
        "head" => return Ok(Spec::Head),
        "heads" => return Ok(Spec::Heads),
        "base" => return Ok(Spec::Base),
        "current" => return Ok(Spec::Current),
        _ => {}
    }
    if let Some(pos) = s.rfind(['+', '-']) {
        let (symbol, number) = s.split_at(pos);
        let digits = &number[1..];
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = number
                .parse()
                .map_err(|_| invalid(full, "the step count is too large"))?;
            if n == 0 {
                return Err(invalid(
                    full,
                    "a relative step count must be at least 1 (e.g. '+1', '-1')",
                ));
            }
            return match symbol {
                "" => Ok(Spec::Relative(n)),
                "head" => Ok(Spec::HeadRelative(n)),
                "heads" | "base" | "current" => Err(invalid(
                    full,
                    "relative steps go from the current revision ('+N', '-N'), 'head' \
                     ('head-N') or a revision ('<rev>+N')",
                )),
                rev => {
                    check_name(full, rev)?;
                    Ok(Spec::RevRelative {
                        rev: rev.to_owned(),
                        steps: n,
                    })
                }
            };
        }
    }
    check_name(full, s)?;
    Ok(Spec::Id(s.to_owned()))
}

/// A revision id, prefix or label: not starting with '-' and without '+' (both mean relative
/// steps).
fn check_name(full: &str, s: &str) -> Result<(), PlanError> {
    if s.starts_with('-') || s.contains('+') {
        return Err(invalid(
            full,
            "expected '+N' or '-N' with N a whole number of at least 1, '<rev>+N', \
             '<rev>-N', or a revision id",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------

/// What a single (non-range) spec resolves to, before it is flattened to a revision list.
/// The planner needs more than the list: "just before revision b" (`label@base`, or a `-N`
/// walk that steps off a base) must remove `b`'s branch only, not every branch.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// The state where exactly these revisions (and their ancestors) are the heads; empty
    /// means `base` (nothing applied).
    Revs(Vec<usize>),
    /// The state just before revision `b`: its parents (and their ancestors) applied, `b`
    /// and its descendants not.
    Below(usize),
}

/// A branch scope (`label@…`): the labeled revision and its `down_revision` descendants.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub(crate) label: String,
    pub(crate) root: usize,
    pub(crate) mask: Vec<bool>,
}

impl Branch {
    fn new(graph: &Graph, label: &str) -> Result<Branch, PlanError> {
        let root = graph
            .labeled(label)
            .ok_or_else(|| PlanError::UnknownBranch(label.to_owned()))?;
        // Descendants through down_revision only (labels are inherited through parents).
        // Topological order: one forward pass.
        let mut mask = vec![false; graph.len()];
        mask[root] = true;
        for i in root + 1..graph.len() {
            if graph.parents_of(i).iter().any(|&p| mask[p]) {
                mask[i] = true;
            }
        }
        Ok(Branch {
            label: label.to_owned(),
            root,
            mask,
        })
    }
}

/// A resolved single spec.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The spec, written back (for messages).
    pub(crate) text: String,
    pub(crate) kind: Kind,
    /// Set for `label@…` specs.
    pub(crate) branch: Option<Branch>,
    /// True for `-N` and `label@-N`: steps down from the current revision, which `upgrade`
    /// refuses (Alembic: "didn't produce N migrations") where it treats any other target
    /// that is already applied as a no-op.
    pub(crate) from_current_down: bool,
    /// For `-N` (without a label) that ends on a revision: the last revision the walk stepped
    /// off. A downgrade undoes that revision's line (and what depends on it), not the target's
    /// other children: Alembic narrows a relative downgrade to the branch it walked down.
    pub(crate) walked_off: Option<usize>,
}

impl Target {
    /// The revisions naming the state this target stands for, ascending (empty = base).
    pub(crate) fn state(&self, graph: &Graph) -> Vec<usize> {
        let mut v = match &self.kind {
            Kind::Revs(v) => v.clone(),
            Kind::Below(b) => graph.parents_of(*b).to_vec(),
        };
        v.sort_unstable();
        v.dedup();
        v
    }

    /// `'spec'`, followed by the revision ids it names when they differ from the spec.
    pub(crate) fn describe(&self, graph: &Graph) -> String {
        let ids: Vec<String> = match &self.kind {
            Kind::Revs(v) => v.iter().map(|&i| graph.at(i).id.clone()).collect(),
            Kind::Below(_) => Vec::new(),
        };
        if ids.is_empty() || (ids.len() == 1 && ids[0] == self.text) {
            format!("'{}'", self.text)
        } else {
            format!("'{}' ({})", self.text, list_ids(&ids))
        }
    }
}

/// Resolves a parsed single spec against a graph and an applied set.
pub(crate) fn resolve_target(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    spec: &Spec,
) -> Result<Target, PlanError> {
    let text = spec.to_string();
    let r = Resolver {
        graph,
        applied,
        text: &text,
    };
    let (kind, branch) = match spec {
        Spec::Range { .. } => return Err(PlanError::RangeNotAllowed(text)),
        Spec::Label { label, target } => {
            let b = Branch::new(graph, label)?;
            (r.kind(target, Some(&b))?, Some(b))
        }
        other => (r.kind(other, None)?, None),
    };
    let from_current_down = match spec {
        Spec::Label { target, .. } => matches!(**target, Spec::Relative(n) if n < 0),
        other => matches!(other, Spec::Relative(n) if *n < 0),
    };
    let walked_off = match (spec, &kind) {
        (Spec::Relative(n), Kind::Revs(_)) if *n < 0 => {
            // the walk succeeded through single parents: retrace it, one step short
            let mut prev = r
                .one_current(None)?
                .expect("a walk down starts from a revision");
            for _ in 1..n.unsigned_abs() {
                prev = graph.parents_of(prev)[0];
            }
            Some(prev)
        }
        _ => None,
    };
    Ok(Target {
        text,
        kind,
        branch,
        from_current_down,
        walked_off,
    })
}

struct Resolver<'a> {
    graph: &'a Graph,
    applied: &'a BTreeSet<usize>,
    text: &'a str,
}

impl Resolver<'_> {
    fn id(&self, i: usize) -> String {
        self.graph.at(i).id.clone()
    }

    /// Ids for a message, in file order (the order the revision files are read in).
    fn ids(&self, v: &[usize]) -> Vec<String> {
        let mut v = v.to_vec();
        v.sort_by_key(|&i| self.graph.input_position(i));
        v.iter().map(|&i| self.id(i)).collect()
    }

    fn kind(&self, spec: &Spec, scope: Option<&Branch>) -> Result<Kind, PlanError> {
        match spec {
            Spec::Head => Ok(Kind::Revs(self.one_head(scope)?.into_iter().collect())),
            Spec::Heads => Ok(Kind::Revs(self.heads(scope))),
            Spec::Base => Ok(match scope {
                None => Kind::Revs(Vec::new()),
                Some(b) => Kind::Below(b.root),
            }),
            Spec::Current => {
                let mut cur = current_heads(self.graph, self.applied);
                if let Some(b) = scope {
                    cur.retain(|&i| b.mask[i]);
                }
                Ok(Kind::Revs(cur))
            }
            Spec::Id(s) => Ok(Kind::Revs(vec![self.find(s, scope)?])),
            Spec::Relative(n) => {
                let start = self.one_current(scope)?;
                self.walk(start, *n, scope)
            }
            Spec::HeadRelative(n) => match self.one_head(scope)? {
                Some(h) => self.walk(Some(h), *n, scope),
                None => self.walk(None, *n, scope),
            },
            Spec::RevRelative { rev, steps } => {
                let start = self.find(rev, scope)?;
                self.walk(Some(start), *steps, scope)
            }
            Spec::Label { .. } | Spec::Range { .. } => Err(invalid(
                self.text,
                "a branch label or range cannot be nested here",
            )),
        }
    }

    fn heads(&self, scope: Option<&Branch>) -> Vec<usize> {
        let mut h = self.graph.heads();
        if let Some(b) = scope {
            h.retain(|&i| b.mask[i]);
        }
        h
    }

    fn one_head(&self, scope: Option<&Branch>) -> Result<Option<usize>, PlanError> {
        let h = self.heads(scope);
        match h.len() {
            0 | 1 => Ok(h.first().copied()),
            _ => Err(PlanError::MultipleHeads {
                spec: self.text.to_owned(),
                heads: self.ids(&h),
            }),
        }
    }

    fn one_current(&self, scope: Option<&Branch>) -> Result<Option<usize>, PlanError> {
        let mut cur = current_heads(self.graph, self.applied);
        match scope {
            // Alembic narrows its version rows to the branch first: a head on the branch that
            // another applied revision depends on is no row, so it does not count when a row
            // is on the branch; only when none is does it fall back to every current revision
            // on the branch (`_parse_upgrade_target` / `_parse_downgrade_target`)
            Some(b) => {
                let mut rows = alembic_heads(self.graph, self.applied);
                rows.retain(|&i| b.mask[i]);
                if rows.is_empty() {
                    cur.retain(|&i| b.mask[i]);
                } else {
                    cur = rows;
                }
            }
            // a head that another applied revision depends on is not current on its own:
            // Alembic's version table holds the dependent alone, and walks from it
            None if cur.len() > 1 => cur = alembic_heads(self.graph, self.applied),
            None => {}
        }
        match cur.len() {
            0 | 1 => Ok(cur.first().copied()),
            _ => Err(PlanError::MultipleCurrent {
                spec: self.text.to_owned(),
                current: self.ids(&cur),
            }),
        }
    }

    /// Exact id, then branch label, then unique id prefix (within the branch when scoped).
    fn find(&self, s: &str, scope: Option<&Branch>) -> Result<usize, PlanError> {
        let on_branch = |i: usize| scope.is_none_or(|b| b.mask[i]);
        let not_on_branch = |b: &Branch| PlanError::NotOnBranch {
            revision: s.to_owned(),
            label: b.label.clone(),
        };
        if let Some(i) = self.graph.index_of(s).or_else(|| self.graph.labeled(s)) {
            return match scope {
                Some(b) if !b.mask[i] => Err(not_on_branch(b)),
                _ => Ok(i),
            };
        }
        let all: Vec<usize> = (0..self.graph.len())
            .filter(|&i| self.graph.at(i).id.starts_with(s))
            .collect();
        let matching: Vec<usize> = all.iter().copied().filter(|&i| on_branch(i)).collect();
        match (matching.len(), scope) {
            (1, _) => Ok(matching[0]),
            (0, Some(b)) if !all.is_empty() => Err(not_on_branch(b)),
            (0, _) => Err(PlanError::UnknownRevision(s.to_owned())),
            _ => Err(PlanError::AmbiguousPrefix {
                prefix: s.to_owned(),
                candidates: self.ids(&matching),
            }),
        }
    }

    fn walk_origin(&self, start: Option<usize>, scope: Option<&Branch>) -> String {
        match (start, scope) {
            (Some(i), _) => format!("revision '{}'", self.graph.at(i).id),
            (None, None) => "base (nothing is applied)".to_owned(),
            (None, Some(b)) => format!(
                "the base of branch '{}' (nothing on it is applied)",
                b.label
            ),
        }
    }

    /// Walks `steps` revisions up (children) or down (parents) from `start` (`None`: from
    /// nothing applied). Same rules as Alembic's `_walk`: a fork on the way is an error.
    fn walk(
        &self,
        start: Option<usize>,
        steps: i64,
        scope: Option<&Branch>,
    ) -> Result<Kind, PlanError> {
        let n = usize::try_from(steps.unsigned_abs()).unwrap_or(usize::MAX);
        if steps > 0 {
            self.walk_up(start, n, scope)
        } else {
            self.walk_down(start, n, scope)
        }
    }

    fn walk_up(
        &self,
        start: Option<usize>,
        n: usize,
        scope: Option<&Branch>,
    ) -> Result<Kind, PlanError> {
        let past_head = |done: usize| PlanError::StepsPastHead {
            spec: self.text.to_owned(),
            requested: n,
            available: done,
            from: self.walk_origin(start, scope),
        };
        let (mut cur, mut done) = match start {
            Some(s) => (s, 0),
            None => {
                let firsts = match scope {
                    Some(b) => vec![b.root],
                    None => self.graph.bases(),
                };
                match firsts.len() {
                    0 => return Err(past_head(0)),
                    1 => (firsts[0], 1),
                    _ => {
                        return Err(PlanError::AmbiguousWalk {
                            spec: self.text.to_owned(),
                            at: None,
                            candidates: self.ids(&firsts),
                            upward: true,
                        });
                    }
                }
            }
        };
        while done < n {
            let children: Vec<usize> = self
                .graph
                .children_of(cur)
                .iter()
                .copied()
                .filter(|&c| scope.is_none_or(|b| b.mask[c]))
                .collect();
            match children.len() {
                0 => return Err(past_head(done)),
                1 => {
                    cur = children[0];
                    done += 1;
                }
                _ => {
                    return Err(PlanError::AmbiguousWalk {
                        spec: self.text.to_owned(),
                        at: Some(self.id(cur)),
                        candidates: self.ids(&children),
                        upward: true,
                    });
                }
            }
        }
        Ok(Kind::Revs(vec![cur]))
    }

    fn walk_down(
        &self,
        start: Option<usize>,
        n: usize,
        scope: Option<&Branch>,
    ) -> Result<Kind, PlanError> {
        let past_base = |done: usize| PlanError::StepsPastBase {
            spec: self.text.to_owned(),
            requested: n,
            available: done,
            from: self.walk_origin(start, scope),
        };
        let Some(mut cur) = start else {
            return Err(past_base(0));
        };
        let mut done = 0;
        while done < n {
            let parents = self.graph.parents_of(cur);
            if parents.is_empty() || scope.is_some_and(|b| b.root == cur) {
                // One more step leaves the (branch's) base: allowed as the last step only.
                done += 1;
                return if done == n {
                    Ok(Kind::Below(cur))
                } else {
                    Err(past_base(done))
                };
            }
            if parents.len() > 1 {
                // Stepping off a merge as the last step is unambiguous: the state just below
                // it, with all of its parents current (Alembic refuses this too; we do not).
                if done + 1 == n {
                    return Ok(Kind::Below(cur));
                }
                return Err(PlanError::AmbiguousWalk {
                    spec: self.text.to_owned(),
                    at: Some(self.id(cur)),
                    candidates: self.ids(parents),
                    upward: false,
                });
            }
            cur = parents[0];
            done += 1;
        }
        Ok(Kind::Revs(vec![cur]))
    }
}

/// Resolves a single (non-range) spec to the revisions it names, ascending.
///
/// `applied` is the applied set (topological indices read from the version table); it gives
/// `current`, `+N` and `-N` their meaning. Forms, with Alembic's semantics:
/// - `head`: the one head; `heads`: every head; `base`: nothing (the empty vec);
///   `current`: the current heads of `applied`.
/// - a full id; else a bare branch label (the revision declaring it); else a unique id prefix.
/// - `+N` / `-N`: N steps up (children) / down (`down_revision`) from the one current
///   revision; from nothing applied, `+N` starts below the single base (`+1` is the base).
///   Walking down from a base to "nothing applied" is a step: at `c` in `a <- b <- c`, `-3`
///   is `base` (empty vec) and `-4` fails.
/// - `head-N`, `<rev>+N`, `<rev>-N`: the same walks from the head or from a revision.
/// - `<label>@head` / `@heads`: the head(s) of that branch; `<label>@base`: just before the
///   labeled revision (its parents); `<label>@<rev>`: `rev` looked up on that branch only;
///   `<label>@+N` / `@-N`: relative to the current revision on that branch, staying inside the
///   branch (`label@-N` can go down to `label@base`, not further).
///
/// # Errors
/// - [`PlanError::InvalidSpec`] when the text does not parse ([`Spec::parse`]);
///   [`PlanError::RangeNotAllowed`] for `A:B` (use [`resolve_range`]).
/// - [`PlanError::UnknownRevision`] ("Can't locate revision identified by 'x'") when no id,
///   label or prefix matches; [`PlanError::AmbiguousPrefix`] when a prefix matches several
///   (all are listed); [`PlanError::UnknownBranch`] / [`PlanError::NotOnBranch`] for a bad
///   `label@…`.
/// - [`PlanError::MultipleHeads`] for `head`, `head-N` or `label@head` when there are several.
/// - [`PlanError::MultipleCurrent`] for `+N` / `-N` when several heads are current (narrow
///   with `label@+N`). A head that another applied revision `depends_on` does not count: when
///   `b2` depends on `a2` and both are applied, `-1` walks from `b2`, the one head Alembic's
///   version table holds ([`crate::plan::alembic_heads`]). The same holds under a label
///   (`label@+N`): the version-table heads on the branch count, and only when none is on it
///   every current revision on the branch.
/// - [`PlanError::StepsPastHead`] / [`PlanError::StepsPastBase`] when fewer than N steps
///   exist (the message gives the count); [`PlanError::AmbiguousWalk`] when walking up meets a
///   branch point or several bases, or walking down must go on below a merge point (Alembic:
///   "Ambiguous walk"). Stopping on a merge is fine, and so is stepping off it as the last
///   step: that names the state just below it, with all its parents (`-1` at a merge; Alembic
///   refuses this one too, we do not).
pub fn resolve(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    spec: &str,
) -> Result<Vec<usize>, PlanError> {
    let parsed = Spec::parse(spec)?;
    Ok(resolve_target(graph, applied, &parsed)?.state(graph))
}

/// Resolves a range `A:B` (`A:`, `:B`, `:`) to `(lower, upper)`: the revisions each side
/// names, ascending, as [`resolve`] would resolve them against `applied`, except that `-N`
/// counts from the real heads ([`Graph::real_heads`]) and an upper `+N` from the lower side. An omitted lower side is
/// `base` (empty), an omitted upper side is every head. Feed the pair to
/// [`range_revisions`] (lower exclusive) or use [`history_range`] (Alembic's `history -r`,
/// lower inclusive).
///
/// # Errors
/// [`PlanError::RangeRequired`] when `spec` has no `:`;
/// [`PlanError::OverlappingRevisions`] when `-N` names revisions one of which lies below
/// another (Alembic refuses these too); otherwise every error of [`resolve`], for either side.
pub fn resolve_range(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    spec: &str,
) -> Result<(Vec<usize>, Vec<usize>), PlanError> {
    let (lower, upper) = range_targets(graph, applied, spec, false)?;
    let lower = lower.map(|t| t.state(graph)).unwrap_or_default();
    let upper = match upper {
        Some(t) => t.state(graph),
        None => graph.heads(),
    };
    Ok((lower, upper))
}

/// Both sides of a range. A side `-N` counts down from the heads and an upper side `+N` up from
/// the lower side (from base when omitted), as Alembic's do. With `version_heads`, `current` is the heads Alembic's version
/// table holds ([`alembic_heads`]), as `history -r current:…` reads them.
fn range_targets(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    spec: &str,
    version_heads: bool,
) -> Result<(Option<Target>, Option<Target>), PlanError> {
    let Spec::Range { lower, upper } = Spec::parse(spec)? else {
        return Err(PlanError::RangeRequired(spec.to_owned()));
    };
    let side = |s: &Spec, applied: &BTreeSet<usize>| match s {
        Spec::Current if version_heads => Ok(Target {
            text: s.to_string(),
            kind: Kind::Revs(alembic_heads(graph, applied)),
            branch: None,
            from_current_down: false,
            walked_off: None,
        }),
        s => resolve_target(graph, applied, s),
    };
    // `-N` in a range counts down from every real head (Alembic's `history -r -2:`: its
    // `heads`, without a head that another revision depends on); a head whose line is shorter
    // than N contributes nothing; revisions on one line are refused, as Alembic does
    let side = |s: &Spec, applied: &BTreeSet<usize>| match s {
        Spec::Relative(n) if *n < 0 => {
            let text = s.to_string();
            let r = Resolver {
                graph,
                applied,
                text: &text,
            };
            let mut revs = Vec::new();
            let mut short = None;
            let mut heads = graph.real_heads();
            heads.sort_by_key(|&h| graph.input_position(h)); // Alembic's order: file order
            for h in heads {
                match r.walk(Some(h), *n, None) {
                    Ok(Kind::Revs(v)) => revs.extend(v),
                    // off a base: nothing; off a merge: its parents
                    Ok(Kind::Below(b)) => revs.extend_from_slice(graph.parents_of(b)),
                    Err(e @ PlanError::StepsPastBase { .. }) => {
                        short.get_or_insert(e);
                    }
                    Err(e) => return Err(e),
                }
            }
            if let (true, Some(e)) = (revs.is_empty(), short) {
                return Err(e);
            }
            check_overlap(graph, &revs)?;
            revs.sort_unstable();
            revs.dedup();
            Ok(Target {
                text,
                kind: Kind::Revs(revs),
                branch: None,
                from_current_down: false,
                walked_off: None,
            })
        }
        s => side(s, applied),
    };
    let lower = lower.map(|s| side(&s, applied)).transpose()?;
    let upper = match upper {
        Some(s) if matches!(*s, Spec::Relative(n) if n > 0) => {
            let from: BTreeSet<usize> = match &lower {
                Some(t) => {
                    let mask = graph.ancestors_mask(&t.state(graph));
                    (0..graph.len()).filter(|&i| mask[i]).collect()
                }
                None => BTreeSet::new(),
            };
            match side(&s, &from) {
                // `history` walks with Alembic's `assert_relative_length=False`: an upper `+N`
                // with fewer than N revisions above stops at the last one (the lower side
                // itself when nothing is above it); `range` (offline upgrade) refuses
                Err(PlanError::StepsPastHead { available, .. }) if version_heads => {
                    Some(if available > 0 {
                        side(&Spec::Relative(available as i64), &from)?
                    } else {
                        Target {
                            text: s.to_string(),
                            kind: Kind::Revs(alembic_heads(graph, &from)),
                            branch: None,
                            from_current_down: false,
                            walked_off: None,
                        }
                    })
                }
                r => Some(r?),
            }
        }
        s => s.map(|s| side(&s, applied)).transpose()?,
    };
    Ok((lower, upper))
}

/// Alembic's overlap check on the revisions a range side names (`_iterate_related_revisions`
/// with `check=True`, in the order given): walking down from each in turn, not crossing what
/// an earlier walk saw, meeting another requested revision is an error.
fn check_overlap(graph: &Graph, targets: &[usize]) -> Result<(), PlanError> {
    if targets.len() < 2 {
        return Ok(());
    }
    let mut seen = vec![false; graph.len()];
    let mut is_target = vec![false; graph.len()];
    for &t in targets {
        is_target[t] = true;
    }
    for &t in targets {
        let mut met = Vec::new();
        let mut stack = vec![t];
        while let Some(x) = stack.pop() {
            if x != t && is_target[x] && !met.contains(&x) {
                met.push(x);
            }
            if seen[x] {
                continue;
            }
            seen[x] = true;
            stack.extend(graph.normalized_down(x));
        }
        if !met.is_empty() {
            return Err(PlanError::OverlappingRevisions {
                revision: graph.at(t).id.clone(),
                others: met.iter().map(|&i| graph.at(i).id.clone()).collect(),
            });
        }
    }
    Ok(())
}

/// The revisions in a range with the lower bound excluded: ancestors-or-self of `upper` that
/// are not ancestors-or-self of `lower`, oldest first in the order Alembic runs them (the
/// reverse of [`Graph::alembic_order`] from `upper`). `lower` empty means from base. This is
/// what an offline `upgrade A:B --sql` runs.
pub fn range_revisions(graph: &Graph, lower: &[usize], upper: &[usize]) -> Vec<usize> {
    let up = graph.ancestors_mask(upper);
    let low = graph.ancestors_mask(lower);
    let todo: Vec<bool> = up.iter().zip(&low).map(|(u, l)| *u && !l).collect();
    let mut revs = graph.alembic_order(&todo, upper);
    revs.reverse();
    revs
}

/// The revisions `history -r A:B` lists, oldest first: the reverse of the order Alembic
/// prints them in (its topological sort from `B`, see [`Graph::alembic_order`]), so reverse
/// for display.
///
/// Same semantics as Alembic's `history -r`: the revisions that are descendants-or-self of `A`
/// (children and `depends_on` dependents) and ancestors-or-self of `B`, so `A` itself is
/// included and other branches are not. An omitted `A` or `base` means every ancestor-or-self
/// of `B`; `label@base` means the branch from its labeled revision up. An omitted `B` means
/// every head. `current` is the heads Alembic's version table holds ([`alembic_heads`] of
/// `applied`); `-N` counts down from the real heads ([`Graph::real_heads`]; `-r -2:` is the
/// last three revisions) and an upper `+N` up from `A`, as in Alembic; with fewer than N
/// revisions above `A`, `+N` stops at the last one (`history e:+1` at the head `e` lists `e`:
/// Alembic's history does not assert the walk's length, [`resolve_range`] does).
///
/// # Errors
/// - [`PlanError::RangeRequired`] when `spec` has no `:` (Alembic's message);
/// - [`PlanError::RangeNotAlongBranch`] when `A` names revisions and none of them is an
///   ancestor-or-self of `B` (a reversed range such as `d:b`, or two revisions on different
///   branches): Alembic's "does not refer to ancestor/descendant revisions along the same
///   branch";
/// - [`PlanError::OverlappingRevisions`] when `-N` names revisions one of which lies below
///   another (Alembic's "Requested revision X overlaps with other requested revisions Y");
/// - otherwise every error of [`resolve`], for either side.
pub fn history_range(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    spec: &str,
) -> Result<Vec<usize>, PlanError> {
    let (lower, upper) = range_targets(graph, applied, spec, true)?;
    let upper = match upper {
        Some(t) => t.state(graph),
        None => graph.heads(),
    };
    let up = graph.ancestors_mask(&upper);
    let (from, named) = match lower.map(|t| t.kind) {
        None => (vec![true; graph.len()], false),
        Some(Kind::Revs(v)) if v.is_empty() => (vec![true; graph.len()], false),
        Some(Kind::Revs(v)) => (graph.descendants_mask(&v), true),
        Some(Kind::Below(b)) => (graph.descendants_mask(&[b]), false),
    };
    let todo: Vec<bool> = up.iter().zip(&from).map(|(u, f)| *u && *f).collect();
    if named && !todo.contains(&true) {
        return Err(PlanError::RangeNotAlongBranch(spec.to_owned()));
    }
    let mut revs = graph.alembic_order(&todo, &upper);
    revs.reverse();
    Ok(revs)
}
