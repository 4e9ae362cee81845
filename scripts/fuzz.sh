#!/usr/bin/env bash
# fuzz.sh — run strata's fuzz targets (fuzz/fuzz_targets/) one after another, each for a
# bounded time, and print executions and time per target.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 60)
#   TARGET   yaml, kustomize, fleet (default: all three)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a C++ compiler (libFuzzer is built by
# libfuzzer-sys). Works on the stable toolchain: targets are built with `-s none` (no
# sanitizer: AddressSanitizer needs nightly's -Zsanitizer; safe Rust needs it little),
# with debug assertions and overflow checks on, and libFuzzer's coverage instrumentation,
# which uses only stable codegen flags. One process per target, one target at a time.
#
# Seeds are rebuilt on every run from the repository's own inputs into fuzz/seeds/<target>
# (fixtures/build cases, examples/, src/yaml/testdata); what libFuzzer finds that adds
# coverage goes to fuzz/corpus/<target>, crashes to fuzz/artifacts/<target>/. Both are
# ignored by git: a crash is fixed at its root and its minimized input becomes a unit test.
#
# The kustomize and fleet targets read one text holding a file tree: a line `>>> PATH`
# starts file PATH, text before the first marker is the root kustomization.yaml (or
# strata.yaml). See fuzz/src/lib.rs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$here/fuzz"
secs="${1:-60}"
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
    echo "fuzz.sh: SECONDS must be a positive whole number, got '$secs'" >&2
    exit 2
fi
shift || true
targets=("$@")
[ "${#targets[@]}" -eq 0 ] && targets=(yaml kustomize fleet)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is not installed; run: cargo install cargo-fuzz" >&2
    exit 2
fi

# Appends file $2 to archive $1 as `>>> $3`, ending it with a line break so the next
# marker starts a line.
add_file() {
    printf '>>> %s\n' "$3" >>"$1"
    cat "$2" >>"$1"
    [ -z "$(tail -c1 "$2")" ] || printf '\n' >>"$1"
}

# One archive per directory tree: the root file first (no marker), then every other file.
archive() { # out dir root-file
    local out="$1" dir="$2" root="$3" f rel
    : >"$out"
    if [ -f "$dir/$root" ]; then
        cat "$dir/$root" >>"$out"
        [ -z "$(tail -c1 "$dir/$root")" ] || printf '\n' >>"$out"
    fi
    while IFS= read -r -d '' f; do
        rel="${f#"$dir"/}"
        [ "$rel" = "$root" ] && continue
        add_file "$out" "$f" "$rel"
    done < <(find "$dir" -type f -print0 | sort -z)
}

make_seeds() {
    local t="$1" dir="$fuzz/seeds/$1" n=0 f c
    rm -rf "$dir"
    mkdir -p "$dir"
    case "$t" in
    yaml)
        while IFS= read -r -d '' f; do
            n=$((n + 1))
            cp "$f" "$dir/$n.yaml"
        done < <(find "$here/fixtures/build" "$here/examples" "$here/src/yaml/testdata" \
            -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)
        ;;
    kustomize)
        for c in "$here"/fixtures/build/*/in; do
            n=$((n + 1))
            local target=""
            [ -f "${c%/in}/target" ] && target="$(tr -d '\n' <"${c%/in}/target")"
            if [ -n "$target" ] && [ ! -f "$c/kustomization.yaml" ]; then
                # Built from the root: point the root kustomization at the case's target.
                printf 'resources:\n- %s\n' "$target" >"$dir/$n.txt"
                local tmp
                tmp="$(mktemp)"
                archive "$tmp" "$c" kustomization.yaml
                cat "$tmp" >>"$dir/$n.txt"
                rm -f "$tmp"
            else
                archive "$dir/$n.txt" "$c" kustomization.yaml
            fi
        done
        ;;
    fleet)
        for c in "$here"/examples/*/ "$here"/fixtures/build/*/in/; do
            [ -f "$c/strata.yaml" ] || continue
            n=$((n + 1))
            archive "$dir/$n.txt" "${c%/}" strata.yaml
        done
        ;;
    *)
        echo "fuzz.sh: unknown target '$t' (yaml, kustomize, fleet)" >&2
        exit 2
        ;;
    esac
    echo "$n"
}

for t in "${targets[@]}"; do
    case "$t" in yaml | kustomize | fleet) ;; *)
        echo "fuzz.sh: unknown target '$t' (yaml, kustomize, fleet)" >&2
        exit 2
        ;;
    esac
    if ! (cd "$fuzz" && cargo fuzz build -s none "$t" >/dev/null 2>&1); then
        (cd "$fuzz" && cargo fuzz build -s none "$t")
        exit 2
    fi
done

status=0
summary=()
for t in "${targets[@]}"; do
    seeds="$(make_seeds "$t")"
    mkdir -p "$fuzz/corpus/$t" "$fuzz/artifacts/$t"
    log="$fuzz/artifacts/$t/last-run.log"
    echo "== $t: $secs s, $seeds seeds" >&2
    code=0
    (cd "$fuzz" && cargo fuzz run -s none "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/") >"$log" 2>&1 || code=$?
    # libFuzzer's own count and time ("Done 1234 runs in 60 second(s)").
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)"
    took="$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -Eo '[0-9]+ second' | grep -Eo '[0-9]+' | tail -1 || true)"
    corpus="$(find "$fuzz/corpus/$t" -type f | wc -l)"
    if [ "$code" -ne 0 ]; then
        status=1
        found="$(grep -Eo 'artifacts/[^ ]+' "$log" | tail -1 || true)"
        summary+=("$(printf '%-10s FAILED after %ss (%s executions): %s; see %s' "$t" "${took:-?}" "${execs:-?}" "${found:-no artifact}" "$log")")
    else
        summary+=("$(printf '%-10s %10s executions in %4ss, corpus %s' "$t" "${execs:-?}" "${took:-?}" "$corpus")")
    fi
done
printf '%s\n' "${summary[@]}"
exit "$status"
