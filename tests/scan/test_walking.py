"""The scanner's faster walks give what the slower ones gave (issue 12: speed, same reports)."""

from __future__ import annotations

import ast
import gc
import textwrap
from pathlib import Path

from mtlsguard.scan.engine import scan_project
from mtlsguard.scan.facts import analyze_function
from mtlsguard.scan.facts.syntax import own_nodes, subtree
from mtlsguard.scan.project_model import Const, Expr, Ref
from mtlsguard.scan.walking import walk
from tests.scan.projects import write_project

SOURCE = textwrap.dedent(
    """\
    import os
    global_name = {None: 1, **os.environ, "k": [x for x in range(3) if not x]}

    @decorator(arg=1)
    async def view(request, pk: int = 3, *args, key=None, **kwargs) -> dict:
        global counter
        a, *b = request.GET.getlist("ids")
        if a is not None and pk in b or -pk < 2:
            raise PermissionDenied(f"{pk!r:>10}")
        try:
            async with lock() as held:
                del held
        except (KeyError, ValueError) as exc:
            return {"error": str(exc)}
        finally:
            counter += 1
        match pk:
            case 1 | 2:
                pass
            case {"k": value, **rest}:
                pass
            case [first, *others] if first:
                pass
            case Point(x=0) as point:
                pass
            case None:
                pass
        lam = lambda y=1: y ** 2
        def nested(z):
            nonlocal lam
            return Thing.objects.get(pk=z)
        return {k: v async for k, v in items()} or (yield from gen()) or await other()
    """
)


def _tree() -> ast.Module:
    return ast.parse(SOURCE)


def _function() -> ast.AsyncFunctionDef:
    node = _tree().body[2]
    assert isinstance(node, ast.AsyncFunctionDef)
    return node


_CONTEXTS_AND_OPERATORS = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)


def test_walk_gives_ast_walks_nodes_in_ast_walks_order() -> None:
    """Less the contexts and operators (``Load``, ``Add``...): asked about only via their owner."""
    tree = _tree()
    for node in ast.walk(tree):
        if isinstance(node, _CONTEXTS_AND_OPERATORS):
            continue
        expected = [n for n in ast.walk(node) if not isinstance(n, _CONTEXTS_AND_OPERATORS)]
        got = list(walk(node))
        assert len(got) == len(expected)
        assert all(a is b for a, b in zip(got, expected, strict=True))


def test_own_nodes_are_the_body_in_source_order_without_contexts_and_operators() -> None:
    func = _function()
    nested = func.body[-2]
    assert isinstance(nested, ast.FunctionDef)
    inside_nested = {id(n) for n in ast.walk(nested)} - {id(nested)}
    lam = func.body[-3].value  # type: ignore[attr-defined]
    inside_lambda = {id(n) for n in ast.walk(lam)} - {id(lam)}
    body = [n for stmt in func.body for n in ast.walk(stmt)]
    wanted = [
        n
        for n in body
        if not isinstance(n, _CONTEXTS_AND_OPERATORS)
        and id(n) not in inside_nested
        and id(n) not in inside_lambda
    ]
    own = list(own_nodes(func))
    assert {id(n) for n in own} == {id(n) for n in wanted}
    assert len(own) == len(wanted)
    # pre-order, in source order
    positions = [(n.lineno, n.col_offset) for n in own if isinstance(n, ast.stmt)]
    assert positions == sorted(positions)
    assert nested in own
    assert lam in own
    with_nested = list(own_nodes(func, nested=True))
    assert {id(n) for n in with_nested} == {
        id(n) for n in body if not isinstance(n, _CONTEXTS_AND_OPERATORS)
    }


def test_subtree_has_ast_walks_nodes_less_contexts_and_operators() -> None:
    tree = _tree()
    for node in ast.walk(tree):
        if isinstance(node, _CONTEXTS_AND_OPERATORS):
            continue  # never asked about as nodes
        expected = {id(n) for n in ast.walk(node) if not isinstance(n, _CONTEXTS_AND_OPERATORS)}
        got = [id(n) for n in subtree(node)]
        assert len(got) == len(expected)
        assert set(got) == expected


def _resolve(expr: ast.expr) -> Expr:
    if isinstance(expr, ast.Constant):
        return Const(expr.value)
    return Ref(ast.unparse(expr))


def test_credential_guard_in_a_nested_wrapper_still_found_behind_the_manager_hint() -> None:
    # The costly credential check runs only when the walk saw a model manager read: in a
    # decorator, that read is in the nested wrapper, and the hint must come from there too.
    source = textwrap.dedent(
        """\
        def api_key_required(view):
            def wrapper(request, *args, **kwargs):
                api_key = request.headers.get("X-Api-Key")
                project = Project.objects.filter(api_key=api_key).first()
                if project is None:
                    return error("wrong api key", 401)
                return view(request, *args, **kwargs)
            return wrapper
        """
    )
    func = ast.parse(source).body[0]
    assert isinstance(func, ast.FunctionDef)
    assert analyze_function(func, _resolve).capabilities.credential_guard
    without_manager = source.replace("Project.objects.filter", "find_project")
    func = ast.parse(without_manager).body[0]
    assert isinstance(func, ast.FunctionDef)
    assert not analyze_function(func, _resolve).capabilities.credential_guard


def test_scan_survivors_go_to_the_oldest_generation_and_nothing_stays_frozen(
    tmp_path: Path,
) -> None:
    # The scan's survivors are moved to the oldest generation when the collector resumes (so
    # the first young collection does not traverse them all), and nothing stays frozen.
    files = {"proj/urls.py": "urlpatterns = []\n"}
    files.update({f"app/m{i}.py": "def f():\n    return [1, 2, 3]\n" * 50 for i in range(20)})
    root = write_project(tmp_path, files)
    assert gc.isenabled()
    result = scan_project(root)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert any(obj is result for obj in gc.get_objects(generation=2))
