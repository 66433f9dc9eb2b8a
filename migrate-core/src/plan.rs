//! Upgrade, downgrade and stamp plans: pure functions from (graph, applied set, target) to
//! the ordered list of steps the runner executes. **This module does no IO.**
//!
//! The semantics are Alembic's (`upgrade`, `downgrade`, `stamp`), with targets written as
//! revision specs ([`crate::spec`]). An applied set is a set of topological indices (what the
//! version table says is applied); plans only ever add missing ancestors (upgrade) or remove
//! descendants (downgrade), so a downward-closed applied set stays downward-closed.
//!
//! Everything is linear in the size of the graph: a 100,000-revision graph plans in
//! milliseconds.

use std::collections::BTreeSet;

use crate::graph::Graph;
pub use crate::spec::PlanError;
use crate::spec::{Kind, Spec, Target, resolve_target};

/// Which way a step goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Run the revision's `upgrade`.
    Upgrade,
    /// Run the revision's `downgrade`.
    Downgrade,
}

/// One step of a plan: run one revision in one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The revision's topological index in the [`Graph`].
    pub revision: usize,
    /// Upgrade or downgrade.
    pub direction: Direction,
}

/// An ordered list of steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Steps in execution order.
    pub steps: Vec<Step>,
}

/// Plans `upgrade TARGET`: the revisions to run, oldest first.
///
/// Same semantics as Alembic's `upgrade`: the new applied set is `applied` plus every
/// ancestor-or-self of the target revisions (ancestors include `depends_on`, so a dependency
/// on another branch is applied first); the steps are the difference, [`Direction::Upgrade`],
/// oldest first in Alembic's order (the reverse of [`Graph::alembic_order`] from the targets,
/// so independent branches run in the order Alembic runs them). Other branches are left alone.
///
/// `target` is any single spec [`crate::spec::resolve`] accepts (`head`, `heads`,
/// `label@head`, `+N`, an id, …), resolved against `applied`. `+N` walks N revisions up the
/// unique path from the one current revision; upgrading to that revision also applies any
/// other parent or dependency it needs (at a merge the plan can hold more than N steps, as in
/// Alembic). Upgrading to a revision that is already applied (a current head or one below
/// it), or to `base`, is an empty plan, as in Alembic: deploy scripts may run it again.
///
/// Offline mode (`--sql`): `target` may be a range `A:B`. Then `applied` is ignored except to
/// resolve `A`: the plan starts from ancestors-or-self of `A` (nothing when `A` is `base` or
/// omitted) and goes to `B` (every head when omitted), where `B` is resolved against that
/// start (so `A:+2` is the two revisions above `A`).
///
/// Indices in `applied` outside the graph are ignored.
///
/// # Errors
/// - every error of [`crate::spec::resolve`] (unknown revision, ambiguous prefix, multiple
///   heads for `head`, multiple current heads for `+N`, steps past head, ambiguous walk at a
///   branch point, …);
/// - [`PlanError::NotAbove`] for `-N` / `label@-N` (steps down from the current revision:
///   use [`downgrade`]).
pub fn upgrade(graph: &Graph, applied: &BTreeSet<usize>, target: &str) -> Result<Plan, PlanError> {
    match Spec::parse(target)? {
        Spec::Range { lower, upper } => {
            let start = match lower {
                Some(l) => state_set(graph, &resolve_target(graph, applied, &l)?),
                None => BTreeSet::new(),
            };
            let target = match upper {
                Some(u) => resolve_target(graph, &start, &u)?,
                None => resolve_target(graph, &start, &Spec::Heads)?,
            };
            plan_upgrade(graph, &start, &target)
        }
        spec => plan_upgrade(graph, applied, &resolve_target(graph, applied, &spec)?),
    }
}

