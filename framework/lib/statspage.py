"""The statistics page: every ``logging.statistics`` namespace as HTML or JSON.

Mount a :class:`StatsPage` anywhere in the tree::

    root.stats = framework.lib.cpstats.StatsPage()

``/stats/`` shows each namespace as a table of scalars plus one table per collection
(``"Applications"``, ``"URIs"``, ``"Requests"``...), ``/stats/data`` returns the same
as JSON, and ``pause``/``resume`` (POST only) switch a namespace's ``Enabled`` flag.
Every value shown is HTML-escaped: request lines and client addresses come from the
network. :data:`StatsPage.formatting` says how each value is shown (a ``%`` format, a
function, or ``None`` to hide the column); the recording side is
:mod:`framework.lib.cpstats`.
"""

from __future__ import annotations

import html
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from framework.context import current
from framework.errors import HTTPRedirect
from framework.helpers import expose

__all__ = [
    "StatsPage",
    "extrapolate_statistics",
    "iso_format",
    "locale_date",
    "pause_resume",
]

_MISSING = object()

Format = str | Callable[[Any], Any] | None


def extrapolate_statistics(scope: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``scope`` with every function value replaced by its result.

    A function receives the mapping it sits in (``lambda s: s["Total"] / s["Count"]``);
    one that raises gives None (shown as ``-``).
    """
    copied: dict[str, Any] = {}
    for key, value in list(scope.items()):
        if isinstance(value, Mapping):
            value = extrapolate_statistics(value)
        elif isinstance(value, list | tuple):
            value = [
                extrapolate_statistics(record) if isinstance(record, Mapping) else record
                for record in value
            ]
        elif callable(value):
            try:
                value = value(scope)
            except Exception:  # one library's broken statistic must not take the page down
                # (cheroot's Accepts/sec divides by the run time of a server never started)
                value = None
        copied[key] = value
    return copied


def locale_date(v: float) -> str:
    """A timestamp in the locale's format."""
    return time.strftime("%c", time.gmtime(v))


def iso_format(v: float) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM:SS`` (UTC)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(v))


def pause_resume(ns: str) -> Callable[[bool], str]:
    """A formatter showing Pause and Resume buttons for namespace ``ns``."""
    name = html.escape(ns, quote=True)

    def buttons(enabled: bool) -> str:
        pause_off = "" if enabled else 'disabled="disabled" '
        resume_off = 'disabled="disabled" ' if enabled else ""
        return "".join(
            f'<form action="{action}" method="POST" style="display:inline">'
            f'<input type="hidden" name="namespace" value="{name}" />'
            f'<input type="submit" value="{action.title()}" {off}/></form>'
            for action, off in (("pause", pause_off), ("resume", resume_off))
        )

    buttons.html = True  # type: ignore[attr-defined]  # its markup is shown as is
    return buttons


_REQUEST_FORMATS: dict[str, Format] = {
    "Bytes Read": "%s",
    "Bytes Written": "%s",
    "End Time": None,
    "Processing Time": "%.3f",
    "Start Time": None,
}
_TOTALS_FORMATS: dict[str, Format] = {"Total Time": "%.3f", "Average Time": "%.3f"}

_STYLE = """
th, td { padding: 0.25em 0.5em; border: 1px solid #666699; }
table { border-collapse: collapse; }
table.stats1 { width: 100%; }
table.stats1 th { font-weight: bold; text-align: right; background-color: #CCD5DD; }
table.stats2, h2 { margin-left: 50px; }
table.stats2 th { font-weight: bold; text-align: center; background-color: #CCD5DD; }
"""


def _shown(value: Any, form: Any) -> str:
    """``value`` formatted by ``form`` and escaped for HTML (buttons excepted)."""
    if value is None:
        return "-"
    if callable(form):
        text = form(value)
        return str(text) if getattr(form, "html", False) else html.escape(str(text))
    if form is not _MISSING and form is not None:
        try:
            return html.escape(form % value)
        except (TypeError, ValueError):
            pass
    return html.escape(str(value))


