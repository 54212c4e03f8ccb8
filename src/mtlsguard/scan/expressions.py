"""The tiny expression tree values are kept in (:data:`Expr`), every name already resolved.

``from rest_framework import permissions as p; p.IsAuthenticated`` (static front-end) and the
real class object (introspection) both become ``Ref("rest_framework.permissions.IsAuthenticated")``.
Re-exported by :mod:`mtlsguard.scan.project_model`, where the rest of the neutral model lives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "BinOp",
    "Call",
    "Const",
    "Expr",
    "IfExpr",
    "Lambda",
    "Mapping",
    "Ref",
    "Seq",
    "Unary",
    "Unknown",
    "refs",
    "string_constants",
]


@dataclass(frozen=True, slots=True)
class Ref:
    """A resolved name: ``django.contrib.auth.decorators.login_required`` or a project path."""

    name: str
    """Dotted path (external names keep the path they were imported by)."""

    @property
    def short(self) -> str:
        """Last component (``login_required``)."""
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class Const:
    """A literal: str, int, float, bool or None."""

    value: str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Seq:
    """A list, tuple or set display."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Mapping:
    """A dict display; keys that are not constants are :class:`Unknown`."""

    items: tuple[tuple[Expr, Expr], ...]

    def get(self, key: str) -> Expr | None:
        """Value for the constant string ``key``, if present."""
        for k, v in self.items:
            if isinstance(k, Const) and k.value == key:
                return v
        return None


@dataclass(frozen=True, slots=True)
class Call:
    """A call: ``login_required(login_url="/x")``, ``IsAuthenticated()``, ``X.as_view()``."""

    func: Expr
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()

    def kwarg(self, name: str) -> Expr | None:
        """The keyword argument ``name``, if given."""
        for key, value in self.kwargs:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class BinOp:
    """A binary operator: ``&``, ``|``, ``+``, ``*``, ``-``, ``/``, ``//``, ``%``, ``**``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Unary:
    """A unary operator: ``~``, ``-``, ``not``."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class IfExpr:
    """``a if cond else b`` (or any value decided at run time between alternatives)."""

    body: Expr
    orelse: Expr


@dataclass(frozen=True, slots=True)
class Lambda:
    """A lambda; ``constant`` is set when its body is a literal (``lambda u: True``)."""

    constant: Const | None = None
    reads: tuple[str, ...] = ()
    """Attributes the body reads off its first argument (``lambda u: u.is_superuser``)."""
    role: str = ""
    """The role every true answer requires (:func:`mtlsguard.scan.facts.predicates.role_of`)."""
    anonymous: bool = False
    """The body is certainly true for an anonymous user (``lambda u: not u.is_superuser``)."""


@dataclass(frozen=True, slots=True)
class Unknown:
    """Something the front-end could not express; ``text`` is a short source excerpt."""

    text: str = ""


Expr = Ref | Const | Seq | Mapping | Call | BinOp | Unary | IfExpr | Lambda | Unknown
"""A resolved, framework-free value."""


def refs(expr: Expr, *, branches: bool = False) -> Iterator[Ref]:
    """The references inside ``expr``: calls, their arguments, sequences and operators.

    The alternatives of an ``IfExpr`` (chosen at run time) only with ``branches``.
    """
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Ref):
            yield node
        elif isinstance(node, Call):
            stack.append(node.func)
            stack.extend(node.args)
            stack.extend(v for _, v in node.kwargs)
        elif isinstance(node, Seq):
            stack.extend(node.items)
        elif isinstance(node, BinOp):
            stack.extend((node.left, node.right))
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif branches and isinstance(node, IfExpr):
            stack.extend((node.body, node.orelse))


def string_constants(expr: Expr) -> Iterator[str]:
    """Every string constant of a settings-like value, left to right.

    Looks through lists, both sides of a concatenation (``BASE_MIDDLEWARE + [...]``, ``+=``)
    and dict values (``REST_FRAMEWORK``), never into calls or run-time alternatives: those
    strings are not entries of the value itself.
    """
    if isinstance(expr, Const):
        if isinstance(expr.value, str):
            yield expr.value
    elif isinstance(expr, Seq):
        for item in expr.items:
            yield from string_constants(item)
    elif isinstance(expr, BinOp):
        yield from string_constants(expr.left)
        yield from string_constants(expr.right)
    elif isinstance(expr, Mapping):
        for _key, value in expr.items:
            yield from string_constants(value)
