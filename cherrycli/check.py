"""What ``cherry check`` (and ``cherry serve`` at start-up) finds wrong with a loaded app.

Three sources, each already a library of the framework, turned into one list of
:class:`Finding`:

- the compatibility table (:func:`framework.compat.usage.unsupported_usage`): the
  CherryPy names the app's modules use and the config keys it sets that Cherry does not
  provide, or provides differently, with the table's reason;
- the config checker (:func:`framework.checker.check`): unknown namespaces, keys and
  tools, wrong value types, static paths that cannot be found...; tools switched on
  in ``_cp_config`` (which the checker does not read) are found through the routes
  (:func:`unknown_tools`);
- the route model (:func:`framework.introspect.unreachable`): exposed handlers that no
  URL reaches.

A finding is an ``error`` when the app would fail at runtime because of it (a name or
key that is not provided, a tool that does not exist), a ``warning`` otherwise. The
config checker's own run at engine start is switched off while these are shown
(``checker.on``), so nothing is said twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ERROR",
    "WARNING",
    "Finding",
    "find_problems",
    "load_failure",
    "print_findings",
    "print_table",
    "unknown_tools",
]

ERROR = "error"
WARNING = "warning"

# Checker codes whose problem shows up as a failure at runtime (a 500 on the path).
_FAILING_CODES = frozenset({"unknown-tool"})


@dataclass(frozen=True)
class Finding:
    """One thing ``cherry check`` reports.

    Attributes:
        severity: :data:`ERROR` (it would break at runtime) or :data:`WARNING`.
        kind: ``compat``, ``config`` or ``route``.
        where: the file and line, config section and key, or URL concerned.
        message: what is wrong, and why or what to do.
    """

    severity: str
    kind: str
    where: str
    message: str

    @property
    def shown_where(self) -> str:
        """:attr:`where`, with file paths below the working directory made relative."""
        here = os.getcwd() + os.sep
        return self.where.replace(here, "") if here in self.where else self.where


def find_problems(tree: Any = None) -> list[Finding]:
    """Every finding for the loaded app: compat table, config checker, routes.

    Args:
        tree: the mount tree to check (default: ``framework.tree``); the global config
            is ``framework.config``.

    Returns:
        Errors first, then warnings, each group in source order.
    """
    import framework

    tree = framework.tree if tree is None else tree
    found = [*_compat(tree), *_config(tree), *_routes(tree)]
    return [f for f in found if f.severity == ERROR] + [f for f in found if f.severity != ERROR]


def load_failure(exc: BaseException, target: str | None) -> list[Finding]:
    """Findings for an app that failed to load: the failure, and its source's names.

    The compatibility table is read from TARGET's file without running it, so a
    CherryPy name Cherry lacks is named even when importing it is what failed.

    Args:
        exc: why loading failed (a :class:`~cherrycli.errors.CliError` or the app's
            own exception).
        target: TARGET as given, or None.

    Returns:
        The compat findings of TARGET's file, then the load failure (an error).
    """
    from cherrycli.errors import CliError
    from cherrycli.serve.loading import summarize_load_error

    message = str(exc) if isinstance(exc, CliError) else summarize_load_error(exc)
    findings = []
    path = _target_file(target)
    if path is not None:
        from framework.compat.usage import names_in_file

        findings = [_compat_finding(usage) for usage in names_in_file(path)]
    failure = Finding(ERROR, "load", target or "TARGET", f"the app failed to load: {message}")
    return [*findings, failure]


def _target_file(target: str | None) -> str | None:
    """The source file TARGET names, found without importing it (None if unknown)."""
    import importlib.util

    from cherrycli.errors import CliError
    from cherrycli.importer import parse_target

    if not target:
        return None
    try:
        module, _attr, path = parse_target(target)
        if path is not None:
            return str(path)
        spec = importlib.util.find_spec(module)
    except (CliError, ImportError, ValueError):
        return None
    origin = spec.origin if spec is not None else None
    return origin if origin and origin.endswith(".py") else None


def _compat_finding(usage: Any) -> Finding:
    from framework.compat.surface import NOT_PROVIDED_STATUS

    entry = usage.entry
    severity = ERROR if entry.status == NOT_PROVIDED_STATUS else WARNING
    return Finding(
        severity, "compat", usage.where, f"{entry.name} is {entry.status}: {entry.reason}"
    )


def _compat(tree: Any) -> list[Finding]:
    from framework.compat.usage import unsupported_usage

    return [_compat_finding(usage) for usage in unsupported_usage(tree)]


def _config(tree: Any) -> list[Finding]:
    from framework.checker import check

    warnings = check(tree=tree)
    findings = [
        Finding(
            ERROR if warning.code in _FAILING_CODES else WARNING,
            "config",
            warning.where,
            warning.message,
        )
        for warning in warnings
    ]
    told = {w.key.split(".")[1] for w in warnings if w.code == "unknown-tool" and "." in w.key}
    for name, paths in sorted(unknown_tools(tree).items()):
        if name not in told:
            shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
            message = f"switched on for {shown}, but there is no such tool: those paths answer 500"
            findings.append(Finding(ERROR, "config", f"tools.{name}", message))
    return findings


def unknown_tools(tree: Any) -> dict[str, list[str]]:
    """Tools switched on for ``tree``'s routes (config or ``_cp_config``) that the toolbox
    lacks.

    Args:
        tree: a ``framework.Tree`` (anything :func:`framework.introspect.routes` reads).

    Returns:
        ``{tool name: [paths where it is on]}``, empty when every tool exists.
    """
    import framework
    from framework.introspect import routes

    known = set(framework.tools.names())
    missing: dict[str, list[str]] = {}
    for route in routes(tree):
        for name in route.tools:
            if name not in known and route.path not in missing.setdefault(name, []):
                missing[name].append(route.path)
    return missing


def _routes(tree: Any) -> list[Finding]:
    from framework.introspect import unreachable

    return [
        Finding(
            WARNING,
            "route",
            f"{item.path} ({item.identity.location or item.identity.name})",
            f"{item.identity.name} can never be reached: {item.reason}",
        )
        for item in unreachable(tree)
    ]


#: How many findings :func:`print_findings` prints before counting the rest.
_MAX_LINES = 20


def print_findings(findings: list[Finding]) -> None:
    """Print each finding as one ``warning:`` line on stderr (``cherry serve``'s start).

    Past :data:`_MAX_LINES` findings, one line counts the rest.

    Args:
        findings: what :func:`find_problems` returned.
    """
    if not findings:
        return
    from cherrycli.console import escape, stderr

    console = stderr()
    for finding in findings[:_MAX_LINES]:
        console.print(
            f"[hint]warning:[/hint] {escape(finding.shown_where)}: {escape(finding.message)}",
            soft_wrap=True,
        )
    if len(findings) > _MAX_LINES:
        console.print(
            f"[hint]warning:[/hint] and {len(findings) - _MAX_LINES} more: "
            "`cherry check` lists them all",
            soft_wrap=True,
        )


def print_table(findings: list[Finding], title: str) -> None:
    """Print the findings as ``cherry check``'s table on stdout.

    Args:
        findings: what :func:`find_problems` returned.
        title: what was checked (the TARGET as resolved).
    """
    from rich.table import Table

    from cherrycli.console import escape, stdout

    console = stdout()
    if not findings:
        console.print(f"[ok]{escape(title)}: no problems found[/ok]")
        return
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = len(findings) - errors
    summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    table = Table(title=f"{escape(title)}: {summary}", title_justify="left")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Where", style="path", overflow="fold")
    table.add_column("Problem", overflow="fold")
    for finding in findings:
        style = "error" if finding.severity == ERROR else "hint"
        table.add_row(
            f"[{style}]{finding.severity}[/{style}]",
            finding.kind,
            escape(finding.shown_where),
            escape(finding.message),
        )
    console.print(table)
