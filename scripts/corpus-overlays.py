#!/usr/bin/env python3
"""corpus-overlays.py — build every corpus folder under generated overlays, with kubectl and strata.

Usage:
    scripts/corpus-overlays.py [VARIANT...]     (default: every variant below)

The public repositories in fixtures/corpus/ mostly agree with kustomize as they are; this
puts each folder kustomize builds under an overlay (`resources: [../FOLDER]` plus one
variant: a namespace and prefixes, labels with selectors, images, patches of every kind,
generators, buildMetadata, replacements, ...) in a temporary `__overlay__` folder inside the
trimmed tree, builds it with `kubectl kustomize` (v5.5) and with strata
(target/debug/strata, or $STRATA), and prints DIFF for a different successful output and
MISMATCH when only one of them refuses. Needs kubectl; nothing is written outside the
temporary folder, which is removed again.
"""

import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(HERE, "fixtures/corpus")
STRATA = os.environ.get("STRATA", os.path.join(HERE, "target/debug/strata"))
VARIANTS = {
 "ns-prefix": "namespace: ovl-ns\nnamePrefix: p-\nnameSuffix: -s\n",
 "labels-sel": "labels:\n- pairs:\n    team: x\n  includeSelectors: true\n  includeTemplates: true\n",
 "labels-tmpl": "labels:\n- pairs:\n    team: x\n  includeTemplates: true\n",
 "common": "commonLabels:\n  c: d\ncommonAnnotations:\n  a: \"1\"\n",
 "images": "images:\n- name: IMG\n  newName: reg.example/x\n  newTag: v2\n",
 "images-digest": "images:\n- name: IMG\n  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
 "smp-deploy": "patches:\n- target:\n    kind: Deployment\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: any\n      annotations:\n        patched: \"yes\"\n    spec:\n      template:\n        spec:\n          containers:\n          - name: CNAME\n            env:\n            - name: X\n              value: \"1\"\n",
 "json-all": "patches:\n- target:\n    name: \".*\"\n  patch: |-\n    - op: add\n      path: /metadata/labels\n      value: {j: k}\n",
 "gen": "configMapGenerator:\n- name: ovl-cm\n  literals: [a=b]\nsecretGenerator:\n- name: ovl-sec\n  literals: [c=d]\n",
 "fifo": "sortOptions:\n  order: fifo\nnamespace: z\n",
 "replicas": "replicas:\n- name: DEPLOY\n  count: 7\n",
 "buildmeta": "buildMetadata: [originAnnotations, transformerAnnotations, managedByLabel]\nnamePrefix: b-\n",
 "smp-all": "patches:\n- target:\n    kind: \".*\"\n  patch: |-\n    apiVersion: v1\n    kind: Any\n    metadata:\n      name: any\n      annotations:\n        smp: all\n",
 "replacement": "replacements:\n- source:\n    kind: Deployment\n    name: DEPLOY\n    fieldPath: metadata.name\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.metadata.annotations.src\n    - spec.template.spec.containers.0.env.[name=SRC].value\n    options:\n      create: true\n",
 "labels-plain": "labels:\n- pairs:\n    plain: \"true\"\n",
 "ns-only": "namespace: other\n",
}


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def overlay(body, out):
    """The variant's text for this folder's output, or None when it does not apply."""
    imgs = re.findall(r"^\s+image: (\S+)", out, re.M)
    deps = re.findall(r"kind: Deployment\nmetadata:\n(?:  [a-z].*\n)*?  name: (\S+)", out)
    names = re.findall(r"containers:\n\s*- (?:[a-z].*\n\s*)*?name: (\S+)", out)
    for marker, found in (("IMG", imgs), ("DEPLOY", deps), ("CNAME", names)):
        if marker not in body:
            continue
        if not found:
            return None
        value = found[0].strip('"')
        if marker == "IMG":
            value = re.sub(r":[^:/]+$", "", value.split("@")[0])
        body = body.replace(marker, value)
    return body


def main():
    variants = sys.argv[1:] or list(VARIANTS)
    same, diff, mismatch = 0, 0, 0
    for repo in sorted(os.listdir(CORPUS)):
        exp_root = os.path.join(CORPUS, repo, "expected")
        if not os.path.isdir(exp_root):
            continue
        tree = os.path.join(CORPUS, repo, "tree")
        for d, _, names in sorted(os.walk(exp_root)):
            if "expected.yaml" not in names:
                continue
            folder = os.path.relpath(d, exp_root)
            out = open(os.path.join(d, "expected.yaml")).read()
            for v in variants:
                body = overlay(VARIANTS[v], out)
                if body is None:
                    continue
                ovl = os.path.join(tree, "__overlay__")
                os.makedirs(ovl, exist_ok=True)
                try:
                    rel = os.path.relpath(os.path.join(tree, folder), ovl)
                    with open(os.path.join(ovl, "kustomization.yaml"), "w") as f:
                        f.write("resources:\n- %s\n%s" % (rel, body))
                    k = run(["kubectl", "kustomize", "__overlay__"], tree)
                    s = run([STRATA, "build", "__overlay__"], tree)
                finally:
                    shutil.rmtree(ovl)
                name = "%s/%s [%s]" % (repo, folder, v)
                if k[0] == 0 and s[0] == 0 and k[1] != s[1]:
                    diff += 1
                    print("DIFF", name, flush=True)
                elif (k[0] == 0) != (s[0] == 0):
                    mismatch += 1
                    print("MISMATCH", name, "kubectl exit", k[0], "strata exit", s[0],
                          s[2][:300].decode(errors="replace").replace("\n", " "), flush=True)
                else:
                    same += 1
    print(json.dumps({"agree": same, "different_output": diff, "refusal_mismatch": mismatch}))


if __name__ == "__main__":
    main()
