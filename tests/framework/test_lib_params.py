"""Specification of the ``params`` tool (:mod:`framework.lib.params`).

``@tools.params()`` converts request parameters with the handler's annotations
before the call; a value that does not convert is a 400 naming the parameter.
"""

from __future__ import annotations

import decimal
from typing import Any, Optional, Union

import pytest

import framework
from framework.lib.params import convert_wrapper
from framework.testing import Client


class Api:
    @framework.expose
    @framework.tools.params()
    def number(self, n: int) -> str:
        return repr(n)

    @framework.expose
    @framework.tools.params()
    def ratio(self, r: float = 1.0) -> str:
        return repr(r)

    @framework.expose
    @framework.tools.params()
    def flag(self, on: bool = False) -> str:
        return repr(on)

    @framework.expose
    @framework.tools.params()
    def ints(self, ids: list[int] = []) -> str:  # noqa: B006 - never mutated
        return repr(ids)

    @framework.expose
    @framework.tools.params()
    def words(self, tags: tuple[str, ...] = ()) -> str:
        return repr(tags)

    @framework.expose
    @framework.tools.params()
    def anything(self, raw: list = []) -> str:  # type: ignore[type-arg]  # noqa: B006
        return repr(raw)

    @framework.expose
    @framework.tools.params()
    def maybe(self, n: int | None = None) -> str:
        return repr(n)

    @framework.expose
    @framework.tools.params()
    def maybe_old(self, n: Optional[int] = None) -> str:  # noqa: UP045 - the old spelling
        return repr(n)

    @framework.expose
    @framework.tools.params()
    def either(self, v: Union[int, str] = 0) -> str:  # noqa: UP007 - a real union
        return repr(v)

    @framework.expose
    @framework.tools.params()
    def untyped(self, v: Any = None, w=None) -> str:  # type: ignore[no-untyped-def]
        return repr((v, w))

    @framework.expose
    @framework.tools.params()
    def money(self, amount: decimal.Decimal) -> str:
        return repr(amount)

    @framework.expose
    @framework.tools.params()
    def item(self, item_id: int, extra: str = "", *rest: str) -> str:
        return repr((item_id, extra, rest))

    @framework.expose
    @framework.tools.params(error=422)
    def strict(self, n: int) -> str:
        return repr(n)

    @framework.expose
    @framework.tools.params()
    def maybe_any(self, n: Optional[Any] = None) -> str:  # noqa: UP045
        return repr(n)


@pytest.fixture
def client() -> Client:
    return Client(Api())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/number?n=42", "42"),
        ("/number?n=-7", "-7"),
        ("/ratio?r=0.5", "0.5"),
        ("/ratio", "1.0"),
        ("/ints?ids=1&ids=2", "[1, 2]"),
        ("/ints?ids=3", "[3]"),
        ("/words?tags=a&tags=b", "('a', 'b')"),
        ("/anything?raw=x", "['x']"),
        ("/maybe?n=5", "5"),
        ("/maybe?n=", "None"),
        ("/maybe", "None"),
        ("/maybe_old?n=6", "6"),
        ("/either?v=abc", "'abc'"),
        ("/untyped?v=1&w=2", "('1', '2')"),
        ("/money?amount=1.10", "Decimal('1.10')"),
        ("/maybe_any?n=z", "'z'"),
    ],
)
def test_params_are_converted_by_annotation(client: Client, url: str, expected: str) -> None:
    assert client.get(url).text == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
        ("", False),
    ],
)
def test_bool_params_accept_common_spellings(client: Client, value: str, expected: bool) -> None:
    assert client.get(f"/flag?on={value}").text == repr(expected)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/number?n=abc", "n"),
        ("/number?n=1.5", "n"),
        ("/ratio?r=fast", "r"),
        ("/flag?on=maybe", "on"),
        ("/ints?ids=1&ids=x", "ids"),
        ("/maybe?n=q", "n"),
        ("/money?amount=lots", "amount"),
        ("/item/abc", "item_id"),
    ],
)
def test_bad_value_is_400_naming_the_parameter(client: Client, url: str, name: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert f"Invalid value for parameter '{name}'".encode() in response.body


def test_path_segments_are_converted_positionally(client: Client) -> None:
    assert client.get("/item/12/x/y").text == repr((12, "x", ("y",)))


def test_error_status_is_configurable(client: Client) -> None:
    assert client.get("/strict?n=x").status_code == 422


def test_the_error_page_shows_the_converters_message(client: Client) -> None:
    # COMPAT: CherryPy's test_params looks for "invalid literal for int" on the page.
    assert b"invalid literal for int" in client.get("/number?n=abc").body


def test_exception_config_chooses_what_means_a_bad_value() -> None:
    class App:
        @framework.expose
        def index(self, n: int = 0) -> str:
            return repr(n)

    conf = {"tools.params.on": True, "tools.params.exception": TypeError}
    response = Client(App(), config={"/": conf}).get("/?n=abc")
    assert response.status_code == 500  # a ValueError is not a "bad value" here


def test_params_by_config() -> None:
    class App:
        @framework.expose
        def index(self, n: int = 0) -> str:
            return repr(n + 1)

    assert Client(App(), config={"/": {"tools.params.on": True}}).get("/?n=2").text == "3"


def test_without_the_tool_params_stay_strings() -> None:
    class App:
        @framework.expose
        def index(self, n: int = 0) -> str:
            return repr(n)

    assert Client(App()).get("/?n=2").text == "'2'"


def test_missing_required_param_is_still_404(client: Client) -> None:
    assert client.get("/number").status_code == 404


def test_convert_wrapper_with_unresolvable_annotations_uses_raw_ones() -> None:
    def page(n: int, other: Unknown) -> Any:  # type: ignore[name-defined]  # noqa: F821
        return n, other

    page.__annotations__["n"] = int
    wrapped = convert_wrapper(page, {})
    assert wrapped(n="3", other="x") == (3, "x")


def test_convert_wrapper_leaves_positional_only_params_to_the_call() -> None:
    def page(a: int, /, b: int) -> Any:
        return a, b

    assert convert_wrapper(page, {})("1", b="2") == (1, 2)


def test_unannotated_positional_params_are_passed_unchanged() -> None:
    def page(a, b: int):  # type: ignore[no-untyped-def]
        return a, b

    assert convert_wrapper(page, {})("1", "2") == ("1", 2)
