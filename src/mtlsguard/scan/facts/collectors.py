"""The fact collectors: one function per fact, registered for the nodes or callees it wants.

Importing this module registers them with :mod:`mtlsguard.scan.facts.walk`. A new fact is a new
collector here (``@collects(ast.X)`` or ``@on_call("name")``) and a field of
:class:`~mtlsguard.scan.project_model.FunctionFacts`; the walk itself does not change.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from mtlsguard.scan import walking
from mtlsguard.scan.facts import lookups as _lookups  # noqa: F401  (registers first)
from mtlsguard.scan.facts.refusals import REFUSAL_ERRORS
from mtlsguard.scan.facts.syntax import (
    MANAGERS,
    REQUEST_PRINCIPALS,
    mentions_user,
    strings,
)
from mtlsguard.scan.facts.walk import CALL_COLLECTORS, FunctionWalk, collects, on_call
from mtlsguard.scan.knowledge import (
    INDIRECT_CALL,
    ORM_WRITES,
    SAFE_METHODS,
    SECRET_CHECKS,
    SECRET_FIELDS,
    is_cert_key,
    settings_secret,
)
from mtlsguard.scan.project_model import JwtDecode, SelfWrite

__all__: list[str] = []

AUTH_ATTRS = frozenset(
    {
        "is_authenticated",
        "is_anonymous",
        "is_staff",
        "is_superuser",
        "is_active",
        "has_perm",
        "has_perms",
        "has_module_perms",
        "groups",
    }
)
"""Attributes of a user that an authentication or authorization check reads."""
_PATH_ATTRS = frozenset({"path", "path_info", "resolver_match", "url_name", "view_name"})
_REQUEST_SLOTS = frozenset({"request", "args", "kwargs"})
_MAX_CACHED_TEXT = 64
"""Longer strings are never certificate keys (docstrings): not worth remembering."""


# --- hints from names, attributes and literals ---------------------------------------------


_DENIED_NAMES = REFUSAL_ERRORS
"""A refusal exception named in the body: the guards that look for one are worth computing."""


def _attribute_hint(attr: str) -> str:
    """The hint an attribute name gives, or ``""`` (the first matching kind wins)."""
    if attr == "user":
        return "user"
    if attr.startswith("user_") or attr in REQUEST_PRINCIPALS:
        return "userdata"  # request.user_acl & co (guards decide, on the syntax tree)
    if attr in AUTH_ATTRS:
        return "auth"
    if attr == "SAFE_METHODS":
        return "safe"
    if attr in _PATH_ATTRS:
        return "path"
    if "trusted" in attr.lower() or attr in ("remote_addr", "client_addr"):
        return "trusted"
    if "staff" in attr or "superuser" in attr:
        return "role"
    if attr in _DENIED_NAMES:
        return "denied"
    if any(w in attr.lower() for w in SECRET_FIELDS) or settings_secret(attr):
        return "secret"
    return ""


_ATTRIBUTE_HINTS: dict[str, str] = {}
"""Memo of :func:`_attribute_hint`: attribute names repeat across a project."""


@collects(ast.Attribute)
def _attribute_hints(walk: FunctionWalk, nodes: list[ast.Attribute]) -> None:
    hints = walk.hints
    memo = _ATTRIBUTE_HINTS
    for node in nodes:
        hint = memo.get(node.attr)
        if hint is None:
            hint = memo[node.attr] = _attribute_hint(node.attr)
        if hint:
            hints.add(hint)
        if node.attr in MANAGERS:
            hints.add("manager")


def _name_hint(name: str) -> str:
    """The hint a bare name gives, or ``""`` (the first matching kind wins)."""
    if name == "SAFE_METHODS":
        return "safe"
    if name in _DENIED_NAMES:
        return "denied"
    if "trusted" in name.lower():
        return "trusted"
    if "perm" in name or "group" in name.lower():
        # has_perm(request.user, "app.codename"), user_in_group(request.user, NAME): helpers
        return "auth"
    return ""


_NAME_HINTS: dict[str, str] = {}
"""Memo of :func:`_name_hint`: a body reads the same few names (``request``, ``self``) over
and over."""


@collects(ast.Name)
def _name_hints(walk: FunctionWalk, nodes: list[ast.Name]) -> None:
    hints = walk.hints
    memo = _NAME_HINTS
    for node in nodes:
        hint = memo.get(node.id)
        if hint is None:
            hint = memo[node.id] = _name_hint(node.id)
        if hint:
            hints.add(hint)


@collects(ast.Constant)
def _literal_hints(walk: FunctionWalk, nodes: list[ast.Constant]) -> None:
    for node in nodes:
        if node.value == "REMOTE_ADDR":
            walk.hints.add("trusted")
        elif type(node.value) is str and node.value in SAFE_METHODS:
            walk.hints.add("safe")


_CERT_KEYS: dict[str, bool] = {}
"""Memo of :func:`~mtlsguard.scan.knowledge.is_cert_key` for short strings."""


def _cert_key(text: str) -> bool:
    known = _CERT_KEYS.get(text)
    if known is None:
        known = is_cert_key(text)
        if len(text) <= _MAX_CACHED_TEXT:
            _CERT_KEYS[text] = known
    return known


@collects(ast.Name, ast.Constant)
def _certificate_keys(walk: FunctionWalk, nodes: list[ast.Name | ast.Constant]) -> None:
    """Certificate headers read, literally or through a module constant (``CERT_HEADER``)."""
    keys = walk.cert_keys
    constants: dict[str, str | None] = {}  # a name asked again gets the same answer
    for node in nodes:
        if type(node) is ast.Name:
            name = node.id
            if name in constants:
                value = constants[name]
            else:
                value = constants[name] = walk.constant(name)
            if value is not None and _cert_key(value):
                keys.append(value)
        elif type(node.value) is str and _cert_key(node.value):  # type: ignore[union-attr]
            keys.append(node.value)  # type: ignore[union-attr]


# --- what the body reads and writes through self and request --------------------------------


@collects(ast.Attribute)
def _self_reads(walk: FunctionWalk, nodes: list[ast.Attribute]) -> None:
    reads = walk.self_reads
    for node in nodes:
        owner = node.value
        if type(owner) is ast.Name and owner.id == "self" and node.attr not in _REQUEST_SLOTS:
            reads.append(node.attr)


@collects(ast.Assign, ast.AnnAssign)
def _assignments(walk: FunctionWalk, nodes: list[ast.Assign | ast.AnnAssign]) -> None:
    """``request.session[...] = ...`` (a login by hand) and ``self.x = ...`` (a parent)."""
    for node in nodes:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        walk.writes_session = walk.writes_session or any(_is_session_slot(t) for t in targets)
        if node.value is not None:
            walk.self_writes.extend(_self_writes(walk, targets, node.value))


def _is_session_slot(target: ast.expr) -> bool:
    """``request.session[...] = ...``, ``self.request.session[...] = ...``, ``session[...]``."""
    return isinstance(target, ast.Subscript) and _is_session(target.value)


def _is_session(node: ast.expr) -> bool:
    """``request.session`` (any ``.session``), or a local named ``session`` (its alias)."""
    return (isinstance(node, ast.Attribute) and node.attr == "session") or (
        isinstance(node, ast.Name) and node.id == "session"
    )


@on_call("update", "setdefault")
def _session_update(walk: FunctionWalk, call: ast.Call, _name: str) -> None:
    """``request.session.update({"uid": user.pk})``, ``session.setdefault(...)``."""
    func = call.func
    if isinstance(func, ast.Attribute) and _is_session(func.value):
        walk.writes_session = True


def _self_writes(
    walk: FunctionWalk, targets: Sequence[ast.expr], value: ast.expr
) -> Iterator[SelfWrite]:
    """``self.project = parse_path(request, ...)`` -> what the value is computed from."""
    names = [
        t.attr
        for t in targets
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
    ]
    if not names:
        return
    calls = tuple(
        dict.fromkeys(
            name
            for sub in walking.walk(value)
            if isinstance(sub, ast.Call) and (name := walk.callee(sub))
        )
    )
    user = mentions_user(value)
    resolved = walk.resolve(value)
    for name in names:
        yield SelfWrite(name, calls, user, resolved)


@collects(ast.Return, nested=False)
def _returns(walk: FunctionWalk, nodes: list[ast.Return]) -> None:
    """``return`` statements of the function itself (not its nested wrappers)."""
    walk.returns.extend(nodes)


# --- calls -----------------------------------------------------------------------------------


def _callee_hint(short: str) -> str:
    if short.endswith(SECRET_CHECKS):
        return "secret"
    return "trusted" if "ip_address" in short or "ip_network" in short else ""


_CALLEE_HINTS: dict[str, str] = {}
"""Memo of :func:`_callee_hint`."""


@collects(ast.Call)
def _calls(walk: FunctionWalk, nodes: list[ast.Call]) -> None:
    """Resolve every call once; hand it to the call collectors that want its callee."""
    wanted = CALL_COLLECTORS
    memo = _CALLEE_HINTS
    for node in nodes:
        name = walk.callee(node)
        if name:
            walk.called.append(name)
        short = name.rsplit(".", 1)[-1]
        if (short in _DYNAMIC or type(node.func) is ast.Call) and indirect_call(node):
            walk.called.append(INDIRECT_CALL)
        for collect in wanted.get(short, ()):
            collect(walk, node, name)
        hint = memo.get(short)
        if hint is None:
            hint = memo[short] = _callee_hint(short)
        if hint:
            walk.hints.add(hint)


_DYNAMIC = frozenset({"getattr", "map", "methodcaller", "filter"})


def indirect_call(node: ast.Call) -> bool:
    """``node`` calls a method by a name the scan cannot see, or by one that may write.

    ``getattr(a, name)()`` and ``methodcaller(name)``; ``getattr(a, "delete")``,
    ``methodcaller("delete")``, ``map(Article.delete, qs)``: recorded as
    :data:`~mtlsguard.scan.knowledge.INDIRECT_CALL`. Not ``getattr(user, field)`` taken as a
    value (Kolibri Studio's ``{field: getattr(user, field) ...}``) nor ``map(self.row, items)``.
    """
    func = node.func
    if isinstance(func, ast.Call):  # getattr(a, name)(), methodcaller(name)(a)
        inner = func.func
        return isinstance(inner, ast.Name) and inner.id in ("getattr", "methodcaller")
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    args = node.args
    if name == "getattr":
        return len(args) >= 2 and _writing_name(args[1], constant=True)
    if name == "methodcaller":
        return not args or _writing_name(args[0], constant=True, unknown=True)
    if name in ("map", "filter") and isinstance(func, ast.Name):
        return bool(args) and _writing_name(args[0], constant=False)
    return False


def _writing_name(node: ast.expr, *, constant: bool, unknown: bool = False) -> bool:
    """``"delete"`` (``constant``) or ``Article.delete`` / ``delete``: a name that may write.

    ``unknown``: a name not written as a constant counts too (``methodcaller(action)``).
    """
    if constant:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str) and node.value in ORM_WRITES
        return unknown
    if isinstance(node, ast.Attribute):
        return node.attr in ORM_WRITES
    return isinstance(node, ast.Name) and node.id in ORM_WRITES


@collects(ast.Call)
def _super_calls(walk: FunctionWalk, nodes: list[ast.Call]) -> None:
    """``super().dispatch(...)``: which methods hand on to the next class of the MRO."""
    for node in nodes:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "super"
        ):
            walk.supers.append(func.attr)


@on_call("login")
def _login(walk: FunctionWalk, _call: ast.Call, name: str) -> None:
    if name in ("django.contrib.auth.login", "login") or name.endswith("auth.login"):
        walk.calls_login = True


@on_call("cycle_key", "flush")
def _session_cycle(walk: FunctionWalk, _call: ast.Call, _name: str) -> None:
    walk.cycles = True


@on_call("authenticate", "check_password")
def _credential_check(walk: FunctionWalk, _call: ast.Call, _name: str) -> None:
    walk.authenticates = True


@on_call("decode")
def _jwt_decode(walk: FunctionWalk, call: ast.Call, name: str) -> None:
    if "jwt" not in name.lower() and "jwt" not in ast.unparse(call.func):
        return
    verify_off = allows_none = False
    for kw in call.keywords:
        if kw.arg == "verify" and isinstance(kw.value, ast.Constant) and kw.value.value is False:
            verify_off = True
        elif kw.arg == "options" and isinstance(kw.value, ast.Dict):
            for k, v in zip(kw.value.keys, kw.value.values, strict=True):
                if (
                    isinstance(k, ast.Constant)
                    and k.value == "verify_signature"
                    and isinstance(v, ast.Constant)
                    and v.value is False
                ):
                    verify_off = True
        elif kw.arg == "algorithms":
            allows_none = any(s.lower() == "none" for s in strings(kw.value))
    walk.jwts.append(JwtDecode(call.lineno, verify_off, allows_none))


@on_call(
    "has_perm", "has_perms", "has_permission", "check_object_permissions", "has_object_permission"
)
def _object_permission(walk: FunctionWalk, call: ast.Call, name: str) -> None:
    """A call that checks a permission on one object, not only on the model.

    ``user.has_perm(perm, obj)`` (two arguments: Django's object-permission form),
    ``self.check_object_permissions(request, obj)``, ``has_object_permission(...)``, and
    ``obj.has_permission(request.user)`` (an object asked about a user, as label-studio does;
    DRF's ``has_permission(request, view)`` mentions no user and does not count).
    """
    short = name.rsplit(".", 1)[-1]
    if short in ("has_perm", "has_perms"):
        checked = len(call.args) >= 2
    elif short == "has_permission":
        checked = any(mentions_user(arg) for arg in call.args)
    else:
        checked = True
    walk.object_checked = walk.object_checked or checked
