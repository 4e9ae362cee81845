#!/usr/bin/env bash
# Benchmark `strata validate` against the `kubernetes-validate` Python package (the
# same Kubernetes schemas: its v<version>-local-strict folders), in one run:
#   1. render the bench fleet (targets mode) into a hydrated tree, one file per resource;
#   2. `strata validate TREE` (release build, all cores), REPEAT runs: median wall time,
#      resources per second;
#   3. the same files with `kubernetes-validate -k VERSION --strict`, spread over as
#      many processes as cores (xargs -P), once: wall time, resources per second;
#   4. the ratio. Both must find nothing wrong in the corpus (it is valid).
#
#   scripts/bench-validate.sh [APPS] [CLUSTERS] [REPEAT]    (defaults: 20 30 10)
#
# Needs: python3, ../shared/bench beside the repo (or SHARED_BENCH=path), and
# kubernetes-validate: KV=/path/to/kubernetes-validate, else one on PATH, else a venv
# is made in $BENCH_TMP/kv (pip install kubernetes-validate). KUBERNETES_VERSION
# (default 1.33). Scratch goes to $BENCH_TMP (default /tmp/strata-bench-validate).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bench="${SHARED_BENCH:-$here/../shared/bench}"
apps="${1:-20}" clusters="${2:-30}" repeat="${3:-10}"
tmp="${BENCH_TMP:-/tmp/strata-bench-validate}"
version="${KUBERNETES_VERSION:-1.33}"
cores="$(nproc)"
[ -f "$bench/gen_fleet.py" ] || { echo "bench-validate: $bench/gen_fleet.py not found (set SHARED_BENCH)" >&2; exit 2; }

kv="${KV:-$(command -v kubernetes-validate || true)}"
if [ -z "$kv" ]; then
  if [ ! -x "$tmp/kv/bin/kubernetes-validate" ]; then
    mkdir -p "$tmp"
    python3 -m venv "$tmp/kv" && "$tmp/kv/bin/pip" install --quiet kubernetes-validate
  fi
  kv="$tmp/kv/bin/kubernetes-validate"
fi

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
strata="$here/target/release/strata"
rm -rf "$tmp/fleet"; mkdir -p "$tmp"
python3 "$bench/gen_fleet.py" "$tmp/fleet" --apps "$apps" --clusters "$clusters" >/dev/null
printf 'output: rendered\ntargets: ["clusters/*/*"]\nkubernetesVersion: "%s"\n' "$version" > "$tmp/fleet/strata.yaml"
(cd "$tmp/fleet" && "$strata" render --quiet)
tree="$tmp/fleet/rendered"
(cd "$tree" && find . -name '*.yaml' -not -path './.strata/*' | sort) > "$tmp/files.txt"
files=$(wc -l < "$tmp/files.txt")
resources=$(cd "$tree" && xargs cat < "$tmp/files.txt" | grep -c '^kind: ' || true)
echo "corpus: --apps $apps --clusters $clusters: $files files, $resources resources; Kubernetes $version; $cores cores"

now() { date +%s.%N; }
echo "== strata validate (release, $cores threads), $repeat runs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share these cores)"
: > "$tmp/strata-times.txt"
for _ in $(seq "$repeat"); do
  set +e
  (cd "$tmp/fleet" && /usr/bin/time -f "%e %U %S" -a -o "$tmp/strata-times.txt" "$strata" validate rendered > "$tmp/strata.txt")
  rc=$?
  set -e
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
s=$(awk 'NF == 3 && $1 ~ /^[0-9.]+$/ { print $1 }' "$tmp/strata-times.txt" | median)
cpu=$(awk 'NF == 3 && $1 ~ /^[0-9.]+$/ { print $2 + $3 }' "$tmp/strata-times.txt" | median)
tail -n 1 "$tmp/strata.txt"
echo "exit code: $rc"
awk -v s="$s" -v c="$cpu" -v n="$resources" -v k="$cores" 'BEGIN {
  printf "strata validate: median wall %.3f s -> %.0f resources/s\n", s, n / s
  printf "strata validate: median CPU (user+sys) %.3f s -> %.0f resources per CPU-second, %.0f resources/s on %d idle cores\n", c, n / c, k * n / c, k
}'

echo "== strata validate, fleet rendered in memory (render + validate), once"
t0=$(now); set +e; (cd "$tmp/fleet" && "$strata" validate > /dev/null); set -e; t1=$(now)
awk -v a="$t0" -v b="$t1" -v n="$resources" 'BEGIN { printf "strata validate (no PATH): %.3f s, %.0f resources/s including the render\n", b - a, n / (b - a) }'

echo "== kubernetes-validate -k $version --strict ($cores processes), once"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
(cd "$tree" && /usr/bin/time -f "%e %U %S" -o "$tmp/kv-time.txt" xargs -P "$cores" -n $(( (files + cores - 1) / cores )) "$kv" -k "$version" --strict --quiet < "$tmp/files.txt" > "$tmp/kv.txt" 2>&1)
krc=$?
set -e
k=$(awk 'NF == 3 && $1 ~ /^[0-9.]+$/ { print $1 }' "$tmp/kv-time.txt")
kcpu=$(awk 'NF == 3 && $1 ~ /^[0-9.]+$/ { print $2 + $3 }' "$tmp/kv-time.txt")
echo "exit code: $krc; $(grep -c . "$tmp/kv.txt" || true) lines of output"
awk -v k="$k" -v c="$kcpu" -v n="$resources" 'BEGIN { printf "kubernetes-validate: wall %.3f s -> %.0f resources/s; CPU %.3f s -> %.0f resources per CPU-second\n", k, n / k, c, n / c }'
awk -v k="$k" -v s="$s" -v kc="$kcpu" -v c="$cpu" 'BEGIN { printf "ratio (kubernetes-validate / strata): %.0fx wall, %.0fx CPU\n", k / s, kc / c }'