class StatsPage:
    """Pages showing ``logging.statistics`` (CherryPy's ``cpstats.StatsPage``)."""

    formatting: dict[str, dict[str, Any]] = {
        "CherryPy Applications": {
            "Enabled": pause_resume("CherryPy Applications"),
            "Bytes Read/Request": "%.3f",
            "Bytes Read/Second": "%.3f",
            "Bytes Written/Request": "%.3f",
            "Bytes Written/Second": "%.3f",
            "Current Time": iso_format,
            "Requests/Second": "%.3f",
            "Start Time": iso_format,
            "Total Time": "%.3f",
            "Uptime": "%.3f",
            "Slow Queries": {
                "End Time": None,
                "Processing Time": "%.3f",
                "Start Time": iso_format,
            },
            "URI Set Tracking": {"Avg": "%.3f", "Max": "%.3f", "Min": "%.3f", "Sum": "%.3f"},
            "Requests": _REQUEST_FORMATS,
            "Applications": _TOTALS_FORMATS,
            "URIs": _TOTALS_FORMATS,
        },
        "CherryPy WSGIServer": {
            "Enabled": pause_resume("CherryPy WSGIServer"),
            "Connections/second": "%.3f",
            "Start time": iso_format,
        },
    }

    @expose
    def index(self) -> str:
        """Every namespace as HTML tables."""
        parts = [f"<html><head><title>Statistics</title><style>{_STYLE}</style></head><body>"]
        for title, scalars, collections in self.get_namespaces():
            parts.append(f"<h1>{html.escape(title)}</h1><table class='stats1'><tbody>")
            for start in range(0, len(scalars), 3):
                cells = "".join(
                    f"<th>{html.escape(key)}</th><td>{value}</td>"
                    for key, value in scalars[start : start + 3]
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</tbody></table>")
            for subtitle, headers, rows in collections:
                head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
                body = "".join(
                    "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows
                )
                parts.append(
                    f"<h2>{html.escape(subtitle)}</h2><table class='stats2'>"
                    f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                )
        parts.append("</body></html>")
        return "\n".join(parts)

    def get_namespaces(self) -> Iterator[tuple[str, list[tuple[str, str]], list[Any]]]:
        """``(title, scalars, collections)`` for each namespace, values formatted."""
        snapshot = extrapolate_statistics(getattr(logging, "statistics", {}))
        for title, namespace in sorted(snapshot.items()):
            scalars: list[tuple[str, str]] = []
            collections: list[tuple[str, list[str], list[list[str]]]] = []
            formats = self.formatting.get(title, {})
            for key, value in sorted(namespace.items()):
                form = formats.get(key, _MISSING)
                # A collection without a format of its own (cheroot's "Worker Threads"
                # in a "Cheroot HTTPServer <id>" namespace) shows every field as is.
                columns = form if isinstance(form, Mapping) else {}
                if isinstance(value, dict):
                    headers, rows = self.get_dict_collection(value, columns)
                    collections.append((key, ["ID", *headers], rows))
                elif isinstance(value, list | tuple):
                    headers, rows = self.get_list_collection(value, columns)
                    collections.append((key, headers, rows))
                elif form is not None:
                    scalars.append((key, _shown(value, form)))
            yield title, scalars, collections

    def get_dict_collection(
        self, v: Mapping[Any, Any], formatting: Mapping[str, Any]
    ) -> tuple[list[str], list[list[str]]]:
        """Headers and rows of a collection keyed by ID (e.g. "Requests")."""
        headers = _headers(v.values(), formatting)
        rows = [
            [html.escape(str(key)), *_row(record, headers, formatting)]
            for key, record in sorted(v.items(), key=lambda item: str(item[0]))
        ]
        return headers, rows

    def get_list_collection(
        self, v: Sequence[Any], formatting: Mapping[str, Any]
    ) -> tuple[list[str], list[list[str]]]:
        """Headers and rows of a list of records (e.g. "Slow Queries")."""
        headers = _headers(v, formatting)
        return headers, [_row(record, headers, formatting) for record in v]

    @expose
    def data(self) -> bytes:
        """Every namespace as JSON."""
        pair = current()
        assert pair is not None
        pair[1].headers["Content-Type"] = "application/json"
        snapshot = extrapolate_statistics(getattr(logging, "statistics", {}))
        return json.dumps(snapshot, sort_keys=True, indent=4, default=str).encode("utf-8")

    @expose
    def pause(self, namespace: str) -> None:
        """Stop recording ``namespace`` (POST)."""
        getattr(logging, "statistics", {}).get(namespace, {})["Enabled"] = False
        raise HTTPRedirect("./")

    pause._cp_config = {"tools.allow.on": True, "tools.allow.methods": ["POST"]}  # type: ignore[attr-defined]

    @expose
    def resume(self, namespace: str) -> None:
        """Start recording ``namespace`` again (POST)."""
        getattr(logging, "statistics", {}).get(namespace, {})["Enabled"] = True
        raise HTTPRedirect("./")

    resume._cp_config = {"tools.allow.on": True, "tools.allow.methods": ["POST"]}  # type: ignore[attr-defined]


def _as_record(record: Any) -> Mapping[str, Any]:
    """A collection entry as a record: other libraries' entries may be plain values."""
    return record if isinstance(record, Mapping) else {"Value": record}


def _headers(records: Any, formatting: Mapping[str, Any]) -> list[str]:
    return sorted(
        {
            str(key)
            for record in records
            for key in _as_record(record)
            if formatting.get(key, 0) is not None
        }
    )


def _row(record: Any, headers: list[str], formatting: Mapping[str, Any]) -> list[str]:
    fields = _as_record(record)
    return [_shown(fields.get(key, ""), formatting.get(key, _MISSING)) for key in headers]
