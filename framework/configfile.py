"""Config files: INI sections whose values are Python literals, read without ``eval``.

This module owns the file format behind ``config.update("site.conf")`` and the per-app
config passed to ``tree.mount()``.  A file looks like::

    [global]
    server.socket_port = 8080                 # inline comments are fine
    tools.gzip.mime_types = ['text/html', 'text/plain']
    request.body.maxbytes = 10 * 1024 * 1024

    [/static]
    tools.staticdir.dir = "/var/www"

``parse()`` turns it into ``{section: {key: value}}``; ``load()`` is what ``framework.config``
calls and also accepts a mapping that is already parsed.  Keys keep their case.

Values are parsed with :func:`ast.parse` and walked by a small evaluator that accepts only
literals (str, bytes, numbers, bool, None, tuples, lists, dicts, sets), unary ``+``/``-``,
arithmetic on numbers and ``+`` on two strings (or two bytes).  Any bad value raises
:class:`ConfigError` naming the file, section and key.

Like CherryPy, a value may also name an object, or call one with literal arguments::

    [/api]
    request.dispatch = cherrypy.dispatch.MethodDispatcher()
    error_page.404 = framework.lib.static.some_function

Unlike CherryPy, which imports whatever a config file names, only dotted names rooted in
``framework`` or ``cherrypy`` (read through :data:`framework.compat.ALIASES`) are
resolved.  Any other name, subscripts and comprehensions are rejected, so a config file
cannot import or run arbitrary code; objects of your own go in ``_cp_config`` or a dict.

# COMPAT: while the CherryPy compatibility layer is installed (``framework.compat``),
config files are read as CherryPy reads them, so unchanged CherryPy apps and their
configs work: ``%(name)s`` is interpolated (configparser's basic interpolation) and a
value is any Python expression, whose names are importable modules or builtins
(``os.path.join(sys.prefix, "x")``, ``dict(**{"a": 1})``, ``codes[404]``). Such a file
can run code, exactly as it could under CherryPy.
"""

from __future__ import annotations

import ast
import builtins
import configparser
import importlib
import inspect
import io
import operator
import os
import sys
import tokenize
import types
from collections.abc import Callable, Mapping
from typing import IO, Any

__all__ = ["ConfigError", "load", "parse", "unrepr"]

Source = str | os.PathLike[str] | IO[str] | IO[bytes]

# Integers bigger than this are refused, so `9 ** 9 ** 9` fails fast instead of hanging.
_MAX_INT_BITS = 10_000
_MAX_SHOWN_VALUE = 80

_BINARY_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY_OPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_REFERENCE_ROOTS = frozenset({"framework", "cherrypy"})
_CONSTANT_TYPES = (str, bytes, int, float, complex, bool, type(None))


class ConfigError(ValueError):
    """A config file (or one value in it) could not be parsed; the message says where."""


class _Rejected(Exception):
    """Internal: why a value is not an accepted literal (becomes part of a ConfigError)."""


def parse(source: Source, *, filename: str | None = None) -> dict[str, dict[str, Any]]:
    """Parse an INI config file whose values are Python literals.

    ``%(name)s`` is not interpolated: it stays in the string as written.

    Args:
        source: a path, or an open text or binary (UTF-8) file object.
        filename: the name to use in error messages; defaults to the path, the file
            object's ``name``, or ``<stream>``.

    Returns:
        ``{section: {key: value}}`` in file order, keys with their case kept.

    Raises:
        ConfigError: bad syntax, duplicate section or key, a key before any section
            header, text that is not UTF-8, or a value that is not an accepted literal.
        OSError: ``source`` is a path that cannot be read.
    """
    if isinstance(source, str | os.PathLike):
        name = filename or os.fspath(source)
        with open(source, "rb") as fp:
            data: str | bytes = fp.read()
    else:
        stream_name = getattr(source, "name", None)
        name = filename or (stream_name if isinstance(stream_name, str) else "<stream>")
        data = source.read()
    if isinstance(data, bytes):
        try:
            # utf-8-sig: a BOM written by some editors must not hide the first header.
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{name}: not valid UTF-8 ({exc.reason} at byte {exc.start})"
            ) from None
    cherrypy_dialect = _cherrypy_dialect()
    parser = _read_ini(data, name, cherrypy_dialect)
    result: dict[str, dict[str, Any]] = {}
    for section in parser.sections():
        # COMPAT: like CherryPy, [DEFAULT] keys appear in every section, not on their own.
        try:
            items = parser.items(section)
        except configparser.InterpolationError as exc:
            raise ConfigError(f"{name} [{section}]: {exc.message}") from None
        result[section] = {
            key: _value(raw, name, section, key, cherrypy_dialect) for key, raw in items
        }
    return result


