"""Public data: reads of a queryset narrowed to records their owners published.

A model owned by a user makes an open route (MG101) or an unscoped view (MG103) look like a
leak, yet ``Workout.objects.filter(is_public=True)`` or ``MailingList.objects.exclude(
archive_policy=PRIVATE)`` serves only what the owners made public: the project's explicit
choice. :func:`public_reads` says so for a route when it is provable from the code:

- the queryset the view serves (``queryset = ...``, ``get_queryset()``; a function view's
  body) is narrowed by a constant public-visibility filter (:mod:`.facts.public_filter`);
- the route only reads: every method it serves is ``GET``/``HEAD``/``OPTIONS`` (a list route
  may also create, which touches nobody's records); a function view answering every method
  must make no write call;
- nothing else is fetched by a caller-chosen key outside any user check.

A write through such a view (``update``/``destroy`` of someone's public record) stays reported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.facts.public_filter import (
    PUBLIC_MANAGERS,
    keyword_publishes,
    manager_publishes,
)
from mtlsguard.scan.knowledge import ORM_WRITES, SAFE_METHODS, short_of
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    Const,
    Expr,
    FunctionModel,
    ProjectModel,
    Ref,
    Seq,
)

__all__ = ["public_name", "public_note", "public_reads"]

_MAX_CHAIN = 12


def _as_ast(value: Expr) -> ast.expr | None:
    """The value of a resolved keyword as an AST the keyword judgement reads."""
    if isinstance(value, Const):
        return ast.Constant(value.value)
    if isinstance(value, Ref):
        try:
            node = ast.parse(value.name, mode="eval").body
        except SyntaxError:
            return None
        return node if isinstance(node, ast.Attribute | ast.Name) else None
    if isinstance(value, Seq):
        items = [_as_ast(item) for item in value.items]
        return ast.List([i for i in items if i is not None]) if None not in items else None
    return None


def _expr_filter(project: ProjectModel, value: Expr | None) -> str:
    """``Model.objects.exclude(privacy="private").order_by(...)``: the publishing filter.

    Or the manager named for public records (``Job.objects.visible()``, ``Post.published``).
    """
    for _ in range(_MAX_CHAIN):
        if not isinstance(value, Call):
            return ""
        func = value.func
        method = short_of(func.name) if isinstance(func, Ref) else ""
        bare = not value.args and not value.kwargs
        manager = manager_publishes(func.name, called_bare=bare) if isinstance(func, Ref) else ""
        if manager and isinstance(func, Ref):
            return manager if _manager_publishes(project, func.name) else ""
        if method in ("filter", "exclude"):
            for key, arg in value.kwargs:
                node = _as_ast(arg)
                if node is not None and keyword_publishes(key, node, exclude=method == "exclude"):
                    return f"{method}({key}={ast.unparse(node)})"
        value = func
    return ""


def _manager_publishes(project: ProjectModel, dotted: str) -> bool:
    """The manager or queryset method ``dotted`` names filters to public records.

    ``dotted`` is ``app.models.Job.objects.visible`` or ``app.models.Post.published.all``. A
    method the project defines is judged by its body (``return self.filter(is_public=True)``,
    ``filter(status=Post.Status.PUBLISHED)``), not by its name: ``visible()`` may mean "not
    archived". A manager or method the scan cannot read (a package's) is taken by its name.
    """
    parts = dotted.split(".")
    model = None
    index = len(parts)
    for index in range(1, len(parts)):  # the shortest: Job.published names the manager's class
        model = project.class_named(".".join(parts[:index]))
        if model is not None:
            break
    rest = parts[index:]
    if model is None or not rest:
        return True  # a model outside the project: the name is all there is
    if rest[0] in PUBLIC_MANAGERS:
        attribute, method = rest[0], "get_queryset"
    elif len(rest) > 1 and rest[1] in PUBLIC_MANAGERS:
        attribute, method = rest[0], rest[1]
    else:
        return False
    found = project.attribute(model, attribute)
    value = found[1] if found is not None else None
    if not (isinstance(value, Call) and isinstance(value.func, Ref)):
        return found is not None  # objects = Manager.from_queryset(...)(): not read
    name = value.func.name.removesuffix(".as_manager")
    manager = project.class_named(name)
    hit = project.method(manager, method) if manager is not None else None
    if hit is None:
        return True  # a package's manager, or a method it inherits from one
    return bool(hit[1].facts.public_filter)


def _class_filter(project: ProjectModel, cls: ClassModel) -> str:
    """The publishing filter of ``cls``'s served queryset, or ``""``."""
    hit = project.method(cls, "get_queryset")
    if hit is not None:
        facts = hit[1].facts
        if facts.public_filter and not facts.public_filter.startswith(("filter(", "exclude(")):
            # Job.objects.visible(): the project's own visible() must publish
            tail = facts.public_filter.rstrip("()")
            calls = [c for c in facts.calls if c == tail or c.endswith("." + tail)]
            if calls and all(_manager_publishes(project, c) for c in calls):
                return facts.public_filter
        elif facts.public_filter:
            return facts.public_filter
        returned = [_expr_filter(project, value) for value in facts.returns]
        return returned[0] if returned and all(returned) else ""
    found = project.attribute(cls, "queryset")
    return _expr_filter(project, found[1]) if found is not None else ""


