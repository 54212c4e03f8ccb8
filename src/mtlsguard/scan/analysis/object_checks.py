"""Objects fetched by a caller-chosen id that take part in an access decision never about them.

``if not self.has_copy_from_clipboard_permission(request, target, [plugin]): raise`` decides
whether the plugin may go into the target, asking the target: the plugin, fetched by an id from
the request body, is handed to a permission check but never checked itself — whoever may paste
into their own placeholder copies any plugin by counting ids (django CMS 5.0.9's ``_paste_plugin``;
5.0.10 also asks ``has_paste_from_source_permission(request, plugin.placeholder, plugins)``).
Objects no permission check ever sees are left to the ownership rules (MG103/MG104): a shared
template or the member being removed from a checked project is not this pattern.

Methods of ``self`` are followed (three calls deep): a permission method checks an argument
when it asks about the matching parameter (``has_copy_plugins_permission(request, plugins)``
asking the clipboard about ``plugins`` does not); a method the object is handed to checks it,
hands it to a check about something else, or does neither (a getter: neutral). An object is
reported when some path leaves it unchecked in such a decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mtlsguard.scan.project_model import ClassModel, FunctionModel, ProjectModel

__all__ = ["UncheckedObject", "owning_class", "unchecked_objects"]

_MAX_DEPTH = 3
_CHECKED, _UNCHECKED, _NEUTRAL = "checked", "unchecked", "neutral"


@dataclass(frozen=True, slots=True)
class UncheckedObject:
    """One object fetched by a caller-chosen key and used without a permission check."""

    fetcher: FunctionModel
    """The function that fetched it."""
    name: str
    """The local it was fetched into."""
    line: int
    keys: str
    """The caller-chosen keys (``request.POST['plugin_id']``, ``plugin_id``)."""
    unchecked_in: FunctionModel
    """Where a permission check sees it without asking about it."""


def owning_class(project: ProjectModel, func: FunctionModel) -> ClassModel | None:
    """The class ``func`` is a method of (``app.admin.PlaceholderAdmin.move_plugin``)."""
    return project.class_named(func.qualname.rpartition(".")[0])


def unchecked_objects(
    project: ProjectModel, cls: ClassModel | None, handler: FunctionModel
) -> Iterator[UncheckedObject]:
    """Objects ``handler`` (or a method of ``cls`` it calls) fetches and leaves unchecked."""
    seen: set[str] = set()
    functions = [handler]
    for depth in range(_MAX_DEPTH):
        for func in list(functions[len(seen) :]):
            seen.add(func.qualname)
            if depth == _MAX_DEPTH - 1 or cls is None:
                continue
            for name in func.facts.self_method_calls:
                hit = project.method(cls, name)
                if hit is not None and hit[1].qualname not in {f.qualname for f in functions}:
                    functions.append(hit[1])
    for func in functions:
        if not func.facts.may_fetch:
            continue  # nothing fetched: its flow is never computed
        for name, line, keys, helper, from_request in func.facts.object_flow.fetched:
            if func is not handler and not from_request:
                continue  # a helper's parameter: the caller's business
            if helper and not _fetches(project, cls, helper):
                continue
            status, where = _status(project, cls, func, name, 0)
            if status == _UNCHECKED:
                for at in dict.fromkeys(where):
                    yield UncheckedObject(func, name, line, keys, at)


def _fetches(project: ProjectModel, cls: ClassModel | None, helper: str) -> bool:
    hit = project.method(cls, helper) if cls is not None else None
    return hit is not None and bool(hit[1].facts.lookups)


def _param(callee: FunctionModel, slot: str) -> str | None:
    params = callee.params
    if not slot.isdigit():
        return slot if slot in params else None
    index = int(slot) + (1 if params and params[0] in ("self", "cls") else 0)
    return params[index] if index < len(params) else None


def _callee(
    project: ProjectModel, cls: ClassModel | None, name: str, slot: str
) -> tuple[FunctionModel, str] | None:
    hit = project.method(cls, name) if cls is not None else None
    if hit is None:
        return None
    param = _param(hit[1], slot)
    return (hit[1], param) if param is not None else None


def _param_checked(
    project: ProjectModel, cls: ClassModel | None, name: str, slot: str, depth: int
) -> bool:
    """``self.<name>(...)`` asks a permission method about the argument in ``slot``.

    One the project does not define (DRF's ``check_object_permissions(request, obj)``, the
    admin's ``has_change_permission(request, obj)``) is the framework's object check.
    """
    if cls is None or project.method(cls, name) is None:
        return True
    found = _callee(project, cls, name, slot)
    if found is None:
        return False
    callee, param = found
    flow = callee.facts.object_flow
    if param in flow.checked:
        return True
    return depth < _MAX_DEPTH and any(
        _param_checked(project, cls, inner, inner_slot, depth + 1)
        for inner, inner_slot, root in flow.self_checks
        if root == param
    )


def _status(
    project: ProjectModel, cls: ClassModel | None, func: FunctionModel, root: str, depth: int
) -> tuple[str, list[FunctionModel]]:
    flow = func.facts.object_flow
    if root in flow.checked or any(
        _param_checked(project, cls, name, slot, depth)
        for name, slot, carried in flow.self_checks
        if carried == root
    ):
        return _CHECKED, []
    unchecked: list[FunctionModel] = []
    checked = False
    for name, slot, carried in flow.consumers if depth < _MAX_DEPTH else ():
        found = _callee(project, cls, name, slot) if carried == root else None
        if found is None:
            continue
        status, where = _status(project, cls, found[0], found[1], depth + 1)
        unchecked += where
        checked = checked or status == _CHECKED
    if unchecked:
        return _UNCHECKED, unchecked
    if checked:
        return _CHECKED, []
    if root in flow.payload or any(carried == root for _, _, carried in flow.self_checks):
        return _UNCHECKED, [func]  # handed to a permission check about something else
    return _NEUTRAL, []
