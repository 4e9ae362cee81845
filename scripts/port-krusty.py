#!/usr/bin/env python3
"""port-krusty.py — port kustomize's own `api/krusty` tests into strata conformance fixtures.

Usage:
    scripts/port-krusty.py KUSTOMIZE_CHECKOUT [--tag kustomize/v5.5.0] [--out fixtures/krusty]
    scripts/port-krusty.py --rate [--out fixtures/krusty]     # only print the pass rate

KUSTOMIZE_CHECKOUT is a git directory of the public kubernetes-sigs/kustomize repository (a bare
mirror is fine: the test files are read with `git show TAG:api/krusty/...`, never checked out).

What it does:
  1. Reads every `api/krusty/*_test.go` at TAG and runs each `func TestXxx(t *testing.T)` through
     a tiny interpreter for the subset of Go these tests are written in: string literals and `+`,
     local and package-level `const`/`var`, `fmt.Sprintf`, `filepath.Join`, package-level helper
     functions (`writeBase(th)`), table-driven tests (`for name, tc := range map[...]struct{...}`
     with `t.Run`), `if` on strings, booleans and nil. The harness calls it understands are
     `th.WriteK` (writes `kustomization.yaml` with the Kustomization header, as the harness does),
     `th.WriteC` (the Component header), `th.WriteF`, `th.WriteLegacyConfigs` (kustomize's
     default field specs), `th.Reset`, `th.Run` and `th.RunWithErr`.
  2. Each `th.Run`/`th.RunWithErr` becomes one case `OUT/<TestName>[.<subtest>][.<n>]/`: the
     in-memory files written so far under `in/` (absolute paths lose their leading `/`), the
     directory built in `target`, and what real kustomize v5.5 (`kubectl kustomize in/<target>`,
     run from the case directory) does with it: `expected.yaml` (its stdout) or `expected-error`
     (`exit: N`, `keywords: ...`, then kubectl's stderr with paths masked) — the layout of
     fixtures/build (see fixtures/build/README.md). Error keywords come from KEYWORDS below
     (chosen by hand, words any good message names); a case without any is compared by exit
     code only (both refuse).
  3. Writes `OUT/skipped.txt`: every test (or subtest) not ported, with the reason: it needs
     plugins (exec, Go or KRM-function plugins, `MakeOptionsPluginsEnabled` beyond builtins),
     Helm, the network, an on-disk harness, non-default options (load restrictor none, ...),
     a Go construct this interpreter does not follow, or kustomize's CLI disagrees with the Go
     test's own expectation (success vs error) — a sign the test depends on options or harness
     state that kubectl does not have.
  4. Checks the port itself: for every success case whose Go test states its expected output,
     kubectl must print the same documents (in its own order: the CLI sorts, the Go harness
     keeps input order); at v5.5.0 all 226 do. Prints the cases it wrote. The suite is run by `cargo test --test krusty`, which compares
     strata byte for byte; `OUT/known-failures.txt` lists the cases strata fails today.

`--rate` builds nothing with kubectl: it runs the strata binary (target/debug/strata, or
$STRATA) on every stored case and prints "N of M cases that need only builtins and local
files agree".
"""

import argparse
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile

# ---------------------------------------------------------------------------------------------
# Hand-chosen keywords for error cases: words a good message must name (file, field, object, or
# a word for the problem), never kubectl's exact wording. Key: case name.
KEYWORDS = {
    "TestBaseMustHaveKustomizationFile": "base, kustomization",
    "TestBasicIO3812": "service.yaml",
    "TestBasicVarCollision": "POD_NAME",
    "TestBlankNamespace4240": "namespace",
    "TestBug506": "POD_NAME",
    "TestComplexComposition_Dev_Failure": "my-sts",
    "TestComplexComposition_Prod_Failure": "my-sts",
    "TestComponentErrors.components-cannot-add-bases-containing-the-same-resource": "proxy",
    "TestComponentErrors.components-cannot-add-the-same-base": "storefront",
    "TestComponentErrors.components-cannot-add-the-same-resource": "proxy",
    "TestComponentErrors.components-cannot-be-added-to-resources": "component, resources",
    "TestComponentErrors.files-cannot-be-added-to-components-list": "stub.yaml",
    "TestComponentErrors.invalid-component-api-version": "apiVersion",
    "TestComponentErrors.kustomizations-cannot-be-added-to-components": "component",
    "TestConfigMapGeneratingIntoSameNamespace": "configmap",
    "TestCustomOpenApiFieldBothPathAndVersion": "openapi, version, path",
    "TestCustomOpenApiFieldFileNotFound": "mycrd_schema.json",
    "TestCustomOpenApiFieldNotBuiltin": "openapi, version",
    "TestDuplicateKeys": "resources.yaml, env",
    "TestIntermediateNameAmbiguous": "foo",
    "TestInvalidLegacySortOptionsWithFIFOOrder": "legacySortOptions",
    "TestInvalidLegacySortOptionsWithoutOrderKey": "sortOptions, order",
    "TestIssue1251_CompositeDiamond_Failure": "my-deployment",
    "TestIssue1251_Patches_ProdVsDev_Failure": "patchAddProbe.yaml",
    "TestMultibasesWithConflict": "serviceaccount",
    "TestNamedspacedServiceAccountsWithOverlap": "serviceaccount|service account",
    "TestRepeatBase": "banana",
    "TestResourceNotFound": "deployment.yaml",
    "TestSecretGeneratingIntoSameNamespace": "secret",
    "TestSortOrderGivenAsTransformer": "SortOrderTransformer",
    "TestTargetMustHaveKustomizationFile": "kustomization",
    "TestTargetMustHaveOnlyOneKustomizationFile": "kustomization.yaml, kustomization.yml",
    "TestVariablesAmbiguous": "elasticsearch",
}

# Files whose tests the interpreter cannot follow (temporary on-disk folders, plugin builds), all
# for one reason that puts them out of scope anyway.
FILE_REASON = {
    "fnplugin_test.go": "needs exec or container KRM function plugins (--enable-alpha-plugins)",
    "remoteloader_test.go": "needs the network (remote resources)",
    "helmchartinflationgenerator_test.go": "needs Helm",
    "chartinflatorplugin_test.go": "needs Helm",
    "originannotation_test.go": "needs exec plugins on disk, or the network",
}

