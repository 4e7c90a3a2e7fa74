"""Instructions per request, counted by valgrind: the in-process benchmark without the noise.

Wall-clock timings on a shared machine drift with whatever else runs; the number of
machine instructions a request executes does not. For each contender and scenario of
``bench/contenders`` this runs the interpreter under ``valgrind --tool=callgrind`` twice,
serving ``--small`` and then ``--large`` requests after the same warm-up, and reports
``(instructions(large) - instructions(small)) / (large - small)``: the cost of one
request, start-up and warm-up cancelled out. It is a proxy for time (cache misses and
branch mispredictions are not in it), repeatable to the instruction.

Usage::

    python bench/instructions.py                      # every contender and scenario
    python bench/instructions.py --only raw,cherry,bottle --scenarios hello,form
    python bench/instructions.py --json bench/results/instructions.json

Needs valgrind (``apt-get install valgrind``). Exit status 1 when a cell failed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.contenders import CONTENDERS, SCENARIOS  # noqa: E402

# Runs inside valgrind: build the contender, warm up, then serve N requests.
_CHILD = """
import io, sys
sys.path.insert(0, {root!r})
from bench.contenders import SCENARIOS, load
app = load({contender!r}).build()
scenario = next(s for s in SCENARIOS if s.name == {scenario!r})
base = {{
    "REQUEST_METHOD": scenario.method, "SCRIPT_NAME": "", "PATH_INFO": scenario.path,
    "QUERY_STRING": scenario.query, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
    "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
    "wsgi.multiprocess": False, "wsgi.run_once": False,
    "CONTENT_LENGTH": str(len(scenario.body)),
}}
if scenario.content_type:
    base["CONTENT_TYPE"] = scenario.content_type
for name, value in scenario.headers:
    base["HTTP_" + name.upper().replace("-", "_")] = value
answer = []
def start_response(status, headers, exc_info=None):
    answer[:] = [status, headers]
    return lambda data: None
def one():
    environ = dict(base)
    environ["wsgi.input"] = io.BytesIO(scenario.body)
    result = app(environ, start_response)
    for _ in result:
        pass
    close = getattr(result, "close", None)
    if close is not None:
        close()
# The first answer must be right, as in bench/inprocess.py: a wrong one is not counted.
environ = dict(base)
environ["wsgi.input"] = io.BytesIO(scenario.body)
result = app(environ, start_response)
body = b"".join(result)
getattr(result, "close", lambda: None)()
problem = scenario.check(answer[0], answer[1], body)
if problem is not None:
    sys.exit("wrong answer: " + problem)
for _ in range(300):
    one()
for _ in range({count}):
    one()
"""


def _instructions(contender: str, scenario: str, count: int) -> int:
    code = _CHILD.format(root=str(ROOT), contender=contender, scenario=scenario, count=count)
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return int(found.group(1))


def per_request(contender: str, scenario: str, small: int, large: int) -> int:
    """Instructions one request costs, start-up and warm-up cancelled out."""
    return round(
        (_instructions(contender, scenario, large) - _instructions(contender, scenario, small))
        / (large - small)
    )


def main(argv: list[str] | None = None) -> int:
    """Count and print the table; return 1 if any cell failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated contenders (default: all)")
    parser.add_argument("--scenarios", help="comma-separated scenarios (default: all)")
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=1200)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    contenders = args.only.split(",") if args.only else list(CONTENDERS)
    scenarios = args.scenarios.split(",") if args.scenarios else [s.name for s in SCENARIOS]
    table: dict[str, dict[str, int | None]] = {}
    failed = False
    for scenario in scenarios:
        row: dict[str, int | None] = {}
        for contender in contenders:
            try:
                row[contender] = per_request(contender, scenario, args.small, args.large)
            except RuntimeError as error:
                print(f"{contender}/{scenario}: {error}", file=sys.stderr)
                row[contender] = None
                failed = True
        table[scenario] = row
    width = max(8, *(len(c) for c in contenders))
    print("instructions per request")
    print("scenario  " + "".join(f"{c:>{width + 2}}" for c in contenders))
    for scenario, row in table.items():
        cells = "".join(
            f"{row[c]:>{width + 2}}" if row[c] is not None else f"{'-':>{width + 2}}"
            for c in contenders
        )
        print(f"{scenario:<10}{cells}")
    if "cherry" in contenders:
        others = [c for c in contenders if c not in ("cherry", "raw")]
        print("\ncherry / other (below 1.00: cherry executes fewer instructions)")
        print("scenario  " + "".join(f"{c:>{width + 2}}" for c in others))
        for scenario, row in table.items():
            cells = ""
            for other in others:
                mine, theirs = row.get("cherry"), row.get(other)
                ratio = f"{mine / theirs:.2f}" if mine and theirs else "-"
                cells += f"{ratio:>{width + 2}}"
            print(f"{scenario:<10}{cells}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
