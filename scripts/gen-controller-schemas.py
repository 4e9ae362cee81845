#!/usr/bin/env python3
"""Bundle the CRD schemas of the GitOps controllers strata emits objects for.

`strata validate` checks Argo CD `Application`/`ApplicationSet`/`AppProject`, Flux
`Kustomization`/`GitRepository`/`HelmRelease` and kapp-controller `App` against these
schemas, so `validate rendered --strict` passes on strata's own output without the user
vendoring the CRDs. Nothing is fetched at run time: the bundle is embedded in the binary.

Input: the projects' published CRD manifests, as files (any order; other kinds in them
are ignored):

    argoproj/argo-cd            manifests/crds/application-crd.yaml
                                manifests/crds/applicationset-crd.yaml
                                manifests/crds/appproject-crd.yaml
    fluxcd/kustomize-controller config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml
    fluxcd/source-controller    config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml
    fluxcd/helm-controller      config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml
    carvel-dev/kapp-controller  config/config/crds.yml

How to run (from the repository root), e.g. with clones of the five repositories:

    python3 -m venv /tmp/crd && /tmp/crd/bin/pip install pyyaml
    /tmp/crd/bin/python scripts/gen-controller-schemas.py \\
        --origin "argo-cd 37ee009, kustomize-controller 186fb3b, source-controller 39b711b, helm-controller 0f61a86, kapp-controller e4b4822" \\
        argo-cd/manifests/crds/application-crd.yaml ... kapp-controller/config/config/crds.yml

(or download the same files from raw.githubusercontent.com at a release tag). It writes
`schemas/crds/controllers.json.gz` (deterministic: sorted keys, gzip mtime 0), which
`src/validate/mod.rs` (`Crds::builtin`) embeds.

Output format (JSON, compact):

    {"origin": "...", "files": [[name, sha256], ...],
     "crds": [CustomResourceDefinition, ...]}

Each CRD keeps `spec.group`, `spec.names.kind`, `spec.scope` and, per served version, its
`openAPIV3Schema` reduced to what strata's validator reads (types, properties, required,
enum, items, bounds, patterns, `x-kubernetes-*`); descriptions are dropped.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import sys

import yaml

WANTED = [
    ("argoproj.io", "Application"),
    ("argoproj.io", "ApplicationSet"),
    ("argoproj.io", "AppProject"),
    ("kustomize.toolkit.fluxcd.io", "Kustomization"),
    ("source.toolkit.fluxcd.io", "GitRepository"),
    ("helm.toolkit.fluxcd.io", "HelmRelease"),
    ("kappctrl.k14s.io", "App"),
]

# Keywords whose value is one schema, a list of schemas, a map of schemas, or data.
ONE = {"items", "additionalProperties", "not"}
LIST = {"allOf", "anyOf", "oneOf"}
MAP = {"properties"}
DATA = {
    "type", "required", "enum", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "nullable",
    "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
}


def strip(node):
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in DATA:
            out[k] = v
        elif k in ONE:
            out[k] = strip(v) if isinstance(v, dict) else v
        elif k in LIST:
            out[k] = [strip(s) for s in v]
        elif k in MAP:
            out[k] = {name: strip(s) for name, s in v.items()}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--origin", required=True, help="where the files come from (repositories and commits)")
    ap.add_argument("--out", default="schemas/crds/controllers.json.gz")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    found = {}
    files = []
    for path in args.files:
        raw = open(path, "rb").read()
        files.append([os.path.basename(path), hashlib.sha256(raw).hexdigest()])
        for doc in yaml.safe_load_all(raw):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            key = (spec["group"], spec["names"]["kind"])
            if key not in WANTED:
                continue
            versions = []
            for v in spec.get("versions", []):
                if not v.get("served", True):
                    continue
                schema = (v.get("schema") or {}).get("openAPIV3Schema")
                if schema is None:
                    continue
                versions.append({"name": v["name"], "schema": {"openAPIV3Schema": strip(schema)}})
            found[key] = {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": doc["metadata"]["name"]},
                "spec": {
                    "group": spec["group"],
                    "names": {"kind": spec["names"]["kind"]},
                    "scope": spec.get("scope", "Namespaced"),
                    "versions": versions,
                },
            }
    missing = [f"{g}/{k}" for g, k in WANTED if (g, k) not in found]
    if missing:
        sys.exit(f"no CRD for {', '.join(missing)} in the input files")
    bundle = {
        "origin": args.origin,
        "files": sorted(files),
        "crds": [found[k] for k in WANTED],
    }
    data = json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(buf.getvalue())
    print(f"{args.out}: {len(found)} CRDs, {len(data)} bytes of JSON, {len(buf.getvalue())} gzipped")


if __name__ == "__main__":
    main()