# Tests whose build succeeds in the Go harness but whose check is an error later (the Go test
# calls `m.AsYaml()` and expects it to fail): kubectl fails, as it should.
ERROR_LATER = {"TestDuplicateKeys": "m.AsYaml() fails on the duplicate key"}

HEADER_K = "\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
HEADER_C = "\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"


class Unsupported(Exception):
    """A Go construct the interpreter does not follow; the test is skipped with this reason."""


class Skip(Exception):
    """The test needs something out of scope (plugins, helm, network, options)."""


# ---------------------------------------------------------------------------------------------
# Tokenizer

TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|\.\.\.|&&|\|\||==|!=|<=|>=|\+=|-=|\+\+|--|<-|[-+*/%<>=!&|^(){}\[\],;:.])
    """,
    re.X | re.S,
)

KEYWORDS_GO = {"break", "case", "chan", "const", "continue", "default", "defer", "else",
               "fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map",
               "package", "range", "return", "select", "struct", "switch", "type", "var"}


def go_unquote(s):
    body = s[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
                  "b": "\b", "f": "\f", "v": "\v"}
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "x":
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
        elif n == "u":
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        else:
            raise Unsupported("string escape \\" + n)
    return "".join(out)


def tokenize(src):
    """Go tokens as (kind, text); inserts ';' at line ends as Go's automatic semicolons do."""
    toks = []
    pos = 0
    while pos < len(src):
        m = TOKEN_RE.match(src, pos)
        if not m:
            raise Unsupported("cannot tokenize at %r" % src[pos:pos + 20])
        kind = m.lastgroup
        text = m.group()
        pos = m.end()
        newline = kind == "nl" or (kind == "bcomment" and "\n" in text)
        if newline:
            if toks and (toks[-1][0] in ("ident", "raw", "str", "num", "char")
                         or toks[-1][1] in (")", "]", "}", "++", "--")) \
                    and toks[-1][1] not in KEYWORDS_GO - {"break", "continue", "return",
                                                          "fallthrough"}:
                toks.append(("op", ";"))
            continue
        if kind in ("ws", "lcomment", "bcomment"):
            continue
        if kind == "raw":
            toks.append(("str", text[1:-1].replace("\r", "")))
        elif kind == "str":
            toks.append(("str", go_unquote(text)))
        elif kind == "ident" and text in KEYWORDS_GO:
            toks.append(("kw", text))
        else:
            toks.append((kind, text))
    toks.append(("op", ";"))
    toks.append(("eof", ""))
    return toks


# ---------------------------------------------------------------------------------------------
# Parser: a Go subset into tuples

