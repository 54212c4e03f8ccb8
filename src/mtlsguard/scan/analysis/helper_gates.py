"""Helpers that refuse by raising, called by a view with the requesting user.

A predicate given the request whose falsy answer refuses (``if not is_mlist_authorized(request,
mlist): raise PermissionDenied``) counts when it reads the requesting user.

``allow_use_notifications(request.user)`` as a statement of the view body, where the helper
reads ``if user.is_anonymous: raise PermissionDenied``, gates everything after it as a
``request.user`` check in the view itself would; so does an ACL helper given the per-user data
the authentication layer attached (``allow_browse_users_list(request.user_acl)`` raising unless
``user_acl["can_browse_users_list"]``), as ``user.has_perm(...)`` would. The call must be a bare
statement (its result dropped: it matters only by raising), made unconditionally, and the
helper must test the very parameter that received the user before raising
(:func:`mtlsguard.scan.facts.refusals.gate_calls`, ``refusing_params``).

A check the body skips only for a record its owner made public (``if not (task.public or
task.project.public): check_project_perms(request, task.project)``) counts as made: what it
lets through is public (:func:`mtlsguard.scan.facts.public_filter.private_unless_public`).
"""

from __future__ import annotations

import ast
import re

from mtlsguard.scan import walking
from mtlsguard.scan.analysis.sources import project_sources
from mtlsguard.scan.facts.syntax import FunctionNode, reads_request_method
from mtlsguard.scan.knowledge import GATE_WORDS, short_of
from mtlsguard.scan.project_model import ClassModel, FunctionModel, ProjectModel, Ref

__all__ = ["body_gate_candidates", "helper_gate"]


def helper_gate(
    project: ProjectModel, func: FunctionModel, cls: ClassModel | None = None, depth: int = 0
) -> str:
    """Evidence that ``func`` calls a refusing helper with the requesting user, or ``""``.

    Followed through calls handed the request (:attr:`FunctionFacts.request_calls`) up to
    :data:`_MAX_DEPTH` levels: a method of ``self`` (looked up on the view's class), a project
    function, a project class instantiated with the request (its ``__init__``, with ``self`` that
    class: a "view model" such as ``ForumThread(request, pk)``), or a class kept in a class
    attribute and called (``thread = ForumThread`` ... ``self.thread(request, pk)``).
    """
    facts = func.facts
    for name, positions in facts.gate_calls:
        helper = _function(project, name, cls)
        if helper is not None and set(positions) & set(helper.facts.refusing_params):
            return f"{short_of(helper.qualname)}() raises unless the requesting user may proceed"
    for name in facts.predicate_gates:
        helper = _function(project, name, cls)
        if helper is not None and _reads_user(helper):
            return f"{short_of(helper.qualname)}() decides whether the requesting user may proceed"
    if depth and facts.auth_guard and facts.raises_refusal and not _reads_method(project, func):
        return f"request.user check in {short_of(func.qualname)}()"
    if depth >= _MAX_DEPTH:
        return ""
    for name in facts.request_calls:
        parse = depth > 0 or bool(GATE_WORDS.search(short_of(name)))
        for target, owner in _targets(project, name, cls, parse=parse):
            # the view's own helper, declared by its exact name (a glob names decorators)
            declared = "" if depth else project.declared.guard(target.qualname, exact=True)
            if declared:
                return f"{short_of(target.qualname)}() (declared guard {declared!r})"
            found = helper_gate(project, target, owner, depth + 1)
            if found:
                return found
    return ""


def body_gate_candidates(
    project: ProjectModel, func: FunctionModel, cls: ClassModel | None = None
) -> list[str]:
    """Dotted names of the project helpers ``func`` hands the request that read like a gate.

    Called unconditionally before the body goes on (:attr:`FunctionFacts.request_calls`),
    named for who may call (``require_admin(request)``, ``self.check_access(request)``; not
    ``check_honeypot(request)``) and able to
    refuse a caller by raising (:attr:`FunctionFacts.may_refuse` and ``raises_refusal``), but
    not credited: the scan could not show whom they refuse (helios's ``require_admin()`` tests
    the user its own session helper loads). A helper that only *returns* a redirect or a 403
    refuses nobody: the view takes the response for its value and goes on (django-helpdesk's
    ``ticket = get_ticket_from_request_with_authorisation(...)``, fixed in its PR 1134).
    """
    found: list[str] = []
    for name in func.facts.request_calls:
        if not _names_caller_gate(short_of(name)):
            continue
        for target, _owner in _targets(project, name, cls, parse=True):
            if (
                target.facts.may_refuse
                and _refuses_caller(project, target)
                and not _reads_method(project, target)
            ):
                found.append(target.qualname)
    return found


