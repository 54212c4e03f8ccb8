"""The branches of a DRF ``get_permissions()`` override.

``if self.action in ("list", "retrieve"): return [AllowAny()]`` and ``if self.request.method in
SAFE_METHODS`` become :class:`~mtlsguard.scan.project_model.PermissionBranch` values: the
permission classes a branch returns and the actions or methods it applies to; the ``else`` (or
what follows the ``if``) applies to every other case. ``super().get_permissions()`` and
``[p() for p in self.permission_classes]`` mean the class's own ``permission_classes``.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode, strings
from mtlsguard.scan.facts.walk import Resolver
from mtlsguard.scan.project_model import Expr, PermissionBranch, Ref, Seq, Unknown

__all__ = ["permission_branches"]


def permission_branches(func: FunctionNode, resolve: Resolver) -> tuple[PermissionBranch, ...]:
    """What each branch of a ``get_permissions()`` override returns, and when it applies."""
    branches: list[PermissionBranch] = []
    current: Expr = Ref("self.permission_classes")
    stmts = list(func.body)
    for stmt in stmts:
        if isinstance(stmt, ast.If):
            chain: ast.stmt | None = stmt
            while isinstance(chain, ast.If):
                actions, methods = _condition(chain.test)
                perms = _perms_of(resolve, chain.body, current)
                branches.append(PermissionBranch(perms, actions, methods))
                rest = chain.orelse
                if len(rest) == 1 and isinstance(rest[0], ast.If):
                    chain = rest[0]
                else:
                    if rest:
                        current = _perms_of(resolve, rest, current)
                        branches.append(PermissionBranch(current))
                        return tuple(branches)
                    chain = None
        else:
            current = _perms_of(resolve, [stmt], current)
    branches.append(PermissionBranch(current))
    return tuple(branches)


def _perms_of(resolve: Resolver, body: list[ast.stmt], default: Expr) -> Expr:
    """The permission classes ``body`` assigns or returns (``default`` if it does neither)."""
    result: Expr | None = None
    for stmt in body:
        if isinstance(stmt, ast.Assign):
            text = ast.unparse(stmt.targets[0])
            if text.endswith("permission_classes") or text in ("perms", "permissions"):
                result = resolve(stmt.value)
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            value = stmt.value
            if isinstance(value, ast.ListComp | ast.GeneratorExp):
                # [p() for p in permission_classes] -> the iterated collection
                iterated = resolve(value.generators[0].iter)
                if isinstance(iterated, Ref) and iterated.short == "permission_classes":
                    return result if result is not None else default
                if isinstance(iterated, Unknown | Ref) and result is not None:
                    return result
                return iterated
            if isinstance(value, ast.List | ast.Tuple):
                return Seq(tuple(resolve(e) for e in value.elts))
            if "super()" in ast.unparse(value):
                return result if result is not None else default
            return resolve(value)
    return default if result is None else result


def _condition(test: ast.expr) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """(actions, methods) an ``if`` test selects; ``("?",)`` when it is not understood."""
    text = ast.unparse(test)
    values = tuple(strings(test))
    if "SAFE_METHODS" in text:
        return None, ("GET", "HEAD", "OPTIONS")
    if ".action" in text and values:
        return values, None
    if ".method" in text and values:
        return None, tuple(v.upper() for v in values)
    return ("?",), None