def _cherrypy_dialect() -> bool:
    """True while ``framework.compat`` is installed: read config files as CherryPy does."""
    compat = sys.modules.get("framework.compat")
    return compat is not None and bool(compat.installed())


def load(source: Source | Mapping[str, Any]) -> dict[str, Any]:
    """Return config as a dict, parsing ``source`` first unless it is already a mapping.

    Args:
        source: a mapping (copied shallowly), a path or an open file (see :func:`parse`).

    Returns:
        A new dict the caller may modify.

    Raises:
        ConfigError: see :func:`parse`.
        OSError: ``source`` is a path that cannot be read.
    """
    if isinstance(source, Mapping):
        return dict(source)
    return dict(parse(source))


def _read_ini(text: str, name: str, cherrypy_dialect: bool) -> configparser.ConfigParser:
    # COMPAT: CherryPy interpolates %(key)s; natively we do not (interpolation=None)
    # because literal percent signs in strings (log formats, error pages) are far more
    # common. Inline comments are handled in _strip_semicolon_comment() and by the
    # Python tokenizer, since configparser's own handling would cut "a # b" in quotes.
    interpolation = configparser.BasicInterpolation() if cherrypy_dialect else None
    parser = configparser.ConfigParser(interpolation=interpolation, strict=True)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    try:
        parser.read_string(text, source=name)
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError(
            f"{name} line {exc.lineno}: {exc.line.strip()!r} comes before any [section] header"
        ) from None
    except configparser.DuplicateSectionError as exc:
        raise ConfigError(f"{name} line {exc.lineno}: duplicate section [{exc.section}]") from None
    except configparser.DuplicateOptionError as exc:
        raise ConfigError(
            f"{name} line {exc.lineno}: duplicate key {exc.option!r} in section [{exc.section}]"
        ) from None
    except configparser.ParsingError as exc:
        # The error's own copy of the line is repr()-ed differently across Python
        # versions, so quote the line from the text instead.
        lineno = exc.errors[0][0]
        line = text.splitlines()[lineno - 1].strip()
        raise ConfigError(f"{name} line {lineno}: cannot parse {line!r}") from None
    return parser


