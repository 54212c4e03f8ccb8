"""MG105 — Owner-only writes, but anyone reads other users' objects (CWE-639).

**What.** A permission class in the style of ``IsOwnerOrReadOnly`` whose
``has_object_permission`` returns ``True`` for every safe method (``GET``/``HEAD``/``OPTIONS``)
and checks ownership only for writes, used on a view whose objects belong to users and whose
queryset is not scoped to the requesting user.

**Severity.** Low: the class says in so many words that reads are open, a choice its author
made; on the hand-reviewed real projects it guarded public content (forum questions and answers,
profiles, meeting rooms by link) in eight cases of nine. Raise it in review when the objects are
private.

**Why.** Authorization bypass through a user-controlled key (CWE-639): writes are protected but
every authenticated caller (every certificate holder behind mTLS) can read every other user's
objects by id.

**Vulnerable**::

    class IsOwnerOrReadOnly(BasePermission):
        def has_object_permission(self, request, view, obj):
            if request.method in SAFE_METHODS:
                return True
            return obj.owner == request.user

**Fix**::

    class IsOwner(BasePermission):
        def has_object_permission(self, request, view, obj):
            return obj.owner == request.user

or scope ``get_queryset()`` to ``request.user`` when objects are private.
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.analysis.permissions import view_permission_classes
from mtlsguard.scan.analysis.scoping import model_of
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import Ref, Seq
from mtlsguard.scan.rules._common import where

RULE_ID = "MG105"


@rule(
    RULE_ID,
    title="Owner-or-read-only permission lets any user read others' objects",
    cwe="CWE-639",
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report views using an IsOwnerOrReadOnly-style permission on user-owned, unscoped data."""
    for analysis in ctx.routes:
        cls = analysis.klass
        if cls is None or analysis.framework != "drf":
            continue
        declared = view_permission_classes(ctx.project, analysis.route, cls)
        perms = declared[0] if declared is not None else None
        if not isinstance(perms, Seq):
            continue
        leaky = None
        for item in perms.items:
            if not isinstance(item, Ref):
                continue
            perm = ctx.project.class_named(item.name)
            if perm is None:
                continue
            meth = ctx.project.method(perm, "has_object_permission")
            if meth is not None and meth[1].facts.safe_methods_shortcut:
                leaky = perm
        if leaky is None:
            continue
        scoped = ctx.project.method(cls, "get_queryset")
        if scoped is not None and scoped[1].facts.user_scoped_queryset:
            continue
        found_qs = ctx.project.attribute(cls, "queryset")
        model = model_of(found_qs[1]) if found_qs else None
        owners = ctx.owner_fields(model)
        if not owners:
            continue
        safe = [p.method for p in analysis.protections if p.method in ("GET", "HEAD", "OPTIONS")]
        yield meta.finding(
            location=analysis.location,
            route=analysis.route.pattern,
            view=analysis.view,
            view_kind=analysis.view_kind,
            methods=tuple(safe),
            evidence=(
                f"{where(analysis)}: {short_of(leaky.qualname)}.has_object_permission returns True "
                f"for safe methods; {model} is owned via {', '.join(owners)}"
            ),
            remediation=(
                f"Drop the SAFE_METHODS shortcut in {short_of(leaky.qualname)} for private data, "
                f"or scope {analysis.view}.get_queryset() to request.user."
            ),
        )
