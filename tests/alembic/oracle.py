"""Alembic as the oracle of the conformance suite.

Reads the case format of `migrate-core/tests/conformance/cases.txt` (its header documents it),
builds each `graph` fixture as a real Alembic project (an `env.py` and one version file per
revision, with `revision`, `down_revision`, `branch_labels` and `depends_on`), and answers each
case the way Alembic does:

* `upgrade` / `downgrade` / `stamp` / `history` run Alembic's own commands
  (`alembic.command.*`) against an in-memory SQLite database; each version file's `upgrade()` /
  `downgrade()` appends `+id` / `-id` to a log, so the steps are the ones Alembic executed, in
  its order. `A:B` ranges run in offline (`--sql`) mode, as on the command line.
* the APPLIED column is an ancestor-closed set; the database is brought there by Alembic itself
  (`alembic upgrade X` for each maximal element X), so its version table holds what Alembic
  would hold.
* `resolve` has no command of its own in Alembic: it uses the resolution the commands use
  (`RevisionMap.get_revisions`, and `_parse_upgrade_target` / `_parse_downgrade_target` for
  relative specs, relative to the database's version rows); `current` is what `alembic current`
  prints, `heads` what `alembic heads` prints.
* `range A:B` is `RevisionMap.iterate_revisions(B, A, implicit_base=True)`: what an offline
  `upgrade A:B --sql` runs (exclusive of A).
* `parse` cases test our own spec syntax round trip: they have no Alembic counterpart.

Answers are rendered in the case file's EXPECTED notation (see `render`).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field

import sqlalchemy
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import _relative_destination

# ---------------------------------------------------------------------------------------------
# the case file


@dataclass
class Rev:
    id: str
    down: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    depends: list[str] = field(default_factory=list)

    def line(self) -> str:
        out = [self.id]
        for key, vals in (("down", self.down), ("label", self.labels), ("depends", self.depends)):
            if vals:
                out.append(key)
                out.extend(vals)
        return " ".join(out)


@dataclass
class Case:
    line: int
    fixture: str
    applied: str
    command: str
    expected: str
    deliberate: str | None  # the reason, when the case is a deliberate difference from Alembic


def parse_revision(text: str) -> Rev:
    words = text.split()
    rev = Rev(words[0])
    field_ = None
    for w in words[1:]:
        if w in ("down", "label", "depends"):
            field_ = w
        elif field_ == "down":
            rev.down.append(w)
        elif field_ == "label":
            rev.labels.append(w)
        elif field_ == "depends":
            rev.depends.append(w)
        else:
            raise ValueError(f"`{w}` in `{text}`: expected down, label or depends")
    return rev


DELIBERATE = "deliberate:"


def load(path: str) -> tuple[dict[str, list[Rev]], list[Case]]:
    """Fixtures (name -> revisions in written order) and cases of one case file.

    A case line may end with `# deliberate: REASON`: a deliberate difference from Alembic.
    """
    fixtures: dict[str, list[Rev]] = {}
    cases: list[Case] = []
    current = None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            content, _, comment = raw.rstrip("\n").partition("#")
            if not content.strip():
                continue
            if content.startswith("graph "):
                current = content[len("graph ") :].strip()
                fixtures[current] = []
            elif content[0].isspace():
                fixtures[current].append(parse_revision(content))
            else:
                cols = [c.strip() for c in content.split("|")]
                if len(cols) != 4:
                    raise ValueError(f"{path}:{n}: expected `FIXTURE | APPLIED | COMMAND | EXPECTED`")
                comment = comment.strip()
                reason = comment[len(DELIBERATE) :].strip() if comment.startswith(DELIBERATE) else None
                cases.append(Case(n, *cols, reason))
    return fixtures, cases


# ---------------------------------------------------------------------------------------------
# graphs


def topo_order(revs: list[Rev]) -> list[str]:
    """Kahn's order over down_revision and depends_on; ties keep the written order."""
    ids = [r.id for r in revs]
    ups = {r.id: r.down + r.depends for r in revs}
    done: set[str] = set()
    out: list[str] = []
    while len(out) < len(ids):
        for i in ids:
            if i not in done and all(p in done for p in ups[i]):
                done.add(i)
                out.append(i)
                break
        else:
            raise ValueError("cycle")
    return out


def closure(revs: list[Rev], ids) -> set[str]:
    """`ids` and every ancestor through down_revision and depends_on."""
    by_id = {r.id: r for r in revs}
    seen: set[str] = set()
    todo = list(ids)
    while todo:
        i = todo.pop()
        if i in seen:
            continue
        seen.add(i)
        todo.extend(by_id[i].down + by_id[i].depends)
    return seen


def maximal(revs: list[Rev], applied: set[str]) -> list[str]:
    """The elements of `applied` that are no other element's ancestor, in topological order."""
    below: set[str] = set()
    for i in applied:
        below |= closure(revs, [i]) - {i}
    return [i for i in topo_order(revs) if i in applied and i not in below]


