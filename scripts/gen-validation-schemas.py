#!/usr/bin/env python3
"""Bundle the Kubernetes validation schemas that `strata validate` embeds.

Source: the PyPI package `kubernetes-validate` (Apache-2.0), which ships one folder
of JSON schemas per Kubernetes version; its `v<version>-local-strict` folders set
`additionalProperties: false` on every object, so unknown fields are errors.
`_definitions.json` holds every API type; each kind's file names its type through
`x-kubernetes-group-version-kind`. (`scripts/gen-schemas.py` reads the same package
for the strategic-merge metadata: one schema source for both.)

How to run (from the repository root):

    python3 -m venv /tmp/kv && /tmp/kv/bin/pip install kubernetes-validate
    /tmp/kv/bin/python scripts/gen-validation-schemas.py 1.30 1.31 1.32 1.33 1.34 1.35

For each version this writes `schemas/k8s/<version>/validation.json.gz`
(deterministic: sorted keys, gzip mtime 0). `src/validate/schema.rs` embeds them;
add a version there when you add one here.

Output format (JSON, compact):

    {"version": "1.33", "source": "kubernetes-validate <pkg> v1.33.0-local-strict",
     "kinds": [[group, version, kind, type-name], ...],
     "defs": {type-name: schema, ...}}

A schema keeps only what validation reads: `type`, `properties`,
`additionalProperties`, `required`, `enum`, `items`, `oneOf`, `format` and `$ref`
(rewritten to the bare type name). Descriptions and patch metadata are dropped.
"""

import glob
import gzip
import io
import json
import os
import sys

KEEP = {"type", "properties", "additionalProperties", "required", "enum", "items", "oneOf", "format", "$ref"}


def schema_root():
    import kubernetes_validate  # noqa: PLC0415 (only needed here)

    pkg = getattr(kubernetes_validate, "__version__", None)
    if pkg is None:
        from importlib.metadata import version as dist_version  # noqa: PLC0415

        pkg = dist_version("kubernetes-validate")
    return os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema"), pkg


def strip(node):
    if isinstance(node, list):
        return [strip(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k not in KEEP:
            continue
        if k == "properties":
            out[k] = {name: strip(s) for name, s in v.items()}
        elif k == "$ref":
            out[k] = v.rsplit("/", 1)[-1]
        elif k == "enum":
            out[k] = v
        else:
            out[k] = strip(v)
    return out


def bundle(root, pkg, version):
    folder = "v%s.0-local-strict" % version
    path = os.path.join(root, folder)
    if not os.path.isdir(path):
        have = sorted(d for d in os.listdir(root) if d.endswith("-strict"))
        sys.exit("no schemas for %s in %s (have: %s)" % (version, root, ", ".join(have)))
    with open(os.path.join(path, "_definitions.json")) as f:
        defs = json.load(f)["$defs"]
    kinds = []
    for file in sorted(glob.glob(os.path.join(path, "*.json"))):
        base = os.path.basename(file)
        if base.startswith("_") or base == "all.json":
            continue
        with open(file) as f:
            doc = json.load(f)
        gvks = doc.get("x-kubernetes-group-version-kind") or []
        if len(gvks) != 1:
            continue  # WatchEvent, DeleteOptions: not objects anyone applies
        gvk = gvks[0]
        # The kind's type: the definition whose GVK list is exactly this one.
        names = [n for n, d in defs.items() if d.get("x-kubernetes-group-version-kind") == gvks]
        if len(names) != 1:
            sys.exit("%s: %d definitions for %s" % (file, len(names), gvk))
        kinds.append([gvk["group"], gvk["version"], gvk["kind"], names[0]])
    kinds.sort()
    out = {
        "version": version,
        "source": "kubernetes-validate %s %s" % (pkg, folder),
        "kinds": kinds,
        "defs": {n: strip(d) for n, d in defs.items()},
    }
    data = json.dumps(out, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(data)
    dest = os.path.join("schemas", "k8s", version)
    os.makedirs(dest, exist_ok=True)
    target = os.path.join(dest, "validation.json.gz")
    with open(target, "wb") as f:
        f.write(buf.getvalue())
    print("%s: %d kinds, %d types, %d bytes (%d uncompressed)" % (target, len(kinds), len(defs), len(buf.getvalue()), len(data)))


def main():
    versions = sys.argv[1:]
    if not versions:
        sys.exit("usage: gen-validation-schemas.py VERSION... (e.g. 1.30 1.31 1.32 1.33 1.34 1.35)")
    root, pkg = schema_root()
    for v in versions:
        bundle(root, pkg, v)


if __name__ == "__main__":
    main()
