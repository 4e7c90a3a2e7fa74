"""The ``cherry profile --html`` report: one self-contained page with an icicle chart.

:func:`build_tree` turns the cProfile call graph of each profiled path into a tree of
nested frames; :func:`render_html` embeds it as JSON in a single HTML file with inline
CSS and JavaScript (nothing is fetched, so the file works offline and can be attached to
an issue), next to the per-path latency table and the top functions::

    html = render_html(run, title="shop.app:Root", sort="cumulative", limit=20)
    Path("profile.html").write_text(html, encoding="utf-8")

cProfile keeps, per function, its callers with the time spent on each edge, not a full
call tree. The tree is rebuilt top-down from each path's root (the request driver): a
child's width is the time on the caller -> child edge, scaled by the share of the
caller's total time that its own position in the tree stands for. That is the usual
approximation (snakeviz and gprof2dot make it too): exact for functions with one caller,
proportional for shared ones. Recursion is cut where a function reappears below itself,
and frames under 0.1% of their path are dropped to keep the page light.

In the browser: hover a frame for its name, file:line, total and own time, share of the
whole and time per request; click to zoom in (ancestors stay on top, click one to zoom
out, Esc resets); type in the search box to highlight matching frames.
"""

from __future__ import annotations

import html
import json
import platform
import time
from collections import defaultdict
from typing import Any

from cherrycli.profile_report import (
    SORT_LABELS,
    category,
    format_ms,
    function_name,
    is_noise,
    short_location,
    top_functions,
)
from cherrycli.profiling import FuncKey, ProfileRun

__all__ = ["build_tree", "render_html"]

# Frames narrower than this share of their path are not drawn (nor built).
MIN_SHARE = 0.001
# Upper bound on frames in one report, so a huge call graph still opens quickly.
MAX_NODES = 6000
MAX_DEPTH = 80

Node = dict[str, Any]


class _TreeBuilder:
    """Expands one path's pstats entries into nested frame dicts (see module docstring)."""

    def __init__(self, entries: dict[FuncKey, tuple[Any, ...]], budget: list[int]) -> None:
        self.entries = entries
        self.budget = budget
        self.callees: dict[FuncKey, dict[FuncKey, float]] = defaultdict(dict)
        for func, entry in entries.items():
            for caller, edge in entry[4].items():
                self.callees[caller][func] = edge[3]
        self.threshold = 0.0

    def roots(self) -> list[FuncKey]:
        """Functions with no recorded caller (entered directly under the profiler)."""
        return [
            func
            for func, entry in self.entries.items()
            if not entry[4] and not (func[0] == "~" and is_noise(func))
        ]

    def node(self, func: FuncKey, value: float, stack: frozenset[FuncKey], depth: int) -> Node:
        self.budget[0] -= 1
        node: Node = {
            "n": function_name(func),
            "l": short_location(func[0], func[1]),
            "k": category(func[0]),
            "v": round(value * 1e6, 2),
        }
        children = self.children(func, value, stack | {func}, depth + 1)
        if children:
            node["c"] = children
        return node

    def children(
        self, func: FuncKey, value: float, stack: frozenset[FuncKey], depth: int
    ) -> list[Node]:
        total = self.entries[func][3]
        if total <= 0 or depth > MAX_DEPTH:
            return []
        ratio = value / total
        ranked = sorted(self.callees.get(func, {}).items(), key=lambda item: -item[1])
        nodes = []
        for callee, edge_time in ranked:
            share = edge_time * ratio
            if callee in stack or share < self.threshold or self.budget[0] <= 0:
                continue
            nodes.append(self.node(callee, share, stack, depth))
        return nodes


