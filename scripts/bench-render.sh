#!/usr/bin/env bash
# Benchmark `strata render` (targets mode) against `kubectl kustomize` on the bench fleet,
# in one run on this machine:
#   1. every target's output byte-identical to kubectl kustomize (compare.py, per target),
#   2. kubectl kustomize over all targets, sequentially and two at a time (baseline.sh),
#   3. `strata render` of all targets (one process, all cores), and the ratios,
#   4. `strata render --check` on the up-to-date tree,
#   5. with BIG=1: wall time and peak memory of a 10,000-target fleet (--apps 50 --clusters 200).
#
#   scripts/bench-render.sh [APPS] [CLUSTERS]          (defaults: 20 30)
#
# Needs: python3 with PyYAML, kubectl (kustomize v5.5), GNU time (/usr/bin/time),
# ../shared/bench beside the repo (or SHARED_BENCH=path). Scratch: $BENCH_TMP (/tmp/strata-bench-render).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bench="${SHARED_BENCH:-$here/../shared/bench}"
apps="${1:-20}" clusters="${2:-30}"
tmp="${BENCH_TMP:-/tmp/strata-bench-render}"
[ -f "$bench/gen_fleet.py" ] || { echo "bench-render: $bench/gen_fleet.py not found (set SHARED_BENCH)" >&2; exit 2; }
command -v kubectl >/dev/null || { echo "bench-render: kubectl not found" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-render: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
strata="$here/target/release/strata"
rm -rf "$tmp"; mkdir -p "$tmp"
python3 "$bench/gen_fleet.py" "$tmp/fleet" --apps "$apps" --clusters "$clusters" >/dev/null
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

echo "== kubectl kustomize, sequential (expected outputs)"
"$bench/baseline.sh" "$tmp/fleet" "$tmp/expected" | tee "$tmp/seq.txt" | grep -E '^(kustomize|targets|failed|wall_seconds)'
echo "== kubectl kustomize, two at a time"
"$bench/baseline.sh" -j 2 "$tmp/fleet" | tee "$tmp/par.txt" | grep -E '^(failed|wall_seconds)'

printf 'output: rendered\ntargets: ["clusters/*/*"]\ntargetFiles: stream\n' > "$tmp/fleet/strata.yaml"
echo "== strata render (targets mode, one stream per target)"
cd "$tmp/fleet"
t0=$(date +%s%N); "$strata" render --quiet; t1=$(date +%s%N)
render_ms=$(ms "$t0" "$t1")
echo "wall_ms: $render_ms"
mkdir -p "$tmp/actual"
while IFS= read -r t; do
  mkdir -p "$tmp/actual/$t"; cp "rendered/$t/all.yaml" "$tmp/actual/$t/actual.yaml"
done < fleet-index.txt
echo "== output comparison (per target, bytes)"
python3 "$bench/compare.py" -q --index fleet-index.txt "$tmp/actual" "$tmp/expected" | tail -n 1

echo "== strata render --check on the up-to-date tree (5 runs)"
for _ in 1 2 3 4 5; do
  t0=$(date +%s%N); "$strata" render --check --quiet; t1=$(date +%s%N); ms "$t0" "$t1"; echo " ms"
done | sort -n | sed -n 3p | sed 's/^/median_ms: /'

seq_s=$(sed -n 's/^wall_seconds: *//p' "$tmp/seq.txt"); par_s=$(sed -n 's/^wall_seconds: *//p' "$tmp/par.txt")
awk -v s="$seq_s" -v p="$par_s" -v r="$render_ms" 'BEGIN {
  printf "ratio vs sequential kubectl: %.0fx\nratio vs kubectl -j 2:       %.0fx\n", s * 1000 / r, p * 1000 / r }'

echo "== strata render, one file per resource, -j 1 vs -j 2"
printf 'output: rendered\ntargets: ["clusters/*/*"]\n' > strata.yaml
rm -rf rendered; "$strata" render --quiet -j 1; cp -r rendered "$tmp/j1"
rm -rf rendered; "$strata" render --quiet -j 2
diff -r "$tmp/j1" rendered >/dev/null && echo "identical trees with -j 1 and -j 2"

if [ "${BIG:-0}" = 1 ]; then
  echo "== 10,000 targets (--apps 50 --clusters 200)"
  python3 "$bench/gen_fleet.py" "$tmp/big" --apps 50 --clusters 200 >/dev/null
  printf 'output: rendered\ntargets: ["clusters/*/*"]\n' > "$tmp/big/strata.yaml"
  cd "$tmp/big"
  /usr/bin/time -f "wall_s: %e  peak_rss_kb: %M" "$strata" render --quiet
  echo "targets: $(wc -l < fleet-index.txt), files: $(find rendered -name '*.yaml' | wc -l)"
  t0=$(date +%s%N); "$strata" render --check --quiet; t1=$(date +%s%N); echo "check_ms: $(ms "$t0" "$t1")"
fi
