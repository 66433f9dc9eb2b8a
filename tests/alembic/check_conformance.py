#!/usr/bin/env python3
"""Checks the conformance case files against Alembic itself.

    python tests/alembic/check_conformance.py [--show] [CASE_FILE ...]

Default files: migrate-core/tests/conformance/cases.txt and generated.txt. Each fixture is built
as a real Alembic project and each case is answered by Alembic (see oracle.py for how). A case
agrees when Alembic gives the EXPECTED answer; for `err: ...` cases when Alembic refuses too (its
message may differ). `parse` cases test our own syntax round trip and are skipped.

A case line ending in `# deliberate: REASON` is a deliberate difference from Alembic: its
disagreement is reported, not failed; if Alembic agrees with it after all, the mark is stale and
that fails. Exit status: 0 when every other case agrees, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import alembic  # noqa: E402

import oracle  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_FILES = [
    os.path.join(ROOT, "migrate-core/tests/conformance/cases.txt"),
    os.path.join(ROOT, "migrate-core/tests/conformance/generated.txt"),
]


def same_answer(command: str, expected: str, got: str) -> bool:
    """Whether `got` is `expected`: `err` cases when Alembic refuses too; sets (`resolve`,
    `stamp`, the bounds of `range`) in any order; steps and history in the same order."""
    if expected == "err" or expected.startswith("err:"):
        return got.startswith("err:")
    if got.startswith("err:"):
        return False
    cmd = command.split(" ", 1)[0]
    if cmd in ("resolve", "stamp"):
        return sorted(expected.split()) == sorted(got.split())
    if cmd == "range" and " => " in expected and " => " in got:
        (e_bounds, e_revs), (g_bounds, g_revs) = (x.split(" => ") for x in (expected, got))
        e_lo, _, e_hi = e_bounds.partition(" .. ")
        g_lo, _, g_hi = g_bounds.partition(" .. ")
        return (
            sorted(e_lo.split()) == sorted(g_lo.split())
            and sorted(e_hi.split()) == sorted(g_hi.split())
            and e_revs == g_revs
        )
    return expected == got


def check_file(path: str, show: bool) -> tuple[int, int, int, int, list[str]]:
    """(checked, agreed, deliberate, skipped, failure texts)"""
    fixtures, cases = oracle.load(path)
    projects = oracle.Projects(fixtures)
    name = os.path.relpath(path, ROOT)
    checked = agreed = deliberate = skipped = 0
    failures: list[str] = []
    try:
        for case in cases:
            if case.command.startswith("parse ") or case.fixture == "-":
                skipped += 1
                continue
            checked += 1
            got, warns = oracle.answer(projects, case)
            ok = same_answer(case.command, case.expected, got)
            where = f"{name}:{case.line}: {case.fixture} | {case.applied} | {case.command}"
            detail = f"    expected: {case.expected}\n    alembic:  {got}"
            if warns:
                detail += "\n    alembic warned: " + "; ".join(warns)
            if show:
                print(f"{where}\n{detail}")
            if ok and case.deliberate is None:
                agreed += 1
            elif not ok and case.deliberate is not None:
                deliberate += 1
                print(f"deliberate difference: {where}\n{detail}\n    reason:   {case.deliberate}")
            elif ok:
                failures.append(f"{where}\n    marked deliberate ({case.deliberate}) but Alembic agrees:\n{detail}")
            else:
                failures.append(f"{where}\n{detail}")
    finally:
        projects.close()
    return checked, agreed, deliberate, skipped, failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("files", nargs="*", default=DEFAULT_FILES)
    ap.add_argument("--show", action="store_true", help="print Alembic's answer to every case")
    args = ap.parse_args()
    start = time.monotonic()
    all_failures: list[str] = []
    for path in args.files:
        checked, agreed, deliberate, skipped, failures = check_file(path, args.show)
        all_failures += failures
        print(
            f"{os.path.relpath(path, ROOT)}: {checked} cases checked against Alembic {alembic.__version__}: "
            f"{agreed} agree, {deliberate} deliberate differences, {len(failures)} disagreements"
            f" ({skipped} parse cases have no Alembic counterpart)"
        )
    for f in all_failures:
        print("DISAGREES: " + f)
    print(f"done in {time.monotonic() - start:.1f} s")
    return 1 if all_failures else 0


if __name__ == "__main__":
    sys.exit(main())