/// Plans `downgrade TARGET`: the revisions to undo, newest first.
///
/// Same semantics as Alembic's `downgrade`: the applied revisions that descend from the
/// target through `down_revision` are undone, together with every applied revision that
/// depends on one of them (directly or through its ancestors), [`Direction::Downgrade`],
/// newest first in Alembic's order ([`Graph::alembic_order`] from the current heads). A
/// revision that merely `depends_on` the target stays: the target stays applied, so it stays
/// valid. Branches that do not descend from the target are left untouched.
///
/// `target` is any single spec [`crate::spec::resolve`] accepts, resolved against `applied`:
/// - `base`: undo everything;
/// - `label@base`: undo the branch `label` only (the labeled revision and its descendants);
/// - `label@<rev>`, `label@-N`: undo only revisions on branch `label` above the target (plus
///   any revision on another branch that `depends_on` one of them: it cannot stay applied);
/// - `-N`: N steps down from the one current revision (Alembic's `downgrade -1`); walking off
///   a base undoes that base's branch (`-3` at `c` in `a <- b <- c` undoes `c`, `b`, `a`).
///   The last step may leave a merge revision: `-1` at a merge undoes the merge alone and
///   leaves its parents current (Alembic refuses this as ambiguous; one step down is not).
///   A head that another applied revision `depends_on` does not count as a second current
///   revision (see [`alembic_heads`]).
///
/// Downgrading to the current heads is an empty plan, so is `label@base` when the branch is
/// not applied.
///
/// Offline mode (`--sql`): `target` may be a range `B:A` (note the order: from `B` down to
/// `A`). The plan starts from ancestors-or-self of `B` (every revision when `B` is omitted),
/// ignoring `applied` except to resolve `B`, and goes down to `A` (`base` when omitted), where
/// `A` is resolved against that start (so `B:-1` undoes `B`).
///
/// Indices in `applied` outside the graph are ignored.
///
/// # Errors
/// - every error of [`crate::spec::resolve`] (unknown revision, ambiguous prefix, multiple
///   current heads for `-N`, steps past base, a walk through a merge point, …);
/// - [`PlanError::NotBelow`] when a target revision is not applied (use [`upgrade`]).
pub fn downgrade(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    target: &str,
) -> Result<Plan, PlanError> {
    match Spec::parse(target)? {
        Spec::Range { lower, upper } => {
            let start = match lower {
                Some(l) => state_set(graph, &resolve_target(graph, applied, &l)?),
                None => (0..graph.len()).collect(),
            };
            let target = match upper {
                Some(u) => resolve_target(graph, &start, &u)?,
                None => resolve_target(graph, &start, &Spec::Base)?,
            };
            plan_downgrade(graph, &start, &target)
        }
        spec => plan_downgrade(graph, applied, &resolve_target(graph, applied, &spec)?),
    }
}

/// The applied set after `stamp TARGETS…`, without running anything.
///
/// For each target, the applied revisions a [`downgrade`] to it would undo are dropped (its
/// children through `down_revision`, their descendants and dependents; for `label@base` the
/// branch `label`, for `base` everything) and its ancestors-or-self are added: the applied
/// set is what `downgrade` or `upgrade` to the target would leave. Alembic's own `stamp`
/// differs on graphs with `depends_on`: it replaces every current head whose ancestry
/// (dependencies included) contains the target, so stamping `a2` drops a `b2` that only
/// depends on `a2` (and `b2`'s branch with it); we keep `b2`, as `downgrade a2` does. `base` alone gives the empty set, `heads`
/// every revision. Several targets are allowed when they are independent (e.g. two branch
/// heads); they all resolve against `applied`.
///
/// # Errors
/// - [`PlanError::InvalidSpec`] when `targets` is empty; [`PlanError::RangeNotAllowed`] for a
///   range; every error of [`crate::spec::resolve`];
/// - [`PlanError::OverlappingTargets`] when one target lies above another (or any target is
///   given together with `base`): the result would depend on their order.
pub fn stamp(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    targets: &[&str],
) -> Result<BTreeSet<usize>, PlanError> {
    if targets.is_empty() {
        return Err(PlanError::InvalidSpec {
            spec: String::new(),
            reason: "stamp needs at least one target (e.g. 'head', 'base', a revision id)"
                .to_owned(),
        });
    }
    let resolved = targets
        .iter()
        .map(|t| resolve_target(graph, applied, &Spec::parse(t)?))
        .collect::<Result<Vec<_>, _>>()?;
    let n = graph.len();
    let mut removed = vec![false; n];
    let mut keep_roots = Vec::new();
    for (i, t) in resolved.iter().enumerate() {
        let drop = removal_mask(graph, t);
        for (j, other) in resolved.iter().enumerate() {
            if j != i && other.state(graph).iter().any(|&k| drop[k]) {
                return Err(PlanError::OverlappingTargets {
                    lower: t.text.clone(),
                    upper: other.text.clone(),
                });
            }
        }
        for (r, d) in removed.iter_mut().zip(&drop) {
            *r |= *d;
        }
        keep_roots.extend(t.state(graph));
    }
    let keep = graph.ancestors_mask(&keep_roots);
    Ok((0..n)
        .filter(|&i| keep[i] || (applied.contains(&i) && !removed[i]))
        .collect())
}

/// The current heads of an applied set: applied revisions with no applied child, ascending.
/// Indices outside the graph are ignored.
pub fn current_heads(graph: &Graph, applied: &BTreeSet<usize>) -> Vec<usize> {
    applied
        .range(..graph.len())
        .copied()
        .filter(|&i| !graph.children_of(i).iter().any(|c| applied.contains(c)))
        .collect()
}

/// The current heads as Alembic's version table holds them: [`current_heads`] without those
/// that another applied revision `depends_on` (directly or through its ancestors). When `b2`
/// depends on `a2` and both are applied, `a2` is not a head of its own: Alembic records `b2`
/// alone. Ascending; indices outside the graph are ignored.
pub fn alembic_heads(graph: &Graph, applied: &BTreeSet<usize>) -> Vec<usize> {
    let heads = current_heads(graph, applied);
    if heads.len() < 2 {
        return heads;
    }
    let deps: Vec<usize> = applied
        .range(..graph.len())
        .flat_map(|&i| graph.dependencies_of(i).iter().copied())
        .collect();
    if deps.is_empty() {
        return heads;
    }
    let covered = graph.ancestors_mask(&deps);
    heads.into_iter().filter(|&h| !covered[h]).collect()
}

