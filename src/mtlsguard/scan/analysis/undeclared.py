"""The project's own gates on an open view that the scan saw but could not show refusing.

An open view decorated by ``@election_admin(frozen=True)``, or a class view whose project base
overrides ``dispatch()``, is often guarded in a way static analysis cannot follow (a factory
that loads the object of the URL and raises the project's own ``Http403``). MG101 names these
candidates, so the reader knows where to look first, and says how to declare one that does
refuse (``[tool.mtlsguard] guards``, :mod:`mtlsguard.scan.declared`).

A candidate is a decorator of the view (in the URLconf, on the function or class, on a handler,
or inside ``method_decorator``) or a project base class of a class view that overrides one of
the hooks a guard lives in, whose dotted name is not Django's, DRF's or a documentation
package's own (those the scan knows, or knows to be no gate) nor a builtin. Names that read
like a gate (``superuser_required``, ``election_admin``, ``key_auth_required``) come first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from mtlsguard.findings.model import Finding, Severity
from mtlsguard.scan.analysis.decorators import unwrapped
from mtlsguard.scan.analysis.helper_gates import body_gate_candidates
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.declared import DeclaredAccess
from mtlsguard.scan.expressions import refs
from mtlsguard.scan.knowledge import GATE_WORDS, short_of
from mtlsguard.scan.project_model import Call, Expr, ProjectModel, Ref

__all__ = [
    "hint_object_gates",
    "may_refuse",
    "object_guarded",
    "undeclared_gates",
    "view_code_names",
]

_OBJECT_RULES = frozenset({"MG104", "MG107"})

_KNOWN_PACKAGES = (
    "django.",
    "rest_framework.",
    "drf_spectacular.",
    "drf_yasg.",
    "functools.",
    "builtins.",
    "typing.",
    "contextlib.",
    "mtlsguard.",
    "guardian.",
    "rules.contrib.",  # django-rules; a project may well have an app called rules
)
"""These packages' decorators and classes are the scanner's own knowledge (a gate or not)."""
_BUILTINS = frozenset({"staticmethod", "classmethod", "property", "cached_property"})
_HOOKS = ("dispatch", "initial", "check_permissions", "setup", "get_object")
"""Methods of a base class where a project's own guard usually sits."""
_HANDLERS = ("dispatch", "get", "post", "put", "patch", "delete", "list", "retrieve")
_MAX = 3


def _decorator_names(expr: Expr, out: list[str]) -> None:
    """The dotted names ``expr`` (a decorator expression) applies, factories by their name."""
    for deco in unwrapped((expr,)):
        func = deco.func if isinstance(deco, Call) else deco
        if isinstance(func, Call):  # permission_required("x")(view) written in urls.py
            _decorator_names(func, out)
        elif isinstance(func, Ref):
            out.append(func.name)


def _candidate(name: str) -> bool:
    return "." in name and not name.startswith(_KNOWN_PACKAGES) and short_of(name) not in _BUILTINS


def _decorators(project: ProjectModel, analysis: RouteAnalysis) -> list[str]:
    """Dotted names of every decorator of the view: URLconf, function, class and handlers."""
    names: list[str] = []
    for deco in analysis.route.wrappers:
        _decorator_names(deco, names)
    if analysis.function is not None:
        for deco in analysis.function.decorators:
            _decorator_names(deco, names)
    cls = analysis.klass
    if cls is not None:
        for deco in cls.decorators:
            _decorator_names(deco, names)
        for handler in _HANDLERS:
            found = project.method(cls, handler)
            if found is not None:
                for deco in found[1].decorators:
                    _decorator_names(deco, names)
    return names


def view_code_names(project: ProjectModel, analysis: RouteAnalysis) -> list[str]:
    """Every name a guard of the view may have.

    Its decorators, its bases (not the view's own class) and its ``permission_classes``.
    """
    names = _decorators(project, analysis)
    cls = analysis.klass
    if cls is not None:
        names.extend(cls.mro[1:])
        found = project.attribute(cls, "permission_classes")
        if found is not None:
            names.extend(ref.name for ref in refs(found[1]))
    return list(dict.fromkeys(names))


_REFUSING_HOOKS = (*_HOOKS, "has_permission", "has_object_permission", "test_func")