class Parser:
    def __init__(self, toks):
        self.t = toks
        self.i = 0
        self.nobrace = 0  # >0 inside if/for/switch headers: `x {` is not a composite literal

    def peek(self, k=0):
        return self.t[self.i + k]

    def next(self):
        tok = self.t[self.i]
        self.i += 1
        return tok

    def at(self, text, k=0):
        tok = self.t[self.i + k]
        return tok[1] == text and tok[0] in ("op", "kw")

    def expect(self, text):
        tok = self.next()
        if tok[1] != text:
            raise Unsupported("expected %r, got %r" % (text, tok[1]))
        return tok

    def skip_semis(self):
        while self.at(";"):
            self.next()

    # ---- top level
    def file(self):
        funcs, decls = {}, []
        while self.peek()[0] != "eof":
            if self.at(";"):
                self.next()
            elif self.at("package"):
                self.next()
                self.next()
            elif self.at("import"):
                self.next()
                if self.at("("):
                    self.skip_balanced("(", ")")
                else:
                    while not self.at(";"):
                        self.next()
            elif self.at("func"):
                start = self.i
                self.next()
                recv = None
                if self.at("("):
                    recv = self.skip_balanced("(", ")")
                name = self.next()[1]
                if self.at("["):
                    self.skip_balanced("[", "]")
                params = self.params()
                self.result_type()
                if not self.at("{"):
                    continue
                body_start = self.i
                try:
                    body = self.block()
                except Unsupported as e:
                    self.i = body_start
                    self.skip_balanced("{", "}")
                    body = ("unsupported", str(e))
                if recv is None:
                    funcs[name] = (params, body)
                del start
            elif self.at("const") or self.at("var"):
                decls.append(self.decl())
            elif self.at("type"):
                self.next()
                if self.at("("):
                    self.skip_balanced("(", ")")
                else:
                    self.next()
                    self.skip_type()
            else:
                raise Unsupported("top level %r" % (self.peek(),))
        return funcs, decls

    def skip_balanced(self, o, c):
        self.expect(o)
        depth = 1
        toks = []
        while depth:
            tok = self.next()
            if tok[0] == "eof":
                raise Unsupported("unbalanced")
            if tok[1] == o and tok[0] == "op":
                depth += 1
            elif tok[1] == c and tok[0] == "op":
                depth -= 1
            toks.append(tok)
        return toks

    def params(self):
        """Parameter names, in order (types skipped)."""
        self.expect("(")
        names = []
        group = []
        while not self.at(")"):
            # a parameter: `name Type` or `name, name Type` or just `Type`
            tok = self.next()
            if tok[0] == "ident" and not (self.at(",") or self.at(")")) and not self.at("."):
                group.append(tok[1])
                names.extend(group)
                group = []
                self.skip_type()
            elif tok[0] == "ident" and self.at(","):
                group.append(tok[1])
            else:
                # unnamed parameter types
                self.i -= 1
                self.skip_type()
                group = []
            if self.at(","):
                self.next()
        self.expect(")")
        return names

    def result_type(self):
        if self.at("{") or self.at(";"):
            return
        if self.at("("):
            self.skip_balanced("(", ")")
        else:
            self.skip_type()

    def skip_type(self):
        tok = self.peek()
        if tok[1] == "*":
            self.next()
            return self.skip_type()
        if tok[1] == "[":
            self.skip_balanced("[", "]")
            return self.skip_type()
        if tok[1] == "map":
            self.next()
            self.skip_balanced("[", "]")
            return self.skip_type()
        if tok[1] in ("struct", "interface"):
            self.next()
            self.skip_balanced("{", "}")
            return
        if tok[1] == "func":
            self.next()
            self.skip_balanced("(", ")")
            if self.at("(") or self.peek()[0] == "ident" or self.at("*") or self.at("["):
                self.result_type()
            return
        if tok[1] == "chan":
            self.next()
            return self.skip_type()
        if tok[0] == "ident":
            self.next()
            if self.at("."):
                self.next()
                self.next()
            if self.at("["):  # generics
                self.skip_balanced("[", "]")
            return
        raise Unsupported("type at %r" % (tok,))

    def decl(self):
        kw = self.next()[1]
        specs = []
        if self.at("("):
            self.next()
            while not self.at(")"):
                self.skip_semis()
                if self.at(")"):
                    break
                specs.append(self.spec(kw))
                self.skip_semis()
            self.next()
        else:
            specs.append(self.spec(kw))
        return ("decl", specs)

    def spec(self, kw):
        names = [self.next()[1]]
        while self.at(","):
            self.next()
            names.append(self.next()[1])
        if not self.at("=") and not self.at(";") and not self.at(")"):
            self.skip_type()
        values = None
        if self.at("="):
            self.next()
            values = self.expr_list()
        return (names, values)

    # ---- statements
    def block(self):
        self.expect("{")
        stmts = []
        while True:
            self.skip_semis()
            if self.at("}"):
                self.next()
                return ("block", stmts)
            stmts.append(self.stmt())

    def stmt(self):
        tok = self.peek()
        if tok[1] in ("const", "var") and tok[0] == "kw":
            return self.decl()
        if tok[1] == "if" and tok[0] == "kw":
            return self.if_stmt()
        if tok[1] == "for" and tok[0] == "kw":
            return self.for_stmt()
        if tok[1] == "return" and tok[0] == "kw":
            self.next()
            if self.at(";") or self.at("}"):
                return ("return", [])
            return ("return", self.expr_list())
        if tok[1] == "defer" and tok[0] == "kw":
            self.next()
            self.expr()
            return ("nop",)
        if tok[1] in ("switch", "select", "go", "goto") and tok[0] == "kw":
            raise Unsupported("`%s` statement" % tok[1])
        if tok[1] in ("break", "continue") and tok[0] == "kw":
            raise Unsupported("`%s` statement" % tok[1])
        if tok[1] == "type" and tok[0] == "kw":
            self.next()
            self.next()
            self.skip_type()
            return ("nop",)
        if tok[1] == "{":
            return self.block()
        return self.simple_stmt()

    def simple_stmt(self):
        lhs = self.expr_list()
        if self.at(":=") or self.at("="):
            op = self.next()[1]
            if self.at("range"):
                raise Unsupported("range outside for")
            rhs = self.expr_list()
            return ("assign", op, lhs, rhs)
        if self.at("+="):
            self.next()
            rhs = self.expr()
            return ("assign", "=", lhs, [("binop", "+", lhs[0], rhs)])
        if self.at("++") or self.at("--"):
            self.next()
            return ("nop",)
        if len(lhs) != 1:
            raise Unsupported("expression list statement")
        return ("expr", lhs[0])

    def if_stmt(self):
        self.expect("if")
        self.nobrace += 1
        init = None
        s = self.simple_stmt()
        if self.at(";"):
            self.next()
            init = s
            cond = self.expr()
        else:
            if s[0] != "expr":
                raise Unsupported("if header")
            cond = s[1]
        self.nobrace -= 1
        then = self.block()
        els = None
        if self.at("else"):
            self.next()
            els = self.if_stmt() if self.at("if") else self.block()
        return ("if", init, cond, then, els)

    def for_stmt(self):
        self.expect("for")
        self.nobrace += 1
        if self.at("{"):
            raise Unsupported("endless for")
        # for k, v := range X
        save = self.i
        keys = []
        if self.at("range"):
            self.next()
            x = self.expr()
            self.nobrace -= 1
            return ("range", [], x, self.block())
        try:
            keys = self.expr_list()
        except Unsupported:
            keys = None
        if keys is not None and (self.at(":=") or self.at("=")) and self.at("range", 1):
            self.next()
            self.next()
            x = self.expr()
            self.nobrace -= 1
            return ("range", [k[1] for k in keys], x, self.block())
        self.i = save
        raise Unsupported("three-clause for")

    # ---- expressions
    def expr_list(self):
        xs = [self.expr()]
        while self.at(","):
            self.next()
            xs.append(self.expr())
        return xs

    PREC = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
            "+": 4, "-": 4, "|": 4, "^": 4, "*": 5, "/": 5, "%": 5, "&": 5}

    def expr(self, prec=1):
        left = self.unary()
        while True:
            tok = self.peek()
            p = self.PREC.get(tok[1]) if tok[0] == "op" else None
            if p is None or p < prec:
                return left
            self.next()
            right = self.expr(p + 1)
            left = ("binop", tok[1], left, right)

    def unary(self):
        tok = self.peek()
        if tok[0] == "op" and tok[1] in ("!", "-", "&", "*", "<-"):
            self.next()
            return ("unop", tok[1], self.unary())
        return self.primary()

    def primary(self):
        tok = self.peek()
        if tok[0] == "str":
            self.next()
            x = ("lit", tok[1])
        elif tok[0] == "num":
            self.next()
            x = ("lit", int(tok[1]) if tok[1].isdigit() else float(tok[1]))
        elif tok[0] == "char":
            self.next()
            x = ("lit", go_unquote('"' + tok[1][1:-1] + '"'))
        elif tok[1] == "(":
            self.next()
            self.nobrace_save = self.nobrace
            saved = self.nobrace
            self.nobrace = 0
            x = self.expr()
            self.nobrace = saved
            self.expect(")")
        elif tok[1] == "func" and tok[0] == "kw":
            self.next()
            params = self.params()
            self.result_type()
            saved = self.nobrace
            self.nobrace = 0
            body = self.block()
            self.nobrace = saved
            x = ("funclit", params, body)
        elif tok[1] in ("[", "map", "struct") and tok[0] in ("op", "kw"):
            self.skip_type()
            if not self.at("{"):
                # a conversion like []byte(x)
                if self.at("("):
                    self.next()
                    inner = self.expr()
                    self.expect(")")
                    x = ("conv", inner)
                else:
                    raise Unsupported("type expression")
            else:
                x = self.composite()
        elif tok[0] == "ident":
            self.next()
            x = ("name", tok[1])
        else:
            raise Unsupported("expression at %r" % (tok,))
        # postfix
        while True:
            if self.at("."):
                self.next()
                if self.at("("):  # type assertion
                    self.skip_balanced("(", ")")
                    x = ("opaque", "type assertion")
                    continue
                x = ("sel", x, self.next()[1])
            elif self.at("("):
                self.next()
                args = []
                saved = self.nobrace
                self.nobrace = 0
                while not self.at(")"):
                    self.skip_semis()
                    if self.at(")"):
                        break
                    args.append(self.expr())
                    if self.at("..."):
                        self.next()
                    self.skip_semis()
                    if self.at(","):
                        self.next()
                self.nobrace = saved
                self.expect(")")
                x = ("call", x, args)
            elif self.at("["):
                self.next()
                saved = self.nobrace
                self.nobrace = 0
                if self.at(":"):
                    raise Unsupported("slice expression")
                idx = self.expr()
                if self.at(":"):
                    raise Unsupported("slice expression")
                self.nobrace = saved
                self.expect("]")
                x = ("index", x, idx)
            elif self.at("{") and self.nobrace == 0 and x[0] in ("name", "sel"):
                x = self.composite()
            else:
                return x

    def composite(self):
        """`{ elem, ... }` after a type: a list of (key or None, value)."""
        self.expect("{")
        saved = self.nobrace
        self.nobrace = 0
        elems = []
        while True:
            self.skip_semis()
            if self.at("}"):
                self.next()
                break
            if self.at("{"):
                val = self.composite()
            else:
                val = self.expr()
            key = None
            if self.at(":"):
                self.next()
                key = val
                val = self.composite() if self.at("{") else self.expr()
            elems.append((key, val))
            self.skip_semis()
            if self.at(","):
                self.next()
        self.nobrace = saved
        return ("composite", elems)


