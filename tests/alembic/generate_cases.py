#!/usr/bin/env python3
"""Writes random conformance cases whose expected answers are Alembic's.

    python tests/alembic/generate_cases.py --seed 9 --count 400 \\
        [--out migrate-core/tests/conformance/generated.txt]

Random graphs (several bases, labeled and not, forks, merges, `depends_on` across branches,
labels on bases and on fork children) with random ancestor-closed database states and
queries (resolve, upgrade, downgrade, stamp, history, ranges, offline `--sql` ranges; absolute,
prefix, `label@...`, `+N`/`-N`, `head-N`, `rev±N` specs). Each case is answered by Alembic through
`oracle.py`, exactly as `check_conformance.py` re-checks it. The output is deterministic for a
seed and an Alembic version; `cargo test -p migrate-core --test conformance` runs it against our
implementation.

Left out, because Alembic's answer there is not an answer or differs by design (cases.txt pins
each with `# deliberate:`):
  * queries on which Alembic crashes (AssertionError, AttributeError, ...) or warns (`-1` from
    several heads: "this usage will be disallowed in a future release");
  * `label@base`, `label@+N`, `label@-N` and `label@REV` for a label that is not on a base
    (Alembic's branch then takes in the trunk below the labeled revision);
  * relative specs in `stamp` (Alembic's stamp resolves no `+N`, `-N`, `REV±N`, `head-N`);
  * `REV-N` / `head-N` walking down past a base when there are several bases (Alembic's walk
    reaches its global `base` and undoes every branch; ours undoes REV's branch);
  * `label@REV...` with REV off the branch in upgrade/downgrade/stamp (Alembic checks branch
    membership only when resolving a plain `label@REV`); `label@heads` when a head is also
    another revision's dependency (Alembic's label@heads then overlaps and refuses);
  * stamps whose result in Alembic differs from what its own upgrade/downgrade to the same
    target leaves (its stamp replaces every version row on the target's lineage, dropping the
    other branches below a merge or dependent row); Alembic's "Not a valid downgrade target
    from current heads" for `label@-N` at a branch point (an Alembic bug);
  * stamps with several targets on a non-empty database (Alembic's result depends on the order
    of the targets and may drop one of them); `current` as an upgrade target; `--sql` ranges
    with an empty side or several starting heads;
  * history ranges `current:current` (Alembic cannot resolve it) and ranges naming `current`
    on an empty database (Alembic reads the empty current as `heads`).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import alembic  # noqa: E402

import oracle  # noqa: E402
from oracle import Case, Rev  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUT = os.path.join(ROOT, "migrate-core/tests/conformance/generated.txt")

# Errors that are Alembic failing on its own assertions, not refusing the input.
CRASHES = ("AssertionError", "AttributeError", "KeyError", "TypeError", "IndexError", "ValueError")


# ---------------------------------------------------------------------------------------------
# graphs


def parents_of(revs: dict[str, Rev], i: str) -> list[str]:
    return revs[i].down


def ancestors(revs: dict[str, Rev], i: str, deps: bool = True) -> set[str]:
    seen: set[str] = set()
    todo = list(revs[i].down + (revs[i].depends if deps else []))
    while todo:
        j = todo.pop()
        if j not in seen:
            seen.add(j)
            todo.extend(revs[j].down + (revs[j].depends if deps else []))
    return seen


def heads(revs: dict[str, Rev]) -> list[str]:
    has_child = {p for r in revs.values() for p in r.down}
    return [i for i in revs if i not in has_child]


def inherited_labels(revs: dict[str, Rev], i: str) -> frozenset[str]:
    labels = set(revs[i].labels)
    for a in ancestors(revs, i, deps=False):
        labels |= set(revs[a].labels)
    return frozenset(labels)


class GraphMaker:
    def __init__(self, rng: random.Random, n: int):
        self.rng = rng
        self.labels = 0
        self.n = n

    def new_id(self, revs) -> str:
        # a few shared 3-character stems, so that 4-character prefixes are sometimes ambiguous
        stem = self.rng.choice(["a1c", "a1c", "b7e", "c40", "d9f"])
        while True:
            i = stem + "".join(self.rng.choice("0123456789abcdef") for _ in range(5))
            if i not in revs:
                return i

    def new_label(self) -> str:
        self.labels += 1
        return f"br_{self.labels}"

    def make(self) -> list[Rev]:
        rng = self.rng
        revs: dict[str, Rev] = {}
        nbases = rng.choice([1, 1, 2, 2, 3])
        for b in range(nbases):
            r = Rev(self.new_id(revs))
            if b > 0 or rng.random() < 0.5:
                r.labels.append(self.new_label())
            revs[r.id] = r
        while len(revs) < self.n:
            r = Rev(self.new_id(revs))
            hs = heads(revs)
            roll = rng.random()
            if roll < 0.15 and len(hs) >= 2:
                r.down = rng.sample(hs, 2)  # merge two heads
            elif roll < 0.30:
                parent = rng.choice(list(revs))  # anywhere: often a fork
                r.down = [parent]
                if any(parent in x.down for x in revs.values()) and rng.random() < 0.6:
                    r.labels.append(self.new_label())
            else:
                r.down = [rng.choice(hs)]
            if rng.random() < 0.25:
                anc = set()
                for d in r.down:
                    anc |= ancestors(revs, d) | {d}
                others = [i for i in revs if i not in anc]
                if others:
                    r.depends.append(rng.choice(others))
            if rng.random() < 0.08 and not r.labels:
                r.labels.append(self.new_label())
            revs[r.id] = r
        # our graph check: heads must be told apart by the labels on their ancestry
        while True:
            groups: dict[frozenset, list[str]] = {}
            for h in heads(revs):
                groups.setdefault(inherited_labels(revs, h), []).append(h)
            clash = [hs for hs in groups.values() if len(hs) > 1]
            if not clash:
                break
            hs = clash[0]
            if rng.random() < 0.5:
                r = Rev(self.new_id(revs), down=hs[:2])  # merge them
                revs[r.id] = r
            else:
                revs[hs[1]].labels.append(self.new_label())
        return list(revs.values())


# ---------------------------------------------------------------------------------------------
# queries


class QueryMaker:
    def __init__(self, rng: random.Random, revs: list[Rev]):
        self.rng = rng
        self.revs = revs
        self.by_id = {r.id: r for r in revs}
        self.order = oracle.topo_order(revs)
        self.labels = [l for r in revs for l in r.labels]
        # labels whose branch starts at a base: label@base / label@-N / label@REV mean the same
        # in both tools there
        self.base_labels = [l for r in revs if not r.down for l in r.labels]
        self.members = {
            l: [i for i in self.order if i == r.id or r.id in ancestors(self.by_id, i, deps=False)]
            for r in revs
            for l in r.labels
        }
        self.bases = [r.id for r in revs if not r.down]
        self.dependency_heads = [h for h in heads(self.by_id) if any(h in r.depends for r in revs)]

    def walks_below_a_base(self, spec: str) -> bool:
        """`REV-N` / `head-N` whose walk down steps from a base while there are several bases:
        Alembic's walk then reaches its global `base` (every branch), ours stays on REV's."""
        m = re.fullmatch(r"(?:\w+@)?(\w+)-(\d+)", spec)
        if not m or len(self.bases) < 2:
            return False
        sym, n = m.group(1), int(m.group(2))
        if sym == "head":
            hs = heads(self.by_id)
            if len(hs) != 1:
                return False
            sym = hs[0]
        if sym not in self.by_id:
            return False
        for _ in range(n):
            down = self.by_id[sym].down
            if not down:
                return True
            if len(down) > 1:
                return False
            sym = down[0]
        return False

    def skip(self, applied: str, command: str) -> bool:
        """Queries left out on purpose (see the module doc)."""
        cmd, _, arg = command.partition(" ")
        for label, rev in re.findall(r"(br_\d+)@(\w+)", arg):
            if rev in self.by_id and rev not in self.members[label] and cmd != "resolve":
                return True  # Alembic checks branch membership only when resolving
            if rev == "heads" and self.dependency_heads:
                return True  # Alembic's label@heads keeps heads that another head depends on
        if cmd in ("history", "range") and (arg == "current:current" or ("current" in arg and applied == "none")):
            return True
        if cmd == "stamp" and len(arg.split()) > 1 and applied != "none":
            return True
        return any(self.walks_below_a_base(part) for part in re.split(r"[ :]", arg))

    def applied(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.2:
            return "none"
        if roll < 0.35:
            return "all"
        picks = rng.sample(self.order, rng.choice([1, 1, 2, 3]))
        s = oracle.closure(self.revs, picks)
        return " ".join(i for i in self.order if i in s)

    def rid(self) -> str:
        return self.rng.choice(self.order)

    def prefix(self) -> str:
        return self.rid()[: self.rng.choice([4, 4, 5, 6])]

    def label(self) -> str:
        return self.rng.choice(self.labels)

    def member(self, label: str) -> str:
        """A revision on `label`'s branch: the labeled revision or a descendant."""
        return self.rng.choice(self.members[label])

    def absolute(self) -> str:
        rng = self.rng
        forms = [
            lambda: "heads",
            lambda: "head",
            lambda: self.rid(),
            lambda: self.prefix(),
            lambda: f"{self.rid()}+{rng.choice([1, 1, 2])}",
            lambda: f"{self.rid()}-{rng.choice([1, 1, 2])}",
            lambda: f"head-{rng.choice([1, 2])}",
        ]
        if self.labels:
            forms += [lambda: f"{self.label()}@head", lambda: f"{self.label()}@heads"]
        if self.base_labels:
            bl = lambda: rng.choice(self.base_labels)  # noqa: E731
            forms += [
                lambda: f"{bl()}@base",
                lambda: f"{bl()}@{self.rid()}",
                lambda: (lambda l: f"{l}@{self.member(l)}+1")(bl()),
            ]
        return rng.choice(forms)()

    def relative_up(self) -> str:
        n = self.rng.choice([1, 1, 2, 3])
        forms = [f"+{n}"]
        if self.base_labels:
            forms.append(f"{self.rng.choice(self.base_labels)}@+{n}")
        return self.rng.choice(forms)

    def relative_down(self) -> str:
        n = self.rng.choice([1, 1, 2, 3])
        forms = [f"-{n}"]
        if self.base_labels:
            forms.append(f"{self.rng.choice(self.base_labels)}@-{n}")
        return self.rng.choice(forms)

    def unrelated_pair(self) -> list[str] | None:
        for _ in range(10):
            a, b = self.rng.sample(self.order, 2)
            if a not in oracle.closure(self.revs, [b]) and b not in oracle.closure(self.revs, [a]):
                return [a, b]
        return None

    def query(self) -> tuple[str, str]:
        rng = self.rng
        kind = rng.choices(
            ["resolve", "upgrade", "downgrade", "stamp", "history", "range", "sql"],
            weights=[20, 22, 22, 10, 10, 5, 11],
        )[0]
        applied = self.applied()
        if kind == "resolve":
            spec = rng.choice([self.absolute, self.absolute, self.relative_up, self.relative_down, lambda: "current", lambda: "base"])()
            return applied, f"resolve {spec}"
        if kind == "upgrade":
            spec = rng.choice([self.absolute, self.absolute, self.relative_up, lambda: "heads"])()
            return applied, f"upgrade {spec}"
        if kind == "downgrade":
            spec = rng.choice([self.absolute, self.relative_down, self.relative_down, lambda: "base"])()
            return applied, f"downgrade {spec}"
        if kind == "stamp":
            pair = self.unrelated_pair()
            spec = rng.choice([self.absolute, self.absolute, lambda: "base", lambda: " ".join(pair) if pair else "heads"])()
            while re.search(r"[+-][0-9]", spec):
                spec = self.absolute()
            return applied, f"stamp {spec}"
        if kind in ("history", "range"):
            lo = rng.choice([self.rid, self.rid, lambda: "", lambda: "current", lambda: f"-{rng.choice([1, 2])}"])()
            his = [self.rid, self.rid, lambda: "", lambda: "current", lambda: "+1"]
            if self.labels:
                his.append(lambda: f"{self.label()}@head")
            hi = rng.choice(his)()
            return applied, f"{kind} {lo}:{hi}"
        # offline (--sql): both sides given, one starting revision
        a, b = sorted(rng.sample(self.order, 2), key=self.order.index)
        if rng.random() < 0.5:
            lo = rng.choice([a, "base"])
            return "none", f"upgrade {lo}:{b}"
        return "none", f"downgrade {b}:{rng.choice([a, 'base'])}"


