#!/bin/bash
# W5's incremental steps for our crate alone, timed with /usr/bin/time (wall, user+sys CPU)
# and the 1-minute load average before each build:
#
#   bench/w5_incr.sh CRATE_DIR [ROUNDS]
#
# CRATE_DIR: a crate made by `bench/gen.py crate N CRATE_DIR NAME` and built once (untimed,
# done here when CRATE_DIR/.built is missing). Each round: `gen.py add` + `cargo build`,
# `gen.py remove` + `cargo build`, then a touch of the newest revision file + `cargo build`.
# With an archive crate (`cargo migrate archive REV` in CRATE_DIR), the revisions it holds are
# compiled once and the steps rebuild the crate's own; the touch step touches the newest of
# those and is left out when there are none.
# CARGO_TARGET_DIR as in the environment. Prints one line per build:
#   <step> <round> <wall s> <user s> <sys s> <load1 before>
set -euo pipefail
dir=$(cd "$1" && pwd)
rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
build() {
    local step=$1 round=$2 load t
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -o "$dir/.time" -f "%e %U %S" cargo build --quiet --manifest-path "$dir/Cargo.toml"
    echo "$step $round $(cat "$dir/.time") $load"
}
if [ ! -e "$dir/.built" ]; then
    cargo build --quiet --manifest-path "$dir/Cargo.toml"
    touch "$dir/.built"
fi
for r in $(seq 1 "$rounds"); do
    python3 "$here/gen.py" add "$dir" >/dev/null
    build add "$r"
    python3 "$here/gen.py" remove "$dir" >/dev/null
    build remove "$r"
    # the crate's own newest revision (none left when `cargo migrate archive` took them all)
    newest=$(ls "$dir"/src/versions/*.rs 2>/dev/null | sort | tail -n1)
    if [ -n "$newest" ]; then
        touch "$newest"
        build touch "$r"
    fi
done
