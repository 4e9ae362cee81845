#!/usr/bin/env python3
"""corpus-helm.py — public Helm charts rendered by Helm's own SDK and by `strata template`.

Usage:
    cargo build --release
    /work/helmref-venv/bin/python scripts/corpus-helm.py [options] DIR...

    DIR              folders holding charts, walked for Chart.yaml (a chart under another
                     chart's folder, e.g. its charts/, is part of that chart, not its own)
    --deps DIR       more folders of charts used only to vendor dependencies (repeatable)
    --values FILE    one more case for every chart: FILE as `-f` values
    --ci             one more case per `ci/*values*.yaml` file of each chart (the chart
                     authors' own test values, which turn features on)
    --only TEXT      only the charts whose path contains TEXT
    --strata PATH    the binary (default target/release/strata, or $STRATA)
    -v               print each template's first differing line (default: the first one)
    --json FILE      also write every result as JSON

The Helm SDK is `helm-python-sdk` 0.2.2 (`/work/helmref-venv/bin/python` has it, with
pyyaml). Each chart is rendered as release `rel` in namespace `ns`, as tests/helm.rs does:
by the SDK (in a child process, so a crash or a hang of one chart costs only that chart;
twice, and templates whose output differs between the two renders, random names,
passwords, keys and certificates, are compared by shape: same YAML documents, equal except
strings Helm draws at random: PEM blocks of the same types, or same-length strings that
differ only where both have letters or digits), and by `strata template --per-template-json`.

Dependencies: a dependency of Chart.yaml (or requirements.yaml) missing from the chart's
charts/ is vendored from the charts found under the DIRs and --deps folders with that
name, the one from the same mirror (first folder under the DIR or --deps folder) first,
recursively, into a temporary copy of the chart (the corpus is never changed; versions are
not checked: the mirror's chart at its commit is what the chart's authors vendored when they
released from that commit). A chart whose dependency cannot be found is reported as
"skipped" with the name. Library charts (type: library) render nothing and are skipped.

Per chart and case it prints one of:
    equal                          every template's output byte for byte
    differs N/M: TEMPLATE ...      which templates differ, with the first differing line
    strata errors: MESSAGE         Helm renders, strata fails
    helm errors: MESSAGE           strata renders, Helm fails
    both error (same|different)    both fail; whether strata's message carries Helm's
and at the end one summary line: charts, cases, equal, differing (and the names).

A corpus is built outside the repository, e.g. with the `fetch` tool's mirrors:
    git --git-dir=/work/.mirror/OWNER+NAME/repo archive HEAD charts/x | tar x -C /work/helm-corpus/charts/OWNER+NAME
Never needed by tests.
"""

import argparse
import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
HELM_TIMEOUT = 300
STRATA_TIMEOUT = 300


# ---------------------------------------------------------------- the Helm side (child)

def helm_child(chart_dir, values_file):
    """Runs in a child process: prints {"first": ..., "second": ...} or {"error": ...}."""
    import helm_python as helm

    values = {}
    if values_file:
        with open(values_file) as f:
            values = yaml.safe_load(f) or {}

    def render():
        # A fresh load per render: rendering drops disabled subcharts from the loaded chart.
        chart = helm.Chart.load(chart_dir)
        return chart.render(values, name="rel", namespace="ns")

    try:
        first = render()
    except helm.HelmError as e:
        print(json.dumps({"error": str(e)}))
        return
    second = render()
    print(json.dumps({"first": first, "second": second}))