# ---------------------------------------------------------------------------------------------
# Alembic projects

ENV_PY = '''\
from alembic import context

config = context.config
if context.is_offline_mode():
    context.configure(url="sqlite://", literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    context.configure(connection=config.attributes["connection"])
    with context.begin_transaction():
        context.run_migrations()
'''

VERSION_PY = '''\
"""{id}"""
from alembic import context

revision = {id!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = {depends!r}


def upgrade():
    context.config.attributes["log"].append("+" + revision)


def downgrade():
    context.config.attributes["log"].append("-" + revision)
'''


def _one_or_tuple(vals: list[str]):
    if not vals:
        return None
    return vals[0] if len(vals) == 1 else tuple(vals)


class Failure(Exception):
    """Alembic refused the command (any of its errors); `str()` is its message."""


_SCRIPTS: dict[str, ScriptDirectory] = {}
_real_from_config = ScriptDirectory.from_config.__func__


def _cached_from_config(cls, config):
    # The commands re-read the version files on every call; the files never change here, so
    # reuse one parsed ScriptDirectory per project (same object Alembic would build).
    loc = config.get_main_option("script_location")
    if loc not in _SCRIPTS:
        _SCRIPTS[loc] = _real_from_config(cls, config)
    return _SCRIPTS[loc]


ScriptDirectory.from_config = classmethod(_cached_from_config)