# ---------------------------------------------------------------------------------------------
# Values and the interpreter

class Opaque:
    """A value the interpreter does not model (an error, a ResMap, a *testing.T)."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return "<%s>" % self.what


class Zero:
    """A missing struct field: Go's zero value, whatever the type."""


ZERO = Zero()


class Composite:
    def __init__(self, elems):
        self.elems = elems  # list of (key, value); key is a str field name/map key, int, or None

    def field(self, name):
        for k, v in self.elems:
            if k == name:
                return v
        return ZERO

    def items(self):
        if all(k is None for k, _ in self.elems):
            return [(i, v) for i, (_, v) in enumerate(self.elems)]
        return list(self.elems)


class Options:
    def __init__(self, plugins=False):
        self.plugins = plugins
        self.changed = []


class Harness:
    def __init__(self, kind):
        self.kind = kind


class Func:
    def __init__(self, params, body, env):
        self.params, self.body, self.env = params, body, env


class Return(Exception):
    def __init__(self, values):
        self.values = values


class Env:
    def __init__(self, parent=None):
        self.vars = {}
        self.parent = parent

    def get(self, name):
        e = self
        while e is not None:
            if name in e.vars:
                return e.vars[name]
            e = e.parent
        raise KeyError(name)

    def set(self, name, value, define):
        if define:
            self.vars[name] = value
            return
        e = self
        while e is not None:
            if name in e.vars:
                e.vars[name] = value
                return
            e = e.parent
        self.vars[name] = value


def sprintf(fmt, args):
    out = []
    i = 0
    ai = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        j = i + 1
        while j < len(fmt) and fmt[j] in "+-# 0123456789.":
            j += 1
        verb = fmt[j]
        if verb == "%":
            out.append("%")
        else:
            a = args[ai]
            ai += 1
            if isinstance(a, (Opaque, Composite)):
                return Opaque("err-sprintf")
            if verb == "q":
                out.append('"' + str(a).replace("\\", "\\\\").replace('"', '\\"') + '"')
            elif verb in "sdv":
                if isinstance(a, bool):
                    a = "true" if a else "false"
                out.append(str(a))
            else:
                raise Unsupported("Sprintf verb %" + verb)
        i = j + 1
    return "".join(out)


def truthy(v):
    if isinstance(v, bool):
        return v
    if v is ZERO:
        return False
    raise Unsupported("condition on a non-boolean")


def equal(a, b):
    if isinstance(a, Opaque) or isinstance(b, Opaque):
        raise Unsupported("comparison with %r" % (a if isinstance(a, Opaque) else b))
    if a is ZERO:
        a, b = b, a
    if b is ZERO:
        return a in ("", 0, False, None) or a is ZERO or (isinstance(a, Composite) and False)
    return a == b