def helm_render(chart_dir, values_file):
    cmd = [sys.executable, os.path.abspath(__file__), "--helm-child", str(chart_dir)]
    if values_file:
        cmd.append(str(values_file))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=HELM_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"crash": "Helm timed out"}
    if p.returncode != 0 or not p.stdout.strip():
        return {"crash": "Helm SDK crashed: " + (p.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(p.stdout)


# ---------------------------------------------------------------- the strata side

def strata_render(strata, chart_dir, values_file):
    cmd = [strata, "template", "rel", str(chart_dir), "-n", "ns", "--per-template-json"]
    if values_file:
        cmd += ["-f", str(values_file)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=STRATA_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "strata timed out"
    if p.returncode != 0:
        err = p.stderr.strip()
        if p.returncode not in (1, 2):
            err = f"exit {p.returncode} (crash?): {err}"
        return None, err
    return json.loads(p.stdout), None


# ---------------------------------------------------------------- charts and dependencies

def read_yaml(path):
    try:
        with open(path) as f:
            return yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError):
        return {}


def find_charts(dirs):
    """Chart folders under dirs, not those inside another chart's folder."""
    out = []
    for top in dirs:
        for here, subdirs, files in os.walk(top):
            subdirs.sort()
            if "Chart.yaml" in files:
                out.append(pathlib.Path(here))
                subdirs[:] = []  # a chart's inner charts belong to it
    return out


def mirror_of(path, roots):
    """The first folder under the root that holds path (the mirror it came from)."""
    path = pathlib.Path(path).resolve()
    for r in roots:
        r = pathlib.Path(r).resolve()
        if path == r or r in path.parents:
            rel = path.relative_to(r).parts
            return (str(r), rel[0] if rel else "")
    return ("", "")


def index_charts(dirs):
    """name -> [chart folder] for every chart (inner ones too) under dirs."""
    index = {}
    for top in dirs:
        for here, subdirs, files in os.walk(top):
            subdirs.sort()
            if "Chart.yaml" in files:
                name = read_yaml(os.path.join(here, "Chart.yaml")).get("name")
                if isinstance(name, str):
                    index.setdefault(name, []).append(pathlib.Path(here))
    return index


def dependencies(chart_dir):
    meta = read_yaml(chart_dir / "Chart.yaml")
    deps = meta.get("dependencies")
    if deps is None and (chart_dir / "requirements.yaml").exists():
        deps = read_yaml(chart_dir / "requirements.yaml").get("dependencies")
    return [d for d in deps or [] if isinstance(d, dict) and isinstance(d.get("name"), str)]


def vendored_names(chart_dir):
    names = set()
    sub = chart_dir / "charts"
    if not sub.is_dir():
        return names
    for p in sub.iterdir():
        if p.is_dir() and (p / "Chart.yaml").exists():
            n = read_yaml(p / "Chart.yaml").get("name")
            if isinstance(n, str):
                names.add(n)
        elif p.name.endswith(".tgz"):
            names.add(re.sub(r"-v?\d[^-]*(-[^-]+)?\.tgz$", "", p.name))
    return names


def vendor(chart_dir, index, roots, own_mirror, depth=0):
    """Copies missing dependencies into chart_dir/charts (recursively). Returns the names
    that could not be found."""
    missing = []
    have = vendored_names(chart_dir)
    for dep in dependencies(chart_dir):
        name = dep["name"]
        if name in have:
            continue
        repo = str(dep.get("repository") or "")
        if repo.startswith("file://"):
            src = (chart_dir / repo[len("file://"):]).resolve()
            candidates = [src] if (src / "Chart.yaml").exists() else []
        else:
            candidates = []
        if not candidates:
            found = index.get(name, [])
            same = [c for c in found if mirror_of(c, roots) == own_mirror]
            candidates = same + [c for c in found if c not in same]
        if not candidates or depth > 6:
            missing.append(name)
            continue
        dest = chart_dir / "charts" / name
        shutil.copytree(candidates[0], dest, symlinks=False, ignore_dangling_symlinks=True)
        have.add(name)
        missing += vendor(dest, index, roots, mirror_of(candidates[0], roots), depth + 1)
    return missing


# ---------------------------------------------------------------- comparison

def same_shape(helm, strata):
    try:
        h = list(yaml.safe_load_all(helm))
        s = list(yaml.safe_load_all(strata))
    except yaml.YAMLError:
        return "does not parse as YAML" if helm != strata else None
    if len(h) != len(s):
        return f"{len(h)} documents against {len(s)}"
    for a, b in zip(h, s):
        why = same_value(a, b, "")
        if why:
            return why
    return None


def pem_kinds(text):
    if "-----BEGIN " not in text:
        try:
            text = base64.b64decode(text.strip(), validate=True).decode()
        except Exception:
            return None
    kinds = re.findall(r"-----BEGIN ([A-Z ]+)-----", text)
    return kinds or None


def same_value(h, s, at):
    if isinstance(h, dict) and isinstance(s, dict):
        if list(h) != list(s) and sorted(map(str, h)) != sorted(map(str, s)):
            return f"{at}: keys differ"
        for k in h:
            why = same_value(h[k], s.get(k), f"{at}.{k}")
            if why:
                return why
        return None
    if isinstance(h, list) and isinstance(s, list) and len(h) == len(s):
        for i, (a, b) in enumerate(zip(h, s)):
            why = same_value(a, b, f"{at}[{i}]")
            if why:
                return why
        return None
    if isinstance(h, str) and isinstance(s, str) and h != s:
        ph, ps = pem_kinds(h), pem_kinds(s)
        if ph or ps:
            return None if ph == ps else f"{at}: PEM blocks {ph} against {ps}"
        # Random letters and digits (randAlphaNum, uuidv4), and bcrypt's salt and hash
        # alphabet (htpasswd: `./` too).
        rnd = lambda c: c.isalnum() or c in "./"
        if len(h) == len(s) and all(a == b or (rnd(a) and rnd(b)) for a, b in zip(h, s)):
            return None
        return f"{at}: {h[:60]!r} against {s[:60]!r}"
    return None if h == s else f"{at}: {str(h)[:60]} against {str(s)[:60]}"


def first_difference(want, got):
    for i, (w, g) in enumerate(zip(want.splitlines(), got.splitlines())):
        if w != g:
            return f"line {i + 1}: helm {w[:120]!r} strata {g[:120]!r}"
    return f"lengths differ: helm {len(want.splitlines())} lines, strata {len(got.splitlines())} lines"


def withhold_tpl_text(message):
    """Helm's message as strata words it: where `tpl` cannot parse its text, Helm quotes
    the text (most often a chart value, which may be a secret) and strata does not."""
    return re.sub(r'cannot parse template "(?:[^"\\]|\\.)*"',
                  "cannot parse template (its text not quoted: it may hold a secret)", message)


def compare(helm, strata_files, strata_err):
    """(status, detail) of one case."""
    if "crash" in helm:
        return "skipped", helm["crash"]
    if "error" in helm:
        if strata_err is None:
            return "helm-errors", helm["error"]
        want = withhold_tpl_text(helm["error"].strip())
        same = want in strata_err or want.split(": ", 1)[-1] in strata_err
        return ("both-error-same" if same else "both-error-different"), f"helm: {want}\n      strata: {strata_err}"
    if strata_err is not None:
        return "strata-errors", strata_err
    first, second = helm["first"], helm["second"]
    diffs = []
    for path in sorted(set(first) | set(strata_files)):
        if path not in first:
            diffs.append((path, "rendered by strata only"))
        elif path not in strata_files:
            diffs.append((path, "missing in strata"))
        elif first[path] == strata_files[path]:
            continue
        elif second.get(path) != first[path]:
            why = same_shape(first[path], strata_files[path])
            if why:
                diffs.append((path, "differs in shape: " + why))
        else:
            diffs.append((path, first_difference(first[path], strata_files[path])))
    if not diffs:
        return "equal", f"{len(first)} templates"
    return "differs", diffs


# ---------------------------------------------------------------- main

def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--helm-child":
        helm_child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--deps", action="append", default=[])
    ap.add_argument("--values")
    ap.add_argument("--ci", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--strata", default=os.environ.get("STRATA", str(ROOT / "target/release/strata")))
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    if not os.path.exists(args.strata):
        sys.exit(f"corpus-helm: no strata binary at {args.strata} (cargo build --release)")

    roots = args.dirs + args.deps
    index = index_charts(roots)
    charts = find_charts(args.dirs)
    if args.only:
        charts = [c for c in charts if args.only in str(c)]
    results = []
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="corpus-helm-"))
    try:
        for n, chart in enumerate(charts):
            label = os.path.relpath(chart, os.path.commonpath([os.path.abspath(d) for d in args.dirs]) if len(args.dirs) > 1 else args.dirs[0])
            meta = read_yaml(chart / "Chart.yaml")
            if meta.get("type") == "library":
                results.append((label, "-", "skipped", "library chart"))
                print(f"{label}: skipped (library chart)", flush=True)
                continue
            work = tmp / f"c{n}" / chart.name
            shutil.copytree(chart, work, symlinks=False, ignore_dangling_symlinks=True)
            missing = vendor(work, index, roots, mirror_of(chart, roots))
            if missing:
                results.append((label, "-", "skipped", "dependencies not found: " + ", ".join(missing)))
                print(f"{label}: skipped (dependencies not found: {', '.join(missing)})", flush=True)
                shutil.rmtree(work.parent, ignore_errors=True)
                continue
            cases = [("default", None)]
            if args.values:
                cases.append((pathlib.Path(args.values).stem, os.path.abspath(args.values)))
            if args.ci and (chart / "ci").is_dir():
                for f in sorted((chart / "ci").iterdir()):
                    if f.suffix in (".yaml", ".yml") and "values" in f.name:
                        cases.append(("ci/" + f.name, str(f.resolve())))
            for case, values in cases:
                helm = helm_render(work, values)
                files, err = strata_render(args.strata, work, values)
                status, detail = compare(helm, files, err)
                results.append((label, case, status, detail))
                if status == "differs":
                    names = [p for p, _ in detail]
                    more = f", and {len(names) - 6} more" if len(names) > 6 and not args.v else ""
                    print(f"{label} [{case}]: differs {len(detail)}/{len(helm['first'])}: "
                          + ", ".join(names if args.v else names[:6]) + more, flush=True)
                    for p, why in (detail if args.v else detail[:1]):
                        print(f"    {p}: {why}", flush=True)
                elif status == "equal":
                    print(f"{label} [{case}]: equal ({detail})", flush=True)
                else:
                    text = detail if status.startswith("both") else detail.strip().splitlines()[-1] if detail.strip() else ""
                    print(f"{label} [{case}]: {status}: {text[:400]}", flush=True)
            shutil.rmtree(work.parent, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"chart": c, "case": k, "status": s, "detail": d} for c, k, s, d in results], f, indent=1)
    rendered = [r for r in results if r[2] != "skipped"]
    by_chart = {}
    for c, _, s, _ in rendered:
        by_chart.setdefault(c, set()).add(s)
    ok_states = {"equal", "both-error-same"}
    equal = sorted(c for c, s in by_chart.items() if s <= ok_states)
    bad = sorted(c for c, s in by_chart.items() if not s <= ok_states)
    skipped = sorted({c for c, _, s, _ in results if s == "skipped"} - set(by_chart))
    counts = {}
    for _, _, s, _ in rendered:
        counts[s] = counts.get(s, 0) + 1
    print()
    print(f"summary: {len(by_chart)} charts ({len(rendered)} cases: "
          + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
          + f"), {len(equal)} equal, {len(bad)} differing"
          + (f": {', '.join(bad)}" if bad else "")
          + (f"; {len(skipped)} skipped: {', '.join(skipped)}" if skipped else ""))


if __name__ == "__main__":
    main()
