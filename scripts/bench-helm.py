#!/usr/bin/env python3
"""Helm rendering speed: strata against Helm's own Go SDK, and a fleet of upstream charts.

    python3 -m venv /tmp/helm-venv && /tmp/helm-venv/bin/pip install helm-python-sdk==0.2.2 pyyaml
    cargo build --release
    /tmp/helm-venv/bin/python scripts/bench-helm.py [RUNS]

1. Each chart of fixtures/helm/ with its default values: the median time of Helm's
   `Chart.load` + `render` calls (in process; Python's start not counted) against
   - the median wall time of a whole `strata template` process (start, chart loading and
     render included), and the ratio;
   - strata's own time (that minus the median time of starting `strata --version` the
     same way, measured in the same run) and its ratio;
   - strata in process, timed as Helm is (`benches/helm_render.rs`: the chart loaded from
     disk and rendered into the stream `strata template` prints, every memo forgotten
     first; the second round of a process, as Helm's calls run in a process that has
     rendered before), and the ratio.
2. A fleet of 100 clusters x 5 upstream charts (ingress-nginx, cert-manager, external-dns,
   metrics-server, kube-state-metrics, with per-env values) rendered by `strata render` into
   an empty folder, against `tar x` of the same tree (the floor for writing those files);
   and rendered again over the tree it wrote (all the rendering, none of the writing).
"""
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import helm_python as helm

ROOT = pathlib.Path(__file__).resolve().parent.parent
STRATA = ROOT / "target" / "release" / "strata"
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5


def median_time(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def median_times(runs, *fns):
    """The median times of `fns`, run in turn `runs` times. A function that returns a
    number has timed itself: that is its time."""
    times = [[] for _ in fns]
    for _ in range(runs):
        for fn, ts in zip(fns, times):
            t = time.perf_counter()
            own = fn()
            ts.append(own if isinstance(own, float) else time.perf_counter() - t)
    return [statistics.median(ts) for ts in times]


def in_process_bench():
    """The in-process benchmark's executable, built (release profile) if it is not."""
    out = subprocess.run(
        ["cargo", "bench", "--bench", "helm_render", "--no-run", "--message-format=json"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["target"]["name"] == "helm_render":
            return msg["executable"]
    sys.exit("cargo did not build benches/helm_render.rs")


def in_process(bench, args):
    """The second round's time (seconds) of a process rendering `args` twice."""
    out = subprocess.run([bench, "2", *args], capture_output=True, text=True, check=True).stdout
    return float(out.split()[1]) / 1000


def bench_charts():
    # Helm is timed in process; strata as a whole process. The floor is what starting
    # a process costs here (`strata --version` through the same subprocess call), so
    # the last columns are strata's own time, comparable with Helm's.
    bench = in_process_bench()
    floor = median_time(lambda: subprocess.run([str(STRATA), "--version"], capture_output=True, check=True), RUNS * 4)
    print(f"process start (strata --version): {floor * 1000:.1f} ms")
    print(f"{'chart':32} {'helm ms':>9} {'strata ms':>10} {'ratio':>7} {'own ms':>8} {'ratio':>7} {'in-proc':>8} {'ratio':>7}")
    for fixture in sorted(p for p in (ROOT / "fixtures" / "helm").iterdir() if (p / "chart").is_dir()):
        chart_dir = fixture / "chart"
        chart = helm.Chart.load(str(chart_dir))
        try:
            chart.render({}, name="rel", namespace="ns")
        except helm.HelmError:
            continue  # fails with default values (a must-fail fixture)
        args = [str(STRATA), "template", "rel", str(chart_dir), "-n", "ns"]
        if subprocess.run(args, capture_output=True).returncode != 0:
            print(f"{fixture.name:32} {'':9} {'fails':>10}")
            continue
        # Interleaved, so a busy moment of the shared machine costs all sides alike.
        h, s, i = median_times(
            RUNS,
            lambda: helm.Chart.load(str(chart_dir)).render({}, name="rel", namespace="ns"),
            lambda: subprocess.run(args, capture_output=True, check=True),
            lambda: in_process(bench, args[2:]),
        )
        own = max(s - floor, 1e-4)
        print(
            f"{fixture.name:32} {h * 1000:9.1f} {s * 1000:10.1f} {h / s:6.1f}x {own * 1000:8.1f} {h / own:6.1f}x"
            f" {i * 1000:8.1f} {h / i:6.1f}x"
        )


def bench_fleet():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="strata-helm-fleet-"))
    try:
        shutil.copytree(ROOT / "examples" / "platform", tmp / "fleet", ignore=shutil.ignore_patterns("rendered"))
        fleet = tmp / "fleet"
        for extra in ["metrics-server", "kube-state-metrics"]:
            app = fleet / "apps" / extra
            shutil.copytree(ROOT / "fixtures" / "helm" / extra / "chart", app / "base")
            (app / "app.yaml").write_text(f"name: {extra}\nnamespace: {extra}\nsource: helm\n")
        shutil.rmtree(fleet / "clusters")
        (fleet / "clusters").mkdir()
        envs = ["dev", "staging", "prod"]
        for i in range(100):
            env = envs[i % 3]
            name = f"{env}-{i:03d}"
            (fleet / "clusters" / f"{name}.yaml").write_text(
                f"name: {name}\nenv: {env}\nregion: eu\nvalues:\n  domain: {name}.example.com\n"
            )
        def render():
            shutil.rmtree(fleet / "rendered", ignore_errors=True)
            subprocess.run([str(STRATA), "render", "-C", str(fleet), "--full"], capture_output=True, check=True)
        render()
        units = sum(1 for _ in (fleet / "rendered").glob("apps/*/*/*"))
        files = sum(1 for p in (fleet / "rendered").rglob("*.yaml"))
        t = median_time(render, RUNS)
        # Rendering without writing: every unit rendered again (--full) over the tree it
        # already wrote, so no file changes. And the floor for writing the tree: `tar x`
        # of the same files into an empty folder, in the same run.
        again = median_time(
            lambda: subprocess.run([str(STRATA), "render", "-C", str(fleet), "--full"], capture_output=True, check=True),
            RUNS,
        )
        size = sum(p.stat().st_size for p in (fleet / "rendered").rglob("*") if p.is_file())
        subprocess.run(["tar", "cf", str(tmp / "tree.tar"), "-C", str(fleet), "rendered"], check=True)
        def untar():
            shutil.rmtree(tmp / "x", ignore_errors=True)
            (tmp / "x").mkdir()
            subprocess.run(["tar", "xf", str(tmp / "tree.tar"), "-C", str(tmp / "x")], check=True)
        floor = median_time(untar, RUNS)
        print(f"fleet: 100 clusters x 5 charts = {units} units, {files} files, {size / 1e6:.0f} MB")
        print(f"  strata render into an empty folder: {t:.2f} s; tar x of the same tree: {floor:.2f} s ({t / floor:.1f}x the floor)")
        print(f"  strata render --full over the written tree (every unit rendered, nothing written): {again:.2f} s")
        print(f"  (medians of {RUNS})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if not STRATA.exists():
        sys.exit("build first: cargo build --release")
    if "--fleet-only" not in sys.argv:
        bench_charts()
    bench_fleet()