_MAX_DEPTH = 3
_CALLER_WORDS = frozenset(
    {
        "auth", "authenticated", "authenticate", "authorize", "authorise", "authorized",
        "authorised", "authorization", "authorisation", "login", "logged", "signin", "perm",
        "perms", "permission", "permissions", "permitted", "admin", "staff", "superuser",
        "member", "membership", "access", "owner", "role", "roles", "allow", "allowed", "can",
    }
)  # fmt: skip
"""Words (between underscores) of a helper deciding who may call: ``require_admin``,
``check_access``, ``can_edit``; not a bare ``check_``/``verify_``."""
_REQUEST_WORDS = frozenset(
    {
        "ip", "ips", "throttle", "throttled", "rate", "limit", "ratelimit", "honeypot",
        "captcha", "spam", "csrf", "origin", "referer", "scan", "payload", "block", "blocked",
        "blocklist", "filter", "size", "format",
    }
)  # fmt: skip
"""Words of a helper about what the request carries or how often it comes (``check_ip_allowed``,
``throttle_access``): it refuses a kind of request, not a caller."""
_CALLER_REFUSALS = re.compile(
    r"Permission|Denied|Forbidden|Unauthori|NotAuthenticated|Login|40[13]"
)
"""What a refusal of a caller raises (``PermissionDenied``, ``NotAuthenticated``, a project's
``Http403``); ``Http404`` alone refuses a record that does not exist as often as a caller."""


def _reads_method(project: ProjectModel, func: FunctionModel) -> bool:
    """``func`` reads ``request.method``: its refusal may spare some methods (writes only).

    Unreadable code counts as reading it (no credit for what the scan cannot see).
    """
    node = _definition(project, func)
    return node is None or reads_request_method(node)


def _definition(project: ProjectModel, func: FunctionModel) -> FunctionNode | None:
    return project_sources(project).node(func.location.path, func.location.line)


def _names_caller_gate(name: str) -> bool:
    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    return bool(words & _CALLER_WORDS) and not words & _REQUEST_WORDS


def _refuses_caller(project: ProjectModel, func: FunctionModel) -> bool:
    """``func`` raises a refusal of a caller (not only ``Http404``) somewhere in its body."""
    node = _definition(project, func) if func.facts.raises_refusal else None
    if node is None:
        return False
    for sub in walking.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            exc = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            name = exc.attr if isinstance(exc, ast.Attribute) else getattr(exc, "id", "")
            if _CALLER_REFUSALS.search(name):
                return True
    return False


def _reads_user(predicate: FunctionModel) -> bool:
    """The predicate reads ``request.user`` (an answer about the caller, not about the data).

    ``is_mlist_authorized(request, mlist)`` testing ``request.user.is_authenticated`` and the
    user's subscriptions decides who may see the list; one reading only the object does not.
    """
    return predicate.facts.mentions_user


def _on_self(name: str) -> str | None:
    """``get_thread`` for ``self.get_thread`` (or an unresolved ``.get_thread``)."""
    for prefix in ("self.", "."):
        if name.startswith(prefix) and "." not in name[len(prefix) :]:
            return name[len(prefix) :]
    return None


def _function(
    project: ProjectModel, name: str, cls: ClassModel | None, *, parse: bool = True
) -> FunctionModel | None:
    """A project function by dotted name, or a method of ``cls`` (``self.<method>``)."""
    attr = _on_self(name)
    if attr is None:
        return project.function_named(name, parse=parse)
    found = project.method(cls, attr) if cls is not None else None
    return found[1] if found is not None else None


def _targets(
    project: ProjectModel, name: str, cls: ClassModel | None, *, parse: bool = False
) -> list[tuple[FunctionModel, ClassModel | None]]:
    """What calling ``name`` runs, with the class ``self`` is there.

    Only files the scan has read already, unless ``parse``: every view hands the request to
    something, and reading each callee's module would parse half the project (and change what
    other analyses that look only at read files conclude). A helper the view's own helper
    hands the request on to (WebODM's ``get_and_check_task()`` calling
    ``check_project_perms(request, task.project)`` in ``app/api/common.py``) is read, and so is
    one the view calls whose name reads like a gate (``ensure_login(request)`` imported from
    ``app/helpers.py``, :data:`~mtlsguard.scan.knowledge.GATE_WORDS`).
    """
    func = _function(project, name, cls, parse=parse)
    attr = _on_self(name)
    if func is not None:
        return [(func, cls if attr is not None else None)]
    target: ClassModel | None = None
    if attr is not None and cls is not None:
        kept = project.attribute(cls, attr)
        if kept is not None and isinstance(kept[1], Ref):
            target = project.class_named(kept[1].name)
    elif attr is None and name.rsplit(".", 1)[-1][:1].isupper():
        target = project.class_named(name)  # ``ForumThread(request, pk)``: a class, by PEP 8
    if target is None:
        return []
    init = project.method(target, "__init__")
    return [(init[1], target)] if init is not None else []
