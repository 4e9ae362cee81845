#!/usr/bin/env bash
# Benchmark `strata build` against `kubectl kustomize` on the generated bench fleet,
# in one run on this machine:
#   1. byte-identical output on every target (compare.py),
#   2. median wall time of one process on one target, both tools (baseline.sh -r),
#   3. the whole fleet sequentially, both tools (baseline.sh).
#
#   scripts/bench-build.sh [APPS] [CLUSTERS] [REPEAT]     (defaults: 20 30 20)
#
# Needs: python3 with PyYAML, kubectl (kustomize v5.5), ../shared/bench beside the repo
# (or SHARED_BENCH=path). Scratch goes to $BENCH_TMP (default /tmp/strata-bench).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bench="${SHARED_BENCH:-$here/../shared/bench}"
apps="${1:-20}" clusters="${2:-30}" repeat="${3:-20}"
tmp="${BENCH_TMP:-/tmp/strata-bench}"
[ -f "$bench/gen_fleet.py" ] || { echo "bench-build: $bench/gen_fleet.py not found (set SHARED_BENCH)" >&2; exit 2; }
command -v kubectl >/dev/null || { echo "bench-build: kubectl not found" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
strata="$here/target/release/strata"
rm -rf "$tmp"; mkdir -p "$tmp"
python3 "$bench/gen_fleet.py" "$tmp/fleet" --apps "$apps" --clusters "$clusters" >/dev/null

echo "== kubectl kustomize, all targets (expected outputs)"
"$bench/baseline.sh" "$tmp/fleet" "$tmp/expected" | grep -E '^(kustomize|targets|failed|wall_seconds|ms_per_target)'
echo "== strata build, all targets"
"$bench/baseline.sh" -c "$strata build" "$tmp/fleet" "$tmp/actual" | grep -E '^(targets|failed|wall_seconds|ms_per_target)'
echo "== output comparison"
python3 "$bench/compare.py" -q --index "$tmp/fleet/fleet-index.txt" "$tmp/actual" "$tmp/expected" | tail -n 3
echo "== one target, $repeat runs each"
k=$("$bench/baseline.sh" -r "$repeat" "$tmp/fleet" | sed -n 's/^median_ms: *//p')
s=$("$bench/baseline.sh" -r "$repeat" -c "$strata build" "$tmp/fleet" | sed -n 's/^median_ms: *//p')
echo "kubectl kustomize median_ms: $k"
echo "strata build      median_ms: $s"
awk -v k="$k" -v s="$s" 'BEGIN { printf "ratio (kustomize / strata): %.1fx\n", k / s }'
