"""A queryset narrowed to public records by a constant visibility filter.

``Workout.objects.filter(is_public=True)``, ``MailingList.objects.exclude(archive_policy=
ArchivePolicy.private.value)``, ``Status.objects.filter(privacy__in=["public", "unlisted"])``:
whatever the model's owner, what such a queryset yields was published by its owner. The
judgement of one keyword (field name and value) is shared by the AST walk here and by
:mod:`mtlsguard.scan.analysis.public_data`, which reads class attributes (``queryset = ...``).

Only a *constant* value counts: ``filter(is_public=request.GET["public"])`` lets the caller
choose, and a filter applied under an ``if`` that does not look at the user (``if
request.GET.get("mine"): qs = qs.filter(is_public=True)``) is optional. One under a user test
(``if not request.user.is_superuser: qs = qs.filter(archive_policy=PUBLIC)``) narrows what
ordinary callers get and counts.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode, mentions_user
from mtlsguard.scan.walking import walk

__all__ = [
    "PUBLIC_FILTER_CALLS",
    "PUBLIC_MANAGERS",
    "VISIBILITY_FIELDS",
    "keyword_publishes",
    "manager_publishes",
    "private_unless_public",
    "public_filter",
]

_BOOLEAN_PUBLIC = frozenset(
    {"is_public", "public", "published", "is_published", "visible", "is_visible", "is_listed"}
)
"""Boolean fields that are true for records their owner made public."""
_BOOLEAN_PRIVATE = frozenset({"is_private", "private", "is_hidden", "hidden"})
"""Boolean fields that are true for records their owner kept private."""
_LEVEL_FIELDS = frozenset({"privacy", "visibility", "archive_policy", "access_policy"})
"""Fields holding a visibility level (``privacy = "public"``)."""
_PUBLIC_LEVELS = frozenset({"public", "unlisted"})
"""Levels anyone may read (``unlisted``: public, only left out of feeds); equality needs
``public`` itself."""
_PRIVATE_LEVELS = frozenset({"private", "direct", "followers", "hidden"})
VISIBILITY_FIELDS = (
    _BOOLEAN_PUBLIC
    | _BOOLEAN_PRIVATE
    | _LEVEL_FIELDS
    | {"is_draft", "draft", "access", "is_active", "active", "is_archived", "archived"}
)
"""Fields that say whether a record may be shown to everyone: a model with one keeps some
records from the public (a query that ignores it may serve them)."""
_STATUS_FIELDS = frozenset({"status", "state"})
_PUBLISHED_STATUSES = frozenset({"published", "public", "approved", "status_published"})
"""A workflow status anyone may read (``filter(status=Post.Status.PUBLISHED)``, the published
manager of Django's tutorial; ``status=Job.STATUS_PUBLISHED``)."""
_FILTERS = frozenset({"filter", "exclude"})
PUBLIC_MANAGERS = frozenset({"published", "public", "visible", "listed", "searchable"})
"""Manager and queryset methods named for what the public may see: ``Post.published.all()``
(the custom-manager idiom of Django's documentation), ``Job.objects.visible()``,
``Event.objects.public()``. Called without arguments: one given the user
(``visible(request.user)``) decides per caller, which :mod:`.analysis.visibility` judges. Not
Wagtail's ``live()``: a live page may still be restricted to some viewers."""
PUBLIC_FILTER_CALLS = (
    ".filter",
    ".exclude",
    *(f".{name}" for name in sorted(PUBLIC_MANAGERS)),
    *(f".{name}.all" for name in sorted(PUBLIC_MANAGERS)),
)
"""Endings of the resolved callees that may narrow to public records: the walk looks no further
unless one was called."""
_TRAILING = frozenset({"value", "name"})
"""``ArchivePolicy.private.value``: the member's payload, not its name."""


def _level(value: ast.expr) -> str | None:
    """``"public"``, ``Privacy.PUBLIC``, ``ArchivePolicy.public.value`` -> ``"public"``."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value.lower()
    parts: list[str] = []
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    parts = [p for i, p in enumerate(parts) if not (i == 0 and p in _TRAILING)]
    return parts[0].lower() if parts and isinstance(value, ast.Name) else None


def _items(value: ast.expr) -> list[ast.expr] | None:
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return list(value.elts)
    return None


def private_unless_public(test: ast.expr) -> bool:
    """``not (task.public or task.project.public)`` / ``doc.is_private``: the record is private.

    The test of an ``if`` whose body checks the caller only for records their owner did not
    make public (WebODM's ``if not (task.public or task.project.public):
    check_project_perms(request, task.project)``).
    """
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _flags(test.operand, _BOOLEAN_PUBLIC)
    return _flags(test, _BOOLEAN_PRIVATE)


def _flags(test: ast.expr, names: frozenset[str]) -> bool:
    """``test`` reads only flags named ``names`` off records, joined by ``or``/``and``."""
    if isinstance(test, ast.BoolOp):
        return all(_flags(value, names) for value in test.values)
    return (
        isinstance(test, ast.Attribute)
        and test.attr in names
        and isinstance(test.value, ast.Name | ast.Attribute)
    )


def keyword_publishes(key: str, value: ast.expr | bool | str | None, *, exclude: bool) -> bool:
    """``filter(key=value)`` (or ``exclude`` with ``exclude``) keeps only public records.

    ``value`` is the AST of the value, or an already known constant (a class attribute's).
    """
    parts = key.split("__")
    lookup = ""
    if len(parts) > 1 and parts[-1] in {"exact", "in", "iexact"}:
        lookup = parts.pop()
    name = parts[-1]
    node = value if isinstance(value, ast.expr) else ast.Constant(value)
    if name in _BOOLEAN_PUBLIC | _BOOLEAN_PRIVATE and lookup != "in":
        if not (isinstance(node, ast.Constant) and isinstance(node.value, bool)):
            return False
        return (name in _BOOLEAN_PUBLIC) is (node.value is not exclude)
    if name in _STATUS_FIELDS and lookup != "in" and not exclude:
        return _level(node) in _PUBLISHED_STATUSES  # filter(status=Post.Status.PUBLISHED)
    if name not in _LEVEL_FIELDS:
        return False
    if lookup == "in":
        items = _items(node)
        levels = [_level(item) for item in items or ()]
        if not levels or None in levels:
            return False
        if exclude:
            return False  # excluding a few levels leaves the others: not provably public
        return "public" in levels and set(levels) <= _PUBLIC_LEVELS
    level = _level(node)
    return level in _PRIVATE_LEVELS if exclude else level == "public"


def manager_publishes(dotted: str, *, called_bare: bool) -> str:
    """``Job.objects.visible`` called with no argument, ``FoiRequest.published.all``: the name.

    ``dotted`` is the callee of a call, ``called_bare`` whether it got no argument; ``""``
    unless the queryset comes from a manager or method named for public records.
    """
    parts = dotted.split(".")
    on_manager = len(parts) >= 2 and (parts[-2] == "objects" or parts[-2][:1].isupper())
    if called_bare and on_manager and parts[-1] in PUBLIC_MANAGERS:
        return f"{'.'.join(parts[-3:])}()"  # Job.objects.visible(), not job.visible()
    for index in range(1, len(parts) - 1):
        if parts[index] in PUBLIC_MANAGERS and parts[index - 1][:1].isupper():
            return f"{parts[index - 1]}.{parts[index]}"  # FoiRequest.published.filter(...)
    return ""


def _dotted(node: ast.expr) -> str:
    """``Job.objects.visible`` for a chain of names; ``""`` when a call sits in it."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def _filter_call(node: ast.AST, *, managers: bool = True) -> str:
    """``.filter(is_public=True)`` -> ``"filter(is_public=True)"`` when it publishes.

    So does a manager or queryset method named for public records (:func:`manager_publishes`),
    with ``managers``.
    """
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return ""
    method = node.func.attr
    dotted = _dotted(node.func) if managers else ""
    bare = not node.args and not node.keywords
    manager = manager_publishes(dotted, called_bare=bare) if dotted else ""
    if method not in _FILTERS or manager:
        return manager
    for keyword in node.keywords:
        if keyword.arg and keyword_publishes(
            keyword.arg, keyword.value, exclude=method == "exclude"
        ):
            return f"{method}({keyword.arg}={ast.unparse(keyword.value)})"
    return ""


def public_filter(func: FunctionNode) -> str:
    """The first public-visibility filter of ``func``'s body that always narrows, or ``""``.

    Under an ``if``/``while`` whose test does not look at the user the filter is optional when
    it narrows a queryset made before the test (``qs = qs.filter(...)``) or when an ``else``
    branch exists; a queryset made inside the block (``if term: qs = M.objects.filter(...)``)
    is narrowed on every path that uses it. Under a user test (``if not
    request.user.is_superuser:``) it narrows what ordinary callers get and counts. Nested
    functions are not read. A manager named for public records (``Job.objects.visible()``)
    counts only in ``get_queryset()``, which returns what the view serves: a function view may
    read it for a side box next to private records.
    """
    managers = func.name == "get_queryset"
    return _search(func.body, defined=set(), outer=None, managers=managers)


def _search(
    body: list[ast.stmt], *, defined: set[str], outer: frozenset[str] | None, managers: bool
) -> str:
    """``outer``: names bound before the innermost optional block (None: not in one)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, (ast.If, ast.While)):
            if mentions_user(stmt.test):
                found = _search(stmt.body, defined=defined, outer=outer, managers=managers)
            elif stmt.orelse:
                found = ""  # either branch may serve the unfiltered queryset
            else:
                inner = frozenset(defined) if outer is None else outer
                found = _search(stmt.body, defined=defined, outer=inner, managers=managers)
            if found:
                return found
            continue
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try)):
            heads: list[ast.AST] = [getattr(stmt, "iter", None) or ast.Pass()]
            heads += [
                getattr(item, "context_expr", ast.Pass()) for item in getattr(stmt, "items", [])
            ]
            found = "" if outer is not None else _in_expressions(heads, managers)
            for block in (stmt.body, getattr(stmt, "finalbody", [])):
                found = found or _search(block, defined=defined, outer=outer, managers=managers)
            if found:
                return found
            continue
        found = _in_expressions([stmt], managers)
        if found and (outer is None or _binds_new(stmt, outer)):
            return found
        defined.update(_bound(stmt))
    return ""


def _bound(stmt: ast.stmt) -> set[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else []
    if isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        targets = [stmt.target]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _binds_new(stmt: ast.stmt, outer: frozenset[str]) -> bool:
    """``stmt`` binds a name that did not exist before the optional block (a new queryset)."""
    names = _bound(stmt)
    return bool(names) and not names & outer


def _in_expressions(nodes: list[ast.AST], managers: bool) -> str:
    for top in nodes:
        for node in walk(top):
            if isinstance(node, ast.IfExp | ast.Lambda | ast.BoolOp):
                continue  # its parts are conditional; the walk still visits them, judged below
            found = _filter_call(node, managers=managers)
            if found and not _under_condition(top, node):
                return found
    return ""


def _under_condition(top: ast.AST, target: ast.AST) -> bool:
    """``target`` sits in a branch of a conditional expression or a boolean operation."""
    for node in walk(top):
        if isinstance(node, ast.IfExp) and any(
            target is sub for branch in (node.body, node.orelse) for sub in walk(branch)
        ):
            return True
        if isinstance(node, ast.BoolOp) and any(
            target is sub for value in node.values[1:] for sub in walk(value)
        ):
            return True
        if isinstance(node, ast.Lambda) and any(target is sub for sub in walk(node.body)):
            return True
    return False
