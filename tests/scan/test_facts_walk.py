"""The fact walk: collectors registered per node type get their nodes in source order."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from mtlsguard.scan.facts import analyze_function, walk
from mtlsguard.scan.project_model import Const, Ref

SOURCE = """\
def view(request, pk):
    first = "a"
    def wrapper(*args):
        inner = "c"
        return inner
    second = lambda: "d"
    return "b"
"""


def _function() -> ast.FunctionDef:
    node = ast.parse(textwrap.dedent(SOURCE)).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A private copy of the collector registry, restored after the test."""
    monkeypatch.setattr(walk, "_COLLECTORS", list(walk._COLLECTORS))
    monkeypatch.setattr(walk, "_OWN_ROUTES", dict(walk._OWN_ROUTES))
    monkeypatch.setattr(walk, "_NESTED_ROUTES", dict(walk._NESTED_ROUTES))
    calls = {name: list(found) for name, found in walk.CALL_COLLECTORS.items()}
    yield
    walk.CALL_COLLECTORS.clear()
    walk.CALL_COLLECTORS.update(calls)


def _resolve(expr: ast.expr) -> Any:
    if isinstance(expr, ast.Constant):
        return Const(expr.value)
    return Ref(ast.unparse(expr))


@pytest.mark.usefixtures("registry")
def test_a_new_collector_sees_its_nodes_own_body_first_then_nested_code() -> None:
    seen: list[str] = []

    @walk.collects(ast.Constant)
    def strings(_walk: walk.FunctionWalk, nodes: list[ast.Constant]) -> None:
        seen.extend(str(n.value) for n in nodes)

    analyze_function(_function(), _resolve)
    # Source order in the body; nested definitions after it, the last one first.
    assert seen == ["a", "b", "d", "c"]


@pytest.mark.usefixtures("registry")
def test_a_collector_may_ask_for_the_own_body_only() -> None:
    seen: list[str] = []

    @walk.collects(ast.Constant, nested=False)
    def strings(_walk: walk.FunctionWalk, nodes: list[ast.Constant]) -> None:
        seen.extend(str(n.value) for n in nodes)

    analyze_function(_function(), _resolve)
    assert seen == ["a", "b"]


def test_returns_are_the_functions_own_not_its_wrappers() -> None:
    facts = analyze_function(_function(), _resolve)
    assert facts.returns == (Const("b"),)


@pytest.mark.usefixtures("registry")
def test_call_collectors_are_chosen_by_the_callee_name() -> None:
    calls: list[str] = []

    @walk.on_call("audit")
    def audit(_walk: walk.FunctionWalk, _call: ast.Call, name: str) -> None:
        calls.append(name)

    node = ast.parse("def f(request):\n    log.audit(1)\n    audit()\n    other()\n").body[0]
    assert isinstance(node, ast.FunctionDef)
    analyze_function(node, _resolve)
    assert calls == ["log.audit", "audit"]
