"""Security facts of one function body, from its AST (shared by both front-ends).

The static front-end hands in the parsed definition; runtime introspection can hand in
``ast.parse(inspect.getsource(func))``. Names are resolved through a callback so the same
analysis works with either front-end's name resolution. One walk per function; no regexes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from mtlsguard.scan.knowledge import SAFE_METHODS, is_cert_key
from mtlsguard.scan.project_model import (
    Const,
    Expr,
    FunctionFacts,
    JwtDecode,
    ObjectLookup,
    PermissionBranch,
    Ref,
    SelfWrite,
    Seq,
    Unknown,
)

__all__ = ["Resolver", "analyze_function"]

Resolver = Callable[[ast.expr], Expr]
"""Turns an expression of the analysed module into a resolved :data:`Expr`."""

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_AUTH_ATTRS = frozenset(
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
_NEGATIVE_ATTRS = frozenset({"is_anonymous"})
_STAFF_WORDS = ("staff", "superuser", "is_admin")
_OBJECT_PERMISSION_CALLS = frozenset(
    {"has_perm", "has_perms", "check_object_permissions", "has_object_permission", "has_permission"}
)
_SELF_PARAMS = frozenset({"self", "cls", "request", "args", "kwargs", "format"})
_REQUEST_SLOTS = frozenset({"request", "args", "kwargs"})
_OWNER_WORDS = ("user", "owner", "author", "created_by", "account_holder", "member", "customer")


def _object_permission_check(call: ast.Call, short: str) -> bool:
    """A call that checks a permission on one object, not only on the model.

    ``user.has_perm(perm, obj)`` (two arguments: Django's object-permission form),
    ``self.check_object_permissions(request, obj)``, ``has_object_permission(...)``, and
    ``obj.has_permission(request.user)`` (an object asked about a user, as label-studio does;
    DRF's ``has_permission(request, view)`` mentions no user and does not count).
    """
    if short in ("has_perm", "has_perms"):
        return len(call.args) >= 2
    if short == "has_permission":
        return any(_mentions_user(arg) for arg in call.args)
    return True


def _own_nodes(func: FunctionNode, *, nested: bool = False) -> Iterator[ast.AST]:
    """Walk ``func``'s body; skip nested defs and lambdas unless ``nested``."""
    stack: list[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        if not nested and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}
_SKIP_FIELDS = frozenset({"ctx", "op", "type_comment", "kind"})


def _children_reversed(node: ast.AST) -> list[ast.AST]:
    """Child nodes in reverse order, without ``ctx``/operator leaves (a hot path)."""
    kind = type(node)
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = tuple(f for f in kind._fields if f not in _SKIP_FIELDS)
        _CHILD_FIELDS[kind] = fields
    children: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value is None:
            continue
        if type(value) is list:
            children.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            children.append(value)
    children.reverse()
    return children


def _is_user_slot(target: ast.expr) -> bool:
    """``request.user = ...``, ``self.request.user = ...``, ``request.session[...] = ...``."""
    if isinstance(target, ast.Attribute) and target.attr in ("user", "_cached_user"):
        base = target.value
        return (isinstance(base, ast.Name) and base.id == "request") or (
            isinstance(base, ast.Attribute) and base.attr == "request"
        )
    if isinstance(target, ast.Subscript):
        base = target.value
        return isinstance(base, ast.Attribute) and base.attr == "session"
    return False


def _through_objects(node: ast.expr) -> bool:
    """``Model.objects.filter`` / ``Model.objects.select_related().filter``."""
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute):
            if node.attr == "objects":
                return True
            node = node.value
        else:
            node = node.func
    return False


_PATH_ATTRS = frozenset({"path", "path_info", "resolver_match", "url_name", "view_name"})
_REQUEST_INPUT = frozenset(
    {
        "GET",
        "POST",
        "data",
        "query_params",
        "method",
        "META",
        "headers",
        "FILES",
        "COOKIES",
        "body",
        "path",
        "path_info",
        "content_type",
        "resolver_match",
    }
)


def _request_context(func: FunctionNode) -> bool:
    """``self.request.organizer`` & co: request attributes set server-side (tenancy)."""
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "request"
            and node.attr not in _REQUEST_INPUT
        ):
            return True
    return False


def _strings(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def _mentions_attr(node: ast.AST, names: frozenset[str]) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in names for n in ast.walk(node))


def _mentions_user(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "user" for n in ast.walk(node))


