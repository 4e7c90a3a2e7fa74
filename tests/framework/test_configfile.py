"""Specification of config files: INI sections holding Python literals, never executed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from framework.configfile import ConfigError, load, parse

SAMPLE = """\
[global]
server.socket_host = "127.0.0.1"
server.socket_port = 8080
tools.gzip.mime_types = ['text/html', 'text/plain']
log.screen = True

[/static]
tools.staticdir.on = True
tools.staticdir.dir = "/var/www"
"""
SAMPLE_DICT = {
    "global": {
        "server.socket_host": "127.0.0.1",
        "server.socket_port": 8080,
        "tools.gzip.mime_types": ["text/html", "text/plain"],
        "log.screen": True,
    },
    "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": "/var/www"},
}


def parse_value(text: str) -> Any:
    """Parse `k = <text>` in a one-section file and return the value."""
    return parse(io.StringIO(f"[s]\nk = {text}\n"))["s"]["k"]


def value_error(text: str) -> str:
    """Return the ConfigError message for `k = <text>`."""
    with pytest.raises(ConfigError) as info:
        parse(io.StringIO(f"[s]\nk = {text}\n"))
    return str(info.value)


# --- values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"double"', "double"),
        ("'single'", "single"),
        ("'''triple'''", "triple"),
        ("'a' 'b'", "ab"),
        ("b'raw bytes'", b"raw bytes"),
        ("42", 42),
        ("-7", -7),
        ("+3", 3),
        ("0x1F", 31),
        ("1_000", 1000),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ("2j", 2j),
        ("True", True),
        ("False", False),
        ("None", None),
        ("(1, 'two')", (1, "two")),
        ("(1,)", (1,)),
        ("()", ()),
        ("[1, 2, 3]", [1, 2, 3]),
        ("[]", []),
        ("{'a': 1, 2: 'b'}", {"a": 1, 2: "b"}),
        ("{}", {}),
        ("{1, 2}", {1, 2}),
        ("{'a': [1, {'b': (2, None)}]}", {"a": [1, {"b": (2, None)}]}),
    ],
)
def test_literal_values(text: str, expected: Any) -> None:
    value = parse_value(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 * 1024 * 1024", 10 * 1024 * 1024),
        ("1 + 2", 3),
        ("10 - 4", 6),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("7 % 3", 1),
        ("2 ** 10", 1024),
        ("-(2 + 3)", -5),
        ("60 * 60.0", 3600.0),
        ("'ab' + 'cd'", "abcd"),
        ("b'ab' + b'cd'", b"abcd"),
    ],
)
def test_arithmetic_and_concatenation(text: str, expected: Any) -> None:
    assert parse_value(text) == expected


def test_multiline_value_is_joined() -> None:
    text = "[s]\nk = [1,\n    2,\n    3]\n"
    assert parse(io.StringIO(text)) == {"s": {"k": [1, 2, 3]}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'héllo wörld'", "héllo wörld"),
        ("'日本語'", "日本語"),
        ("'\\u00e9'", "é"),
        ("['€', 'ß']", ["€", "ß"]),
    ],
)
def test_unicode_values(text: str, expected: Any) -> None:
    assert parse_value(text) == expected


def test_empty_value_is_empty_string() -> None:
    assert parse_value("") == ""


def test_percent_is_not_interpolated() -> None:
    text = "[s]\nhere = '/srv'\nk = '%(here)s/static %s %%'\n"
    assert parse(io.StringIO(text))["s"]["k"] == "%(here)s/static %s %%"


# --- comments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080  # the port", 8080),
        ("8080 ; the port", 8080),
        ("8080;tight", 8080),
        ("'x' ; don't quote me", "x"),
        ("'a # b'", "a # b"),
        ("'a ; b'", "a ; b"),
        ("'a # b' # real comment", "a # b"),
        ("'a ; b' ; real comment", "a ; b"),
        ("# nothing but a comment", ""),
        ("[1,  # one\n  2  ; two\n  ]", [1, 2]),
    ],
)
def test_inline_comments(text: str, expected: Any) -> None:
    assert parse_value(text) == expected


def test_full_line_comments_and_blank_lines_are_ignored() -> None:
    text = "# header\n; another\n\n[s]\n# inside\nk = 1\n\n; end\n"
    assert parse(io.StringIO(text)) == {"s": {"k": 1}}


# --- structure ----------------------------------------------------------------------------


def test_keys_keep_their_case() -> None:
    result = parse(io.StringIO("[S]\nTools.Gzip.On = True\ntools.gzip.on = False\n"))
    assert result == {"S": {"Tools.Gzip.On": True, "tools.gzip.on": False}}


def test_sections_and_keys_keep_file_order() -> None:
    result = parse(io.StringIO("[b]\nz = 1\na = 2\n[a]\n"))
    assert list(result) == ["b", "a"]
    assert list(result["b"]) == ["z", "a"]


def test_section_without_keys_is_an_empty_dict() -> None:
    assert parse(io.StringIO("[/empty]\n")) == {"/empty": {}}


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file_gives_empty_dict(text: str) -> None:
    assert parse(io.StringIO(text)) == {}


def test_default_section_applies_to_every_section() -> None:
    # COMPAT: CherryPy's parser shows [DEFAULT] keys in each section, not as a section.
    result = parse(io.StringIO("[DEFAULT]\nk = 1\n[a]\n[b]\nk = 2\n"))
    assert result == {"a": {"k": 1}, "b": {"k": 2}}


# --- sources ------------------------------------------------------------------------------


@pytest.fixture
def conf_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.conf"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["str", "path", "text_file", "binary_file", "stringio", "bytesio"])
def test_every_source_kind_gives_the_same_dict(conf_file: Path, kind: str) -> None:
    if kind == "str":
        assert parse(str(conf_file)) == SAMPLE_DICT
    elif kind == "path":
        assert parse(conf_file) == SAMPLE_DICT
    elif kind == "text_file":
        with conf_file.open(encoding="utf-8") as fp:
            assert parse(fp) == SAMPLE_DICT
    elif kind == "binary_file":
        with conf_file.open("rb") as bfp:
            assert parse(bfp) == SAMPLE_DICT
    elif kind == "stringio":
        assert parse(io.StringIO(SAMPLE)) == SAMPLE_DICT
    else:
        assert parse(io.BytesIO(SAMPLE.encode())) == SAMPLE_DICT


def test_path_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "u.conf"
    path.write_bytes("[s]\nk = 'ça'\n".encode())
    assert parse(path) == {"s": {"k": "ça"}}


def test_utf8_bom_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bom.conf"
    path.write_bytes(b"\xef\xbb\xbf[s]\nk = 1\n")
    assert parse(path) == {"s": {"k": 1}}


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        parse(tmp_path / "absent.conf")


def test_load_copies_a_mapping() -> None:
    original = {"server.socket_port": 8080}
    loaded = load(original)
    assert loaded == original
    assert loaded is not original


def test_load_parses_a_file(conf_file: Path) -> None:
    assert load(str(conf_file)) == SAMPLE_DICT
    with conf_file.open(encoding="utf-8") as fp:
        assert load(fp) == SAMPLE_DICT


# --- errors -------------------------------------------------------------------------------


def test_error_names_file_section_and_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.conf"
    path.write_text("[global]\nserver.socket_port = 80 80\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        parse(path)
    assert str(info.value) == (
        f"{path} [global] server.socket_port: invalid value '80 80' (not a Python literal)"
    )


def test_error_uses_stream_name_or_placeholder(conf_file: Path) -> None:
    bad = "[s]\nk = (\n"
    with pytest.raises(ConfigError, match=r"^<stream> \[s\] k: "):
        parse(io.StringIO(bad))
    with pytest.raises(ConfigError, match=r"^given\.conf \[s\] k: "):
        parse(io.StringIO(bad), filename="given.conf")
    conf_file.write_text(bad, encoding="utf-8")
    with conf_file.open(encoding="utf-8") as fp, pytest.raises(ConfigError) as info:
        parse(fp)
    assert str(info.value).startswith(f"{conf_file} [s] k: ")


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("80 80", "not a Python literal"),
        ("127.0.0.1", "not a Python literal"),
        ("'unterminated", "not a Python literal"),
        ("[1, 2", "not a Python literal"),
        ("localhost", "unknown name 'localhost'"),
        ("__import__('os').system('x')", "function calls are only allowed on framework"),
        ("open('/etc/passwd')", "function calls are only allowed on framework"),
        ("set()", "function calls are only allowed on framework"),
        ("os.sep", "only framework.* and cherrypy.* objects may be named"),
        ("''.join", "attribute access is only allowed on framework"),
        ("framework.compat.importlib.import_module('os')", "is not a framework object"),
        ("framework.compat.sys", "is not a framework object"),
        ("framework.dispatch._Nope", "private names are not allowed"),
        ("framework.dispatch.NoSuchDispatcher", "does not exist"),
        ("framework.engine.exit()", "cannot be called in a config file"),
        ("framework.dispatch.MethodDispatcher(**{1: 2})", "** needs a dict with string keys"),
        ("framework.dispatch.MethodDispatcher(nope=1)", "calling framework.dispatch"),
        ("[1][0]", "Subscript"),
        ("[x for x in 'ab']", "ListComp"),
        ("lambda: 1", "Lambda"),
        ("f'{1}'", "JoinedStr"),
        ("1 if True else 2", "IfExp"),
        ("1 < 2", "Compare"),
        ("...", "Ellipsis is not allowed"),
        ("[*'ab']", "* unpacking is not allowed"),
        ("{**{}}", "** unpacking is not allowed"),
        ("'a' * 3", "arithmetic needs numbers, got str"),
        ("'a' + 1", "arithmetic needs numbers, got str"),
        ("'%s' % 1", "arithmetic needs numbers, got str"),
        ("-'a'", "arithmetic needs numbers, got str"),
        ("True + 1", "arithmetic needs numbers, got bool"),
        ("[1] + [2]", "arithmetic needs numbers, got list"),
        ("1 / 0", "division by zero"),
        ("9 ** 9 ** 9", "exponent too large"),
        ("(2 ** 5000) * (2 ** 5000)", "number too large"),
        ("{[1]: 2}", "unhashable type"),
        ("~1", "UnaryOp"),
        ("1 << 2", "BinOp"),
    ],
)
def test_rejected_values_say_why(text: str, reason: str) -> None:
    message = value_error(text)
    assert message.startswith("<stream> [s] k: invalid value ")
    assert reason in message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 1000 + "]" * 1000, "not a Python literal"),
        ("-" * 5000 + "1", "nested too deeply"),
    ],
)
def test_deep_nesting_is_an_error_not_a_crash(text: str, reason: str) -> None:
    assert reason in value_error(text)


def test_long_values_are_shortened_in_messages() -> None:
    message = value_error("1 " * 250)
    assert "'" + "1 " * 38 + "1..." + "'" in message
    assert "1 " * 40 not in message


def test_no_code_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    value_error(text)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[a]\nk = 1\n[a]\n", "line 3: duplicate section [a]"),
        ("[a]\nk = 1\nk = 2\n", "line 3: duplicate key 'k' in section [a]"),
        ("k = 1\n[a]\n", "line 1: 'k = 1' comes before any [section] header"),
        ("[a]\njust words\n", "line 2: cannot parse 'just words'"),
    ],
)
def test_structural_errors_name_the_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(io.StringIO(text), filename="app.conf")
    assert str(info.value) == f"app.conf {expected}"


def test_invalid_utf8_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^bad\.conf: not valid UTF-8"):
        parse(io.BytesIO(b"[s]\nk = '\xff'\n"), filename="bad.conf")


@pytest.mark.parametrize(
    "text",
    ["framework.dispatch.MethodDispatcher()", "cherrypy.dispatch.MethodDispatcher()"],
)
def test_a_dispatcher_can_be_named_in_a_config_file(text: str) -> None:
    from framework.dispatch import MethodDispatcher

    config = parse(io.StringIO(f"[/api]\nrequest.dispatch = {text}\n"))
    assert isinstance(config["/api"]["request.dispatch"], MethodDispatcher)


def test_cherrypy_names_resolve_through_the_compat_aliases() -> None:
    from framework.lib import static

    config = parse(io.StringIO("[/]\nhandler = cherrypy.lib.static.serve_file\n"))
    assert config["/"]["handler"] is static.serve_file


def test_a_framework_class_is_called_with_literal_arguments() -> None:
    from framework import HTTPError

    error = parse(io.StringIO("[/]\ne = framework.HTTPError(404, 'gone')\n"))["/"]["e"]
    assert isinstance(error, HTTPError)
    assert error.status == 404


def test_an_app_mounted_with_a_config_file_uses_the_dispatcher_it_names(
    tmp_path: Path,
) -> None:
    import framework
    from framework.testing import Client

    class Resource:
        exposed = True

        def GET(self) -> str:
            return "got"

    conf = tmp_path / "app.conf"
    conf.write_text("[/]\nrequest.dispatch = cherrypy.dispatch.MethodDispatcher()\n")
    application = framework.Application(Resource(), "", str(conf))
    client = Client(application)
    assert client.get("/").text == "got"
    assert client.post("/").status_code == 405


# -- the CherryPy dialect (while framework.compat is installed) -------------------------


@pytest.fixture
def cherrypy_dialect() -> Iterator[None]:
    from framework import compat

    compat.install()
    try:
        yield
    finally:
        compat.uninstall()


@pytest.mark.usefixtures("cherrypy_dialect")
def test_cherrypy_dialect_interpolates_and_evaluates_any_expression() -> None:
    conf = parse(
        io.StringIO(
            "[DEFAULT]\n"
            'dir = "/some/dir"\n'
            "[s]\n"
            'sub = %(dir)s + "/sub"\n'
            'joined = os.path.join("a", "b")\n'
            "code = cherrypy.lib.httputil.response_codes[404][0]\n"
            "made = dict(**{'a': 1})\n"
            "won = dict(a='explicit', **{'a': 'unpacked', 'b': 2})\n"
        )
    )["s"]
    assert conf["sub"] == "/some/dir/sub"
    assert conf["joined"] == "a/b"
    assert conf["code"] == "Not Found"
    assert conf["made"] == {"a": 1}
    assert conf["won"] == {"a": "explicit", "b": 2}  # a direct keyword wins, as in CherryPy


@pytest.mark.usefixtures("cherrypy_dialect")
def test_cherrypy_dialect_reports_a_failing_value_where_it_is() -> None:
    assert "NameError" in value_error("no_such_name + 1")


def test_native_dialect_still_refuses_code_and_keeps_percent_signs() -> None:
    assert "only framework" in value_error('os.path.join("a", "b")')
    assert parse_value('"%(dir)s"') == "%(dir)s"


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("text/html", 'quote it: k = "text/html"'),
        ("localhost", 'quote it: k = "localhost"'),
        ("/var/www", 'quote it: k = "/var/www"'),
        ("my.value", 'quote it: k = "my.value"'),
        ("two words", 'quote it: k = "two words"'),
    ],
)
def test_an_unquoted_string_gets_told_to_quote_it(text: str, hint: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(io.StringIO(f"[s]\nk = {text}\n"))
    assert hint in str(info.value)


@pytest.mark.parametrize("text", ["[1, 2", "80 80", "framework.dispatch.Nope", "open('x')"])
def test_code_that_fails_is_not_told_to_quote(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(io.StringIO(f"[s]\nk = {text}\n"))
    assert "quote it" not in str(info.value)