def may_refuse(project: ProjectModel, name: str) -> bool:
    """Whether the project's own code ``name`` (a decorator or a class) may refuse a caller.

    A function (or a factory: its nested wrapper counts) with a statement that refuses, a
    class whose hooks (``dispatch()``, ``has_permission()``...) have one, or code the scan
    could not read at all (another package, a name it cannot resolve) named like a gate
    (``election_admin``, not ``ratelimit``). Code read in full that
    never says no (a decorator that only logs), or whose refusal the scan understood (a
    ``dispatch()`` refusing whoever does not own the object), is no unknown gate.
    """
    func = project.function_named(name)
    if func is not None:
        return func.facts.may_refuse
    cls = project.class_named(name)
    if cls is None:  # unread: only its name can say (ratelimit, cache_page are no gate)
        return bool(GATE_WORDS.search(short_of(name)))
    return any(
        (method := cls.methods.get(hook)) is not None
        and method.facts.may_refuse
        and not method.facts.object_owner_guard  # read, and known to refuse only non-owners
        for hook in _REFUSING_HOOKS
    )


def undeclared_gates(project: ProjectModel, analysis: RouteAnalysis) -> tuple[str, ...]:
    """Up to three dotted names of the view's own possible gates the scan did not credit.

    Its decorators, its project bases that override a hook, and the helpers its body hands
    the request to first whose names read like a gate (:func:`.helper_gates.body_gate_candidates`).
    """
    names = _decorators(project, analysis)
    cls = analysis.klass
    if analysis.function is not None:
        names.extend(body_gate_candidates(project, analysis.function))
    if cls is not None:
        for entry in cls.mro[1:]:
            base = project.class_named(entry)
            if base is not None and any(hook in base.methods for hook in _HOOKS):
                names.append(entry)
        for handler in _HANDLERS:
            found = project.method(cls, handler)
            if found is not None:
                names.extend(body_gate_candidates(project, found[1], cls))
    kept = [n for n in dict.fromkeys(names) if _candidate(n)]
    kept.sort(key=lambda n: not GATE_WORDS.search(short_of(n)))  # stable: source order kept
    return tuple(kept[:_MAX])


def object_guarded(
    project: ProjectModel, analyses: Iterable[RouteAnalysis], declared: DeclaredAccess
) -> dict[str, str]:
    """View -> the ``object-guards`` entry naming one of its guards (only views with one)."""
    guarded: dict[str, str] = {}
    if not declared.object_guards:
        return guarded
    for analysis in analyses:
        if analysis.view and analysis.view not in guarded:
            entry = declared.object_guard(view_code_names(project, analysis))
            if entry:
                guarded[analysis.view] = entry
    return guarded


def _object_gates(project: ProjectModel, analysis: RouteAnalysis) -> tuple[str, ...]:
    """Up to three names of the view's own code that may check the record, gate-like first.

    Its decorators, its project (or unknown-package) bases and its permission classes.
    """
    kept = [n for n in view_code_names(project, analysis) if _candidate(n)]
    kept.sort(key=lambda n: not GATE_WORDS.search(short_of(n)))
    return tuple(kept[:_MAX])


def hint_object_gates(
    project: ProjectModel, analyses: Sequence[RouteAnalysis], findings: Sequence[Finding]
) -> tuple[Finding, ...]:
    """``findings``, each MG104/MG107 one above info naming the view's own uncredited code.

    The evidence lists the names; the fix says how to declare one that does check the record
    the route names (``object-guards``).
    """
    by_view = {a.view: a for a in analyses if a.view}
    gates: dict[str, tuple[str, ...]] = {}
    out: list[Finding] = []
    for finding in findings:
        view = finding.view or ""
        if (
            finding.rule_id in _OBJECT_RULES
            and finding.severity > Severity.INFO
            and view in by_view
        ):
            if view not in gates:
                gates[view] = _object_gates(project, by_view[view])
            names = gates[view]
            if names:
                finding = replace(
                    finding,
                    evidence=f"{finding.evidence}; the view's own code not credited as an "
                    f"object check: {', '.join(names)}",
                    remediation=f"{finding.remediation} If {short_of(names[0])} checks the "
                    "caller's right to the record the route names (code the scan cannot follow), "
                    f"declare it once: [tool.mtlsguard] object-guards = ['{names[0]}'].",
                )
        out.append(finding)
    return tuple(out)
