#!/usr/bin/env bash
# Checks every Mermaid picture we produce with Mermaid's own parser (mermaid 11 in Node):
# the README's block, `cargo migrate graph --format mermaid` on the branches example, and the
# pictures of migrate-core/tests/picture.rs (written out through MIGRATE_MERMAID_OUT).
# Needs node and npm (installed by .ci/run); fails when a picture does not parse or when
# fewer pictures than expected were produced.
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp .ci/mermaid/package.json .ci/mermaid/package-lock.json .ci/mermaid/check.mjs "$work/"
(cd "$work" && npm ci --silent --no-audit --no-fund >/dev/null)

mkdir -p "$work/pictures"
sed -n '/^```mermaid$/,/^```$/p' README.md | sed '1d;$d' > "$work/pictures/readme.mmd"
cargo run --quiet -p cargo-migrate -- migrate -p branches-migrations graph --format mermaid \
  > "$work/pictures/cli-branches.mmd"
MIGRATE_MERMAID_OUT="$work/pictures" cargo test --quiet -p migrate-core --no-default-features \
  --test picture >/dev/null
count=$(ls "$work/pictures"/*.mmd | wc -l)
if [ "$count" -lt 7 ]; then
  echo "mermaid check: only $count pictures were produced" >&2
  exit 1
fi
node "$work/check.mjs" "$work/pictures"/*.mmd