class Project:
    """One fixture as an Alembic project in a temporary directory."""

    def __init__(self, revs: list[Rev], root: str, name: str):
        self.revs = revs
        self.order = topo_order(revs)
        self.dir = os.path.join(root, name)
        os.makedirs(os.path.join(self.dir, "versions"))
        with open(os.path.join(self.dir, "env.py"), "w") as f:
            f.write(ENV_PY)
        with open(os.path.join(self.dir, "script.py.mako"), "w") as f:
            f.write("")
        # Alembic loads the version files in file-name order, and that order breaks the ties
        # of its topological sort (plans, history): name them in the order the fixture writes
        # them, as a project's files would be listed
        for n, r in enumerate(revs):
            with open(os.path.join(self.dir, "versions", f"{n:04d}_{r.id}.py"), "w") as f:
                f.write(
                    VERSION_PY.format(
                        id=r.id,
                        down=_one_or_tuple(r.down),
                        labels=tuple(r.labels) or None,
                        depends=_one_or_tuple(r.depends),
                    )
                )
        self.cfg = Config()
        self.cfg.set_main_option("script_location", self.dir)
        self.script = ScriptDirectory.from_config(self.cfg)
        self.map = self.script.revision_map

    # -- running commands ----------------------------------------------------------------------

    def _fresh(self, applied: set[str]):
        """A new in-memory database brought to `applied` by `alembic upgrade`."""
        engine = sqlalchemy.create_engine("sqlite://")
        conn = engine.connect()
        self.cfg.attributes["connection"] = conn
        self.cfg.attributes["log"] = []
        for target in maximal(self.revs, applied):
            command.upgrade(self.cfg, target)
        got = self.applied_in_db(conn)
        if got != applied:
            raise RuntimeError(
                f"setting up {sorted(applied)} with alembic upgrade gave {sorted(got)}"
            )
        self.cfg.attributes["log"] = []
        return conn

    def heads_in_db(self, conn) -> tuple[str, ...]:
        return MigrationContext.configure(conn).get_current_heads()

    def applied_in_db(self, conn) -> set[str]:
        return closure(self.revs, self.heads_in_db(conn))

    def run(self, applied: set[str], cmd: str, arg: str) -> str:
        """The answer in the EXPECTED notation; `Failure` when Alembic refuses."""
        conn = self._fresh(applied)
        out = io.StringIO()
        self.cfg.stdout = out
        self.cfg.output_buffer = io.StringIO()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                answer = self._run(conn, cmd, arg, out)
            self.warnings = [str(w.message) for w in caught]
            return answer
        except Failure:
            raise
        except Exception as e:  # every Alembic error (CommandError, RevisionError, ...)
            raise Failure(f"{type(e).__name__}: {e}") from e
        finally:
            conn.close()

    def _run(self, conn, cmd: str, arg: str, out: io.StringIO) -> str:
        log = self.cfg.attributes["log"]
        if cmd in ("upgrade", "downgrade"):
            sql = ":" in arg
            getattr(command, cmd)(self.cfg, arg, sql=sql)
            self.last_applied = None if sql else self.applied_in_db(conn)
            return " ".join(log) or "none"
        if cmd == "stamp":
            command.stamp(self.cfg, arg.split())
            self.last_applied = self.applied_in_db(conn)
            return self.ids(self.last_applied)
        if cmd == "history":
            command.history(self.cfg, arg)
            shown = [history_line_id(line) for line in out.getvalue().splitlines() if line.strip()]
            return " ".join(reversed(shown)) or "none"
        if cmd == "resolve":
            return self.ids(self.resolve(conn, arg))
        if cmd == "range":
            if ":" not in arg:
                command.history(self.cfg, arg)  # raises Alembic's error for a missing ':'
                raise Failure("history accepted a range without ':'")
            lower_s, upper_s = arg.split(":")
            current = self.heads_in_db(conn)
            lower = current if lower_s == "current" else self.rev_ids(self.map.get_revisions(lower_s or "base"))
            if upper_s == "current":
                upper = current
            elif _relative_destination.match(upper_s):
                upper = self.rev_ids(self.map._parse_upgrade_target(lower, upper_s, True))
            else:
                upper = self.rev_ids(self.map.get_revisions(upper_s or "heads"))
            # what an offline `upgrade A:B --sql` runs (`ScriptDirectory._upgrade_revs`)
            walked = [r.revision for r in self.map.iterate_revisions(upper, lower, implicit_base=True)]
            # the bounds: `current` as `alembic current` prints it, a spec as the maximal
            # revisions it names (the version rows may also hold dependencies)
            def bound(side, revs):
                if side == "current":
                    return self.rev_ids(self.script.get_all_current(revs))
                return maximal(self.revs, closure(self.revs, revs))

            lower, upper = bound(lower_s, lower), bound(upper_s, upper)
            return f"{self.ids(lower)} .. {self.ids(upper)} => " + (
                " ".join(reversed(walked)) or "none"
            )
        raise ValueError(f"unknown command `{cmd}`")

    def resolve(self, conn, spec: str) -> list[str]:
        current = self.heads_in_db(conn)
        if spec == "current":
            # what `alembic current` prints: the version rows and what their depends_on makes
            # current, reduced to branch heads
            return self.rev_ids(self.script.get_all_current(current))
        m = _relative_destination.match(spec)
        if m:
            label, symbol, relative = m.groups()
            if symbol is None and relative.startswith("-"):
                _, rev = self.map._parse_downgrade_target(current, spec, True)
                return self.rev_ids([rev])
            revs = self.map._parse_upgrade_target(current, spec, True)
            if None in revs:
                # walked past either end: every Alembic command given this spec fails
                # (`alembic upgrade b+4`: AssertionError, `downgrade head-6`: "Walked too far")
                raise Failure(f"relative revision {spec!r} walks past the end of the graph")
            return self.rev_ids(revs)
        if spec == "heads":
            # what `alembic heads` lists: a head that another head depends on is one too
            # ("effective head"); RevisionMap's own `heads` spec leaves it out, though upgrading
            # to the others applies it all the same
            return self.script.get_heads()
        return self.rev_ids(self.map.get_revisions(spec))

    # -- rendering ------------------------------------------------------------------------------

    @staticmethod
    def rev_ids(revs) -> list[str]:
        return [r if isinstance(r, str) else r.revision for r in revs if r is not None and r != "base"]

    def ids(self, ids) -> str:
        """A set of ids as written in EXPECTED: the fixture's topological order, `none` when
        empty."""
        ids = sorted(set(ids), key=self.order.index)
        return " ".join(ids) or "none"


_HISTORY = re.compile(r"^(?:.*?) -> (\S+)")


def history_line_id(line: str) -> str:
    """The revision of one `alembic history` line: `<parents> -> <id> (labels) (head), doc`."""
    m = _HISTORY.match(line)
    if not m:
        raise ValueError(f"unexpected history line {line!r}")
    return m.group(1).rstrip(",")


class Projects:
    """The fixtures of one case file as Alembic projects, built on first use."""

    def __init__(self, fixtures: dict[str, list[Rev]]):
        self.fixtures = fixtures
        self.root = tempfile.mkdtemp(prefix="alembic-oracle-")
        self.built: dict[str, Project] = {}

    def get(self, name: str) -> Project:
        if name not in self.built:
            self.built[name] = Project(self.fixtures[name], self.root, name)
        return self.built[name]

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


def applied_set(project: Project, text: str) -> set[str]:
    if text == "none":
        return set()
    if text == "all":
        return {r.id for r in project.revs}
    return set(text.split())


def answer(projects: Projects, case: Case) -> tuple[str, list[str]]:
    """Alembic's answer to `case` in EXPECTED notation (`err: MESSAGE` when it refuses), and
    the warnings it printed."""
    project = projects.get(case.fixture)
    cmd, _, arg = case.command.partition(" ")
    arg = "" if arg == '""' else arg
    try:
        got = project.run(applied_set(project, case.applied), cmd, arg)
        return got, project.warnings
    except Failure as e:
        return f"err: {e}", []
