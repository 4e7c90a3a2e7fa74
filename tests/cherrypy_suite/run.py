#!/usr/bin/env python
"""Run CherryPy's own test suite against Cherry (and/or CherryPy) and print the results.

    .venv/bin/python tests/cherrypy_suite/run.py                   # Cherry, every module
    .venv/bin/python tests/cherrypy_suite/run.py --target both     # side-by-side table
    .venv/bin/python tests/cherrypy_suite/run.py test_core -f      # one module, failures
    .venv/bin/python tests/cherrypy_suite/run.py --check-ratchet   # CI: fail below RATCHET

The suite is read from the CherryPy wheel installed in this environment (nothing of it
is kept in the repository): its ``cherrypy/test`` and ``cherrypy/tutorial`` packages
are copied into a temporary directory as ``cpsuite`` and ``cptutorial``, and every
module runs in its own pytest process with ``site/`` on ``PYTHONPATH``, whose
``sitecustomize`` makes ``cherrypy`` either Cherry (through ``framework.compat``) or the
real CherryPy. Each process gets a private network namespace when the kernel allows one
(``unshare -rn``), so modules run in parallel although they all bind 127.0.0.1:54583;
otherwise they run one at a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
RATCHET_FILE = HERE / "RATCHET"
RATCHET_PATH = "tests/cherrypy_suite/RATCHET"
TARGETS = ("cherrypy", "cherry")
LABELS = {"cherrypy": "CherryPy", "cherry": "Cherry"}
OUTCOMES = ("pass", "fail", "skip", "xfail", "error")
#: Seconds a test phase may take (test_http's upload test waits out keep-alive 7 times).
PHASE_TIMEOUT = 180
#: Modules that take longest; started first so two workers finish together.
SLOW_FIRST = ("test_http", "test_states", "test_conn", "test_session", "test_caching")


@dataclasses.dataclass
class ModuleResult:
    """What one module's run produced for one target."""

    target: str
    module: str
    tests: dict[str, str] = dataclasses.field(default_factory=dict)  # test -> outcome
    messages: dict[str, str] = dataclasses.field(default_factory=dict)
    import_error: str = ""
    crashed: str = ""  # the process died or timed out before finishing
    seconds: float = 0.0

    def count(self) -> Counter[str]:
        return Counter(self.tests.values())


def installed_cherrypy() -> Path:
    """Return the directory of the installed CherryPy package, without importing it."""
    spec = importlib.util.find_spec("cherrypy")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("CherryPy is not installed: run `bash scripts/bootstrap.sh` (dev extra).")
    return Path(next(iter(spec.submodule_search_locations)))


def prepare(workdir: Path) -> Path:
    """Copy the wheel's test and tutorial packages into ``workdir/pkgs``; return it.

    Every module run gets its own copy: the suite writes next to its files (PID and
    config files, static test files, session files), and runs must not share them.
    """
    source = installed_cherrypy()
    pkgs = workdir / "pkgs"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(source / "test", pkgs / "cpsuite", ignore=ignore)
    shutil.copytree(source / "tutorial", pkgs / "cptutorial", ignore=ignore)
    # test_core and test_config serve "cherrypy/test/../favicon.ico".
    shutil.copy2(source / "favicon.ico", pkgs / "favicon.ico")
    return pkgs


def netns_available() -> bool:
    """True when ``unshare -rn`` can give a process its own network namespace."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def outcome_of(phases: dict[str, dict[str, object]]) -> str:
    """Fold a test's setup/call/teardown reports into one outcome."""
    setup, call, teardown = (phases.get(when, {}) for when in ("setup", "call", "teardown"))
    if setup.get("outcome") == "failed":
        return "error"
    if setup.get("outcome") == "skipped":
        return "xfail" if setup.get("xfail") else "skip"
    if not call:
        return "error"  # never reached the call phase: the process died
    if call.get("outcome") == "skipped":
        return "xfail" if call.get("xfail") else "skip"
    if call.get("outcome") == "failed":
        return "fail"
    if teardown.get("outcome") == "failed":
        return "error"
    return "pass"