def build_tree(run: ProfileRun) -> Node:
    """The frame tree of every profiled path under one ``all paths`` root.

    Each node is ``{"n": name, "l": location, "k": category, "v": microseconds,
    "c": [children]}``; a path's node is labelled ``METHOD /path`` and holds what its
    requests called (the driver's own frame is folded into it).

    Args:
        run: a run with at least one profiled path.

    Returns:
        The root node.
    """
    import pstats

    budget = [MAX_NODES]
    paths: list[Node] = []
    for result in run.profiled:
        entries: dict[FuncKey, tuple[Any, ...]] = pstats.Stats(result.profiler).stats  # type: ignore[attr-defined]
        builder = _TreeBuilder(entries, budget)
        roots = builder.roots()
        total = sum(entries[func][3] for func in roots)
        builder.threshold = total * MIN_SHARE
        children: list[Node] = []
        for func in roots:
            if is_noise(func):
                # The request driver is the path itself: show what it called.
                children.extend(builder.children(func, entries[func][3], frozenset({func}), 1))
            elif entries[func][3] >= builder.threshold:
                children.append(builder.node(func, entries[func][3], frozenset(), 1))
        path: Node = {
            "n": result.spec.label,
            "l": f"{run.requests} profiled requests",
            "k": "path",
            "v": round(total * 1e6, 2),
            "c": children,
        }
        paths.append(path)
    return {
        "n": "all paths",
        "l": f"{len(paths)} paths",
        "k": "root",
        "v": round(sum(path["v"] for path in paths), 2),
        "c": paths,
    }