def _reads_only(analysis: RouteAnalysis, methods: Sequence[str]) -> bool:
    """The route serves reads (and, on a list route, creation) only."""
    if analysis.method_actions:
        return all(m in SAFE_METHODS or a == "create" for m, a in analysis.method_actions)
    if all(m in SAFE_METHODS for m in methods):
        return True
    func = analysis.function
    if func is None or any(m != "*" for m in methods):
        return False
    return not any(short_of(name) in ORM_WRITES for name in func.facts.calls)


def _functions(project: ProjectModel, analysis: RouteAnalysis) -> list[FunctionModel]:
    if analysis.function is not None:
        return [analysis.function]
    cls = analysis.klass
    names = ("get", "list", "retrieve", "get_queryset", "get_object")
    hits = [project.method(cls, name) for name in names] if cls is not None else []
    return [hit[1] for hit in hits if hit is not None]


def public_reads(project: ProjectModel, analysis: RouteAnalysis, methods: Sequence[str]) -> str:
    """The publishing filter when route ``analysis`` only reads public records, else ``""``.

    ``methods``: the methods to judge (MG101: the open ones; MG103: every served one).
    """
    if not _reads_only(analysis, methods):
        return ""
    functions = _functions(project, analysis)
    if any(not lk.user_scoped for f in functions for lk in f.facts.lookups):
        return ""  # a record fetched by a caller-chosen key, whatever the list holds
    if analysis.function is not None:
        return analysis.function.facts.public_filter
    cls = analysis.klass
    return _class_filter(project, cls) if cls is not None else ""


def public_note(found: str) -> str:
    """Evidence note for a route that reads only public records."""
    return (
        f"; its queryset is narrowed by {found}, a constant public-visibility filter or a "
        "manager named for public records, and the "
        "route only reads it (a list route may also create a record): it serves records their "
        "owners made public, public by design: informational"
    )


_ROUTE_SYNTAX = re.compile(r"[\^$()?]")


def public_name(analysis: RouteAnalysis) -> str:
    """How the route's authors named it public, or ``""``.

    A URL segment ``public`` (``api/public/datafiles/``), a module of the view named so
    (``kolibri_public.views``, ``app.views.public``, ``public_api``), or the view itself
    (``PublicIndexView``, ``public_profile``). On the hand-reviewed real projects no open route
    so named was a vulnerability: 24 of 28 served public data by design, 4 were defensible
    (a minor leak; ``benchmarks/realworld/projects.md``).
    """
    segments = _ROUTE_SYNTAX.sub("", analysis.route.pattern).lower().split("/")
    if "public" in segments:
        return f"its URL has a public segment ({analysis.route.pattern})"
    parts = (analysis.view or "").split(".")
    for module in parts[:-1]:
        if module == "public" or module.startswith("public_") or module.endswith("_public"):
            return f"its module is named public ({module})"
    name = parts[-1]
    if re.match(r"Public[A-Z]", name) or name.startswith("public_"):
        return f"its view is named public ({name})"
    return ""