class Interp:
    def __init__(self, funcs, globals_env, legacy_configs, read_testdata):
        self.read_testdata = read_testdata
        self.funcs = funcs
        self.globals = globals_env
        self.legacy_configs = legacy_configs

    # Each test run gets fresh state.
    def run_test(self, name, body):
        self.cases = []   # (name, files, target, opts, expect_error)
        self.expected_text = {}  # case name -> the Go test's own expected output
        self.skips = []   # (name, reason)
        self.files = {}
        self.flags = set()
        self.subtest = None
        self.test_name = name
        env = Env(self.globals)
        env.set("t", Opaque("t"), True)
        try:
            self.exec_block(body, env)
        except Return:
            pass
        except Unsupported:
            # After its builds, a test only checks results: keep its cases.
            if not self.cases:
                raise
        return self.cases, self.skips

    def case_name(self):
        base = self.test_name
        if self.subtest is not None:
            sub = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(self.subtest)).strip("_") or "case"
            base += "." + sub
        n = sum(1 for c in self.cases if re.sub(r"__[0-9]+$", "", c[0]) == base)
        return base if n == 0 else "%s__%d" % (base, n + 1)

    # ---- statements
    def exec_block(self, block, env):
        if block[0] == "unsupported":
            raise Unsupported(block[1])
        inner = Env(env)
        for s in block[1]:
            self.exec_stmt(s, inner)

    def exec_stmt(self, s, env):
        kind = s[0]
        if kind == "nop":
            return
        if kind == "block":
            return self.exec_block(s, env)
        if kind == "decl":
            for names, values in s[1]:
                if values is None:
                    for n in names:
                        env.set(n, ZERO, True)
                    continue
                vals = [self.eval(v, env) for v in values]
                if len(vals) == 1 and len(names) > 1:
                    vals = [Opaque("err-multi")] * len(names)
                for n, v in zip(names, vals):
                    env.set(n, v, True)
            return
        if kind == "assign":
            _, op, lhs, rhs = s
            vals = [self.eval(v, env) for v in rhs]
            if len(vals) == 1 and len(lhs) > 1:
                vals = [vals[0]] + [Opaque("err-multi")] * (len(lhs) - 1) \
                    if not isinstance(vals[0], tuple) else list(vals[0])
            for target, v in zip(lhs, vals):
                if target[0] == "name":
                    if target[1] != "_":
                        env.set(target[1], v, op == ":=")
                elif target[0] == "sel":
                    obj = self.eval(target[1], env)
                    if isinstance(obj, Options):
                        obj.changed.append(target[2])
                    elif isinstance(obj, Opaque):
                        pass
                    else:
                        raise Unsupported("field assignment")
                else:
                    raise Unsupported("assignment to %s" % target[0])
            return
        if kind == "expr":
            self.eval(s[1], env)
            return
        if kind == "if":
            _, init, cond, then, els = s
            scope = Env(env)
            if init is not None:
                self.exec_stmt(init, scope)
            c = self.eval(cond, scope)
            if isinstance(c, Opaque):
                # `if err != nil { t.Fatal }`, `if !kusterr.IsMalformedYAMLError(err)` and the
                # like check the result; kubectl decides that here.
                return
            if truthy(c):
                self.exec_block(then, scope)
            elif els is not None:
                self.exec_stmt(els, scope)
            return
        if kind == "range":
            _, keys, x, body = s
            coll = self.eval(x, env)
            if isinstance(coll, Composite):
                items = coll.items()
            elif isinstance(coll, list):
                items = list(enumerate(coll))
            elif isinstance(coll, Opaque):
                if "Write" in repr(body) or "Run" in repr(body):
                    raise Unsupported("a loop over %r that writes or builds" % (coll,))
                return  # a loop over a build's result: it checks, kubectl decides here
            else:
                raise Unsupported("range over %r" % (coll,))
            for k, v in items:
                scope = Env(env)
                if len(keys) >= 1 and keys[0] != "_":
                    scope.set(keys[0], k, True)
                if len(keys) >= 2 and keys[1] != "_":
                    scope.set(keys[1], v, True)
                self.exec_block(body, scope)
            return
        if kind == "return":
            raise Return([self.eval(v, env) for v in s[1]])
        raise Unsupported("statement " + kind)

    # ---- expressions
    def eval(self, x, env):
        kind = x[0]
        if kind == "lit":
            return x[1]
        if kind == "name":
            n = x[1]
            if n == "nil":
                return None
            if n in ("true", "false"):
                return n == "true"
            try:
                return env.get(n)
            except KeyError:
                if n in self.funcs:
                    return Func(self.funcs[n][0], self.funcs[n][1], self.globals)
                return Opaque("name " + n)
        if kind == "binop":
            op = x[1]
            a = self.eval(x[2], env)
            if op == "&&":
                return truthy(a) and truthy(self.eval(x[3], env))
            if op == "||":
                return truthy(a) or truthy(self.eval(x[3], env))
            b = self.eval(x[3], env)
            if op in ("==", "!="):
                if (isinstance(a, Opaque) and a.what.startswith("err")) or \
                        (isinstance(b, Opaque) and b.what.startswith("err")):
                    return Opaque("err-check")
                r = equal(a, b)
                return r if op == "==" else not r
            if op == "+":
                if a is ZERO:
                    a = "" if isinstance(b, str) else 0
                if b is ZERO:
                    b = "" if isinstance(a, str) else 0
                if isinstance(a, Opaque) or isinstance(b, Opaque):
                    return Opaque("err-concat")  # an expected error message, not a file
                if isinstance(a, str) and isinstance(b, str) or \
                        isinstance(a, int) and isinstance(b, int):
                    return a + b
                raise Unsupported("+ on %r %r" % (type(a).__name__, type(b).__name__))
            if op in ("<", ">", "<=", ">=") and isinstance(a, int) and isinstance(b, int):
                return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
            raise Unsupported("operator " + op)
        if kind == "unop":
            v = self.eval(x[2], env)
            if x[1] == "!":
                if isinstance(v, Opaque) and v.what.startswith("err"):
                    return v
                return not truthy(v)
            if x[1] == "&":
                return v
            raise Unsupported("unary " + x[1])
        if kind == "composite":
            elems = []
            for k, v in x[1]:
                key = None
                if k is not None:
                    key = k[1] if k[0] == "name" else self.eval(k, env)
                elems.append((key, self.eval(v, env)))
            return Composite(elems)
        if kind == "conv":
            return self.eval(x[1], env)
        if kind == "funclit":
            return Func(x[1], x[2], env)
        if kind == "sel":
            obj = self.eval(x[1], env)
            if isinstance(obj, Composite):
                return obj.field(x[2])
            if obj is ZERO:
                return ZERO
            if isinstance(obj, Options):
                return Opaque("option " + x[2])
            if isinstance(obj, Harness) and x[2] == "Harness":
                return obj  # HarnessEnhanced embeds Harness
            if isinstance(obj, Opaque):
                return Opaque(obj.what + "." + x[2])
            return Opaque("field " + x[2])
        if kind == "index":
            obj = self.eval(x[1], env)
            idx = self.eval(x[2], env)
            if isinstance(obj, list) and isinstance(idx, int):
                return obj[idx]
            if isinstance(obj, Composite) and isinstance(idx, (str, int)):
                if isinstance(idx, int) and all(k is None for k, _ in obj.elems):
                    return obj.elems[idx][1]
                return obj.field(idx)
            if isinstance(obj, Opaque):
                return Opaque(obj.what + "[]")
            raise Unsupported("index expression")
        if kind == "call":
            return self.call(x, env)
        if kind == "opaque":
            return Opaque(x[1])
        raise Unsupported("expression " + kind)

    def path_of(self, v):
        if not isinstance(v, str):
            raise Unsupported("non-string path %r" % (v,))
        return v

    def call(self, x, env):
        fn = x[1]
        args_x = x[2]
        ev = lambda: [self.eval(a, env) for a in args_x]
        if fn[0] == "sel" and fn[1][0] == "name":
            pkg, meth = fn[1][1], fn[2]
            if pkg == "kusttest_test":
                if meth in ("MakeHarness",):
                    return Harness("memory")
                if meth == "MakeHarnessWithFs":
                    fs = args_x[1]
                    text = repr(fs)
                    if "MakeFsOnDisk" in text:
                        raise Skip("on-disk harness (MakeFsOnDisk)")
                    return Harness("memory")
                if meth == "MakeEnhancedHarness":
                    return Harness("enhanced")
                if meth == "MakeEnhancedHarnessWithTmpRoot":
                    raise Skip("on-disk temporary harness (MakeEnhancedHarnessWithTmpRoot)")
                raise Unsupported("kusttest_test." + meth)
            if pkg == "fmt" and meth == "Sprintf":
                a = ev()
                return sprintf(a[0], a[1:])
            if pkg in ("filepath", "path") and meth == "Join":
                a = ev()
                return posixpath.join(*[self.path_of(p) for p in a])
            if pkg == "strings":
                a = ev()
                if meth == "ReplaceAll":
                    return a[0].replace(a[1], a[2])
                if meth == "Repeat":
                    return a[0] * a[1]
                if meth == "TrimSpace":
                    return a[0].strip()
                if meth == "Contains":
                    if any(isinstance(v, Opaque) for v in a):
                        return Opaque("err-contains")
                    return a[1] in a[0]
                if meth == "Join":
                    if isinstance(a[0], Composite):
                        return a[1].join(v for _, v in a[0].items())
                raise Unsupported("strings." + meth)
            if pkg == "os" and meth == "ReadFile":
                (p,) = ev()
                p = posixpath.normpath(self.path_of(p))
                if not p.startswith("testdata/"):
                    raise Unsupported("os.ReadFile outside testdata")
                return self.read_testdata(p)
            if pkg == "konfig" and meth == "RecognizedKustomizationFileNames":
                return Composite([(None, n) for n in
                                  ("kustomization.yaml", "kustomization.yml", "Kustomization")])
            if pkg == "konfig" and meth == "DefaultKustomizationFileName":
                return "kustomization.yaml"
            if pkg == "krusty" and meth == "MakeDefaultOptions":
                return Options()
            if pkg in ("assert", "require"):
                return None
            if pkg == "t":
                if meth in ("Skip", "Skipf", "SkipNow"):
                    a = ev()
                    raise Skip("the Go test skips itself: %s" % (a[0] if a else ""))
                if meth == "Run":
                    name = self.eval(args_x[0], env)
                    f = self.eval(args_x[1], env)
                    prev = self.subtest
                    self.subtest = name if prev is None else "%s.%s" % (prev, name)
                    saved_files = dict(self.files)
                    before = len(self.cases)
                    try:
                        self.call_func(f, [Opaque("t")])
                    except Skip as e:
                        self.skips.append((self.case_name(), str(e)))
                    except Unsupported as e:
                        # After its builds, a subtest only checks results: keep its cases.
                        if len(self.cases) == before:
                            self.skips.append((self.case_name(), "not ported: " + str(e)))
                    finally:
                        self.subtest = prev
                        self.files = saved_files
                    return None
                if meth in ("Fatal", "Fatalf", "Error", "Errorf", "Helper", "Log",
                            "Logf", "Parallel", "Cleanup", "FailNow", "Fail"):
                    return None
                raise Unsupported("t." + meth)
        if fn[0] == "sel":
            obj = self.eval(fn[1], env)
            meth = fn[2]
            if isinstance(obj, Harness):
                return self.harness_call(obj, meth, args_x, env)
            if isinstance(obj, Opaque):
                if meth.startswith(("Write", "Run", "MakeKustomizer", "MakeFsOnDisk")):
                    raise Unsupported("%s on %r" % (meth, obj))
                return Opaque(obj.what + "." + meth + "()")
            raise Unsupported("method %s on a %s" % (meth, type(obj).__name__))
        if fn[0] == "name":
            name = fn[1]
            if name in ("len",):
                v = self.eval(args_x[0], env)
                if isinstance(v, str):
                    return len(v)
                if isinstance(v, Composite):
                    return len(v.elems)
                if v is ZERO or v is None:
                    return 0
                raise Unsupported("len of %r" % (v,))
            if name in ("string",):
                return self.eval(args_x[0], env)
            f = None
            try:
                f = env.get(name)
            except KeyError:
                if name in self.funcs:
                    f = Func(self.funcs[name][0], self.funcs[name][1], self.globals)
            if isinstance(f, Func):
                return self.call_func(f, ev())
            if f is None and name[:1].isupper():
                return Opaque("err-call " + name)  # an exported checker like IsXxxError(err)
            raise Unsupported("call of %s" % name)
        f = self.eval(fn, env)
        if isinstance(f, Func):
            return self.call_func(f, ev())
        raise Unsupported("call of %s" % (fn[0],))

    def call_func(self, f, args):
        scope = Env(f.env)
        for p, a in zip(f.params, args):
            scope.set(p, a, True)
        try:
            self.exec_block(f.body, scope)
        except Return as r:
            if len(r.values) == 1:
                return r.values[0]
            return tuple(r.values)
        return None

    def harness_call(self, h, meth, args_x, env):
        a = lambda: [self.eval(x, env) for x in args_x]
        if meth in ("WriteK", "WriteC", "WriteF"):
            p, content = a()
            p = self.path_of(p)
            if not isinstance(content, str):
                raise Unsupported("non-string content")
            if meth == "WriteK":
                self.write(posixpath.join(p, "kustomization.yaml"), HEADER_K + content)
            elif meth == "WriteC":
                self.write(posixpath.join(p, "kustomization.yaml"), HEADER_C + content)
            else:
                self.write(p, content)
            return None
        if meth == "WriteLegacyConfigs":
            (p,) = a()
            self.write(self.path_of(p), self.legacy_configs)
            return None
        if meth in ("MakeDefaultOptions", "MakeOptionsPluginsDisabled"):
            return Options()
        if meth == "MakeOptionsPluginsEnabled":
            return Options(plugins=True)
        if meth == "PrepBuiltin":
            return h
        if meth in ("PrepExecPlugin", "BuildGoPlugin"):
            raise Skip("needs an exec or Go plugin (%s)" % meth)
        if meth == "ErrIfNoHelm":
            raise Skip("needs Helm")
        if meth == "Reset":
            self.files = {}
            return None
        if meth in ("Run", "RunWithErr"):
            p, opts = a()
            p = self.path_of(p)
            if isinstance(opts, Options) and opts.changed:
                raise Skip("non-default options (%s)" % ", ".join(opts.changed))
            if not isinstance(opts, Options):
                raise Unsupported("options %r" % (opts,))
            self.cases.append((self.case_name(), dict(self.files), p, opts,
                               meth == "RunWithErr"))
            return Opaque("err" if meth == "RunWithErr" else "resmap")
        if meth in ("AssertActualEqualsExpected", "AssertActualEqualsExpectedNoIdAnnotations") \
                and self.cases:
            want = self.eval(args_x[-1], env)
            if isinstance(want, str):
                self.expected_text[self.cases[-1][0]] = want
            return None
        if meth.startswith("Assert"):
            return None
        if meth in ("GetT", "GetFSys"):
            return Opaque(meth)
        raise Unsupported("th." + meth)

    def write(self, p, content):
        norm = posixpath.normpath(p).lstrip("/")
        if norm in ("", ".") or norm.startswith(".."):
            raise Unsupported("write outside the root: %s" % p)
        self.files[norm] = content


