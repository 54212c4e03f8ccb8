"""Views that serve nothing: every handler a finding names answers at once with an error.

A placeholder left routed (``return HttpResponse("Not implemented yet.", status=500)`` as the
first line of a view, ``raise NotImplementedError``) reads and changes nothing, whatever code
follows it: a finding about what that code does is at most informational
(:func:`idle_note`). Handlers are recognised by ``FunctionFacts.serves_nothing``
(:mod:`mtlsguard.scan.facts.stubs`).
"""

from __future__ import annotations

from collections.abc import Sequence

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.project_model import FunctionModel, ProjectModel

__all__ = ["idle_note"]


def idle_note(project: ProjectModel, analysis: RouteAnalysis, methods: Sequence[str]) -> str:
    """A note when ``analysis``'s view serves nothing for ``methods``; else ``""``.

    A function view: its body. A class view: for each of ``methods`` (none, or ``*``: no
    decision), the first class along the MRO defining the handler must be the project's and
    its handler must serve nothing; an external base (a generic view) is assumed to serve.
    """
    if analysis.klass is None:
        func = analysis.function
        return _note([func]) if func is not None and func.facts.serves_nothing else ""
    names = [m.lower() for m in methods]
    if not names or "*" in names:
        return ""
    handlers: list[FunctionModel] = []
    for name in names:
        handler = _handler(project, analysis, name)
        if handler is None or not handler.facts.serves_nothing:
            return ""
        handlers.append(handler)
    return _note(handlers)


def _handler(project: ProjectModel, analysis: RouteAnalysis, name: str) -> FunctionModel | None:
    assert analysis.klass is not None
    for entry in analysis.klass.mro:
        local = project.class_named(entry)
        if local is None:
            return None
        if name in local.methods:
            return local.methods[name]
    return None


def _note(handlers: Sequence[FunctionModel | None]) -> str:
    where = ", ".join(f"{h.location.path}:{h.location.line}" for h in handlers if h is not None)
    return (
        f"; the handler ({where}) answers at once with a server error, 405, 404 or "
        "NotImplementedError: the code after that never runs, the view serves nothing: "
        "informational"
    )
