//! The properties the fuzz targets check, one function per target, each taking the raw fuzz
//! input and panicking when a property fails.
//!
//! This file is shared, not copied: the targets in `fuzz_targets/` include it with
//! `#[path = "../checks.rs"] mod checks;` and the stable regression test
//! (`migrate-core/tests/fuzz_regressions.rs`) includes it the same way and replays every file
//! of `corpus/<target>/` and `regressions/<target>/` through the same function. The source
//! checks are gated on `feature = "source"`, which both including crates define.
//!
//! The graph target decodes its bytes with the small [`GraphInput::decode`] below rather than
//! the `arbitrary` crate: the regression test then needs no extra dev-dependency, and the
//! meaning of the committed byte files cannot change when `arbitrary` changes its format.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use migrate_core::graph::{self, Graph, GraphErrors, RevisionInfo};
use migrate_core::plan::{self, Direction, Plan};
use migrate_core::spec::{self, Spec};

// ---------------------------------------------------------------------------------------
// spec_parse

/// `Spec::parse` on any text: when it parses, writing it back must parse to the same spec;
/// then the text is resolved and planned against small fixed graphs (with several applied
/// sets) by every entry point that takes a spec, which must not panic and must return
/// well-formed results.
pub fn spec_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Spec::parse(text) {
        Ok(spec) => {
            let written = spec.to_string();
            assert_eq!(
                Spec::parse(&written).as_ref(),
                Ok(&spec),
                "`{text}` parses to {spec:?}, which is written back as `{written}`"
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    for fixed in fixed_graphs() {
        for (applied, closed) in &fixed.applied {
            exercise_spec(&fixed.graph, applied, *closed, text);
        }
    }
}

struct Fixed {
    graph: Graph,
    /// Applied sets, each with whether it is downward-closed (what a healthy version table
    /// holds); the others (out-of-range indices, a head without its parents) must only not
    /// make anything panic.
    applied: Vec<(BTreeSet<usize>, bool)>,
}

/// Two graphs covering the spec forms: ambiguous id prefixes, labeled branches, a second
/// labeled base, `depends_on` across branches, a branch point and a merge point.
fn fixed_graphs() -> &'static [Fixed] {
    static GRAPHS: OnceLock<Vec<Fixed>> = OnceLock::new();
    GRAPHS.get_or_init(|| {
        let r = RevisionInfo::new;
        let branches = vec![
            r("ae1027a6acf", &[]).with_labels(&["main"]),
            r("27c6a30d7c24", &["ae1027a6acf"]),
            r("27c7b1a2", &["27c6a30d7c24"]),
            r("d5a2", &["27c7b1a2"]).with_labels(&["feature"]),
            r("e1f0", &["27c7b1a2"]),
            r("f00d", &["d5a2"]),
            r("0dd", &["e1f0"]).with_depends_on(&["d5a2"]),
            r("b0b", &[]).with_labels(&["other"]),
            r("c0c", &["b0b"]).with_depends_on(&["27c6a30d7c24"]),
        ];
        let diamond = vec![
            r("a1", &[]),
            r("b2", &["a1"]).with_labels(&["left"]),
            r("c3", &["a1"]).with_labels(&["right"]),
            r("d4", &["b2", "c3"]),
            r("e5", &["d4"]),
        ];
        [branches, diamond]
            .into_iter()
            .map(|revs| {
                let graph = Graph::new(revs).expect("the fixed graphs are valid");
                let n = graph.len();
                let all: BTreeSet<usize> = (0..n).collect();
                let half = graph.ancestors_mask(&[n / 2]);
                let half: BTreeSet<usize> = (0..n).filter(|&i| half[i]).collect();
                let mut out_of_range = all.clone();
                out_of_range.extend([n, usize::MAX]);
                let head_only: BTreeSet<usize> = graph.heads().into_iter().take(1).collect();
                let applied = vec![
                    (BTreeSet::new(), true),
                    (half, true),
                    (all, true),
                    (out_of_range, false),
                    (head_only, false),
                ];
                Fixed { graph, applied }
            })
            .collect()
    })
}

/// Runs `text` through every function that takes a spec. When `closed` (the applied set is
/// downward-closed), plans must also be executable step by step and keep the set closed.
pub fn exercise_spec(g: &Graph, applied: &BTreeSet<usize>, closed: bool, text: &str) {
    let n = g.len();
    let ctx = || {
        format!(
            "spec `{text}`, applied {applied:?}, graph [{}]",
            Revs(g.revisions())
        )
    };
    let range = Spec::parse(text).is_ok_and(|s| s.is_range());

    match spec::resolve(g, applied, text) {
        Ok(v) => assert_distinct(&v, n, "resolve", &ctx),
        Err(e) => drop(e.to_string()),
    }
    match spec::resolve_range(g, applied, text) {
        Ok((lower, upper)) => {
            assert_distinct(&lower, n, "resolve_range (lower)", &ctx);
            assert_distinct(&upper, n, "resolve_range (upper)", &ctx);
            let revs = spec::range_revisions(g, &lower, &upper);
            assert_topological(g, &revs, "range_revisions", &ctx);
        }
        Err(e) => drop(e.to_string()),
    }
    match spec::history_range(g, applied, text) {
        Ok(v) => assert_topological(g, &v, "history_range", &ctx),
        Err(e) => drop(e.to_string()),
    }
    for direction in [Direction::Upgrade, Direction::Downgrade] {
        let planned = match direction {
            Direction::Upgrade => plan::upgrade(g, applied, text),
            Direction::Downgrade => plan::downgrade(g, applied, text),
        };
        match planned {
            // offline ranges plan from their own start, not from `applied`
            Ok(p) => check_plan(g, applied, closed && !range, &p, direction, &ctx),
            Err(e) => drop(e.to_string()),
        }
    }
    match plan::stamp(g, applied, &[text]) {
        Ok(set) => {
            let v: Vec<usize> = set.iter().copied().collect();
            assert_ascending(&v, n, "stamp", &ctx);
            if closed {
                assert_closed(g, &set, "the applied set after stamp", &ctx);
            }
        }
        Err(e) => drop(e.to_string()),
    }
}

fn assert_ascending(v: &[usize], n: usize, what: &str, ctx: &dyn Fn() -> String) {
    assert!(
        v.windows(2).all(|w| w[0] < w[1]) && v.iter().all(|&i| i < n),
        "{what} returned {v:?}: not ascending indices below {n}; {}",
        ctx()
    );
}

/// A set of revisions in some order (Alembic's, which need not be the index order): each
/// index inside the graph, none twice.
fn assert_distinct(v: &[usize], n: usize, what: &str, ctx: &dyn Fn() -> String) {
    let mut seen = vec![false; n];
    for &i in v {
        assert!(
            i < n && !std::mem::replace(&mut seen[i], true),
            "{what} returned {v:?}: an index twice or outside the graph ({n}); {}",
            ctx()
        );
    }
}

/// Revisions oldest first in a topological order (Alembic's, which need not be the index
/// order): distinct, and every parent or dependency in the list comes before its child.
fn assert_topological(g: &Graph, v: &[usize], what: &str, ctx: &dyn Fn() -> String) {
    let n = g.len();
    assert_distinct(v, n, what, ctx);
    let mut pos = vec![usize::MAX; n];
    for (k, &i) in v.iter().enumerate() {
        pos[i] = k;
    }
    for (k, &i) in v.iter().enumerate() {
        for &q in g.parents_of(i).iter().chain(g.dependencies_of(i)) {
            assert!(
                pos[q] == usize::MAX || pos[q] < k,
                "{what} returned {v:?}: `{}` comes before its parent or dependency `{}`; {}",
                g.at(i).id,
                g.at(q).id,
                ctx()
            );
        }
    }
}

/// Every applied revision (inside the graph) has its parents and dependencies applied.
fn assert_closed(g: &Graph, set: &BTreeSet<usize>, what: &str, ctx: &dyn Fn() -> String) {
    for &i in set.range(..g.len()) {
        for &p in g.parents_of(i).iter().chain(g.dependencies_of(i)) {
            assert!(
                set.contains(&p),
                "{what} {set:?} holds `{}` but not its parent or dependency `{}`; {}",
                g.at(i).id,
                g.at(p).id,
                ctx()
            );
        }
    }
}

/// Steps go one way, each revision once, in topological order (upgrades ascending,
/// downgrades descending), upgrading only what is not applied and downgrading only what is.
/// When `executable`: every upgrade finds its parents and dependencies applied, every
/// downgrade finds no applied child or dependent, so the result stays downward-closed.
fn check_plan(
    g: &Graph,
    applied: &BTreeSet<usize>,
    executable: bool,
    p: &Plan,
    direction: Direction,
    ctx: &dyn Fn() -> String,
) {
    let n = g.len();
    let revs: Vec<usize> = p.steps.iter().map(|s| s.revision).collect();
    assert!(
        p.steps
            .iter()
            .all(|s| s.direction == direction && s.revision < n),
        "{direction:?} plan {revs:?} has a step in the wrong direction or outside the graph; {}",
        ctx()
    );
    // topological (Alembic's order, not necessarily the index order): upgrades parents first,
    // downgrades children first
    match direction {
        Direction::Upgrade => assert_topological(g, &revs, "upgrade plan", ctx),
        Direction::Downgrade => {
            let up: Vec<usize> = revs.iter().rev().copied().collect();
            assert_topological(g, &up, "downgrade plan (reversed)", ctx);
        }
    }
    if !executable {
        return;
    }
    // children and dependents: what must be undone before a revision
    let mut above = vec![Vec::new(); n];
    for j in 0..n {
        for &q in g.parents_of(j).iter().chain(g.dependencies_of(j)) {
            above[q].push(j);
        }
    }
    let mut cur = applied.clone();
    for &r in &revs {
        let id = &g.at(r).id;
        match direction {
            Direction::Upgrade => {
                assert!(
                    !cur.contains(&r),
                    "upgrade plan {revs:?} re-applies `{id}`; {}",
                    ctx()
                );
                for &q in g.parents_of(r).iter().chain(g.dependencies_of(r)) {
                    assert!(
                        cur.contains(&q),
                        "upgrade plan {revs:?} applies `{id}` before `{}`; {}",
                        g.at(q).id,
                        ctx()
                    );
                }
                cur.insert(r);
            }
            Direction::Downgrade => {
                assert!(
                    cur.contains(&r),
                    "downgrade plan {revs:?} undoes unapplied `{id}`; {}",
                    ctx()
                );
                for &j in &above[r] {
                    assert!(
                        !cur.contains(&j),
                        "downgrade plan {revs:?} undoes `{id}` while `{}` above it is applied; {}",
                        g.at(j).id,
                        ctx()
                    );
                }
                cur.remove(&r);
            }
        }
    }
    assert_eq!(
        cur,
        plan::apply(applied, p),
        "plan::apply disagrees with the steps; {}",
        ctx()
    );
    assert_closed(
        g,
        &cur,
        &format!("the applied set after {direction:?}"),
        ctx,
    );
}

// ---------------------------------------------------------------------------------------
// source_parse

/// `source::parse_file` on any text, and `source::parse_args` on the text lexed as tokens:
/// no panic, and what they accept follows the documented rules (valid ids and labels, no id
/// listed twice, a revision never names itself).
#[cfg(feature = "source")]
pub fn source_parse(data: &[u8]) {
    use migrate_core::source;
    use std::str::FromStr;

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match source::parse_file(text) {
        Ok(rev) => {
            check_args(&rev.args, text);
            assert_eq!(rev.to_info("fuzz.rs").id, rev.args.revision);
        }
        Err(e) => drop(e.to_string()),
    }
    if let Ok(tokens) = proc_macro2::TokenStream::from_str(text) {
        match source::parse_args(tokens) {
            Ok(args) => check_args(&args, text),
            Err(e) => drop(e.to_string()),
        }
    }
}

#[cfg(feature = "source")]
fn check_args(args: &migrate_core::source::MigrationArgs, text: &str) {
    use migrate_core::source::{validate_branch_label, validate_revision_id};

    let ctx = || format!("{args:?} from {text:?}");
    assert!(
        validate_revision_id(&args.revision).is_ok(),
        "invalid id accepted: {}",
        ctx()
    );
    for (list, label_allowed) in [(&args.down_revisions, false), (&args.depends_on, true)] {
        for (i, id) in list.iter().enumerate() {
            // a `depends_on` entry may also be a branch label, as in Alembic
            assert!(
                validate_revision_id(id).is_ok()
                    || (label_allowed && validate_branch_label(id).is_ok()),
                "invalid id `{id}` accepted: {}",
                ctx()
            );
            assert!(*id != args.revision, "a revision names itself: {}", ctx());
            assert!(!list[..i].contains(id), "`{id}` listed twice: {}", ctx());
        }
    }
    for (i, label) in args.branch_labels.iter().enumerate() {
        assert!(
            validate_branch_label(label).is_ok(),
            "invalid label `{label}` accepted: {}",
            ctx()
        );
        assert!(
            !args.branch_labels[..i].contains(label),
            "`{label}` listed twice: {}",
            ctx()
        );
    }
}

// ---------------------------------------------------------------------------------------
// graph_check

/// `graph::check` on up to 64 revisions decoded from the bytes ([`GraphInput::decode`]):
/// no panic, and `Graph::new` agrees with it. On a valid graph: `revisions()` is a
/// topological order of the input, every id resolves to itself, `upgrade heads` from nothing
/// applies everything step by step and `downgrade base` undoes exactly that in reverse; and a
/// few specs built from the graph's ids and labels ("probes", picked by the input's trailing
/// bytes) are resolved and planned from several applied sets (as in [`spec_parse`]).
pub fn graph_check(data: &[u8]) {
    let GraphInput {
        revs,
        split,
        probes,
    } = GraphInput::decode(data);
    let errors = graph::check(&revs);
    let built = Graph::new(revs.clone());
    let g = match built {
        Ok(g) => {
            assert!(
                errors.is_empty(),
                "check found {errors:?} but Graph::new succeeded: {}",
                Revs(&revs)
            );
            g
        }
        Err(e) => {
            assert_eq!(
                e.0,
                errors,
                "check and Graph::new disagree: {}",
                Revs(&revs)
            );
            assert!(
                !errors.is_empty(),
                "Graph::new failed without errors: {}",
                Revs(&revs)
            );
            let _ = GraphErrors(errors).to_string();
            return;
        }
    };
    let ctx = || format!("graph [{}]", Revs(&revs));
    let n = g.len();

    // revisions(): the same revisions, in a topological order
    assert_eq!(n, revs.len(), "{}", ctx());
    let mut got: Vec<&str> = g.revisions().iter().map(|r| r.id.as_str()).collect();
    let mut want: Vec<&str> = revs.iter().map(|r| r.id.as_str()).collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "revisions() is not the input; {}", ctx());
    for (i, r) in g.revisions().iter().enumerate() {
        assert_eq!(
            g.index_of(&r.id),
            Some(i),
            "index_of(`{}`); {}",
            r.id,
            ctx()
        );
        for (what, ids) in [("parent", &r.down_revisions), ("dependency", &r.depends_on)] {
            for id in ids {
                let j = g.index_of(id).unwrap_or(usize::MAX);
                assert!(
                    j < i,
                    "{what} `{id}` of `{}` is not before it in revisions(); {}",
                    r.id,
                    ctx()
                );
            }
        }
        let parents: Vec<&str> = g
            .parents_of(i)
            .iter()
            .map(|&p| g.at(p).id.as_str())
            .collect();
        assert_eq!(
            parents,
            r.down_revisions,
            "parents_of(`{}`); {}",
            r.id,
            ctx()
        );
        for &c in g.children_of(i) {
            assert!(
                g.parents_of(c).contains(&i),
                "children_of(`{}`); {}",
                r.id,
                ctx()
            );
        }
        // an exact id wins over labels and prefixes
        let resolved = spec::resolve(&g, &BTreeSet::new(), &r.id);
        assert_eq!(resolved, Ok(vec![i]), "resolve(`{}`); {}", r.id, ctx());
    }

    // upgrade heads from nothing, then downgrade base: everything, then exactly the inverse
    let none = BTreeSet::new();
    let up = plan::upgrade(&g, &none, "heads")
        .unwrap_or_else(|e| panic!("upgrade heads from nothing failed: {e}; {}", ctx()));
    check_plan(&g, &none, true, &up, Direction::Upgrade, &ctx);
    let all = plan::apply(&none, &up);
    assert_eq!(
        all,
        (0..n).collect(),
        "upgrade heads did not apply everything; {}",
        ctx()
    );
    let down = plan::downgrade(&g, &all, "base")
        .unwrap_or_else(|e| panic!("downgrade base from everything failed: {e}; {}", ctx()));
    check_plan(&g, &all, true, &down, Direction::Downgrade, &ctx);
    let up_revs: Vec<usize> = up.steps.iter().map(|s| s.revision).collect();
    let mut down_revs: Vec<usize> = down.steps.iter().map(|s| s.revision).collect();
    down_revs.reverse();
    assert_eq!(
        up_revs,
        down_revs,
        "downgrade base is not the inverse of upgrade heads; {}",
        ctx()
    );

    // probes: specs built from the graph's ids and labels, chosen by the input, resolved and
    // planned from nothing, from a prefix of the topological order, or from everything
    let prefix: BTreeSet<usize> = (0..split % (n + 1)).collect();
    let labels: Vec<&str> = g
        .revisions()
        .iter()
        .flat_map(|r| &r.branch_labels)
        .map(String::as_str)
        .collect();
    for (p, q) in probes {
        let applied = [&none, &prefix, &all][usize::from(p) % 3];
        let form = PROBES[usize::from(p / 3) % PROBES.len()];
        let id = g
            .revisions()
            .get(usize::from(q) % n.max(1))
            .map_or("a", |r| r.id.as_str());
        let label = labels
            .get(usize::from(q) % labels.len().max(1))
            .copied()
            .unwrap_or("x");
        let text = form
            .replace("{id}", id)
            .replace("{short}", &id[..1])
            .replace("{label}", label);
        exercise_spec(&g, applied, true, &text);
    }
}