def read_report(result: ModuleResult, report: Path) -> None:
    """Fill ``result`` from the plugin's JSON lines."""
    phases: dict[str, dict[str, dict[str, object]]] = {}
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["when"] == "collect":
                result.import_error = str(record.get("message", "import failed"))
                continue
            test = str(record["nodeid"]).split("::", 1)[1]
            phases.setdefault(test, {})[str(record["when"])] = record
            if record.get("message") and test not in result.messages:
                result.messages[test] = str(record["message"])
    for test, by_phase in phases.items():
        result.tests[test] = outcome_of(by_phase)


def run_module(
    target: str, module: str, workdir: Path, netns: bool, timeout: float
) -> ModuleResult:
    """Run one module of the suite in its own pytest process."""
    result = ModuleResult(target, module)
    rundir = workdir / "runs" / f"{target}-{module}"
    pkgs = prepare(rundir)
    report = workdir / "reports" / f"{target}-{module}.jsonl"
    log = workdir / "logs" / f"{target}-{module}.log"
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), str(pkgs), env.get("PYTHONPATH")])),
        CHERRY_SUITE_TARGET=target,
        CHERRY_SUITE_REPORT=str(report),
        CHERRY_SUITE_TEST_TIMEOUT=str(PHASE_TIMEOUT),
        PYTHONDONTWRITEBYTECODE="1",
        # cheroot's WebCase would otherwise prompt on the terminal at the first failure.
        WEBTEST_INTERACTIVE="false",
    )
    if netns:
        env["CHERRY_SUITE_NETNS"] = "1"
    command = [
        *(["unshare", "-rn"] if netns else []),
        sys.executable, "-m", "pytest", "-q", "-rfE",
        "-c", str(workdir / "pytest.ini"), "--rootdir", str(pkgs),
        "-p", "cherry_suite_plugin", "-p", "no:framework", "-p", "no:cacheprovider",
        str(pkgs / "cpsuite" / f"{module}.py"),
    ]  # fmt: skip
    started = time.monotonic()
    with log.open("wb") as out:
        try:
            process = subprocess.run(
                command, cwd=rundir, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, timeout=timeout, check=False,
            )  # fmt: skip
            if process.returncode not in (0, 1, 5):
                result.crashed = f"pytest exited {process.returncode}"
        except subprocess.TimeoutExpired:
            result.crashed = f"timed out after {timeout:.0f} s"
    result.seconds = time.monotonic() - started
    read_report(result, report)
    return result


def modules_to_run(pkgs_source: Path, wanted: list[str]) -> list[str]:
    """Every ``test_*`` module of the suite (or those asked for), slow ones first."""
    found = sorted(path.stem for path in (pkgs_source / "test").glob("test_*.py"))
    if wanted:
        unknown = sorted(set(wanted) - set(found))
        if unknown:
            sys.exit(f"no such module in the CherryPy suite: {', '.join(unknown)}")
        found = [name for name in found if name in wanted]
    return sorted(found, key=lambda name: (name not in SLOW_FIRST, name))


def cell(result: ModuleResult | None) -> str:
    if result is None:
        return ""
    if result.import_error and not result.tests:
        return "import error"
    counts = result.count()
    text = " / ".join(str(counts[outcome]) for outcome in OUTCOMES)
    return text + (f" ({result.crashed})" if result.crashed else "")


def table(
    results: dict[tuple[str, str], ModuleResult], modules: list[str], targets: list[str]
) -> str:
    """A Markdown table: one row per module, pass / fail / skip / xfail / error per target."""
    head = "| module | " + " | ".join(LABELS[t] for t in targets) + " |"
    rule = "|---|" + "---|" * len(targets)
    rows = [head, rule]
    for module in sorted(modules):
        cells = [cell(results.get((target, module))) for target in targets]
        rows.append(f"| {module} | " + " | ".join(cells) + " |")
    totals = []
    for target in targets:
        counts: Counter[str] = Counter()
        for module in modules:
            if (target, module) in results:
                counts += results[target, module].count()
        totals.append(" / ".join(str(counts[outcome]) for outcome in OUTCOMES))
    rows.append("| **total** | " + " | ".join(totals) + " |")
    return "\n".join(rows)


def passes(results: dict[tuple[str, str], ModuleResult], target: str) -> tuple[int, int]:
    """(tests passed, tests run) for ``target``."""
    counts: Counter[str] = Counter()
    for (result_target, _), result in results.items():
        if result_target == target:
            counts += result.count()
    return counts["pass"], sum(counts.values())


