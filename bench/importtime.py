"""Import cost of each framework, measured in fresh interpreters.

Two numbers per module, each the median of several runs interleaved with the others:

* ``wall_ms``: wall time of ``python -c "import mod"`` minus that of ``python -c "pass"``,
  i.e. what a user waits for on top of the interpreter's own start-up;
* ``importtime_ms``: the module's cumulative time as reported by ``python -X importtime``
  (less noisy, but the instrumentation inflates it somewhat).

Every child runs with the repository root on PYTHONPATH so ``framework`` is importable
without installing the project. ``bench/inprocess.py`` calls ``measure_imports``; this
module also runs alone::

    python bench/importtime.py [--runs 9] [module ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter_ns

IMPORT_MODULES: tuple[str, ...] = ("framework", "cherrypy", "flask", "bottle", "falcon")
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ImportResult:
    """Median import cost of one module, or why it could not be imported."""

    wall_ms: float = 0.0
    importtime_ms: float = 0.0
    error: str | None = None
    wall_samples_ms: list[float] = field(default_factory=list)


def _child_env(repo_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo_root), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def _timed_run(
    code: str, env: dict[str, str], cwd: Path
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = perf_counter_ns()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    return (perf_counter_ns() - start) / 1e6, done


def _cumulative_ms(stderr: str, module: str) -> float | None:
    """Find the top-level line for ``module`` in ``-X importtime`` output."""
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) != 3:
            continue
        name = parts[2]
        # Nesting is shown by indentation; a top-level import has a single leading space.
        if name[1:] == module and name.startswith(" "):
            try:
                return int(parts[1]) / 1000
            except ValueError:
                return None
    return None


def measure_imports(
    modules: Sequence[str], runs: int, repo_root: Path = REPO_ROOT
) -> dict[str, ImportResult]:
    """Measure the import cost of each module in fresh interpreters.

    Args:
        modules: importable module names.
        runs: samples per module (the median is kept); runs are interleaved across modules.
        repo_root: directory put first on the children's PYTHONPATH and used as cwd.

    Returns:
        One ImportResult per module, in the given order.
    """
    env = _child_env(repo_root)
    results = {m: ImportResult() for m in modules}
    # One discarded pass writes bytecode caches and warms the page cache for everyone.
    for module in modules:
        _, done = _timed_run(f"import {module}", env, repo_root)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            results[module].error = last
    live = [m for m in modules if results[m].error is None]
    bare: list[float] = []
    cumulative: dict[str, list[float]] = {m: [] for m in live}
    for _ in range(runs):
        bare.append(_timed_run("pass", env, repo_root)[0])
        for module in live:
            elapsed, _ = _timed_run(f"import {module}", env, repo_root)
            results[module].wall_samples_ms.append(elapsed)
            env_x = dict(env, PYTHONPROFILEIMPORTTIME="1")
            _, done = _timed_run(f"import {module}", env_x, repo_root)
            found = _cumulative_ms(done.stderr, module)
            if found is not None:
                cumulative[module].append(found)
    base = statistics.median(bare) if bare else 0.0
    for module in live:
        res = results[module]
        res.wall_ms = statistics.median(res.wall_samples_ms) - base
        res.importtime_ms = (
            statistics.median(cumulative[module]) if cumulative[module] else float("nan")
        )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Print the import cost of the given modules (default: all contenders' frameworks)."""
    parser = argparse.ArgumentParser(description="Import cost in fresh interpreters")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("modules", nargs="*", default=list(IMPORT_MODULES))
    args = parser.parse_args(argv)
    results = measure_imports(args.modules, max(1, args.runs))
    for module, res in results.items():
        if res.error:
            print(f"{module:<10} ERROR {res.error}")
        else:
            wall, xtime = f"{res.wall_ms:7.1f}", f"{res.importtime_ms:7.1f}"
            print(f"{module:<10} {wall} ms wall   {xtime} ms -X importtime")
    return 1 if any(r.error for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
