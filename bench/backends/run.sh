#!/usr/bin/env bash
# Cold build of a migrations crate made by `cargo migrate init --backend postgres` against one
# made with `--backend sqlite,postgres,mysql` (BENCHMARKS.md, W5 "Backend features"): each in
# an empty target directory of its own, debug profile, downloads done first (`cargo fetch`).
# usage: bench/backends/run.sh [WORKDIR]   (needs `cargo migrate` on PATH, built from this
# checkout; the crates take migrate-core from this checkout through `--deps path`)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
cd "$work"
for kind in pg all; do
  rm -rf "$kind" "target-$kind"
  cargo new -q --vcs none "$kind"
  case $kind in
    pg) backends=postgres ;;
    all) backends=sqlite,postgres,mysql ;;
  esac
  (cd "$kind" && CARGO_MIGRATE_DEP_PATH="$repo" cargo migrate init migrations --backend "$backends" --deps path 2>/dev/null)
  (cd "$kind" && cargo fetch -q)
done
for kind in pg all; do
  (cd "$kind" && /usr/bin/time -f "$kind: wall %e s, CPU %U s user + %S s sys" \
    env CARGO_TARGET_DIR="$work/target-$kind" CARGO_TERM_COLOR=never \
    cargo build -p migrations 2>"$work/$kind.log")
  tail -1 "$work/$kind.log"
  echo "$kind: $(grep -c '^ *Compiling' "$work/$kind.log") crates compiled;" \
    "SQLite crates: $(grep -c 'Compiling libsqlite3-sys\|Compiling sqlx-sqlite' "$work/$kind.log")"
done
