"""In-process benchmark: six scenarios on Cherry, CherryPy, Flask, Bottle, Falcon and raw WSGI.

No sockets and no server: each contender's WSGI callable is called directly with a
prebuilt PEP 3333 environ (copied per call, with a fresh ``wsgi.input``), and the response
body is consumed and closed as a server would. What is measured is therefore the framework's
own per-request cost plus the same small harness cost for everyone; the raw WSGI column
is that floor.

Each contender first has to answer every scenario correctly (status, body, JSON, checked
through ``wsgiref.validate`` on three consecutive calls). A cell that answers wrong is
reported and not timed, and the run exits 1. Timing then alternates contenders round-robin
for several rounds; each sample is one batch sized to a fixed wall time, with the garbage
collector disabled; the table shows the median per-request time. Import cost of each
framework is measured in fresh interpreters (``bench/importtime.py``).

Usage::

    python bench/inprocess.py                  # full run (about a minute)
    python bench/inprocess.py --quick          # smoke run (a few seconds)
    python bench/inprocess.py --rounds 15 --json bench/results/inprocess.json
    python bench/inprocess.py --only raw,cherry,cherrypy --skip-imports
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import math
import os
import platform
import statistics
import sys
import traceback
import warnings
import wsgiref.validate
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter_ns
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    # Running as `python bench/inprocess.py` puts bench/ first on sys.path; the contenders
    # import `bench.contenders` and `framework` from the repository root.
    sys.path.insert(0, str(REPO_ROOT))

from bench.contenders import (  # noqa: E402
    CONTENDERS,
    SCENARIOS,
    STATEFUL,
    Scenario,
    WSGIApp,
    load,
)
from bench.importtime import IMPORT_MODULES, ImportResult, measure_imports  # noqa: E402

Runner = Callable[[int], int]


class _NullErrors:
    """A wsgi.errors stream that drops everything (timing only)."""

    def write(self, text: str) -> int:
        return len(text)

    def writelines(self, lines: Sequence[str]) -> None:
        pass

    def flush(self) -> None:
        pass


def make_environ(scenario: Scenario, errors: Any) -> dict[str, Any]:
    """Build the environ a typical HTTP/1.1 server would pass for this scenario.

    Args:
        scenario: the request to describe.
        errors: the object to use as ``wsgi.errors``.

    Returns:
        A PEP 3333 environ without ``wsgi.input``, which the caller adds per request.
    """
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scenario.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scenario.path,
        "QUERY_STRING": scenario.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "54321",
        "HTTP_HOST": "127.0.0.1:8080",
        "HTTP_USER_AGENT": "cherry-bench/1",
        "HTTP_ACCEPT": "*/*",
        "HTTP_ACCEPT_ENCODING": "identity",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": errors,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if scenario.body or scenario.method == "POST":
        environ["CONTENT_LENGTH"] = str(len(scenario.body))
    if scenario.content_type:
        environ["CONTENT_TYPE"] = scenario.content_type
    for name, value in scenario.headers:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def _call_once(app: WSGIApp, environ: dict[str, Any], body: bytes) -> tuple[str, list[Any], bytes]:
    """Make one request the way a server would and collect status, headers and body."""
    captured: list[Any] = []

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        captured[:] = [status, headers]
        return lambda data: None

    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(body)
    result = app(env, start_response)
    try:
        chunks = [bytes(chunk) for chunk in result]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not captured:
        raise AssertionError("start_response was never called")
    return captured[0], list(captured[1]), b"".join(chunks)


def verify(app: WSGIApp, scenario: Scenario, calls: int = 3) -> str | None:
    """Check that a contender answers one scenario correctly and speaks valid WSGI.

    Args:
        app: the contender's WSGI callable.
        scenario: the scenario to check.
        calls: how many consecutive requests must all be right (catches bad caching).

    Returns:
        None when every call was right, else a one-line description of the first problem.
    """
    checked = wsgiref.validate.validator(app)
    for attempt in range(1, calls + 1):
        errors = io.StringIO()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                status, headers, body = _call_once(
                    checked, make_environ(scenario, errors), scenario.body
                )
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return (
                f"call {attempt} raised {type(exc).__name__}: {exc} "
                f"(at {Path(where.filename).name}:{where.lineno})"
            )
        problem = scenario.check(status, headers, body)
        if problem is not None:
            logged = errors.getvalue().strip().splitlines()
            tail = f"; wsgi.errors: {logged[-1][:200]}" if logged else ""
            return f"call {attempt}: {problem}{tail}"
    return None


def make_runner(app: WSGIApp, scenario: Scenario) -> Runner:
    """Return a function that makes ``n`` requests and returns the elapsed nanoseconds.

    The environ is built once; each request pays one dict copy and one BytesIO, the same
    for every contender, so the raw WSGI column includes them too.
    """
    template = make_environ(scenario, _NullErrors())
    body = scenario.body

    def write(data: bytes) -> None:
        pass

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        return write

    def run(n: int) -> int:
        copy = template.copy
        bytes_io = io.BytesIO
        gc.collect()
        gc.disable()
        try:
            start = perf_counter_ns()
            for _ in range(n):
                env = copy()
                env["wsgi.input"] = bytes_io(body)
                result = app(env, start_response)
                try:
                    for _chunk in result:
                        pass
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            return perf_counter_ns() - start
        finally:
            gc.enable()

    return run


def calibrate(run: Runner, batch_ns: int) -> int:
    """Find how many requests fill one batch of ``batch_ns``; the search doubles as warm-up."""
    n = 1
    while True:
        elapsed = run(n)
        if elapsed * 4 >= batch_ns or n >= 1 << 20:
            break
        n *= 2
    per_request = max(elapsed / n, 1.0)
    return max(5, math.ceil(batch_ns / per_request))


@dataclass
class Cell:
    """One contender x scenario: its verdict, batch size and per-request samples (ns)."""

    wrong: str | None = None
    unsupported: bool = False
    iterations: int = 0
    samples: list[float] = field(default_factory=list)
    runner: Runner | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def best(self) -> float | None:
        return min(self.samples) if self.samples else None


@dataclass
class Contender:
    """A loaded contender: its app (or why it could not be built) and its cells."""

    name: str
    label: str
    version: str = "?"
    app: WSGIApp | None = None
    error: str | None = None
    unsupported: frozenset[str] = frozenset()
    cells: dict[str, Cell] = field(default_factory=dict)


def load_contenders(names: Sequence[str]) -> list[Contender]:
    """Import and build each selected contender, recording failures instead of raising."""
    loaded: list[Contender] = []
    for name in names:
        contender = Contender(name=name, label=name)
        try:
            module = load(name)
            contender.label = module.LABEL
            contender.version = module.version()
            contender.unsupported = frozenset(getattr(module, "UNSUPPORTED", ()))
            contender.app = module.build()
        except Exception as exc:
            contender.error = f"could not build: {type(exc).__name__}: {exc}"
        loaded.append(contender)
    return loaded


def run_benchmark(
    contenders: list[Contender], scenarios: Sequence[Scenario], rounds: int, batch_ns: int
) -> None:
    """Verify every cell, then time the right ones round-robin; fills ``Contender.cells``."""
    for contender in contenders:
        for scenario in scenarios:
            cell = Cell(wrong=contender.error)
            contender.cells[scenario.name] = cell
            if scenario.name in contender.unsupported:
                cell.unsupported = True
                continue
            if contender.app is None or cell.wrong:
                continue
            cell.wrong = verify(contender.app, scenario)
            if cell.wrong is None:
                cell.runner = make_runner(contender.app, scenario)
    for contender in contenders:
        for cell in contender.cells.values():
            if cell.runner is not None:
                cell.iterations = calibrate(cell.runner, batch_ns)
    for round_no in range(rounds):
        # Rotate the order every round so no contender always runs right after another's
        # garbage or always first in a warm cache.
        shift = round_no % len(contenders)
        order = contenders[shift:] + contenders[:shift]
        for scenario in scenarios:
            for contender in order:
                cell = contender.cells[scenario.name]
                if cell.runner is None or cell.wrong is not None:
                    continue
                try:
                    elapsed = cell.runner(cell.iterations)
                except Exception as exc:
                    cell.wrong = f"raised during timing: {type(exc).__name__}: {exc}"
                    continue
                cell.samples.append(elapsed / cell.iterations)
    # A cache that goes stale under load shows up only now: check the answers once more.
    for contender in contenders:
        for scenario in scenarios:
            cell = contender.cells[scenario.name]
            if contender.app is not None and cell.wrong is None and not cell.unsupported:
                problem = verify(contender.app, scenario, calls=1)
                if problem is not None:
                    cell.wrong = f"after timing: {problem}"


def _us(ns: float | None) -> str:
    return "-" if ns is None else f"{ns / 1000:.2f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
            )
        )
    return "\n".join(lines)


def _by_name(contenders: list[Contender], name: str) -> Contender | None:
    return next((c for c in contenders if c.name == name), None)


def _median_of(contender: Contender | None, scenario: str) -> float | None:
    if contender is None:
        return None
    cell = contender.cells.get(scenario)
    return None if cell is None or cell.wrong else cell.median


def render_report(
    contenders: list[Contender], scenarios: Sequence[Scenario], imports: dict[str, ImportResult]
) -> str:
    """Format the timing, ratio, import and target tables as plain text."""
    raw, cherry = _by_name(contenders, "raw"), _by_name(contenders, "cherry")
    cherrypy, flask = _by_name(contenders, "cherrypy"), _by_name(contenders, "flask")
    names = [c.name for c in contenders]
    out: list[str] = []

    rows = []
    for s in scenarios:
        row = [s.name]
        for c in contenders:
            cell = c.cells[s.name]
            na = c.error or cell.unsupported
            row.append("n/a" if na else "WRONG" if cell.wrong else _us(cell.median))
        c_ms = _median_of(cherry, s.name)
        row += [_ratio(c_ms, _median_of(cherrypy, s.name)), _ratio(c_ms, _median_of(flask, s.name))]
        rows.append(row)
    out.append("Microseconds per request (median of rounds; lower is better)")
    out.append(_table(["scenario", *names, "cherry/cherrypy", "cherry/flask"], rows))

    rows = []
    for s in scenarios:
        base = _median_of(raw, s.name)
        rows.append([s.name, *(_ratio(_median_of(c, s.name), base) for c in contenders)])
    out += ["", "Ratio to raw WSGI (x times the raw cost)", _table(["scenario", *names], rows)]

    if imports:
        rows = []
        for module, res in imports.items():
            if res.error:
                rows.append([module, "ERROR", "ERROR", res.error[:60]])
            else:
                rows.append([module, f"{res.wall_ms:.1f}", f"{res.importtime_ms:.1f}", ""])
        out += ["", "Import cost in a fresh interpreter (median ms)"]
        out.append(_table(["module", "wall - bare python", "-X importtime", "note"], rows))

    targets = check_targets(contenders, scenarios, imports)
    if targets:
        out += ["", *targets]

    broken = [f"  {c.name}: {c.error}" for c in contenders if c.error]
    if broken:
        out += ["", "NOT RUN:", *broken]
    wrong = [
        f"  {c.name} / {s.name}: {c.cells[s.name].wrong}"
        for c in contenders
        for s in scenarios
        if c.cells[s.name].wrong and not c.error
    ]
    if wrong:
        out += ["", "WRONG ANSWERS (not timed):", *wrong]
    return "\n".join(out)


def check_targets(
    contenders: list[Contender], scenarios: Sequence[Scenario], imports: dict[str, ImportResult]
) -> list[str]:
    """Say, per target from issue 2, whether this run meets it (informational only)."""
    cherry = _by_name(contenders, "cherry")
    if cherry is None:
        return []
    lines: list[str] = []
    for other, factor, label in (
        ("flask", 1.0, "faster than Flask"),
        ("cherrypy", 5.0, ">= 5x faster than CherryPy"),
    ):
        rival = _by_name(contenders, other)
        if rival is None:
            continue
        misses, unmeasured = [], []
        for s in scenarios:
            if s.name in STATEFUL:
                continue
            mine, theirs = _median_of(cherry, s.name), _median_of(rival, s.name)
            if theirs is None:
                unmeasured.append(s.name)
            elif mine is None or mine * factor >= theirs:
                misses.append(s.name)
        verdict = "met" if not misses else "MISSED on " + ", ".join(misses)
        if len(unmeasured) == len([s for s in scenarios if s.name not in STATEFUL]):
            verdict = "not measured"
        elif unmeasured:
            verdict += f" (not measured: {', '.join(unmeasured)})"
        lines.append(f"  {label} on every scenario: {verdict}")
    mine_imp, theirs_imp = imports.get("framework"), imports.get("cherrypy")
    if mine_imp and theirs_imp and not (mine_imp.error or theirs_imp.error):
        ok = mine_imp.wall_ms * 2 < theirs_imp.wall_ms
        lines.append(
            f"  import framework under half of cherrypy: {'met' if ok else 'MISSED'} "
            f"({mine_imp.wall_ms:.1f} ms vs {theirs_imp.wall_ms:.1f} ms)"
        )
    lines += _stateful_targets(cherry, _by_name(contenders, "cherrypy"))
    return ["Targets:", *lines] if lines else []


def _stateful_targets(cherry: Contender, cherrypy: Contender | None) -> list[str]:
    """The sessions/caching targets (issue 9), where their scenarios were measured."""
    lines = []

    def line(label: str, fast: float | None, slow: float | None, factor: float) -> None:
        if fast is None or slow is None:
            return
        verdict = "met" if fast * factor <= slow else "MISSED"
        lines.append(f"  {label}: {verdict} ({slow / fast:.2f}x)")

    session = _median_of(cherry, "session")
    line("session >= 5x faster than CherryPy's RAM sessions", session,
         _median_of(cherrypy, "session"), 5.0)  # fmt: skip
    nosession = _median_of(cherry, "nosession")
    if session is not None and nosession is not None:
        verdict = "met" if session <= 2 * nosession else "MISSED"
        lines.append(
            f"  session within 2x of the same handler without sessions: {verdict} "
            f"({session / nosession:.2f}x)"
        )
    line("cached >= 5x faster than the uncached handler", _median_of(cherry, "cached"),
         _median_of(cherry, "uncached"), 5.0)  # fmt: skip
    return lines


def to_json(
    contenders: list[Contender],
    scenarios: Sequence[Scenario],
    imports: dict[str, ImportResult],
    meta: dict[str, Any],
) -> dict[str, Any]:
    """Everything the report shows, plus every sample, as a JSON-ready dict (times in us)."""
    raw = _by_name(contenders, "raw")
    timings: dict[str, Any] = {}
    for c in contenders:
        per: dict[str, Any] = {}
        for s in scenarios:
            cell = c.cells[s.name]
            if cell.wrong:
                per[s.name] = {"wrong": cell.wrong}
                continue
            median, base = cell.median, _median_of(raw, s.name)
            per[s.name] = {
                "median_us": None if median is None else median / 1000,
                "best_us": None if cell.best is None else cell.best / 1000,
                "ratio_to_raw": None if median is None or not base else median / base,
                "iterations_per_sample": cell.iterations,
                "samples_us": [x / 1000 for x in cell.samples],
            }
        timings[c.name] = per
    return {
        "meta": meta,
        "contenders": {
            c.name: {"label": c.label, "version": c.version, "error": c.error} for c in contenders
        },
        "scenarios": [s.name for s in scenarios],
        "timings": timings,
        "imports": {m: vars(r) for m, r in imports.items()},
        "wrong": [
            {"contender": c.name, "scenario": s.name, "problem": c.cells[s.name].wrong}
            for c in contenders
            for s in scenarios
            if c.cells[s.name].wrong
        ],
    }


def _names(value: str, allowed: Sequence[str], what: str) -> list[str]:
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in allowed]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {unknown}; choose from {', '.join(allowed)}"
        )
    return [a for a in allowed if a in chosen]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help="3 rounds of 10 ms batches, 3 import runs"
    )
    parser.add_argument(
        "--rounds", type=int, help="timing rounds per contender (default 9, quick 3)"
    )
    parser.add_argument(
        "--batch-ms", type=float, help="wall time of one sample (default 40, quick 10)"
    )
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="also write results as JSON to OUT"
    )
    parser.add_argument(
        "--only",
        type=lambda v: _names(v, CONTENDERS, "contender"),
        default=list(CONTENDERS),
        metavar="A,B",
        help=f"contenders to run (default all: {','.join(CONTENDERS)})",
    )
    parser.add_argument(
        "--scenarios",
        type=lambda v: _names(v, [s.name for s in SCENARIOS], "scenario"),
        default=[s.name for s in SCENARIOS],
        metavar="A,B",
        help="scenarios to run (default all)",
    )
    parser.add_argument("--skip-imports", action="store_true", help="do not measure import cost")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.rounds = args.rounds or (3 if args.quick else 9)
    args.batch_ms = args.batch_ms or (10.0 if args.quick else 40.0)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report.

    Returns:
        0 when every selected contender answered every scenario correctly, else 1.
    """
    args = parse_args(argv)
    scenarios = [s for s in SCENARIOS if s.name in args.scenarios]
    contenders = load_contenders(args.only)
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    for c in contenders:
        print(f"  {c.name:<9} {c.label} {c.version}" + (f"  [{c.error}]" if c.error else ""))
    print(
        f"{args.rounds} rounds, {args.batch_ms:g} ms per sample, gc disabled while timing\n",
        flush=True,
    )

    run_benchmark(contenders, scenarios, args.rounds, int(args.batch_ms * 1_000_000))
    imports: dict[str, ImportResult] = {}
    if not args.skip_imports:
        imports = measure_imports(IMPORT_MODULES, runs=3 if args.quick else 9, repo_root=REPO_ROOT)
    print(render_report(contenders, scenarios, imports))

    if args.json:
        meta = {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "rounds": args.rounds,
            "batch_ms": args.batch_ms,
            "statistic": "median of rounds",
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(to_json(contenders, scenarios, imports, meta), indent=2) + "\n"
        )
        print(f"\nJSON written to {args.json}")
    wrong = any(cell.wrong for c in contenders for cell in c.cells.values())
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
