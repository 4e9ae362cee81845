#!/usr/bin/env bash
# Benchmark `strata diff` on the bench fleet, in one run on this machine:
#   1. the corpus rendered twice (targets mode), the second time with the prod image
#      of every app changed (newTag, or the digest where prod pins one);
#   2. `diff -r OLD NEW` against `strata diff OLD NEW` on the two hydrated trees;
#   3. `strata diff --base HEAD~1` in a git repository of the corpus with two commits
#      (the sources and the hydrated tree committed, as a GitOps repo does).
# Prints the median wall time of REPEAT runs of each, and the ratio.
#
#   scripts/bench-diff.sh [APPS] [CLUSTERS] [REPEAT]     (defaults: 20 30 11)
#
# Needs: python3, git, ../shared/bench beside the repo (or SHARED_BENCH=path).
# Scratch goes to $BENCH_TMP (default /tmp/strata-bench-diff).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bench="${SHARED_BENCH:-$here/../shared/bench}"
[ -f "$bench/gen_fleet.py" ] || bench="$here/../../shared/bench"   # from a worktree under wt/
apps="${1:-20}" clusters="${2:-30}" repeat="${3:-11}"
tmp="${BENCH_TMP:-/tmp/strata-bench-diff}"
[ -f "$bench/gen_fleet.py" ] || { echo "bench-diff: $bench/gen_fleet.py not found (set SHARED_BENCH)" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
strata="$here/target/release/strata"
rm -rf "$tmp"; mkdir -p "$tmp"

echo "== corpus: --apps $apps --clusters $clusters, rendered twice"
python3 "$bench/gen_fleet.py" "$tmp/old" --apps "$apps" --clusters "$clusters" >/dev/null
printf 'output: rendered\ntargets: ["clusters/*/*"]\n' > "$tmp/old/strata.yaml"
cp -r "$tmp/old" "$tmp/new"
# One env's image changed in every app: the prod tag, or the prod digest.
sed -i -E 's/(newTag: "[^"]*)"/\1-rc1"/; s/(digest: sha256:)..../\1beef/' "$tmp"/new/apps/*/overlays/prod/kustomization.yaml
(cd "$tmp/old" && "$strata" render -q)
(cd "$tmp/new" && "$strata" render -q)
echo "files per tree: $(find "$tmp/old/rendered" -type f | wc -l), bytes: $(du -sb "$tmp/old/rendered" | cut -f1)"
echo "files that differ: $(diff -rq "$tmp/old/rendered" "$tmp/new/rendered" | wc -l)"

# Median wall time in ms of running "$@" $repeat times (output discarded).
median_ms() {
    local times=()
    for _ in $(seq "$repeat"); do
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        t1=$(date +%s%N)
        times+=($(( (t1 - t0) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f\n", a[int((NR+1)/2)] / 1000}'
}

echo "== two trees, $repeat runs each (median wall ms)"
cd "$tmp"
d=$(median_ms diff -r old/rendered new/rendered)
s=$(median_ms "$strata" diff old/rendered new/rendered)
sm=$(median_ms "$strata" diff old/rendered new/rendered --format markdown)
echo "diff -r                     median_ms: $d"
echo "strata diff                 median_ms: $s"
echo "strata diff --format md     median_ms: $sm"
awk -v d="$d" -v s="$s" 'BEGIN { printf "ratio (strata diff / diff -r): %.2fx (target: at most 3x)\n", s / d }'
"$strata" diff old/rendered new/rendered | head -n 1

echo "== strata diff --base HEAD~1, $repeat runs (median wall ms)"
rm -rf "$tmp/repo"; cp -r "$tmp/old" "$tmp/repo"
git -C "$tmp/repo" init -q
git -C "$tmp/repo" add -A
git -C "$tmp/repo" -c user.email=bench@example.com -c user.name=bench commit -qm base
rm -rf "$tmp/repo/apps" "$tmp/repo/rendered"
cp -r "$tmp/new/apps" "$tmp/new/rendered" "$tmp/repo/"
git -C "$tmp/repo" add -A
git -C "$tmp/repo" -c user.email=bench@example.com -c user.name=bench commit -qm "prod images"
cd "$tmp/repo"
b=$(median_ms "$strata" diff --base HEAD~1)
echo "strata diff --base HEAD~1   median_ms: $b (target: under 2000)"
"$strata" diff --base HEAD~1 | head -n 1
leftover=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'strata-diff-*' | wc -l)
echo "temporary folders left behind: $leftover"