def read_ratchet() -> int:
    return int(RATCHET_FILE.read_text(encoding="utf-8").split()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="suite modules to run (default: all)")
    parser.add_argument("--target", choices=[*TARGETS, "both"], default="cherry")
    parser.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("-f", "--failures", action="store_true", help="list what did not pass")
    parser.add_argument("--check-ratchet", action="store_true", help="fail below RATCHET")
    parser.add_argument("--module-timeout", type=float, default=600.0)
    parser.add_argument("--keep", action="store_true", help="keep the logs of every module")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.check_ratchet and args.modules:
        parser.error("--check-ratchet counts the whole suite: name no modules")

    targets = list(TARGETS) if args.target == "both" else [args.target]
    modules = modules_to_run(installed_cherrypy(), args.modules)
    workdir = Path(tempfile.mkdtemp(prefix="cherrypy-suite-"))
    started = time.monotonic()
    try:
        results = run_all(targets, modules, workdir, args.jobs, args.module_timeout)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(results, modules, targets))
    print("\ncells: pass / fail / skip / xfail / error")
    if args.failures:
        print_failures(results, targets)
    for target in targets:
        print(summary(results, target))
    slowest = sorted(results.values(), key=lambda result: -result.seconds)[:3]
    timing = ", ".join(f"{r.module} on {LABELS[r.target]} {r.seconds:.0f} s" for r in slowest)
    logs = f"; logs in {workdir / 'logs'}" if args.keep else ""
    print(f"({time.monotonic() - started:.0f} s; slowest: {timing}{logs})")
    if args.json:
        records = [dataclasses.asdict(result) for result in results.values()]
        args.json.write_text(json.dumps(records, indent=1), encoding="utf-8")
    if args.check_ratchet and "cherry" in targets:
        return check_ratchet(passes(results, "cherry")[0])
    return 0


def run_all(
    targets: list[str], modules: list[str], workdir: Path, jobs: int, module_timeout: float
) -> dict[tuple[str, str], ModuleResult]:
    """Run every (target, module) pair, ``jobs`` at a time when namespaces allow it."""
    (workdir / "reports").mkdir()
    (workdir / "logs").mkdir()
    (workdir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    netns = netns_available()
    if not netns:
        jobs = 1
    note = "" if netns else " (no network namespace available: one at a time)"
    names = " and ".join(LABELS[target] for target in targets)
    print(
        f"CherryPy suite from {installed_cherrypy()}: {len(modules)} modules on {names}, "
        f"{jobs} at a time{note}",
        flush=True,
    )
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {
            (target, module): pool.submit(
                run_module, target, module, workdir, netns, module_timeout
            )
            for module in modules
            for target in targets
        }
        return {key: future.result() for key, future in futures.items()}


def summary(results: dict[tuple[str, str], ModuleResult], target: str) -> str:
    """One line: how many tests pass, how many ran, which modules did not import."""
    passed, ran = passes(results, target)
    broken = sorted(
        module
        for (result_target, module), result in results.items()
        if result_target == target and result.import_error and not result.tests
    )
    line = f"{LABELS[target]}: {passed} pass ({ran} ran)"
    if broken:
        line += f"; {len(broken)} modules did not import: {', '.join(broken)}"
    return line


def print_failures(results: dict[tuple[str, str], ModuleResult], targets: list[str]) -> None:
    for target in targets:
        print(f"\n{LABELS[target]}: tests that did not pass")
        for (result_target, module), result in sorted(results.items()):
            if result_target != target:
                continue
            if result.import_error:
                print(f"  {module}: import error: {result.import_error}")
            if result.crashed:
                print(f"  {module}: {result.crashed}")
            for test, outcome in sorted(result.tests.items()):
                if outcome != "pass":
                    print(f"  {module}::{test} [{outcome}] {result.messages.get(test, '')}")


def check_ratchet(passed: int) -> int:
    ratchet = read_ratchet()
    if passed < ratchet:
        print(
            f"Cherry passes {passed} CherryPy tests, below the ratchet of {ratchet} "
            f"({RATCHET_PATH}): something regressed."
        )
        return 1
    if passed > ratchet:
        print(f"Cherry passes {passed}, above the ratchet of {ratchet}: raise {RATCHET_PATH}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