# ---------------------------------------------------------------------------------------------

def git_show(repo, tag, path):
    return subprocess.run(["git", "-C", repo, "show", "%s:%s" % (tag, path)],
                          check=True, capture_output=True, text=True).stdout


def legacy_configs(repo, tag):
    """kustomize's default field specs, as `th.WriteLegacyConfigs` writes them (the harness
    concatenates a Go map's values, so its order is random; we use the file order)."""
    d = "api/internal/konfig/builtinpluginconsts"
    names = subprocess.run(["git", "-C", repo, "ls-tree", "--name-only", "%s:%s" % (tag, d)],
                           check=True, capture_output=True, text=True).stdout.split()
    out = []
    order = ["namereference", "commonlabels", "commonannotations", "namespace", "varreference",
             "nameprefix", "namesuffix", "images", "replicas", "metadatalabels",
             "templatelabels"]
    consts = {}
    for n in names:
        if not n.endswith(".go") or n.endswith("_test.go") or n == "defaultconfig.go":
            continue
        src = git_show(repo, tag, d + "/" + n)
        for m in re.finditer(r"(\w+FieldSpecs)\s*=\s*`([^`]*)`", src):
            consts[m.group(1).lower()] = m.group(2)
    for o in order:
        for k, v in consts.items():
            if k.startswith(o):
                out.append(v)
    return "".join(out)