def _paths_table(run: ProfileRun) -> str:
    slowest = max((result.mean_ms for result in run.results), default=0.0) or 1.0
    rows = []
    for result in run.results:
        kind = "bad" if result.failed else ("mixed" if len(result.statuses) > 1 else "good")
        note = (
            ""
            if not result.failed
            else f'<div class="note">{html.escape(result.reason)}: not profiled</div>'
        )
        rows.append(
            "<tr>"
            f'<td class="path"><span class="verb">{html.escape(result.spec.method)}</span> '
            f"{html.escape(result.spec.target)}{note}</td>"
            f'<td><span class="pill {kind}">{html.escape(result.status_text)}</span></td>'
            f"<td>{len(result.timings_ns)}</td>"
            f'<td class="meter"><span style="width:{result.mean_ms / slowest * 100:.1f}%"></span>'
            f"{format_ms(result.mean_ms)}</td>"
            f"<td>{format_ms(result.percentile_ms(0.5))}</td>"
            f"<td>{format_ms(result.percentile_ms(0.95))}</td>"
            f"<td>{result.requests_per_second:,.0f}</td>"
            "</tr>"
        )
    return (
        "<table><thead><tr><th class='l'>Path</th><th>Status</th><th>Requests</th><th>Mean ms</th>"
        "<th>p50 ms</th><th>p95 ms</th><th>Req/s</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _functions_table(run: ProfileRun, sort: str, limit: int) -> str:
    stats = run.combined_stats()
    if stats is None or limit <= 0:
        return ""
    functions = top_functions(stats, sort, limit)
    heaviest = max((row.cumtime for row in functions), default=0.0) or 1.0
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(row.calls)}</td>"
        f"<td>{format_ms(row.tottime * 1e3)}</td>"
        f'<td class="meter"><span style="width:{row.cumtime / heaviest * 100:.1f}%"></span>'
        f"{format_ms(row.cumtime * 1e3)}</td>"
        f'<td class="fn"><i class="dot k-{row.category}"></i><b>{html.escape(row.name)}</b> '
        f'<span class="loc">{html.escape(row.location)}</span></td>'
        "</tr>"
        for row in functions
    )
    order = html.escape(SORT_LABELS.get(sort, sort))
    return (
        f"<section class='card'><h2>Top {len(functions)} functions by {order}</h2>"
        "<p class='help'>From the profiled pass, all paths together; times include "
        "cProfile's overhead.</p>"
        "<table><thead><tr><th>Calls</th><th>Own ms</th><th>Total ms</th>"
        f"<th class='l'>Function</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def render_html(run: ProfileRun, *, title: str, sort: str = "cumulative", limit: int = 20) -> str:
    """The whole report as one HTML document (inline CSS and JS, no external resource).

    Args:
        run: the profiling run.
        title: what was profiled (the TARGET spec), shown in the header.
        sort: the function table's order, a key of :data:`cherrycli.profile_report.SORT_KEYS`.
        limit: rows of the function table.

    Returns:
        The HTML text.
    """
    tree = build_tree(run)
    data = {"tree": tree, "requests": run.requests}
    # "<" never appears raw inside the script element, so no "</script>" can end it early.
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    when = time.strftime("%Y-%m-%d %H:%M")
    subtitle = (
        f"{len(run.results)} paths &middot; {run.warmup} warm-up + {run.requests} timed + "
        f"{run.requests} profiled requests each &middot; Python {platform.python_version()} "
        f"&middot; {when}"
    )
    return (
        _PAGE.replace("%TITLE%", html.escape(title))
        .replace("%SUBTITLE%", subtitle)
        .replace("%PATHS%", _paths_table(run))
        .replace("%FUNCTIONS%", _functions_table(run, sort, limit))
        .replace("%DATA%", payload)
        .replace("%SCRIPT%", _SCRIPT)
    )


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cherry profile: %TITLE%</title>
<style>
:root{--ink:#1d1d27;--muted:#6b6b7b;--line:#e6e3ea;--bg:#f7f5f8;--card:#fff;--cherry:#b3123b}
*{box-sizing:border-box}
body{
  margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
  background:var(--bg)}
header{
  background:linear-gradient(120deg,#6d0b26,var(--cherry) 60%,#e0436a);color:#fff;
  padding:22px 32px}
header h1{margin:0;font-size:22px;font-weight:650;letter-spacing:.2px}
header h1 small{font-weight:400;opacity:.85}
header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{max-width:1400px;margin:0 auto;padding:20px 24px 40px}
.card{
  background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;
  margin:0 0 18px;box-shadow:0 1px 2px rgba(40,0,20,.04)}
h2{font-size:15px;margin:0 0 8px}
.help{color:var(--muted);margin:0 0 12px;font-size:12.5px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th{
  text-align:right;font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;
  letter-spacing:.4px;padding:6px 10px;border-bottom:1px solid var(--line)}
td{text-align:right;padding:6px 10px;border-bottom:1px solid #f1eff3;white-space:nowrap}
th.l,td.path,td.fn{text-align:left}
td.fn{white-space:normal}
tr:hover td{background:#fbf8fa}
.verb{font:600 11px ui-monospace,SFMono-Regular,Menlo,monospace;color:#7a2b8f;margin-right:4px}
td.path{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.note{font:12px system-ui,sans-serif;color:#a4262c}
.pill{
  display:inline-block;min-width:38px;text-align:center;padding:1px 8px;border-radius:10px;
  font-weight:600;font-size:12px}
.pill.good{background:#e3f5e8;color:#17692f}
.pill.bad{background:#fde7e9;color:#a4262c}
.pill.mixed{background:#fff2d6;color:#8a5a00}
td.meter{position:relative;min-width:110px;z-index:0}
td.meter span{
  position:absolute;right:10px;top:6px;bottom:6px;max-width:calc(100% - 20px);z-index:-1;
  background:linear-gradient(90deg,#fbe0e8,#f3a3b9);border-radius:3px;opacity:.7}
.loc{color:var(--muted);font-size:12px;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.dot{
  display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;vertical-align:0}
.toolbar{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:0 0 10px}
#crumbs{flex:1 1 auto;font-size:13px;color:var(--muted);min-width:200px}
#crumbs a{color:var(--cherry);cursor:pointer;text-decoration:none}
#crumbs a:hover{text-decoration:underline}
#search{
  border:1px solid var(--line);border-radius:6px;padding:6px 10px;width:240px;font:inherit}
button{
  border:1px solid var(--line);background:#fff;border-radius:6px;padding:6px 12px;font:inherit;
  cursor:pointer}
button:hover{border-color:var(--cherry);color:var(--cherry)}
.legend{display:flex;gap:12px;font-size:12px;color:var(--muted);margin:0 0 10px;flex-wrap:wrap}
#matches{font-size:12px;color:var(--muted)}
#chart{
  position:relative;width:100%;overflow:hidden;border-radius:6px;background:#fcfbfd;
  min-height:40px}
.bar{
  position:absolute;height:21px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;
  padding:2px 5px;font:12px/17px ui-monospace,SFMono-Regular,Menlo,monospace;color:#241018;
  border-right:1px solid #fff;border-bottom:1px solid #fff;cursor:pointer;transition:filter .1s}
.bar:hover{filter:brightness(.92) saturate(1.2);outline:1px solid rgba(0,0,0,.35);z-index:2}
.bar.anc{opacity:.55}
.bar .file{opacity:.6}
#chart.searching .bar{opacity:.25}
#chart.searching .bar.match{opacity:1;outline:2px solid #2b1a9b;z-index:1}
.k-app{background:#f59e42}.k-framework{background:#e4587b}.k-library{background:#a17be0}
.k-stdlib{background:#5fa8e8}
.k-builtin{background:#46bfae}
.k-driver,.k-root{background:#b9b4bf}
.k-path{background:#8f1b3f}
#tip{
  position:fixed;pointer-events:none;background:#1d1d27;color:#fff;border-radius:8px;
  padding:9px 12px;font-size:12.5px;max-width:520px;box-shadow:0 6px 24px rgba(0,0,0,.25);
  display:none;z-index:10}
#tip b{font-size:13px}#tip .loc{color:#c9c4d3}#tip table{margin-top:6px;width:auto}
#tip td{border:0;padding:1px 12px 1px 0;text-align:left;color:#fff}
#tip td:first-child{color:#c9c4d3}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
</style></head>
<body>
<header><h1>cherry profile <small>%TITLE%</small></h1><p>%SUBTITLE%</p></header>
<main>
<section class="card"><h2>Latency per path</h2>
<p class="help">Timed without the profiler, one request after another in one thread, no
network: the cost of the app itself.</p>
%PATHS%</section>
<section class="card"><h2>Where the time goes</h2>
<p class="help">Icicle chart of the profiled requests: each frame's width is its share of the
time, callers above callees. Hover for details, click to zoom, Esc to reset.</p>
<div class="toolbar"><nav id="crumbs"></nav><span id="matches"></span>
<input id="search" type="search" placeholder="Highlight functions&hellip;"
 aria-label="Search functions">
<button id="reset" type="button">Reset zoom</button></div>
<div class="legend"><span><i class="dot k-app"></i>your app</span>
<span><i class="dot k-framework"></i>framework</span>
<span><i class="dot k-library"></i>libraries</span>
<span><i class="dot k-stdlib"></i>standard library</span>
<span><i class="dot k-builtin"></i>built-ins</span>
<span><i class="dot k-driver"></i>profiler driver</span></div>
<div id="chart" role="img" aria-label="Icicle chart of profiled time"></div>
</section>
%FUNCTIONS%
<footer>Generated by cherry profile. Open the .prof file (--output) in pstats or snakeviz
for more views.</footer>
</main>
<div id="tip"></div>
<script type="application/json" id="profile-data">%DATA%</script>
<script>%SCRIPT%</script>
</body></html>
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("profile-data").textContent);
  var root = data.tree, ROW = 22, MIN_WIDTH = 0.0007;
  var chart = document.getElementById("chart"), tip = document.getElementById("tip");
  var crumbs = document.getElementById("crumbs"), search = document.getElementById("search");
  var matches = document.getElementById("matches"), view = root;
  var HUES = {app: 30, framework: 345, library: 268, stdlib: 207, builtin: 172};

  (function link(node, parent) {
    node.p = parent;
    (node.c || []).forEach(function (child) { link(child, node); });
  })(root, null);

  function hash(text) {
    var h = 0;
    for (var i = 0; i < text.length; i++) { h = (h * 31 + text.charCodeAt(i)) | 0; }
    return Math.abs(h);
  }
  function colour(node) {
    if (node.k === "path") { return "hsl(342, 62%, " + (34 + hash(node.n) % 10) + "%)"; }
    if (!(node.k in HUES)) { return "hsl(270, 6%, " + (74 + hash(node.n) % 8) + "%)"; }
    var h = hash(node.n + node.l), hue = HUES[node.k] + (h % 18) - 9;
    return "hsl(" + hue + ", " + (62 + h % 20) + "%, " + (66 + (h >> 5) % 12) + "%)";
  }
  function ms(us) {
    var v = us / 1000;
    var digits = v >= 100 ? 0 : v >= 10 ? 1 : v >= 1 ? 2 : 3;
    return v.toFixed(digits) + " ms";
  }
  function own(node) {
    var rest = node.v;
    (node.c || []).forEach(function (child) { rest -= child.v; });
    return Math.max(rest, 0);
  }
  function perRequest(node) {
    var paths = node.k === "root" ? Math.max((node.c || []).length, 1) : 1;
    return node.v / (data.requests * paths);
  }
  function pct(part, whole) { return whole > 0 ? (100 * part / whole).toFixed(1) + "%" : "-"; }

  function bar(node, x, w, depth, ancestor) {
    var el = document.createElement("div");
    el.className = "bar" + (ancestor ? " anc" : "");
    el.style.left = (x * 100) + "%";
    el.style.width = "calc(" + (w * 100) + "% - 1px)";
    el.style.top = (depth * ROW) + "px";
    el.style.background = colour(node);
    if (node.k === "path") { el.style.color = "#fff"; }
    el.textContent = node.n;
    var file = node.l.replace(/:\d+$/, "").split("/").pop();
    if (file && node.k !== "path" && node.k !== "root" && node.k !== "builtin") {
      var where = document.createElement("span");
      where.className = "file";
      where.textContent = " " + file;
      el.appendChild(where);
    }
    el.node = node;
    return el;
  }

  function render() {
    var frag = document.createDocumentFragment(), ancestors = [], depth = 0, deepest = 0;
    for (var a = view.p; a; a = a.p) { ancestors.unshift(a); }
    ancestors.forEach(function (node) { frag.appendChild(bar(node, 0, 1, depth++, true)); });
    (function place(node, x, w, d) {
      frag.appendChild(bar(node, x, w, d, false));
      deepest = Math.max(deepest, d);
      var cx = x;
      (node.c || []).forEach(function (child) {
        var cw = node.v > 0 ? w * child.v / node.v : 0;
        if (cw >= MIN_WIDTH) { place(child, cx, cw, d + 1); }
        cx += cw;
      });
    })(view, 0, 1, depth);
    chart.textContent = "";
    chart.style.height = ((deepest + 1) * ROW) + "px";
    chart.appendChild(frag);
    crumbs.textContent = "";
    ancestors.concat([view]).forEach(function (node, i) {
      if (i) { crumbs.appendChild(document.createTextNode(" \u203a ")); }
      var link = document.createElement(node === view ? "span" : "a");
      link.textContent = node.n;
      if (node !== view) { link.addEventListener("click", function () { zoom(node); }); }
      crumbs.appendChild(link);
    });
    highlight();
  }

  function zoom(node) { view = node; render(); }

  function highlight() {
    var term = search.value.trim().toLowerCase(), hit = 0;
    chart.classList.toggle("searching", term !== "");
    if (!term) { matches.textContent = ""; return; }
    var counted = [];
    Array.prototype.forEach.call(chart.children, function (el) {
      var on = (el.node.n + " " + el.node.l).toLowerCase().indexOf(term) >= 0;
      el.classList.toggle("match", on);
      if (on && !el.classList.contains("anc")) {
        // Count a match once even when an ancestor frame matched too.
        for (var up = el.node.p; up; up = up.p) { if (counted.indexOf(up) >= 0) { return; } }
        counted.push(el.node); hit += el.node.v;
      }
    });
    matches.textContent = counted.length ? pct(hit, view.v) + " of view matches" : "no match";
  }

  chart.addEventListener("click", function (event) {
    var el = event.target.closest(".bar");
    if (el) { zoom(el.node); }
  });
  chart.addEventListener("mousemove", function (event) {
    var el = event.target.closest(".bar");
    if (!el) { tip.style.display = "none"; return; }
    var n = el.node;
    tip.innerHTML = "";
    var title = document.createElement("b"), loc = document.createElement("div");
    var table = document.createElement("table");
    title.textContent = n.n;
    loc.className = "loc";
    loc.textContent = n.l;
    tip.appendChild(title);
    tip.appendChild(loc);
    var rows = [["total", ms(n.v)], ["own", ms(own(n))], ["per request", ms(perRequest(n))],
                ["of everything", pct(n.v, root.v)], ["of this view", pct(n.v, view.v)]];
    rows.forEach(function (row) {
      var tr = table.insertRow();
      tr.insertCell().textContent = row[0];
      tr.insertCell().textContent = row[1];
    });
    tip.appendChild(table);
    tip.style.display = "block";
    var x = event.clientX + 14, y = event.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth - 8) { x -= tip.offsetWidth + 28; }
    if (y + tip.offsetHeight > window.innerHeight - 8) { y -= tip.offsetHeight + 28; }
    tip.style.left = x + "px"; tip.style.top = y + "px";
  });
  chart.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  search.addEventListener("input", highlight);
  document.getElementById("reset").addEventListener("click", function () { zoom(root); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { search.value = ""; zoom(root); }
  });
  render();
})();
"""
