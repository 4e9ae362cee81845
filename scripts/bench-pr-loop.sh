#!/usr/bin/env bash
# The pull-request loop, measured (issue 10): on a generated fleet in targets mode
# with its hydrated tree committed to git, medians of interleaved runs of
#   - `git status --porcelain` (the floor a pre-commit hook is compared with),
#   - `strata render --check` with nothing changed,
#   - `strata render` after editing one target's kustomization,
#   - a full render into an empty folder, and `tar x` of the same tree,
# and the peak memory (max RSS) of a check and of an incremental render.
#
#   scripts/bench-pr-loop.sh [-a APPS] [-c CLUSTERS] [-r RUNS] [-n] [-s STRATA] [-g GEN_FLEET]
#
#   -a, -c  fleet size for gen_fleet.py (default 20 apps x 30 clusters = 600 targets)
#   -r      runs of each measurement (default 11; interleaved, the median is printed)
#   -n      leave out the full render and `tar x` (for the 10,000-target fleet:
#           `-a 50 -c 200 -r 5 -n`)
#   -s      the strata binary (default target/release/strata; build it with
#           `cargo build --release` first)
#   -g      the generator (default /work/shared/bench/gen_fleet.py)
set -euo pipefail

APPS=20
CLUSTERS=30
RUNS=11
STRATA="$(pwd)/target/release/strata"
GEN=/work/shared/bench/gen_fleet.py
FULL=1
while getopts ":a:c:r:s:g:nh" opt; do
  case "$opt" in
    a) APPS="$OPTARG" ;;
    c) CLUSTERS="$OPTARG" ;;
    r) RUNS="$OPTARG" ;;
    s) STRATA="$(cd "$(dirname "$OPTARG")" && pwd)/$(basename "$OPTARG")" ;;
    g) GEN="$OPTARG" ;;
    n) FULL=0 ;;
    *) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
[ -x "$STRATA" ] || { echo "bench-pr-loop: $STRATA is not built (cargo build --release)" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
FLEET="$WORK/fleet"
python3 "$GEN" "$FLEET" --apps "$APPS" --clusters "$CLUSTERS" > /dev/null
cd "$FLEET"
printf 'output: rendered\ntargets: ["clusters/*/*"]\n' > strata.yaml
git init -q
git -c user.email=b@example.com -c user.name=bench add -A
git -c user.email=b@example.com -c user.name=bench commit -qm fleet
"$STRATA" render --quiet
git -c user.email=b@example.com -c user.name=bench add -A
git -c user.email=b@example.com -c user.name=bench commit -qm rendered
TARGETS=$(wc -l < fleet-index.txt)
FILES=$(find rendered -type f | wc -l)
TARGET="$(head -n 1 fleet-index.txt)/kustomization.yaml"
[ "$FULL" = 1 ] && tar -cf "$WORK/tree.tar" -C rendered .

now_us() { echo $(( $(date +%s%N) / 1000 )); }
declare -A T
record() { T[$1]+="$2 "; }
timed() { # NAME CMD...: runs CMD, records its wall time in microseconds
  local name=$1; shift
  local t0 t1
  t0=$(now_us); "$@" > /dev/null 2>&1 || true; t1=$(now_us)
  record "$name" $((t1 - t0))
}
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { awk -v us="$1" 'BEGIN {printf "%.1f", us / 1000}'; }

# Warm the page cache once.
git status --porcelain > /dev/null; "$STRATA" render --check --quiet || true

for i in $(seq "$RUNS"); do
  timed git_status git status --porcelain
  timed check "$STRATA" render --check --quiet
  # One target's kustomization changes (a value flips each run), then render.
  if [ $((i % 2)) -eq 1 ]; then
    sed -i 's/safe-to-evict: "true"/safe-to-evict: "false"/' "$TARGET"
  else
    sed -i 's/safe-to-evict: "false"/safe-to-evict: "true"/' "$TARGET"
  fi
  timed render_one "$STRATA" render --quiet
  timed git_status_after git status --porcelain
  # The file-creation floor: a full render into an empty folder against `tar x`.
  if [ "$FULL" = 1 ]; then
    rm -rf rendered "$WORK/x"
    timed full "$STRATA" render --quiet
    mkdir "$WORK/x"
    timed tar_x tar -xf "$WORK/tree.tar" -C "$WORK/x"
  fi
done

# Peak memory (max RSS, kB) of a check with nothing changed and of a one-edit render.
rss() { /usr/bin/time -f %M -o "$WORK/rss" "$@" > /dev/null 2>&1 || true; tail -n 1 "$WORK/rss"; }
"$STRATA" render --quiet
RSS_CHECK=$(rss "$STRATA" render --check --quiet)
sed -i 's/safe-to-evict: "true"/safe-to-evict: "maybe"/; s/safe-to-evict: "false"/safe-to-evict: "maybe"/' "$TARGET"
RSS_RENDER=$(rss "$STRATA" render --quiet)
RSS_FULL=0
if [ "$FULL" = 1 ]; then rm -rf rendered; RSS_FULL=$(rss "$STRATA" render --quiet); fi

G=$(median "${T[git_status]}")
C=$(median "${T[check]}")
R=$(median "${T[render_one]}")
F=$(median "${T[full]:-0}")
X=$(median "${T[tar_x]:-1}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }
echo "fleet: --apps $APPS --clusters $CLUSTERS: $TARGETS targets, $FILES files in rendered/ (with records); $RUNS interleaved runs, medians"
echo "git status --porcelain          $(ms "$G") ms"
echo "render --check, nothing changed $(ms "$C") ms  ($(ratio "$C" "$G") x git status)  peak $((RSS_CHECK / 1024)) MB"
echo "render after one edit           $(ms "$R") ms  ($(ratio "$R" "$G") x git status)  peak $((RSS_RENDER / 1024)) MB"
if [ "$FULL" = 1 ]; then
  echo "full render into an empty dir   $(ms "$F") ms  ($(ratio "$F" "$X") x tar x)  peak $((RSS_FULL / 1024)) MB"
  echo "tar x of the same tree          $(ms "$X") ms"
fi