def mask(text, case_dir):
    text = text.replace(os.path.realpath(case_dir), "<case>").replace(case_dir, "<case>")
    text = re.sub(r"0xc[0-9a-f]{6,}", "0xADDR", text)
    return re.sub(r"(?m)^E[0-9]{4} [0-9:.]+ +[0-9]+ ([a-z_]+\.go:[0-9]+\] )", r"E \1", text)


def run_kubectl(case_dir, target):
    arg = "in/" + target if target else "in"
    p = subprocess.run(["kubectl", "kustomize", arg], cwd=case_dir, capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def port(args):
    repo, tag, out = args.repo, args.tag, args.out
    names = subprocess.run(["git", "-C", repo, "ls-tree", "--name-only", "%s:api/krusty" % tag],
                           check=True, capture_output=True, text=True).stdout.split()
    files = [n for n in names if n.endswith("_test.go")]
    funcs, decls, tests = {}, [], []
    parse_errors = []
    for n in files:
        try:
            fns, ds = Parser(tokenize(git_show(repo, tag, "api/krusty/" + n))).file()
        except Unsupported as e:
            parse_errors.append((n, str(e)))
            continue
        funcs.update(fns)
        decls.extend(ds)
        for name in fns:
            if name.startswith("Test") and fns[name][0] == ["t"]:
                tests.append((n, name))
    interp = Interp(funcs, Env(), legacy_configs(repo, tag),
                    lambda p: git_show(repo, tag, "api/krusty/" + p))
    # package-level consts and vars, in file order; retried once for forward references
    pending = decls
    for _ in range(2):
        later = []
        for d in pending:
            try:
                interp.exec_stmt(d, interp.globals)
            except (Unsupported, KeyError):
                later.append(d)
        pending = later

    if os.path.isdir(out):
        for entry in os.listdir(out):
            p = os.path.join(out, entry)
            if os.path.isdir(p) and entry.startswith("Test"):
                shutil.rmtree(p)
    os.makedirs(out, exist_ok=True)

    skipped = []
    written = []
    same_as_go = {}  # success case -> kubectl's output equals the Go test's expected text
    for fname, name in sorted(tests, key=lambda t: t[1]):
        params, body = funcs[name]
        try:
            cases, skips = interp.run_test(name, body)
        except Skip as e:
            skipped.append((name, str(e)))
            continue
        except (Unsupported, RecursionError, IndexError, ValueError, TypeError) as e:
            skipped.append((name, FILE_REASON.get(fname, "not ported: %s" % e)))
            continue
        skipped.extend((n, FILE_REASON.get(fname, why) if why.startswith("not ported") else why)
                       for n, why in skips)
        if not cases and not skips:
            skipped.append((name, "no th.Run (a unit test of the harness or the API)"))
        for cname, cfiles, target, opts, want_err in cases:
            text = "\n".join(cfiles.values())
            if re.search(r"\b(https?://|github\.com/|git::|ssh://)", text) and \
                    re.search(r"(?m)^\s*-\s*(https?://|github\.com/|git::)", text):
                skipped.append((cname, "needs the network (remote resource)"))
                continue
            if "helmCharts" in text or "HelmChartInflationGenerator" in text:
                skipped.append((cname, "needs Helm"))
                continue
            if re.search(r"config\.kubernetes\.io/function|\bexec:\s*\n|container:\s*\n\s*image",
                         text):
                skipped.append((cname, "needs KRM function plugins (--enable-alpha-plugins)"))
                continue
            case_dir = os.path.join(out, cname)
            tmp = tempfile.mkdtemp(prefix="krusty-", dir=out)
            try:
                for rel, content in cfiles.items():
                    dest = os.path.join(tmp, "in", rel)
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    with open(dest, "w") as f:
                        f.write(content)
                tgt = posixpath.normpath(target).lstrip("/")
                tgt = "" if tgt == "." else tgt
                os.makedirs(os.path.join(tmp, "in", tgt), exist_ok=True)
                code, stdout, stderr = run_kubectl(tmp, tgt)
                if cname in ERROR_LATER:
                    want_err = True
                if (code != 0) != want_err:
                    why = ("kubectl kustomize fails where the Go test expects success"
                           if code else
                           "kubectl kustomize succeeds where the Go test expects an error")
                    if opts.plugins:
                        why += " (the test enables plugins)"
                    first = mask(stderr, tmp).strip().splitlines()
                    if first:
                        why += ": " + first[-1][:160]
                    skipped.append((cname, why))
                    continue
                if tgt:
                    with open(os.path.join(tmp, "target"), "w") as f:
                        f.write(tgt + "\n")
                if code == 0 and cname in interp.expected_text:
                    # The Go harness keeps input order; kubectl's CLI sorts (legacy order).
                    docs = lambda t: sorted(d.strip() for d in ("\n" + t).split("\n---\n"))
                    same_as_go[cname] = docs(interp.expected_text[cname]) == docs(stdout)
                if code == 0:
                    with open(os.path.join(tmp, "expected.yaml"), "w") as f:
                        f.write(stdout)
                else:
                    with open(os.path.join(tmp, "expected-error"), "w") as f:
                        f.write("exit: %d\nkeywords: %s\n%s" % (
                            code, KEYWORDS.get(cname, ""), mask(stderr, tmp)))
                os.rename(tmp, case_dir)
                tmp = None
                written.append((cname, "ok" if code == 0 else "error"))
                print("%-5s %s" % ("ok" if code == 0 else "error", cname))
            finally:
                if tmp:
                    shutil.rmtree(tmp, ignore_errors=True)

    with open(os.path.join(out, "skipped.txt"), "w") as f:
        f.write("# kustomize api/krusty tests (%s) not ported, with the reason.\n"
                "# Generated by scripts/port-krusty.py; do not edit.\n" % tag)
        for n, why in sorted(skipped):
            f.write("%s  # %s\n" % (n, why.replace("\n", " ")))
        for n, why in parse_errors:
            f.write("%s  # file not parsed: %s\n" % (n, why))
    # A check of the port itself: kubectl on the extracted files prints what the Go test
    # expects (whitespace at the ends aside).
    print("%d of %d success cases with an expected text in the Go test: kubectl prints the same"
          " documents" % (
        sum(same_as_go.values()), len(same_as_go)))
    for n in sorted(k for k, v in same_as_go.items() if not v):
        print("  differs from the Go test's text: %s" % n)
    print("%d cases written (%d errors), %d tests or subtests skipped (see %s)" % (
        len(written), sum(1 for _, k in written if k == "error"), len(skipped),
        os.path.join(out, "skipped.txt")))


def rate(args):
    """Runs strata on every stored case and prints the pass rate (same rule as the test)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    strata = os.environ.get("STRATA", os.path.join(here, "target/debug/strata"))
    agree = total = 0
    failing = []
    for name in sorted(os.listdir(args.out)):
        d = os.path.join(args.out, name)
        if not os.path.isdir(os.path.join(d, "in")):
            continue
        total += 1
        target = ""
        if os.path.exists(os.path.join(d, "target")):
            target = open(os.path.join(d, "target")).read().strip()
        arg = "in/" + target if target else "in"
        p = subprocess.run([strata, "build", arg], cwd=d, capture_output=True)
        if os.path.exists(os.path.join(d, "expected.yaml")):
            ok = p.returncode == 0 and p.stdout == open(os.path.join(d, "expected.yaml"),
                                                        "rb").read()
        else:
            # as tests/krusty.rs: exit 2, nothing on stdout, every keyword group named
            line = open(os.path.join(d, "expected-error")).read().split("\n")[1]
            groups = [[k.strip().lower() for k in g.split("|") if k.strip()]
                      for g in line[len("keywords:"):].split(",")]
            err = p.stderr.decode(errors="replace").lower()
            ok = p.returncode == 2 and not p.stdout and \
                all(any(k in err for k in g) for g in groups if g)
        if ok:
            agree += 1
        else:
            failing.append(name)
    if args.verbose:
        for n in failing:
            print("FAIL", n)
    print("%d of %d cases that need only builtins and local files agree (%.1f%%)" % (
        agree, total, 100.0 * agree / max(total, 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("repo", nargs="?", help="git directory of kubernetes-sigs/kustomize")
    ap.add_argument("--tag", default="kustomize/v5.5.0")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(here, "fixtures/krusty"))
    ap.add_argument("--rate", action="store_true", help="only print strata's pass rate")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.rate:
        return rate(args)
    if not args.repo:
        ap.error("need the kustomize git directory (or --rate)")
    v = subprocess.run(["kubectl", "version", "--client"], capture_output=True, text=True).stdout
    if "Kustomize Version: v5.5." not in v:
        sys.exit("port-krusty: need kubectl with Kustomize v5.5.x; it says: " + v)
    port(args)


if __name__ == "__main__":
    main()