# Alembic 1.20 filters a `label@-N` downgrade's candidate revisions by the ancestors of the
# labeled revision, which leaves none when the target is a branch point above that revision.
ALEMBIC_BUG = "Not a valid downgrade target from current heads"


def stamp_moves_like_upgrade_or_downgrade(project: oracle.Project, applied: str, command: str) -> bool:
    """For `stamp X`: whether Alembic's stamp leaves the revisions its own `downgrade X` (X
    applied) or `upgrade X` would. Alembic's stamp replaces every version row on X's lineage
    (through depends_on, and rows that are merges) by X, dropping other branches below such a row;
    we stamp to what the migration commands would leave, so those cases differ on purpose."""
    cmd, _, arg = command.partition(" ")
    if cmd != "stamp" or len(arg.split()) != 1:
        return True
    before = oracle.applied_set(project, applied)
    try:
        stamped = (project.run(before, "stamp", arg), project.last_applied)[1]
        targets = project.rev_ids(project.map.get_revisions(arg))
        down = arg == "base" or arg.endswith("@base") or oracle.closure(project.revs, targets) <= before
        project.run(before, "downgrade" if down else "upgrade", arg)
        return project.last_applied == stamped
    except oracle.Failure:
        return True


# ---------------------------------------------------------------------------------------------


