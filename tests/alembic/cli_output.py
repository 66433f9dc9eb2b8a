#!/usr/bin/env python3
"""Prints what Alembic's own commands print for a conformance fixture: an independent source for
the output format of `heads`, `history`, `branches`, `current` and `show` (issue 9, item 18).

    python tests/alembic/cli_output.py FIXTURE [--file CASE_FILE] [--applied "a b c"] COMMAND [ARG]

COMMAND: heads | heads-v | history | history-v | branches | current | show. Each version file's
docstring (the message Alembic prints after the comma) is `msg <id>`. Example:

    python tests/alembic/cli_output.py deps history
"""

from __future__ import annotations

import argparse
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from alembic import command  # noqa: E402

import oracle  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("fixture")
    ap.add_argument("command", choices=["heads", "heads-v", "history", "history-v", "branches", "current", "show"])
    ap.add_argument("arg", nargs="?", help="history: the range (-r); show: the revision")
    ap.add_argument("--file", default=os.path.join(ROOT, "migrate-core/tests/conformance/cases.txt"))
    ap.add_argument("--applied", default="none", help="ids applied first (current), or none / all")
    args = ap.parse_args()
    fixtures, _ = oracle.load(args.file)
    oracle.VERSION_PY = oracle.VERSION_PY.replace('"""{id}"""', '"""msg {id}"""')
    projects = oracle.Projects(fixtures)
    try:
        project = projects.get(args.fixture)
        conn = project._fresh(oracle.applied_set(project, args.applied))
        cfg = project.cfg
        cfg.stdout = out = io.StringIO()
        cmd = args.command
        if cmd in ("heads", "heads-v"):
            command.heads(cfg, verbose=cmd == "heads-v")
        elif cmd in ("history", "history-v"):
            command.history(cfg, args.arg, verbose=cmd == "history-v")
        elif cmd == "branches":
            command.branches(cfg)
        elif cmd == "current":
            command.current(cfg)
        else:
            command.show(cfg, args.arg or "head")
        conn.close()
        sys.stdout.write(out.getvalue().replace(project.dir, "<project>"))
    finally:
        projects.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
