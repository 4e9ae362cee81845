#!/usr/bin/env python3
"""Extract strategic-merge-patch metadata from Kubernetes JSON schemas.

Source: the PyPI package `kubernetes-validate`, which ships one directory of
JSON schemas per Kubernetes version; its `_definitions.json` holds every API
type with the `x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`,
`x-kubernetes-list-map-keys` and `x-kubernetes-group-version-kind` extensions.

How to run (from the repository root):

    python3 -m venv /tmp/kv && /tmp/kv/bin/pip install kubernetes-validate
    /tmp/kv/bin/python scripts/gen-schemas.py 1.33

This writes `schemas/k8s/<version>/patch-meta.json.gz` (deterministic: sorted
keys, gzip mtime 0). `src/engine/schema.rs` embeds that file; re-run the
script and commit its output to change the Kubernetes version.
Other data for the same version (e.g. full validation schemas) belongs beside
it in `schemas/k8s/<version>/`.

Output format (JSON, compact):

    {"version": "1.33", "source": "kubernetes-validate <pkg version> v1.33.0-local",
     "kinds": [[group, version, kind, type-name], ...],
     "types": {type-name: node, ...}}

A node is one of:
    0                    a primitive (string, integer, number, boolean, quantity, ...)
    1                    anything (no schema: RawExtension, JSON, preserve-unknown-fields)
    "type-name"          a reference into "types"
    {"f": {field: node}} an object with known fields
    {"m": node}          a map (additionalProperties) with values of this node
    {"l": node, "s": strategy, "k": merge-key, "mk": [list-map-keys]}
                         a list of items; "s", "k", "mk" only when the schema has them
Only object-like definitions appear in "types"; references to primitive
definitions (Quantity, Time, IntOrString, ...) are inlined as 0.
"""

import gzip
import io
import json
import os
import sys


def find_schema_dir(version):
    import kubernetes_validate  # noqa: PLC0415 (only needed here)

    base = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    want = "v%s.0-local" % version if version.count(".") == 1 else "v%s-local" % version
    path = os.path.join(base, want)
    if not os.path.isdir(path):
        have = sorted(d for d in os.listdir(base) if not d.endswith("-strict"))
        sys.exit("no schemas for %s in %s (have: %s)" % (version, base, ", ".join(have)))
    pkg = getattr(kubernetes_validate, "__version__", None)
    if pkg is None:
        try:
            from importlib.metadata import version as dist_version  # noqa: PLC0415

            pkg = dist_version("kubernetes-validate")
        except Exception:  # pragma: no cover
            pkg = "?"
    return path, "kubernetes-validate %s %s" % (pkg, want)


def types_of(schema):
    t = schema.get("type")
    if t is None:
        return []
    if isinstance(t, str):
        return [t]
    return [x for x in t if x != "null"]


class Converter:
    def __init__(self, defs):
        self.defs = defs
        self.out = {}

    def ref_name(self, ref):
        prefix = "#/$defs/"
        if not ref.startswith(prefix):
            raise ValueError("unexpected $ref %r" % ref)
        return ref[len(prefix):]

    def is_object_like(self, schema):
        return bool(
            "properties" in schema
            or "additionalProperties" in schema
            or "items" in schema
            or "array" in types_of(schema)
        )

    def node(self, schema):
        if "$ref" in schema:
            name = self.ref_name(schema["$ref"])
            target = self.defs[name]
            if not self.is_object_like(target):
                return 0 if self.is_primitive(target) else 1
            if name not in self.out:
                self.out[name] = None  # reserve: recursive types
                self.out[name] = self.node(target)
            return name
        ts = types_of(schema)
        if "array" in ts or "items" in schema:
            n = {"l": self.node(schema.get("items", {}))}
            if "x-kubernetes-patch-strategy" in schema:
                n["s"] = schema["x-kubernetes-patch-strategy"]
            if "x-kubernetes-patch-merge-key" in schema:
                n["k"] = schema["x-kubernetes-patch-merge-key"]
            if "x-kubernetes-list-map-keys" in schema:
                n["mk"] = list(schema["x-kubernetes-list-map-keys"])
            return n
        if "properties" in schema:
            return {"f": {k: self.node(v) for k, v in schema["properties"].items()}}
        ap = schema.get("additionalProperties")
        if isinstance(ap, dict):
            return {"m": self.node(ap)}
        return 0 if self.is_primitive(schema) else 1

    def is_primitive(self, schema):
        ts = types_of(schema)
        if ts and all(t in ("string", "integer", "number", "boolean") for t in ts):
            return True
        alts = schema.get("oneOf") or schema.get("anyOf")
        if alts and all(self.is_primitive(a) for a in alts):
            return True
        return False


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen-schemas.py <kubernetes version, e.g. 1.33>")
    version = sys.argv[1]
    src_dir, source = find_schema_dir(version)
    with open(os.path.join(src_dir, "_definitions.json")) as f:
        defs = json.load(f)["$defs"]

    conv = Converter(defs)
    kinds = []
    for name in sorted(defs):
        for gvk in defs[name].get("x-kubernetes-group-version-kind", []):
            node = conv.node({"$ref": "#/$defs/" + name})
            if not isinstance(node, str):
                continue
            kinds.append([gvk.get("group", ""), gvk["version"], gvk["kind"], name])
    kinds.sort()

    data = {"version": version, "source": source, "kinds": kinds, "types": conv.out}
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out_dir = os.path.join(root, "schemas", "k8s", version)
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, "patch-meta.json.gz")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    with open(out, "wb") as f:
        f.write(buf.getvalue())
    print("%s: %d kinds, %d types, %d bytes (%d uncompressed)"
          % (out, len(kinds), len(conv.out), len(buf.getvalue()), len(raw)))


if __name__ == "__main__":
    main()