def _value(raw: str, name: str, section: str, key: str, cherrypy_dialect: bool) -> Any:
    """Evaluate one raw value, turning any failure into a ConfigError that says where."""
    source = _strip_semicolon_comment(raw)
    try:
        if not _has_code(source):
            # COMPAT: CherryPy returns an empty value as the empty string.
            return ""
        tree = ast.parse(source.strip(), mode="eval")
        if cherrypy_dialect:
            return _evaluate_as_cherrypy(tree)
        return _evaluate(tree.body)
    except (SyntaxError, tokenize.TokenError):
        reason = "not a Python literal"
    except _Rejected as exc:
        reason = str(exc)
    except (ArithmeticError, TypeError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
    except (RecursionError, MemoryError):
        reason = "nested too deeply"
    shown = raw.strip()
    if len(shown) > _MAX_SHOWN_VALUE:
        shown = shown[: _MAX_SHOWN_VALUE - 3] + "..."
    if _looks_like_text(source.strip()):
        # The usual mistake: text written as in a plain INI file. Say how to write it.
        reason = f'{reason}; if this is text, quote it: {key} = "{shown}"'
    raise ConfigError(f"{name} [{section}] {key}: invalid value {shown!r} ({reason})")


def _looks_like_text(source: str) -> bool:
    """True for an unquoted value that reads as words, a path or a host, not as code."""
    if not source or source[0] in "\"'([{" or source[0].isdigit() or source[0] in "+-":
        return False
    if any(char in source for char in "()[]{}\"'=,"):
        return False
    root = source.replace("/", ".").split(".")[0].split(" ")[0]
    return root not in _REFERENCE_ROOTS


class _ImportingNames(dict[str, Any]):
    """The names of a CherryPy-dialect value: an unknown name is imported as a module."""

    def __missing__(self, name: str) -> Any:
        try:
            return importlib.import_module(name)
        except ImportError:
            raise KeyError(name) from None  # eval() then looks in the builtins


class _ExplicitKeywordsWin(ast.NodeTransformer):
    """Rewrite ``f(k=1, **d)`` to ``f(**{**d, "k": 1})``.

    # COMPAT: CherryPy's unrepr lets a direct keyword override the same key from
    # ``**mapping``, where Python raises "got multiple values for keyword argument".
    """

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        if all(keyword.arg is not None for keyword in node.keywords):
            return node
        unpacked = [kw for kw in node.keywords if kw.arg is None]
        explicit = [kw for kw in node.keywords if kw.arg is not None]
        merged = ast.Dict(
            keys=[None] * len(unpacked) + [ast.Constant(kw.arg) for kw in explicit],
            values=[kw.value for kw in unpacked] + [kw.value for kw in explicit],
        )
        node.keywords = [ast.keyword(arg=None, value=merged)]
        return ast.fix_missing_locations(node)


def _evaluate_as_cherrypy(tree: ast.Expression) -> Any:
    """Evaluate a value as CherryPy's ``reprconf.unrepr`` does: any expression."""
    tree = _ExplicitKeywordsWin().visit(tree)
    code = compile(tree, "<config value>", "eval")
    try:
        return eval(code, {"__builtins__": builtins}, _ImportingNames())
    except Exception as exc:
        raise _Rejected(f"{type(exc).__name__}: {exc}") from None


def unrepr(source: str) -> Any:
    """Evaluate one value as CherryPy's ``reprconf.unrepr`` does (any expression).

    For the compat layer's ``cherrypy.lib.reprconf``: names are importable modules or
    builtins, so this runs code; never use it on text you did not write.

    Raises:
        ConfigError: the value does not parse or evaluating it failed.
    """
    if not source:
        return source
    try:
        return _evaluate_as_cherrypy(ast.parse(source.strip(), mode="eval"))
    except (SyntaxError, _Rejected) as exc:
        raise ConfigError(f"invalid value {source!r} ({exc})") from None


def _strip_semicolon_comment(raw: str) -> str:
    """Drop ``; comment`` tails, leaving ``;`` inside strings and ``#`` comments alone.

    ``#`` comments need no work: the Python parser already ignores them.  The tokenizer
    is restarted after each cut so that a comment like ``; don't`` never gets tokenized.
    """
    lines = raw.split("\n")
    while True:
        try:
            for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines)).readline):
                if tok.type == tokenize.OP and tok.string == ";":
                    row, col = tok.start
                    lines[row - 1] = lines[row - 1][:col]
                    break
            else:
                return "\n".join(lines)
        except (SyntaxError, tokenize.TokenError):
            return "\n".join(lines)  # ast.parse() will report it as a malformed value


def _has_code(source: str) -> bool:
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return any(tok.type not in skipped for tok in tokens)


def _evaluate(node: ast.expr) -> Any:
    """Evaluate an expression tree that may contain only accepted literal forms."""
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, _CONSTANT_TYPES):
            raise _Rejected(f"{node.value!r} is not allowed")
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
        return _container(node)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY_OPS:
        return _UNARY_OPS[type(node.op)](_number(_evaluate(node.operand)))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_OPS:
        return _binary(node.op, _evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.Name):
        raise _Rejected(f"unknown name {node.id!r}")
    if isinstance(node, ast.Attribute):
        return _reference(node)
    if isinstance(node, ast.Call):
        return _call(node)
    raise _Rejected(f"{type(node).__name__} is not an accepted literal form")


def _container(node: ast.List | ast.Tuple | ast.Set | ast.Dict) -> Any:
    """Evaluate a list, tuple, set or dict display (no ``*``/``**`` unpacking)."""
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise _Rejected("** unpacking is not allowed")
        return {
            _evaluate(key): _evaluate(value)
            for key, value in zip(node.keys, node.values, strict=True)
            if key is not None
        }
    if any(isinstance(element, ast.Starred) for element in node.elts):
        raise _Rejected("* unpacking is not allowed")
    items = [_evaluate(element) for element in node.elts]
    if isinstance(node, ast.List):
        return items
    return tuple(items) if isinstance(node, ast.Tuple) else set(items)