/// The spec forms a graph probe can take; `{id}` is a revision's id, `{short}` its first
/// character (an id prefix), `{label}` a branch label.
const PROBES: [&str; 25] = [
    "head",
    "heads",
    "base",
    "current",
    "+1",
    "-1",
    "+2",
    "-2",
    "head-1",
    "head+1",
    ":",
    "base:heads",
    "{id}",
    "{id}-1",
    "{id}+1",
    "{id}-2",
    "{short}",
    ":{id}",
    "{id}:",
    "{label}@head",
    "{label}@heads",
    "{label}@base",
    "{label}@-1",
    "{label}@+1",
    "{label}@{id}",
];

/// A revision list decoded from fuzz bytes. Missing bytes read as 0, so every byte string
/// decodes: the one byte `k` alone is the chain `a <- b <- c <- …` of `k` revisions.
///
/// Layout: byte 0 is the revision count (mod 65), byte 1 picks the prefix applied set; then
/// per revision a flags byte, one byte per parent and dependency reference, one per label,
/// one for a pooled id; the bytes after the last revision are probes (up to 32 byte pairs,
/// see [`PROBES`]):
/// - flags bits 0-1: parents (1, 0, 2, 1); bit 2: one `depends_on`, bit 5: a second one;
///   bit 3: one branch label, bit 6: a second one; bit 4: the id comes from a small pool
///   (so ids can repeat);
/// - a reference byte `r`, by `r >> 6`: 0 the previous revision, 1 an earlier revision,
///   2 any revision (self and later ones: cycles), 3 an id that may not exist;
/// - ids are `a`, `b`, `c`, `aa`, `ab`, … (one per index: short, and prefixes of each other);
///   labels come from a pool that includes an id and a reserved word.
pub struct GraphInput {
    /// The revisions, in input order.
    pub revs: Vec<RevisionInfo>,
    /// Picks the applied prefix of the topological order that [`graph_check`] plans from.
    pub split: usize,
    /// Spec probes: (form and applied set, revision or label), one per remaining byte pair.
    pub probes: Vec<(u8, u8)>,
}

