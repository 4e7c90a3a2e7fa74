"""The README's tool reference: every example runs and the tool answers as described.

Each ``python`` block of the "Tool reference" section is executed as written; the app
it configures is then requested at every path of its ``config``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.testing import Client

README = Path(__file__).parents[2] / "README.md"


def reference_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Tool reference", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


class Plain:
    @framework.expose
    def default(self, *args: Any, **kwargs: Any) -> str:
        return "page"


#: What each example's paths answer without credentials, by the tool it shows.
EXPECTED = {
    "auth_basic": 401,
    "auth_digest": 401,
    "session_auth": 200,  # the login form
    "proxy": 200,
    "cors": 200,
    "referer": None,  # mixed: checked below
    "decode": None,
    "cpstats": 200,
}


def test_the_reference_has_an_example_per_tool() -> None:
    blocks = "\n".join(reference_blocks())
    for tool in ("auth_basic", "auth_digest", "session_auth", "proxy", "cors", "referer",
                 "accept", "autovary", "ignore_headers", "decode", "flatten", "redirect",
                 "err_redirect", "log_hooks", "cpstats", "XMLRPCDispatcher"):  # fmt: skip
        assert tool in blocks, tool


@pytest.mark.parametrize("block", reference_blocks(), ids=lambda b: b.split("\n")[0][:40])
def test_every_example_runs(block: str, error_records: list[Any]) -> None:
    namespace: dict[str, Any] = {"framework": framework, "__name__": "readme_example"}
    exec(compile(block, str(README), "exec"), namespace)
    root = namespace.get("Root", Plain)()
    config = namespace["config"]
    client = Client(root, config=config)
    statuses = {}
    for path in config:
        statuses[path] = client.get(path if path != "/" else "/").status_code
    assert all(status < 500 for status in statuses.values()), statuses
    kind = next((key for key in EXPECTED if key in block), None)
    expected = EXPECTED.get(kind) if kind else None
    if expected is not None:
        assert set(statuses.values()) == {expected}, statuses
    if "tools.referer.on" in block:
        assert statuses["/form"] == 403  # no Referer
        assert statuses["/files"] == 200
    if "XMLRPCController" in block:
        from xmlrpc.client import dumps, loads

        call = dumps((1, 2), "add")
        assert loads(client.post("/api/", data=call, content_type="text/xml").body)[0] == (3,)
    if "StatsPage" in block:
        assert "<h2>URIs</h2>" in client.get("/stats/").text
    if "tools.redirect.on" in block:
        assert client.get("/old").text == "page"  # internally redirected to /new
