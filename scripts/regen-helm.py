#!/usr/bin/env python3
"""Regenerates the expected outputs of the Helm conformance fixtures (fixtures/helm/).

The reference is Helm's own Go SDK (Helm v4), which the PyPI package `helm-python-sdk`
bundles as a native library and which renders charts offline:

    python3 -m venv /tmp/helm-venv && /tmp/helm-venv/bin/pip install helm-python-sdk==0.2.2
    /tmp/helm-venv/bin/python scripts/regen-helm.py            # every fixture
    /tmp/helm-venv/bin/python scripts/regen-helm.py argo-cd    # one

For each `fixtures/helm/<chart>/cases/<case>.yaml` it renders `<chart>/chart` with those
values as release `rel` in namespace `ns` (what tests/helm.rs uses), with the render
options in `<case>.options.json` beside it if there is one (`{"is_upgrade": true}`: as
`helm template --is-upgrade`), and writes
`expected/<case>.json`: {"templates": {path: output}} or {"error": message}. The chart is
rendered twice; a template whose output differs between the two (random names, generated
passwords, keys and certificates) goes under "nondeterministic" instead, with the first
render's output, which tests/helm.rs compares by shape (same documents, PEM blocks of the
same types that parse, random characters where Helm's differ, all else equal).
Tests never need this script or the SDK.
"""
import json
import pathlib
import sys

import helm_python as helm
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "helm"


def render(chart_dir, values, options):
    # A fresh load per render: rendering drops the disabled subcharts from the loaded
    # chart, so a second render of the same object would miss them.
    chart = helm.Chart.load(str(chart_dir))
    try:
        return chart.render(values, name="rel", namespace="ns", **options), None
    except helm.HelmError as e:
        return None, str(e)


def main(names):
    fixtures = sorted(p for p in ROOT.iterdir() if (p / "chart").is_dir())
    if names:
        fixtures = [p for p in fixtures if p.name in names]
    for fixture in fixtures:
        chart = fixture / "chart"
        out_dir = fixture / "expected"
        out_dir.mkdir(exist_ok=True)
        for case in sorted((fixture / "cases").glob("*.yaml")):
            values = yaml.safe_load(case.read_text()) or {}
            options_file = case.with_suffix(".options.json")
            options = json.loads(options_file.read_text()) if options_file.exists() else {}
            first, error = render(chart, values, options)
            if error is not None:
                result = {"error": error}
                summary = "error"
            else:
                second, _ = render(chart, values, options)
                unstable = sorted(k for k in first if second.get(k) != first[k])
                result = {"templates": {k: v for k, v in sorted(first.items()) if k not in unstable}}
                if unstable:
                    result["nondeterministic"] = {k: first[k] for k in unstable}
                summary = f"{len(first)} templates, {len(unstable)} nondeterministic"
            (out_dir / f"{case.stem}.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
            print(f"{fixture.name}/{case.stem}: {summary}")


if __name__ == "__main__":
    main(sys.argv[1:])
