"""Writes an open route makes through the methods of the models it reads.

``invoice.mark_paid()`` where ``Invoice.mark_paid()`` saves, ``Invoice.objects.purge(pk)``
where the model's manager deletes: the view's own code calls no ORM write by name, yet it
changes users' records. MG101 (:mod:`.anonymous_reads`) takes such a call as the write it is,
strong evidence whatever else the route reads. The call is matched by its method name against
the read models' own methods and those of their managers (``objects = InvoiceManager()``,
``InvoiceQuerySet.as_manager()``), since the receiver of ``inv.mark_paid()`` is a local the
scan does not type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    FunctionModel,
    ProjectModel,
    Ref,
)

__all__ = ["model_method_writer"]

_MANAGER_FACTORIES = (".as_manager", ".from_queryset")
_GENERIC = frozenset(
    {
        "update",
        "copy",
        "get",
        "pop",
        "items",
        "keys",
        "values",
        "append",
        "extend",
        "add",
        "remove",
        "clear",
        "setdefault",
        "log",
        "format",
        "join",
        "split",
        "strip",
        "replace",
        "sort",
        "count",
        "index",
        "insert",
        "all",
        "filter",
        "exclude",
        "first",
        "last",
        "exists",
        "order_by",
        "get_queryset",
        "__init__",
        "__str__",
        "clean",
        "full_clean",
    }
)
"""Names a dict, a list, a string, a logger or a queryset answers too (``context.update()``):
the untyped receiver of such a call is not taken for a model."""


def model_method_writer(
    project: ProjectModel,
    models: list[str],
    functions: list[FunctionModel],
    writes: Callable[[FunctionModel], bool],
) -> str:
    """The read model's (or its manager's) method the route calls that ``writes``, or ``""``.

    ``Invoice.mark_paid()``, named as the evidence names a write.
    """
    called = {name.rsplit(".", 1)[-1] for func in functions for name in func.facts.calls}
    called -= _GENERIC
    called.discard("")
    if not called:
        return ""
    for model in models:
        cls = project.class_named(model) if model != "?" else None
        for owner in _with_managers(project, cls) if cls is not None else ():
            for name in sorted(called):
                hit = project.method(owner, name)
                if hit is not None and hit[1] not in functions and writes(hit[1]):
                    return f"{short_of(hit[0].qualname)}.{name}()"
    return ""


def _with_managers(project: ProjectModel, cls: ClassModel) -> Iterator[ClassModel]:
    """``cls``, then the project classes of its managers (``objects = InvoiceManager()``)."""
    yield cls
    for value in cls.attributes.values():
        if not (isinstance(value, Call) and isinstance(value.func, Ref)):
            continue
        name = value.func.name
        for factory in _MANAGER_FACTORIES:
            name = name.removesuffix(factory)
        manager = project.class_named(name)
        if manager is not None and manager is not cls:
            yield manager