const LABELS: [&str; 6] = ["x", "y", "z", "br1", "a", "head"];

impl GraphInput {
    pub fn decode(data: &[u8]) -> GraphInput {
        let mut bytes = data.iter().copied();
        let mut next = || bytes.next().unwrap_or(0);
        let n = usize::from(next()) % 65;
        let split = usize::from(next());
        enum Ref {
            Index(usize),
            Id(String),
        }
        let refs = |i: usize, r: u8| -> Option<Ref> {
            let k = usize::from(r & 63);
            match r >> 6 {
                0 => i.checked_sub(1).map(Ref::Index),
                1 => (i > 0).then(|| Ref::Index(k % i)),
                2 => Some(Ref::Index(k % n)),
                _ => Some(Ref::Id(short_id(k))),
            }
        };
        let mut raw = Vec::with_capacity(n);
        for i in 0..n {
            let f = next();
            let parents = [1, 0, 2, 1][usize::from(f & 3)];
            let deps = usize::from(f & 4 != 0) + usize::from(f & 32 != 0);
            let labels = usize::from(f & 8 != 0) + usize::from(f & 64 != 0);
            let p: Vec<Ref> = (0..parents).filter_map(|_| refs(i, next())).collect();
            let d: Vec<Ref> = (0..deps).filter_map(|_| refs(i, next())).collect();
            let l: Vec<String> = (0..labels)
                .map(|_| LABELS[usize::from(next()) % LABELS.len()].to_owned())
                .collect();
            let id = if f & 16 != 0 {
                short_id(usize::from(next()) % 16)
            } else {
                short_id(i)
            };
            raw.push((id, p, d, l));
        }
        let ids: Vec<String> = raw.iter().map(|r| r.0.clone()).collect();
        let name = |r: Ref| match r {
            Ref::Index(j) => ids[j].clone(),
            Ref::Id(s) => s,
        };
        let revs = raw
            .into_iter()
            .map(|(id, p, d, l)| RevisionInfo {
                file: format!("{id}.rs"),
                id,
                down_revisions: p.into_iter().map(name).collect(),
                depends_on: d.into_iter().map(name).collect(),
                branch_labels: l,
                message: String::new(),
            })
            .collect();
        let rest: Vec<u8> = bytes.collect();
        let probes = rest
            .chunks(2)
            .take(32)
            .map(|c| (c[0], c.get(1).copied().unwrap_or(0)))
            .collect();
        GraphInput {
            revs,
            split,
            probes,
        }
    }
}

/// `a`, `b`, `c`, `aa`, `ab`, …: bijective base 3.
fn short_id(mut k: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'a' + (k % 3) as u8);
        if k < 3 {
            break;
        }
        k = k / 3 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

/// Revisions in the line format of `migrate-core/tests/graph.rs`
/// (`ID [down P...] [label L...] [depends D...]`, `;`-separated), for failure messages.
pub struct Revs<'a>(pub &'a [RevisionInfo]);

impl fmt::Display for Revs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(&r.id)?;
            for (word, list) in [
                ("down", &r.down_revisions),
                ("label", &r.branch_labels),
                ("depends", &r.depends_on),
            ] {
                if !list.is_empty() {
                    write!(f, " {word} {}", list.join(" "))?;
                }
            }
        }
        Ok(())
    }
}