def generate(seed: int, count: int) -> tuple[list[tuple[str, list[Rev]]], list[tuple[str, str, str, str]], dict]:
    rng = random.Random(seed)
    fixtures: list[tuple[str, list[Rev]]] = []
    cases: list[tuple[str, str, str, str]] = []
    stats = {"crash": 0, "warn": 0, "dup": 0, "skip": 0}
    projects = oracle.Projects({})
    try:
        g = 0
        while len(cases) < count:
            g += 1
            name = f"g{g}"
            revs = GraphMaker(rng, rng.randint(5, 14)).make()
            projects.fixtures[name] = revs
            fixtures.append((name, revs))
            qm = QueryMaker(rng, revs)
            seen = set()
            per_graph = 0
            for _ in range(40):
                if per_graph >= 10 or len(cases) >= count:
                    break
                applied, command = qm.query()
                if qm.skip(applied, command):
                    stats["skip"] += 1
                    continue
                if (applied, command) in seen:
                    stats["dup"] += 1
                    continue
                seen.add((applied, command))
                got, warns = oracle.answer(projects, Case(0, name, applied, command, "", None))
                if got.startswith("err: ") and got[5:].split(":")[0] in CRASHES:
                    stats["crash"] += 1
                    continue
                if ALEMBIC_BUG in got or not stamp_moves_like_upgrade_or_downgrade(projects.get(name), applied, command):
                    stats["skip"] += 1
                    continue
                if warns:
                    stats["warn"] += 1
                    continue
                if got.startswith("err: "):
                    message = got[5:].replace("#", "").replace("\n", " ")
                    cases.append((name, applied, command, f"err  # alembic: {message}"))
                else:
                    cases.append((name, applied, command, got))
                per_graph += 1
    finally:
        projects.close()
    return fixtures, cases, stats


