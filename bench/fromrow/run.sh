#!/bin/bash
# BENCHMARKS.md, "Typed rows": the cold build of a migrations crate with one backfill revision,
# without typed rows (plain.rs) and with `#[derive(migrate_macros::FromRow)]` (typed.rs).
# Usage: bench/fromrow/run.sh APP CRATE REVISION_FILE
#   APP: a workspace made with `cargo new app && cargo migrate init CRATE`, built once;
#   REVISION_FILE: its revision (replaced by each variant in turn; the ids must match:
#   edit the `revision = "…"` of plain.rs and typed.rs to the file's id).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
app=$1 crate=$2 file=$3
cd "$app"
for round in 1 2 3; do
  for v in plain typed; do
    cp "$here/$v.rs" "$file"
    cargo clean -q -p "$crate"
    /usr/bin/time -f "$v round $round: wall %e s, user %U s, sys %S s" cargo build -q -p "$crate" 2>&1 | grep round
  done
done