/// The applied set after running `plan` from `applied`: upgrades added, downgrades removed.
/// Handy for a runner that records progress step by step, and for `--sql` output.
pub fn apply(applied: &BTreeSet<usize>, plan: &Plan) -> BTreeSet<usize> {
    let mut out = applied.clone();
    for s in &plan.steps {
        match s.direction {
            Direction::Upgrade => out.insert(s.revision),
            Direction::Downgrade => out.remove(&s.revision),
        };
    }
    out
}

/// Ancestors-or-self of a target's state, as an applied set.
fn state_set(graph: &Graph, t: &Target) -> BTreeSet<usize> {
    let mask = graph.ancestors_mask(&t.state(graph));
    (0..graph.len()).filter(|&i| mask[i]).collect()
}

fn applied_mask(graph: &Graph, applied: &BTreeSet<usize>) -> Vec<bool> {
    let mut m = vec![false; graph.len()];
    for &i in applied.range(..graph.len()) {
        m[i] = true;
    }
    m
}

/// Ids for a message, in file order.
fn ids(graph: &Graph, v: &[usize]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort_by_key(|&i| graph.input_position(i));
    v.iter().map(|&i| graph.at(i).id.clone()).collect()
}

fn plan_upgrade(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    target: &Target,
) -> Result<Plan, PlanError> {
    let is_applied = applied_mask(graph, applied);
    let not_above = || PlanError::NotAbove {
        target: target.describe(graph),
        current: ids(graph, &current_heads(graph, applied)),
    };
    let roots = match &target.kind {
        Kind::Revs(revs) => revs.clone(),
        Kind::Below(b) => graph.parents_of(*b).to_vec(),
    };
    // `-N` names a revision below the current one: never an upgrade (Alembic: "didn't
    // produce N migrations"). Any other target that is already applied is a no-op, as in
    // Alembic (`upgrade base`, `upgrade <applied revision>`).
    if target.from_current_down && roots.iter().all(|&r| is_applied[r]) {
        return Err(not_above());
    }
    let need = graph.ancestors_mask(&roots);
    let todo: Vec<bool> = need
        .iter()
        .zip(&is_applied)
        .map(|(n, a)| *n && !a)
        .collect();
    let mut order = graph.alembic_order(&todo, &roots);
    order.reverse();
    let steps = order
        .into_iter()
        .map(|revision| Step {
            revision,
            direction: Direction::Upgrade,
        })
        .collect();
    Ok(Plan { steps })
}

/// What a downgrade (or stamp) to `t` removes, before intersecting with the applied set: the
/// target revisions' children through `down_revision` with their descendants and dependents
/// (not the revisions that only depend on a target), the branch from `b` up for "just before
/// `b`",
/// everything for `base`; narrowed to the branch for `label@…` targets (then widened again to
/// the dependents of what is removed).
fn removal_mask(graph: &Graph, t: &Target) -> Vec<bool> {
    let n = graph.len();
    let mut drop = match &t.kind {
        Kind::Revs(revs) if revs.is_empty() => vec![true; n],
        Kind::Revs(revs) => {
            // Alembic's rule: the target's children through down_revision, and everything
            // that descends from them or depends on them; a revision that merely depends on
            // the target stays.
            let keep = graph.ancestors_mask(revs);
            let roots: Vec<usize> = match t.walked_off {
                Some(w) => vec![w],
                None => revs
                    .iter()
                    .flat_map(|&t| graph.children_of(t).iter().copied())
                    .filter(|&c| !keep[c])
                    .collect(),
            };
            let mut d = graph.descendants_mask(&roots);
            for (d, k) in d.iter_mut().zip(&keep) {
                *d &= !*k;
            }
            d
        }
        Kind::Below(b) => graph.descendants_mask(&[*b]),
    };
    if let Some(branch) = &t.branch {
        let roots: Vec<usize> = (0..n).filter(|&i| drop[i] && branch.mask[i]).collect();
        drop = if roots.is_empty() {
            vec![false; n]
        } else {
            graph.descendants_mask(&roots)
        };
    }
    drop
}

fn plan_downgrade(
    graph: &Graph,
    applied: &BTreeSet<usize>,
    target: &Target,
) -> Result<Plan, PlanError> {
    let is_applied = applied_mask(graph, applied);
    if let Kind::Revs(revs) = &target.kind
        && revs.iter().any(|&t| !is_applied[t])
    {
        return Err(PlanError::NotBelow {
            target: target.describe(graph),
            current: ids(graph, &current_heads(graph, applied)),
        });
    }
    let mut drop = removal_mask(graph, target);
    for (d, a) in drop.iter_mut().zip(&is_applied) {
        *d &= *a;
    }
    let steps = graph
        .alembic_order(&drop, &alembic_heads(graph, applied))
        .into_iter()
        .map(|revision| Step {
            revision,
            direction: Direction::Downgrade,
        })
        .collect();
    Ok(Plan { steps })
}
