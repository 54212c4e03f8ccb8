"""Querysets scoped to the user through a parent object (shared by the BOLA rules).

A view often lists the children of a parent it fetched with an access check of its own:
Weblate's ``self.project = parse_path(request, ...)`` in ``setup()`` then
``self.project.font_set``; label-studio's ``filter(project=self._get_project())`` where the
helper reads ``Project.objects.for_user(self.request.user)``. The queryset never names
``request.user``, yet it only holds objects of a parent the user may see. Followed here:
``self.<method>()`` helpers and ``self.<attr>`` values set by any method of the view's
project classes, into project functions, a few calls deep. "User-aware" means the code
refers to ``request.user``; whether it *denies* is not proven (a heuristic, see MG103).
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import ClassModel, FunctionModel, SelfWrite

__all__ = ["parent_scope", "user_aware"]

_MAX_DEPTH = 3


def user_aware(
    ctx: RuleContext, cls: ClassModel | None, func: FunctionModel, depth: int = 0
) -> bool:
    """``func`` refers to ``request.user``, or calls project code (methods of ``cls``) that does."""
    facts = func.facts
    if facts.mentions_user:
        return True
    if depth >= _MAX_DEPTH:
        return False
    return any(_callee_user_aware(ctx, cls, name, depth + 1) for name in facts.calls)


def _callee_user_aware(ctx: RuleContext, cls: ClassModel | None, name: str, depth: int) -> bool:
    if name.startswith(("self.", ".")):
        # A method of the view itself (or an attribute call the front-end left unresolved).
        hit = ctx.project.method(cls, short_of(name)) if cls is not None else None
        return hit is not None and user_aware(ctx, cls, hit[1], depth)
    # Direct callees of the view's own code may be read (parse_path lives in a helper
    # module); deeper ones only if the scan has read their file anyway.
    func = ctx.project.function_named(name, parse=depth <= 1)
    return func is not None and user_aware(ctx, None, func, depth)


def _writes(ctx: RuleContext, cls: ClassModel, name: str) -> Iterator[SelfWrite]:
    for qual in cls.mro:
        owner = ctx.project.class_named(qual)
        if owner is None:
            continue
        for meth in owner.methods.values():
            for write in meth.facts.self_writes:
                if write.name == name:
                    yield write


def parent_scope(ctx: RuleContext, cls: ClassModel, func: FunctionModel) -> str | None:
    """What scopes ``func``'s queryset to the user through a parent (``self.project``), if any."""
    for name in func.facts.self_reads:
        hit = ctx.project.method(cls, name)
        if hit is not None:
            if user_aware(ctx, cls, hit[1], 1):
                return f"self.{name}()"
            continue
        for write in _writes(ctx, cls, name):
            if write.mentions_user or any(
                _callee_user_aware(ctx, cls, call, 1) for call in write.calls
            ):
                return f"self.{name}"
    return None
