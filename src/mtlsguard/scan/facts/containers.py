"""Local names that hold in-memory containers: their ``update()``/``add()`` write no record.

:data:`~mtlsguard.scan.knowledge.ORM_WRITES` names calls by their last attribute, so
``context.update(...)`` (a template context), ``seen.add(x)`` (a Python set) or
``kwargs.update(...)`` look like queryset and many-to-many writes. On the hand-reviewed real
projects most read-only pages that the scan took for writers did exactly that, in
``get_context_data()``. :func:`container_names` names the local variables such a call cannot
write a record through:

* bound (every binding in the body) to a dict, set or list display or comprehension, to
  ``dict()``/``set()``/``list()``/``OrderedDict()``/``defaultdict()``/``Counter()``, to a
  ``.copy()`` of something, or to ``super().get_context_data(...)`` /
  ``self.get_context_data(...)`` (Django's template context is a dict);
* the ``**kwargs`` parameter, and the conventional ``context``/``ctx`` parameter of a
  ``get_context_data``-style helper that is rebound to nothing else.

A name bound anywhere to something else (a model fetch, a call the scan cannot see into) is
left out: its ``update()`` may be a queryset's.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode, own_nodes

__all__ = ["container_names"]

_CONSTRUCTORS = frozenset(
    {"dict", "set", "list", "frozenset", "OrderedDict", "defaultdict", "Counter"}
)
_CONTEXT_BUILDERS = frozenset({"get_context_data", "copy"})
"""Methods returning a fresh dict: Django's template context, ``x.copy()``."""
_DISPLAYS = (ast.Dict, ast.Set, ast.List, ast.DictComp, ast.SetComp, ast.ListComp)
_CONTEXT_PARAMS = frozenset({"context", "ctx", "extra_context"})


def _container(value: ast.expr | None) -> bool:
    if isinstance(value, _DISPLAYS):
        return True
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr):
        return _container(value.left) or _container(value.right)  # {**a} | b
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Name):
        return func.id in _CONSTRUCTORS
    if isinstance(func, ast.Attribute):
        if func.attr in _CONSTRUCTORS and isinstance(func.value, ast.Name):
            return func.value.id == "collections"
        return func.attr in _CONTEXT_BUILDERS
    return False


def _bindings(node: ast.AST) -> list[tuple[str, ast.expr | None]]:
    """(name, value) of what ``node`` binds to a plain name (value None: not an expression)."""
    if isinstance(node, ast.Assign):
        return [
            (n.id, node.value if n is t else None)
            for t in node.targets
            for n in ast.walk(t)
            if isinstance(n, ast.Name)
        ]
    if isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
        target = node.target
        return [(target.id, node.value)] if isinstance(target, ast.Name) else []
    if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        return [(n.id, None) for n in ast.walk(node.target) if isinstance(n, ast.Name)]
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return [(n.id, None) for n in ast.walk(node.optional_vars) if isinstance(n, ast.Name)]
    return []


def container_names(func: FunctionNode) -> frozenset[str]:
    """Local names of ``func`` that only ever hold an in-memory dict, set or list."""
    containers: set[str] = set()
    others: set[str] = set()
    args = func.args
    if args.kwarg is not None:
        containers.add(args.kwarg.arg)
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    containers.update(params & _CONTEXT_PARAMS)
    for node in own_nodes(func):
        for target, value in _bindings(node):
            if isinstance(node, ast.AugAssign) and target in containers:
                continue  # context |= {...}
            (containers if _container(value) else others).add(target)
    return frozenset(containers - others)
