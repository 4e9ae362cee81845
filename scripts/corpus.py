#!/usr/bin/env python3
"""corpus.py — a corpus of real public repositories' kustomization folders, for `strata build`.

Usage:
    scripts/corpus.py import NAME GIT_DIR [PATHSPEC...] [--url URL] [--license SPDX]
                             [--budget KB] [--max N]
    scripts/corpus.py check [-v]

`import` (needs kubectl with kustomize v5.5 and strace) takes the newest commit of GIT_DIR (a
git directory of a public repository; PATHSPECs restrict it to some folders), finds every folder
holding a kustomization file, and builds each with `kubectl kustomize` under strace to learn
which files kustomize reads. It keeps folders cheapest first (files read + output) until the
size budget (default 600 KB) or --max folders is reached, copies exactly the files kustomize
read, byte for byte, into fixtures/corpus/NAME/tree/ (same paths as in the repository), builds
every kept folder again from the trimmed tree (a folder whose output changes with the trimming is
dropped), and stores the result in fixtures/corpus/NAME/expected/<folder>/: `expected.yaml`
(kustomize's stdout) or `expected-error` (`exit: N`, `keywords:`, then kubectl's stderr). A
folder kustomize refuses offline (remote bases, Helm charts, plugins, broken inputs) is kept as
an error case: strata must refuse it too. fixtures/corpus/NAME/SOURCE records the repository,
commit and license.

`check` runs the strata binary (target/debug/strata, or $STRATA) on every stored folder and
prints how many folders kustomize builds offline and how many of them strata matches byte for
byte, and how many of the refused ones strata refuses too. tests/corpus.rs asserts the same
thing: every folder agrees, except those in fixtures/corpus/known-failures.txt.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(HERE, "fixtures/corpus")
KFILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
OPEN_RE = re.compile(r'^\d+\s+openat\([^,]+, "([^"]+)", [^)]*\) = (\d+)')


def kubectl(cwd, arg, trace=None):
    cmd = ["kubectl", "kustomize", arg]
    if trace:
        cmd = ["strace", "-f", "-qq", "-e", "trace=openat", "-o", trace] + cmd
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=90)
    except subprocess.TimeoutExpired:
        return 124, b"", b"timed out\n"
    return p.returncode, p.stdout, p.stderr


def files_read(trace, root):
    """Regular files under root that the traced process opened successfully."""
    out = set()
    root = os.path.realpath(root)
    with open(trace, errors="replace") as f:
        for line in f:
            m = OPEN_RE.match(line)
            if not m:
                continue
            p = os.path.realpath(os.path.join(root, m.group(1)))
            if p.startswith(root + os.sep) and os.path.isfile(p):
                out.add(os.path.relpath(p, root))
    return out


def mask(text, root):
    text = text.replace(os.path.realpath(root), "<tree>").replace(root, "<tree>")
    text = re.sub(r"0xc[0-9a-f]{6,}", "0xADDR", text)
    return re.sub(r"(?m)^E[0-9]{4} [0-9:.]+ +[0-9]+ ([a-z_]+\.go:[0-9]+\] )", r"E \1", text)


def do_import(args):
    v = subprocess.run(["kubectl", "version", "--client"], capture_output=True, text=True).stdout
    if "Kustomize Version: v5.5." not in v:
        sys.exit("corpus: need kubectl with Kustomize v5.5.x")
    commit = subprocess.run(["git", "-C", args.git_dir, "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    work = tempfile.mkdtemp(prefix="corpus-")
    try:
        src = os.path.join(work, "src")
        os.makedirs(src)
        arch = subprocess.Popen(["git", "-C", args.git_dir, "archive", "HEAD", "--"]
                                + args.pathspec, stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", src], stdin=arch.stdout, check=True)
        arch.wait()
        folders = []
        for d, _, names in os.walk(src):
            if any(k in names for k in KFILES):
                folders.append(os.path.relpath(d, src))
        folders.sort()
        print("%s: %d kustomization folders" % (args.name, len(folders)), file=sys.stderr)
        measured = []
        fsize = lambda f: os.path.getsize(os.path.join(src, f))
        for folder in folders:
            trace = os.path.join(work, "trace")
            code, out, err = kubectl(src, folder, trace)
            read = files_read(trace, src)
            measured.append((sum(map(fsize, read)) + len(out), folder, read, len(out)))
        measured.sort()
        kept, chosen, total = set(), [], 0
        for _, folder, read, outlen in measured:
            cost = sum(map(fsize, read - kept)) + outlen
            if total + cost > args.budget * 1024:
                continue
            if len(chosen) >= args.max:
                break
            kept |= read
            chosen.append(folder)
            total += cost
        dest = os.path.join(CORPUS, args.name)
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        tree = os.path.join(dest, "tree")
        for f in sorted(kept):
            os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
            shutil.copyfile(os.path.join(src, f), os.path.join(tree, f))
        ok = err_n = dropped = 0
        for folder in chosen:
            full = kubectl(src, folder)
            os.makedirs(os.path.join(tree, folder), exist_ok=True)
            trimmed = kubectl(tree, folder)
            same_err = mask(full[2].decode(errors="replace"), src) == \
                mask(trimmed[2].decode(errors="replace"), tree)
            if full[0] != trimmed[0] or full[1] != trimmed[1] or not same_err:
                print("  dropped %s: the trimmed tree builds differently" % folder,
                      file=sys.stderr)
                dropped += 1
                continue
            exp = os.path.join(dest, "expected", folder)
            os.makedirs(exp, exist_ok=True)
            code, out, err = trimmed
            if code == 0:
                with open(os.path.join(exp, "expected.yaml"), "wb") as f:
                    f.write(out)
                ok += 1
            else:
                with open(os.path.join(exp, "expected-error"), "w") as f:
                    f.write("exit: %d\nkeywords:\n%s" % (code, mask(err.decode(errors="replace"),
                                                                   tree)))
                err_n += 1
        with open(os.path.join(dest, "SOURCE"), "w") as f:
            f.write("repository: %s\ncommit: %s\nlicense: %s\npaths: %s\n"
                    "folders: %d kept of %d (%d build, %d refused offline, %d dropped)\n" % (
                        args.url or args.name, commit, args.license,
                        " ".join(args.pathspec) or "(all)", ok + err_n, len(folders), ok, err_n,
                        dropped))
        print("%s: kept %d folders (%d build, %d refused), %d KB of inputs" % (
            args.name, ok + err_n, ok, err_n, total // 1024))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cases():
    for repo in sorted(os.listdir(CORPUS)):
        exp_root = os.path.join(CORPUS, repo, "expected")
        if not os.path.isdir(exp_root):
            continue
        for d, _, names in sorted(os.walk(exp_root)):
            if "expected.yaml" in names or "expected-error" in names:
                yield repo, os.path.relpath(d, exp_root), d


def do_check(args):
    strata = os.environ.get("STRATA", os.path.join(HERE, "target/debug/strata"))
    builds = match = refused = both_refuse = 0
    diff_success = []
    for repo, folder, exp in cases():
        p = subprocess.run([strata, "build", folder], cwd=os.path.join(CORPUS, repo, "tree"),
                           capture_output=True)
        name = "%s/%s" % (repo, folder)
        if os.path.exists(os.path.join(exp, "expected.yaml")):
            builds += 1
            want = open(os.path.join(exp, "expected.yaml"), "rb").read()
            if p.returncode == 0 and p.stdout == want:
                match += 1
            elif p.returncode == 0:
                diff_success.append(name)
                if args.verbose:
                    print("DIFFERENT", name)
            elif args.verbose:
                print("REFUSED  ", name, p.stderr.decode(errors="replace").splitlines()[:1])
        else:
            refused += 1
            if p.returncode == 2 and not p.stdout:
                both_refuse += 1
            elif args.verbose:
                print("BUILDS   ", name, "(kustomize refuses)")
    print("kustomize builds %d of %d folders offline; strata matches %d of those byte for byte"
          " (%.1f%%), and prints a different successful output for %d" % (
              builds, builds + refused, match, 100.0 * match / max(builds, 1),
              len(diff_success)))
    print("of the %d folders kustomize refuses offline, strata refuses %d" % (
        refused, both_refuse))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    imp = sub.add_parser("import")
    imp.add_argument("name")
    imp.add_argument("git_dir")
    imp.add_argument("pathspec", nargs="*")
    imp.add_argument("--url", default="")
    imp.add_argument("--license", default="Apache-2.0")
    imp.add_argument("--budget", type=int, default=600, help="KB of inputs and outputs")
    imp.add_argument("--max", type=int, default=60, help="folders at most")
    chk = sub.add_parser("check")
    chk.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.cmd == "import":
        do_import(args)
    else:
        do_check(args)


if __name__ == "__main__":
    main()
