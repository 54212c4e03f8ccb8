"""Runtime front-end pieces on real DRF/Django objects (settings from tests/django)."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth.decorators import login_not_required, login_required, user_passes_test
from django.urls import re_path
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated

from mtlsguard.django.scanner.values import (
    dotted_name,
    route_text,
    to_expr,
    wrapped_chain,
    wrapper_expr,
)
from mtlsguard.scan.project_model import BinOp, Call, Const, Mapping, Ref, Seq, Unary, Unknown
from tests.budget import secondary

DRF = "rest_framework.permissions"


def _view(request: object) -> None:
    return None


def logging_decorator(view: Callable[[object], None]) -> Callable[[object], None]:
    """A project decorator that protects nothing."""

    @functools.wraps(view)
    def inner(request: object) -> None:
        return view(request)

    return inner


def test_drf_compositions_become_the_same_trees_as_the_ast() -> None:
    value = [IsAuthenticated | AllowAny, IsAuthenticated & ~IsAdminUser]
    assert to_expr(value) == Seq(
        (
            BinOp("|", Ref(f"{DRF}.IsAuthenticated"), Ref(f"{DRF}.AllowAny")),
            BinOp("&", Ref(f"{DRF}.IsAuthenticated"), Unary("~", Ref(f"{DRF}.IsAdminUser"))),
        )
    )


def test_settings_values() -> None:
    value = {"DEFAULT_PERMISSION_CLASSES": (f"{DRF}.IsAuthenticated",), "N": 3, "P": Path("/x")}
    assert to_expr(value) == Mapping(
        (
            (Const("DEFAULT_PERMISSION_CLASSES"), Seq((Const(f"{DRF}.IsAuthenticated"),))),
            (Const("N"), Const(3)),
            (Const("P"), Const("/x")),
        )
    )
    assert isinstance(to_expr(datetime.timedelta(days=1)), Unknown)
    looped: list[object] = []
    looped.append(looped)  # a self-referencing value ends in Unknown, not RecursionError
    expr = to_expr(looped)
    while isinstance(expr, Seq):
        expr = expr.items[0]
    assert isinstance(expr, Unknown)
    assert dotted_name(IsAuthenticated) == f"{DRF}.IsAuthenticated"


def test_wrappers_are_recognised_from_the_running_decorators() -> None:
    auth = "django.contrib.auth.decorators"
    assert wrapper_expr(login_required(_view)) == Ref(f"{auth}.login_required")
    assert wrapper_expr(login_not_required(_view)) == Ref(f"{auth}.login_not_required")
    staff = user_passes_test(lambda u: u.is_staff)(_view)
    found = wrapper_expr(staff)
    assert isinstance(found, Call)
    assert found.func == Ref(f"{auth}.user_passes_test")

    chain = wrapped_chain(logging_decorator(login_required(_view)))
    assert len(chain) == 3
    assert chain[-1] is _view
    # functools.wraps copied _view's __qualname__; the code object still names the decorator.
    assert wrapper_expr(chain[0]) == Ref(f"{__name__}.logging_decorator")
    # functools.wraps copies login_not_required's marker outwards: only its own layer counts.
    outer = logging_decorator(login_not_required(_view))
    assert wrapper_expr(outer) != Ref(f"{auth}.login_not_required")


_SEGMENT = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
_GROUP = st.sampled_from([r"[^/.]+", r"\d+", r"[0-9a-f-]+", r"[A-Z]+", r"(?:a|b)"])


@secondary()
@given(st.lists(st.tuples(_SEGMENT, st.one_of(st.none(), st.tuples(_NAME, _GROUP))), max_size=5))
def test_regex_routes_read_like_path_routes(
    parts: list[tuple[str, tuple[str, str] | None]],
) -> None:
    regex = "^"
    expected = ""
    for segment, group in parts:
        regex += f"{segment}/"
        expected += f"{segment}/"
        if group is not None:
            regex += f"(?P<{group[0]}>{group[1]})/"
            expected += f"<{group[0]}>/"
    regex += "$"
    assert route_text(re_path(regex, _view).pattern) == expected


def _back(expr: object) -> object:
    """Inverse of to_expr for plain data (lists for every sequence)."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Seq):
        return [_back(item) for item in expr.items]
    assert isinstance(expr, Mapping)
    return {_back(k): _back(v) for k, v in expr.items}


_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@secondary()
@given(_PLAIN)
def test_plain_settings_values_survive_the_conversion(value: object) -> None:
    assert _back(to_expr(value)) == value
