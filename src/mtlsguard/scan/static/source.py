"""The scanned project's source as the scanner reads it: modules, names and values.

:class:`SourceTree` is three layers, each in its own module: ``ModuleFiles`` finds, reads
and parses modules (:mod:`.modules`), ``NameResolver`` follows imports to definitions
(:mod:`.names`), and this module turns expressions into resolved
:data:`~mtlsguard.scan.project_model.Expr` values, inlining module-level constants. Nothing here
imports the scanned project.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from mtlsguard.scan import walking
from mtlsguard.scan.facts.predicates import admits_anonymous, role_of
from mtlsguard.scan.project_model import (
    BinOp,
    Call,
    Const,
    Expr,
    IfExpr,
    Lambda,
    Mapping,
    Ref,
    Seq,
    Unary,
    Unknown,
)
from mtlsguard.scan.static.modules import MAX_FILE_BYTES, ParsedModule
from mtlsguard.scan.static.names import NameResolver

__all__ = ["MAX_FILE_BYTES", "ParsedModule", "SourceTree"]

_SCALARS = (str, int, float, bool)
"""Checked with ``isinstance`` in a hot loop (a tuple: no union built per call)."""
_NAMED = (ast.Name, ast.Attribute)
"""Checked with ``isinstance`` in a hot loop (a tuple: no union built per call)."""
_DISPLAYS = (ast.List, ast.Tuple, ast.Set)
"""Checked with ``isinstance`` in a hot loop (a tuple: no union built per call)."""

_BINOPS: dict[type[ast.operator], str] = {
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_UNARY: dict[type[ast.unaryop], str] = {ast.Invert: "~", ast.USub: "-", ast.Not: "not"}
_ORDER_ONLY = frozenset(
    {"all", "order_by", "select_related", "prefetch_related", "distinct", "only", "defer", "using"}
)
"""Queryset methods chained on a call that change neither which rows nor which model."""
_MAX_DEPTH = 12
"""How deep an expression (with inlined constants) is followed before it is unknown."""


class SourceTree(NameResolver):
    """The scanned project's source: module lookup, parsing, name resolution and values."""

    def __init__(self, root: Path, search_roots: list[Path] | None = None) -> None:
        super().__init__(root, search_roots)
        self._exprs: dict[str, Expr] = {}
        self._refs: dict[str, Ref] = {}
        """One :class:`Ref` per name read shallowly (it is immutable: shared)."""

    def expr(
        self, module: ParsedModule, node: ast.expr | None, depth: int = 0, *, shallow: bool = False
    ) -> Expr:
        """Convert ``node`` into a resolved :data:`~mtlsguard.scan.project_model.Expr`.

        Names bound to module-level values (``PERMS = [IsAuthenticated]``) are inlined. With
        ``shallow`` only ``module``'s own imports are consulted (no other file is parsed).
        """
        return self._expr(module, node, depth, shallow)

    def shallow_resolver(self, module: ParsedModule) -> Callable[[ast.expr], Expr]:
        """``lambda node: self.expr(module, node, shallow=True)``, for a function's facts.

        A body's names and callees are resolved one by one (16,000 of them on pretix): a name
        goes straight to :meth:`_shallow_name`, as :meth:`_expr` would send it.
        """

        def resolve(node: ast.expr) -> Expr:
            if isinstance(node, _NAMED):
                return self._shallow_name(module, node, 0)
            return self._expr(module, node, 0, True)

        return resolve

    def _expr(self, module: ParsedModule, node: ast.expr | None, depth: int, shallow: bool) -> Expr:
        if node is None:
            return Const(None)
        if depth > _MAX_DEPTH:
            return Unknown("...")
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, _SCALARS) or value is None:
                return Const(value)
            return Unknown(type(value).__name__)
        if isinstance(node, _NAMED):
            return self._name_expr(module, node, depth, shallow)
        if isinstance(node, _DISPLAYS):
            return Seq(tuple(self._expr(module, e, depth + 1, shallow) for e in node.elts))
        if isinstance(node, ast.Dict):
            return Mapping(
                tuple(
                    (
                        self._expr(module, k, depth + 1, shallow)
                        if k is not None
                        else Unknown("**"),
                        self._expr(module, v, depth + 1, shallow),
                    )
                    for k, v in zip(node.keys, node.values, strict=True)
                )
            )
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in _ORDER_ONLY
                and isinstance(func.value, ast.Call)
            ):
                # ``Invoice.objects.all().order_by("id")`` serves what ``.all()`` serves.
                return self._expr(module, func.value, depth + 1, shallow)
            return Call(
                self._expr(module, node.func, depth + 1, shallow),
                tuple(self._expr(module, a, depth + 1, shallow) for a in node.args),
                tuple(
                    (kw.arg, self._expr(module, kw.value, depth + 1, shallow))
                    for kw in node.keywords
                    if kw.arg is not None
                ),
            )
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                return Unknown("binop")
            return BinOp(
                op,
                self._expr(module, node.left, depth + 1, shallow),
                self._expr(module, node.right, depth + 1, shallow),
            )
        if isinstance(node, ast.UnaryOp):
            return Unary(
                _UNARY.get(type(node.op), "+"), self._expr(module, node.operand, depth + 1, shallow)
            )
        if isinstance(node, ast.IfExp):
            return IfExpr(
                self._expr(module, node.body, depth + 1, shallow),
                self._expr(module, node.orelse, depth + 1, shallow),
            )
        if isinstance(node, ast.Lambda):
            body = node.body
            if isinstance(body, ast.Constant) and isinstance(body.value, bool | int | str):
                return Lambda(Const(body.value))
            answer: list[ast.stmt] = [ast.Return(body)]
            return Lambda(
                reads=_argument_reads(node),
                role=role_of(node.args, answer),
                anonymous=admits_anonymous(node.args, answer),
            )
        if isinstance(node, ast.BoolOp):
            # ``A or B`` for settings is a run-time choice between alternatives.
            options = [self._expr(module, v, depth + 1, shallow) for v in node.values]
            result = options[-1]
            for option in reversed(options[:-1]):
                result = IfExpr(option, result)
            return result
        return Unknown(type(node).__name__)

    def _name_expr(
        self, module: ParsedModule, node: ast.Name | ast.Attribute, depth: int, shallow: bool
    ) -> Expr:
        if shallow:
            return self._shallow_name(module, node, depth)
        dotted = self.dotted_of(module, node)
        if dotted is None:
            return Unknown("attribute")
        cached = self._exprs.get(dotted)
        if cached is not None:
            return cached
        result: Expr = Ref(dotted)
        root = dotted.split(".", 1)[0]
        local = (
            isinstance(node, ast.Attribute)
            and root not in module.imports
            and (self.module_path(root) is None)
        )
        found = self.lookup(dotted) if "." in dotted and not local else None
        if found is not None:
            owner, value = found
            if isinstance(value, ast.expr):
                result = self.expr(owner, value, depth + 1)
        if depth == 0 or isinstance(result, Ref):
            self._exprs[dotted] = result
        return result

    def _shallow_name(
        self, module: ParsedModule, node: ast.Name | ast.Attribute, depth: int
    ) -> Expr:
        """Resolve through ``module``'s own import table only: never parses another file.

        Function bodies use this: most names they call are never asked about again, and the
        ones that are (decorators, models) are resolved fully on demand by the project model.
        """
        attrs: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            attrs.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name):
            return Unknown("attribute")
        name = base.id
        if not attrs and name in module.assigns and name not in module.defs:
            return self._expr(module, module.assigns[name], depth + 1, True)
        if name in module.defs or name in module.assigns:
            root = f"{module.name}.{name}"
        else:
            root = module.imports.get(name, name)
        dotted = ".".join([root, *reversed(attrs)]) if attrs else root
        ref = self._refs.get(dotted)
        if ref is None:
            ref = self._refs[dotted] = Ref(dotted)  # names repeat (15k reads, 3k names on pretix)
        return ref


def _argument_reads(node: ast.Lambda) -> tuple[str, ...]:
    """``lambda u: u.is_active and u.is_superuser`` -> ``("is_active", "is_superuser")``."""
    if not node.args.args:
        return ()
    arg = node.args.args[0].arg
    return tuple(
        dict.fromkeys(
            sub.attr
            for sub in walking.walk(node.body)
            if isinstance(sub, ast.Attribute)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == arg
        )
    )
