#!/usr/bin/env bash
# regen-conformance.sh — regenerate the expected outputs of the `strata build`
# conformance suite (fixtures/build/<case>/) with real kustomize.
#
# Usage: scripts/regen-conformance.sh [CASE...]
#   With no arguments every case under fixtures/build/ is regenerated; otherwise only the
#   named cases (directory names such as 210-smp-containers-merge-by-name).
#
# Requires `kubectl` whose `kubectl version --client` reports Kustomize v5.5.x; refuses
# to run with any other version, since the suite pins kustomize v5.5 behaviour.
#
# For each case, from inside fixtures/build/<case>/, it runs
#     kubectl kustomize in/<target>        (<target> = contents of ./target, default "")
# and writes:
#   success: expected.yaml (exact stdout), expected.stderr (only if kustomize wrote to
#            stderr, e.g. the commonLabels deprecation warning); removes expected-error.
#   failure: expected-error = "exit: <code>", "keywords: ..." (kept from the existing file:
#            keywords are chosen by hand), then kubectl's stderr, with the case directory's
#            absolute path replaced by "<case>", and klog's timestamp and pid and Go
#            pointer values masked, so the file does not change between checkouts or runs.
#            Removes expected.yaml / expected.stderr.
# A case that flips between success and failure is reported, so a changed kustomize (or a
# broken input tree) does not slip through silently.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixtures="$here/fixtures/build"

version="$(kubectl version --client 2>/dev/null || true)"
if ! grep -Eq 'Kustomize Version: v5\.5\.' <<<"$version"; then
    echo "regen-conformance: need kubectl with Kustomize v5.5.x; 'kubectl version --client' says:" >&2
    echo "$version" >&2
    exit 1
fi

if [ "$#" -gt 0 ]; then
    cases=("$@")
else
    cases=()
    for d in "$fixtures"/*/; do
        cases+=("$(basename "$d")")
    done
fi

status=0
for case in "${cases[@]}"; do
    case="${case%/}"
    case="$(basename "$case")"
    dir="$fixtures/$case"
    if [ ! -d "$dir/in" ]; then
        echo "regen-conformance: $case: no in/ directory" >&2
        status=1
        continue
    fi
    target=""
    if [ -f "$dir/target" ]; then
        target="$(tr -d '\n' <"$dir/target")"
    fi
    was_error=no
    was_ok=no
    [ -f "$dir/expected-error" ] && was_error=yes
    [ -f "$dir/expected.yaml" ] && was_ok=yes
    out="$(mktemp)"
    err="$(mktemp)"
    code=0
    (cd "$dir" && kubectl kustomize "in/$target") >"$out" 2>"$err" || code=$?
    if [ "$code" -eq 0 ]; then
        mv "$out" "$dir/expected.yaml"
        if [ -s "$err" ]; then
            mv "$err" "$dir/expected.stderr"
        else
            rm -f "$err" "$dir/expected.stderr"
        fi
        rm -f "$dir/expected-error"
        [ "$was_error" = yes ] && echo "regen-conformance: $case: WAS an error case, now succeeds" >&2
        echo "ok    $case"
    else
        keywords="keywords:"
        if [ "$was_error" = yes ]; then
            keywords="$(sed -n '2p' "$dir/expected-error")"
        fi
        if [ "$keywords" = "keywords:" ] || [ -z "$keywords" ]; then
            echo "regen-conformance: $case: error case without keywords; edit line 2 of expected-error" >&2
            keywords="keywords:"
            status=1
        fi
        {
            echo "exit: $code"
            echo "$keywords"
            sed -E -e "s#$dir#<case>#g" -e 's/0xc[0-9a-f]{6,}/0xADDR/g' -e 's/^E[0-9]{4} [0-9:.]+ +[0-9]+ ([a-z_]+\.go:[0-9]+\] )/E \1/' "$err"
        } >"$dir/expected-error"
        rm -f "$out" "$err" "$dir/expected.yaml" "$dir/expected.stderr"
        [ "$was_ok" = yes ] && echo "regen-conformance: $case: WAS a success case, now fails" >&2
        echo "error $case (exit $code)"
    fi
done
exit "$status"