def _is_negative(test: ast.expr) -> bool:
    """``not x.is_authenticated``, ``x.is_anonymous``, ``x.is_authenticated is False``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return not _is_negative(test.operand)
    if isinstance(test, ast.Compare) and len(test.comparators) == 1:
        right = test.comparators[0]
        if isinstance(right, ast.Constant) and right.value in (False, None):
            return not _is_negative(test.left)
    if isinstance(test, ast.BoolOp):
        return any(_is_negative(v) for v in test.values if _mentions_attr(v, _AUTH_ATTRS))
    return _mentions_attr(test, _NEGATIVE_ATTRS)


def _exits(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Return | ast.Raise) for s in body)


def _denies(stmt: ast.stmt) -> bool:
    """A ``raise`` or a ``return`` of something that looks like a refusal."""
    if isinstance(stmt, ast.Raise):
        return True
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        text = ast.unparse(stmt.value).lower()
        return any(
            w in text
            for w in (
                "redirect",
                "forbidden",
                "401",
                "403",
                "unauthorized",
                "permissiondenied",
                "login",
                "denied",
                "not_authenticated",
            )
        )
    return False


def _guard_blocks(
    body: list[ast.stmt], test_ok: Callable[[ast.expr], bool], *, either: bool = False
) -> bool:
    """An ``if`` among ``body``'s statements whose failing branch returns or raises.

    With ``either`` the polarity of the test is unknown (``header != "SUCCESS"``), so a refusal
    in any branch, or right after the ``if``, counts.
    """
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.Try | ast.With):
            if _guard_blocks(stmt.body, test_ok, either=either):
                return True
            continue
        if not isinstance(stmt, ast.If) or not test_ok(stmt.test):
            continue
        if either:
            after = body[index + 1] if index + 1 < len(body) else None
            if any(_denies(s) for s in stmt.body + stmt.orelse) or (
                after is not None and _denies(after)
            ):
                return True
            continue
        if _is_negative(stmt.test):
            if _exits(stmt.body):
                return True
        elif (stmt.orelse and any(_denies(s) for s in stmt.orelse)) or (
            not stmt.orelse and index + 1 < len(body) and _denies(body[index + 1])
        ):
            return True
    return False


def _staff_test(test: ast.expr) -> bool:
    """``user.is_staff``, ``user.is_superuser``, ``user.has_active_staff_session(...)``."""
    return any(
        isinstance(n, ast.Attribute) and any(w in n.attr for w in _STAFF_WORDS)
        for n in ast.walk(test)
    )


def _global_permission_test(test: ast.expr) -> bool:
    """``user.has_perm("management.use")``: a permission asked about no object."""
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("has_perm", "has_perms")
        and len(n.args) + len(n.keywords) == 1
        for n in ast.walk(test)
    )


def _role_branch_lines(func: FunctionNode) -> set[int]:
    """Lines of calls made only when a staff or global-permission test passed.

    ``if request.user.has_active_staff_session(...): get_object_or_404(Model, pk=pk)``: that
    unscoped lookup is the staff branch (pretix's ``EditStaffSession.get_object``).
    """
    lines: set[int] = set()
    for node in _own_nodes(func):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if _is_negative(test) or not (_staff_test(test) or _global_permission_test(test)):
            continue
        for stmt in node.body:
            lines.update(n.lineno for n in ast.walk(stmt) if isinstance(n, ast.Call))
    return lines


def _role_guard(func: FunctionNode, *, nested: bool) -> str:
    """Which role a refusing guard in ``func`` (or a nested wrapper) requires, if any."""
    bodies = [func.body]
    if nested:
        bodies.extend(
            n.body
            for n in _own_nodes(func, nested=True)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        )
    for test, role in ((_staff_test, "staff"), (_global_permission_test, "permission")):
        if any(_guard_blocks(body, test) for body in bodies):
            return role
    return ""


def _decorator_guard(func: FunctionNode) -> bool:
    """Guards in the body or in nested wrapper functions (decorator pattern)."""
    if _guard_blocks(func.body, lambda t: _mentions_attr(t, _AUTH_ATTRS)):
        return True
    for node in _own_nodes(func, nested=True):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _guard_blocks(
            node.body, lambda t: _mentions_attr(t, _AUTH_ATTRS)
        ):
            return True
    return False


class _Analyzer:
    def __init__(
        self, func: FunctionNode, resolve: Resolver, constant: Callable[[str], str | None]
    ):
        self.func = func
        self.resolve = resolve
        self.constant = constant
        self.params = tuple(
            a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs
        )
        self.url_params = {p for p in self.params if p not in _SELF_PARAMS}

    def callee(self, call: ast.Call) -> str:
        value = self.resolve(call.func)
        if isinstance(value, Ref):
            return value.name
        if isinstance(call.func, ast.Attribute):
            return "." + call.func.attr
        return ""

    def cert_key_of(self, node: ast.AST) -> list[str]:
        keys = [s for s in _strings(node) if is_cert_key(s)]
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                value = self.constant(sub.id)
                if value is not None and is_cert_key(value):
                    keys.append(value)
        return keys

    def run(self) -> FunctionFacts:
        """One walk over the body; the rarer, costlier checks only when the walk saw a hint."""
        func = self.func
        cert_keys: list[str] = []
        calls_login = sets_user = cycles = authenticates = trusted = False
        mentions_user = auth_hint = safe_hint = has_nested = path_dependent = False
        role_hint = False
        lookups: list[ObjectLookup] = []
        object_checked = False
        jwts: list[JwtDecode] = []
        returns: list[Expr] = []
        supers: list[str] = []
        called: list[str] = []
        self_reads: list[str] = []
        self_writes: list[SelfWrite] = []
        # Two stacks instead of (node, nested) tuples: this loop is the scanner's hot path.
        stack: list[ast.AST] = list(reversed(func.body))
        nested_stack: list[ast.AST] = []
        nested = False
        while stack or nested_stack:
            if stack:
                node = stack.pop()
                if not nested and isinstance(
                    node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                ):
                    has_nested = True
                    nested_stack.append(node)  # walked after the body, flagged nested
                    continue
            else:
                nested = True
                stack = nested_stack
                nested_stack = []
                continue
            if isinstance(node, ast.Attribute):
                attr = node.attr
                owner = node.value
                if type(owner) is ast.Name and owner.id == "self" and attr not in _REQUEST_SLOTS:
                    self_reads.append(attr)
                if attr == "user":
                    mentions_user = True
                elif attr in _AUTH_ATTRS:
                    auth_hint = True
                elif attr == "SAFE_METHODS":
                    safe_hint = True
                elif attr in _PATH_ATTRS:
                    path_dependent = True
                elif "trusted" in attr.lower() or attr in ("remote_addr", "client_addr"):
                    trusted = True
                elif "staff" in attr or "superuser" in attr:
                    role_hint = True
            elif isinstance(node, ast.Name):
                name_id = node.id
                if name_id == "SAFE_METHODS":
                    safe_hint = True
                elif "trusted" in name_id.lower():
                    trusted = True
                const = self.constant(name_id)
                if const is not None and is_cert_key(const):
                    cert_keys.append(const)
            elif isinstance(node, ast.Constant):
                if isinstance(node.value, str):
                    if node.value == "REMOTE_ADDR":
                        trusted = True
                    elif node.value in SAFE_METHODS:
                        safe_hint = True
                    elif is_cert_key(node.value):
                        cert_keys.append(node.value)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                sets_user = sets_user or any(_is_user_slot(t) for t in targets)
                if node.value is not None:
                    self_writes.extend(self._self_writes(targets, node.value))
            elif isinstance(node, ast.Return):
                if not nested:
                    value = node.value
                    returns.append(self.resolve(value) if value is not None else Const(None))
            elif isinstance(node, ast.Call):
                name = self.callee(node)
                if name:
                    called.append(name)
                short = name.rsplit(".", 1)[-1]
                if name in ("django.contrib.auth.login", "login") or name.endswith("auth.login"):
                    calls_login = True
                elif short in ("cycle_key", "flush"):
                    cycles = True
                elif short in ("authenticate", "check_password"):
                    authenticates = True
                elif short == "decode" and (
                    "jwt" in name.lower() or "jwt" in ast.unparse(node.func)
                ):
                    jwts.append(self._jwt(node))
                elif short == "get_object_or_404" or (
                    short in ("get", "filter") and _through_objects(node.func)
                ):
                    lookup = self._lookup(node, short)
                    if lookup is not None:
                        lookups.append(lookup)
                elif short in _OBJECT_PERMISSION_CALLS and _object_permission_check(node, short):
                    object_checked = True
                func_node = node.func
                if (
                    isinstance(func_node, ast.Attribute)
                    and isinstance(func_node.value, ast.Call)
                    and isinstance(func_node.value.func, ast.Name)
                    and func_node.value.func.id == "super"
                ):
                    supers.append(func_node.attr)
                if "ip_address" in short or "ip_network" in short:
                    trusted = True
            stack.extend(_children_reversed(node))

        role_lines = _role_branch_lines(func) if lookups and (auth_hint or role_hint) else set()
        auth_guard = False
        if auth_hint:
            auth_guard = _guard_blocks(func.body, lambda t: _mentions_attr(t, _AUTH_ATTRS))
            if not auth_guard and has_nested:
                auth_guard = _decorator_guard(func)
        cert_guard = bool(cert_keys) and self._cert_guard(auth_guard)
        return FunctionFacts(
            auth_guard=auth_guard,
            cert_keys=tuple(dict.fromkeys(cert_keys)),
            cert_guard=cert_guard,
            trusted_proxy_check=trusted,
            calls_login=calls_login,
            sets_user=sets_user,
            cycles_session=cycles or calls_login,
            authenticates=authenticates,
            # An object-level permission check in the same view authorizes what it fetched
            # (user.has_perm(perm, obj), check_object_permissions, obj.has_permission(user)).
            lookups=tuple(
                replace(lk, user_scoped=True) if object_checked or lk.line in role_lines else lk
                for lk in lookups
            ),
            jwt_decodes=tuple(jwts),
            returns=tuple(returns),
            super_calls=tuple(dict.fromkeys(supers)),
            mentions_user=mentions_user,
            safe_methods_shortcut=safe_hint and self._safe_shortcut(),
            permission_branches=self._branches() if func.name == "get_permissions" else (),
            user_scoped_queryset=func.name in ("get_queryset", "get_object", "filter_queryset")
            and (mentions_user or _request_context(func)),
            calls=tuple(dict.fromkeys(called)),
            path_dependent=path_dependent,
            self_reads=tuple(dict.fromkeys(self_reads)),
            self_writes=tuple(self_writes),
            role_guard=_role_guard(func, nested=has_nested) if auth_hint or role_hint else "",
        )

    def _self_writes(self, targets: Sequence[ast.expr], value: ast.expr) -> Iterator[SelfWrite]:
        """``self.project = parse_path(request, ...)`` -> what the value is computed from."""
        names = [
            t.attr
            for t in targets
            if isinstance(t, ast.Attribute)
            and isinstance(t.value, ast.Name)
            and t.value.id == "self"
        ]
        if not names:
            return
        calls = tuple(
            dict.fromkeys(
                name
                for sub in ast.walk(value)
                if isinstance(sub, ast.Call) and (name := self.callee(sub))
            )
        )
        user = _mentions_user(value)
        for name in names:
            yield SelfWrite(name, calls, user)

    def _cert_guard(self, auth_guard: bool) -> bool:
        """A certificate-header check that refuses the request (taint through locals)."""
        func = self.func
        tainted: set[str] = set()
        for node in _own_nodes(func, nested=True):
            if (
                isinstance(node, ast.Assign | ast.AnnAssign)
                and node.value is not None
                and self.cert_key_of(node.value)
            ):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                tainted.update(t.id for t in targets if isinstance(t, ast.Name))

        def cert_test(test: ast.expr) -> bool:
            if self.cert_key_of(test):
                return True
            return any(isinstance(n, ast.Name) and n.id in tainted for n in ast.walk(test))

        if _guard_blocks(func.body, cert_test, either=True):
            return True
        if auth_guard:
            return False
        # Decorator shape: the check lives in a nested wrapper function.
        return any(
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and _guard_blocks(node.body, cert_test, either=True)
            for node in _own_nodes(func, nested=True)
        )

    def _jwt(self, call: ast.Call) -> JwtDecode:
        verify_off = allows_none = False
        for kw in call.keywords:
            if (
                kw.arg == "verify"
                and isinstance(kw.value, ast.Constant)
                and kw.value.value is False
            ):
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
                allows_none = any(s.lower() == "none" for s in _strings(kw.value))
        return JwtDecode(call.lineno, verify_off, allows_none)

    def _lookup(self, call: ast.Call, short: str) -> ObjectLookup | None:
        if short == "get_object_or_404":
            if not call.args:
                return None
            source: ast.expr = call.args[0]
            kind = "get_object_or_404"
        else:
            if not isinstance(call.func, ast.Attribute):
                return None
            owner = call.func.value
            if not _through_objects(owner):
                return None
            source = owner
            kind = short
        used: list[str] = []
        scoped = _mentions_user(call)
        for arg in [*call.args, *(kw.value for kw in call.keywords)]:
            for node in ast.walk(arg):
                if isinstance(node, ast.Name) and node.id in self.url_params:
                    used.append(node.id)
                elif isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("kwargs"):
                    used.append(ast.unparse(node.slice).strip("'\""))
        for kw in call.keywords:
            if kw.arg and any(w in kw.arg for w in _OWNER_WORDS):
                scoped = True
        model = None
        base: ast.expr = source
        while isinstance(base, ast.Attribute | ast.Call):
            if isinstance(base, ast.Call):
                base = base.func
            elif base.attr == "objects":
                base = base.value
                break
            else:
                base = base.value
        value = self.resolve(base)
        if isinstance(value, Ref):
            model = value.name
        if not used:
            return None
        return ObjectLookup(call.lineno, kind, model, tuple(dict.fromkeys(used)), scoped)

    def _safe_shortcut(self) -> bool:
        for node in _own_nodes(self.func):
            if not isinstance(node, ast.If):
                continue
            if "SAFE_METHODS" in ast.unparse(node.test) or set(_strings(node.test)) & SAFE_METHODS:
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Return)
                        and isinstance(stmt.value, ast.Constant)
                        and stmt.value.value is True
                    ):
                        return True
        return False

    def _branches(self) -> tuple[PermissionBranch, ...]:
        branches: list[PermissionBranch] = []
        current: Expr = Ref("self.permission_classes")
        stmts = list(self.func.body)
        for stmt in stmts:
            if isinstance(stmt, ast.If):
                chain: ast.stmt | None = stmt
                while isinstance(chain, ast.If):
                    actions, methods = self._condition(chain.test)
                    perms = self._perms_of(chain.body, current)
                    branches.append(PermissionBranch(perms, actions, methods))
                    rest = chain.orelse
                    if len(rest) == 1 and isinstance(rest[0], ast.If):
                        chain = rest[0]
                    else:
                        if rest:
                            current = self._perms_of(rest, current)
                            branches.append(PermissionBranch(current))
                            return tuple(branches)
                        chain = None
            else:
                current = self._perms_of([stmt], current)
        branches.append(PermissionBranch(current))
        return tuple(branches)

    def _perms_of(self, body: list[ast.stmt], default: Expr) -> Expr:
        result: Expr | None = None
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                text = ast.unparse(stmt.targets[0])
                if text.endswith("permission_classes") or text in ("perms", "permissions"):
                    result = self.resolve(stmt.value)
            elif isinstance(stmt, ast.Return) and stmt.value is not None:
                value = stmt.value
                if isinstance(value, ast.ListComp | ast.GeneratorExp):
                    # [p() for p in permission_classes] -> the iterated collection
                    iterated = self.resolve(value.generators[0].iter)
                    if isinstance(iterated, Ref) and iterated.short == "permission_classes":
                        return result if result is not None else default
                    if isinstance(iterated, Unknown | Ref) and result is not None:
                        return result
                    return iterated
                if isinstance(value, ast.List | ast.Tuple):
                    return Seq(tuple(self.resolve(e) for e in value.elts))
                if "super()" in ast.unparse(value):
                    return result if result is not None else default
                return self.resolve(value)
        return default if result is None else result

    @staticmethod
    def _condition(test: ast.expr) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        text = ast.unparse(test)
        values = tuple(_strings(test))
        if "SAFE_METHODS" in text:
            return None, ("GET", "HEAD", "OPTIONS")
        if ".action" in text and values:
            return values, None
        if ".method" in text and values:
            return None, tuple(v.upper() for v in values)
        return ("?",), None


def analyze_function(
    func: FunctionNode,
    resolve: Resolver,
    constant: Callable[[str], str | None] = lambda _name: None,
) -> FunctionFacts:
    """Compute :class:`FunctionFacts` for ``func``.

    :param resolve: resolves an expression of ``func``'s module to an :data:`Expr`.
    :param constant: value of a module-level string constant, by name (for header names kept
        in constants such as ``CERT_HEADER = "HTTP_X_SSL_CLIENT_S_DN"``).
    """
    return _Analyzer(func, resolve, constant).run()