def _dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attribute accesses on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _reference(node: ast.expr) -> Any:
    """Resolve ``framework.x.y`` or ``cherrypy.x.y`` to the object it names."""
    dotted = _dotted_name(node)
    if dotted is None:
        raise _Rejected("attribute access is only allowed on framework.* or cherrypy.* names")
    root = dotted.partition(".")[0]
    if root not in _REFERENCE_ROOTS:
        raise _Rejected(
            f"{dotted!r}: only framework.* and cherrypy.* objects may be named in a "
            "config file; set your own objects in _cp_config or a dict"
        )
    parts = dotted.split(".")
    if root == "cherrypy":
        parts = _framework_parts(parts)
    # Import the longest prefix that is a module, then walk the rest as attributes.
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            value: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        for attr in parts[cut:]:
            # Private names and modules outside the framework (``framework.x.os``) would
            # open a way to everything else, so the walk refuses them.
            if attr.startswith("_"):
                raise _Rejected(f"{dotted!r}: private names are not allowed")
            try:
                value = getattr(value, attr)
            except AttributeError:
                raise _Rejected(f"{dotted!r} does not exist") from None
            if not _is_framework_object(value):
                raise _Rejected(f"{dotted!r} is not a framework object")
        return value
    raise _Rejected(f"{dotted!r} does not exist")  # pragma: no cover - "framework" imports


def _is_framework_object(value: Any) -> bool:
    """True for plain data and for modules, classes and functions of the framework."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
    elif isinstance(value, type) or callable(value):
        name = getattr(value, "__module__", None) or ""
    else:
        return True
    return name == "framework" or name.startswith("framework.")


def _framework_parts(parts: list[str]) -> list[str]:
    """Translate a ``cherrypy.*`` dotted name to the framework module that provides it."""
    from framework.compat import ALIASES

    for cut in range(len(parts), 0, -1):
        alias = ALIASES.get(".".join(parts[:cut]))
        if alias is not None:
            return alias[0].split(".") + parts[cut:]
    return ["framework", *parts[1:]]  # pragma: no cover - "cherrypy" is always aliased


def _call(node: ast.Call) -> Any:
    """Call a framework/cherrypy object with literal arguments."""
    if _dotted_name(node.func) is None or isinstance(node.func, ast.Name):
        raise _Rejected("function calls are only allowed on framework.* or cherrypy.* names")
    func = _reference(node.func)
    # Constructors (MethodDispatcher()) and the dispatch factories (VirtualHost()) only:
    # never a function or bound method with side effects such as engine.exit().
    factory = isinstance(func, type) or (
        inspect.isfunction(func) and func.__module__ == "framework.dispatch"
    )
    if not factory:
        raise _Rejected(
            f"{_dotted_name(node.func)!r} cannot be called in a config file "
            "(only framework classes and dispatcher factories can)"
        )
    args: list[Any] = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            args.extend(_evaluate(arg.value))
        else:
            args.append(_evaluate(arg))
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        value = _evaluate(keyword.value)
        if keyword.arg is not None:
            kwargs[keyword.arg] = value
        elif isinstance(value, dict) and all(isinstance(key, str) for key in value):
            # COMPAT: CherryPy's docs pass host names (which hold dots) as **{...}.
            kwargs.update(value)
        else:
            raise _Rejected("** needs a dict with string keys")
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        raise _Rejected(f"calling {_dotted_name(node.func)} failed: {exc}") from None


def _binary(op: ast.operator, left: Any, right: Any) -> Any:
    """Apply an arithmetic operator to numbers, or + to two strings or two bytes."""
    if isinstance(op, ast.Add) and type(left) is type(right) and isinstance(left, str | bytes):
        return left + right
    left, right = _number(left), _number(right)
    if (
        isinstance(op, ast.Pow)
        and isinstance(left, int)
        and isinstance(right, int)
        and abs(left) > 1
        and left.bit_length() * right > _MAX_INT_BITS
    ):
        raise _Rejected("exponent too large")
    result = _BINARY_OPS[type(op)](left, right)
    if isinstance(result, int) and result.bit_length() > _MAX_INT_BITS:
        raise _Rejected("number too large")
    return result


def _number(value: Any) -> int | float | complex:
    # bool is an int subclass, but `True + 1` in a config file is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, int | float | complex):
        raise _Rejected(f"arithmetic needs numbers, got {type(value).__name__}")
    return value