def render(seed: int, count: int, fixtures, cases, stats) -> str:
    out = [
        "# Generated conformance cases: random graphs, expected answers computed by Alembic",
        f"# {alembic.__version__}. Do not edit: regenerate with",
        f"#     python tests/alembic/generate_cases.py --seed {seed} --count {count}",
        "# (the format is cases.txt's; `err` means Alembic refuses, its message follows `# alembic:`).",
        "# `cargo test -p migrate-core --test conformance` checks our implementation against these",
        "# answers; tests/alembic/check_conformance.py re-derives them from Alembic in .ci/run.",
        f"# Left out while generating: {stats['crash']} queries Alembic crashed on, {stats['warn']} it warned",
        f"# about, {stats['skip']} of the shapes where we differ on purpose (see generate_cases.py).",
        "",
    ]
    for name, revs in fixtures:
        out.append(f"graph {name}")
        out.extend("    " + r.line() for r in revs)
    out.append("")
    width = max(len(c[2]) for c in cases)
    current = None
    for name, applied, command, expected in cases:
        if name != current:
            out.append(f"# ---- {name}")
            current = name
        out.append(f"{name} | {applied} | {command.ljust(width)} | {expected}")
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    fixtures, cases, stats = generate(args.seed, args.count)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(render(args.seed, args.count, fixtures, cases, stats))
    print(f"wrote {len(cases)} cases over {len(fixtures)} graphs to {os.path.relpath(args.out, ROOT)} ({stats})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
