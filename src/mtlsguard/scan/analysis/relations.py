"""What ``obj.<attr>`` of a project model is: a relation to which model, or something computed.

``group.tags`` (a many-to-many), ``speaker.mails`` (the reverse side of
``QueuedMail.to_users = ManyToManyField(User, related_name="mails")``), ``project.task_set``
(a reverse foreign key: the children belong to the parent) or ``group.members`` (a property or
method of the model: a queryset computed from anything). Reverse relations are looked up in the
project's model modules (``models.py``, ``models/``), whose text is searched for the related name
before a class is modelled.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from mtlsguard.scan.analysis.ownership import is_user_model, points_at_user, relation_target
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import Call, ClassModel, Const, ProjectModel, Ref

__all__ = ["ChildRelation", "ModelSources", "child_relation"]

_RELATIONS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})
_TOP_CLASS = re.compile(r"^class\s+(\w+)", re.MULTILINE)
_RELATED_NAME = re.compile(r"related_name\s*=\s*[\"'](\w+)[\"']")


@dataclass(frozen=True, slots=True)
class ChildRelation:
    """The model and kind of ``parent.<attr>``."""

    kind: str
    """``many-to-many`` (either side), ``reverse-fk`` (the children point at the parent) or
    ``computed`` (a method or property of the parent model)."""
    model: str | None
    """Dotted path of the children's model; None when computed."""


def _relation_field(value: object) -> str:
    if isinstance(value, Call) and isinstance(value.func, Ref) and value.func.short in _RELATIONS:
        return value.func.short
    return ""


class ModelSources:
    """The project's model modules, searched by text for a related name (each read once)."""

    MAX_FILE_BYTES = 1024 * 1024

    def __init__(self, root: str) -> None:
        self.root = Path(root).resolve()
        self._texts: dict[str, str] | None = None
        self._classes: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None
        self.relation_fields: dict[int, tuple[ClassModel, tuple[tuple[Call, str], ...]]] = {}
        """By ``id()`` of a modelled class (kept with it): its relation fields, in order."""

    def _files(self) -> dict[str, str]:
        if self._texts is None:
            self._texts = {}
            # The files of ``root.rglob("*.py")``, in its order (each directory's own files,
            # then its subdirectories', symlinked directories not entered), without a Path
            # object per file of the tree.
            top = str(self.root)
            for dirpath, _dirnames, filenames in os.walk(top):
                folder = tuple(dirpath[len(top) + 1 :].split(os.sep)) if dirpath != top else ()
                for name in filenames:
                    if not name.endswith(".py"):
                        continue
                    parts = (*folder, name)
                    if "models" not in parts and name != "models.py":
                        continue
                    if "migrations" in parts or "tests" in parts:
                        continue
                    path = Path(dirpath, name)
                    try:
                        if path.stat().st_size <= self.MAX_FILE_BYTES:
                            self._texts["/".join(parts)] = path.read_text("utf-8", "replace")
                    except OSError:
                        continue
        return self._texts

    def classes_naming(self, attr: str) -> list[str]:
        """Dotted paths of model classes with a relation ``related_name=attr``."""
        return self._index()[1].get(attr, [])

    def class_named(self, name: str) -> str | None:
        """Dotted path of the one model class called ``name`` (None if none or several)."""
        found = self._index()[0].get(name, [])
        return found[0] if len(found) == 1 else None

    def _index(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Model classes by name, and by the related names of their relations (one pass)."""
        if self._classes is None:
            classes: dict[str, list[str]] = {}
            related: dict[str, list[str]] = {}
            for rel, text in self._files().items():
                module = rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
                opened = [(m.start(), m.group(1)) for m in _TOP_CLASS.finditer(text)]
                for _start, name in opened:
                    classes.setdefault(name, []).append(f"{module}.{name}")
                for match in _RELATED_NAME.finditer(text):
                    # The module-level class the match sits in: the last one opened above it.
                    above = [name for start, name in opened if start < match.start()]
                    if above:
                        names = related.setdefault(match.group(1), [])
                        qual = f"{module}.{above[-1]}"
                        if qual not in names:
                            names.append(qual)
            self._classes = (classes, related)
        return self._classes


def child_relation(
    project: ProjectModel, parent: str | None, attr: str, sources: ModelSources | None = None
) -> ChildRelation | None:
    """What ``attr`` of the model ``parent`` is, if the scan can tell."""
    cls = project.class_named(parent) if parent else None
    if cls is None:
        return None
    for qual in cls.mro:
        owner = project.class_named(qual)
        if owner is None:
            continue
        value = owner.attributes.get(attr)
        kind = _relation_field(value)
        if kind == "ManyToManyField" and isinstance(value, Call):
            target = relation_target(project, owner, value)
            return ChildRelation("many-to-many", target.qualname if target else None)
        if kind or value is not None:
            return None  # a single object (forward foreign key) or a plain column
        if attr in owner.methods:
            return ChildRelation("computed", None)
    if sources is not None and not attr.endswith("_set"):
        for name in sources.classes_naming(attr):
            project.class_named(name)  # model it, so the search below sees it
    return _reverse(project, cls, attr, sources)


def _relation_fields(cls: ClassModel, sources: ModelSources | None) -> tuple[tuple[Call, str], ...]:
    """``cls``'s attributes that are relation fields, with their kind (once per class)."""
    cached = sources.relation_fields.get(id(cls)) if sources is not None else None
    if cached is not None and cached[0] is cls:
        return cached[1]
    found = tuple(
        (value, kind)
        for value in cls.attributes.values()
        if (kind := _relation_field(value)) and isinstance(value, Call)
    )
    if sources is not None:
        sources.relation_fields[id(cls)] = (cls, found)
    return found


def _reverse(
    project: ProjectModel, cls: ClassModel, attr: str, sources: ModelSources | None = None
) -> ChildRelation | None:
    """``related_name=attr`` (or the default ``<model>_set``) on a relation pointing at ``cls``."""
    default = attr.removesuffix("_set") if attr.endswith("_set") else None
    parents = set(cls.mro)
    user_model = is_user_model(project, cls.qualname)
    for other in list(project.classes.values()):
        if default is not None and short_of(other.qualname).lower() != default:
            continue
        for value, kind in _relation_fields(other, sources):
            related = value.kwarg("related_name")
            if default is None and not (isinstance(related, Const) and related.value == attr):
                continue
            target = relation_target(project, other, value)
            if target is None and user_model and points_at_user(attr, value):
                target = cls
            if target is None or target.qualname not in parents:
                continue
            rel = "many-to-many" if kind == "ManyToManyField" else "reverse-fk"
            return ChildRelation(rel, other.qualname)
    return None
