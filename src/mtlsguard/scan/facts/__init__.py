"""Security facts of one function body, from its AST (shared by both front-ends).

The static front-end hands in the parsed definition; runtime introspection hands in the same
source file's definition. Names are resolved through a callback so the same analysis works with
either front-end's name resolution. No regexes.

Two steps: one walk over the body feeds the collectors registered per node type
(:mod:`.walk`, :mod:`.collectors`); then the costlier questions that re-read the body — is
there a guard that refuses, which branch of ``get_permissions()`` applies (:mod:`.guards`,
:mod:`.branches`) — are asked only when the walk saw a hint that the answer may be yes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from mtlsguard.scan.body_records import NO_LOOKUP_FACTS
from mtlsguard.scan.facts import collectors as _collectors  # noqa: F401  (registers them)
from mtlsguard.scan.facts.account_reads import account_attributes, idle_user_tests
from mtlsguard.scan.facts.auth_guards import auth_guard
from mtlsguard.scan.facts.branches import permission_branches
from mtlsguard.scan.facts.caller_keys import caller_keys
from mtlsguard.scan.facts.caller_relations import caller_relation_lines
from mtlsguard.scan.facts.capabilities import capability_facts, signed_guard
from mtlsguard.scan.facts.containers import container_names
from mtlsguard.scan.facts.decorator_checks import (
    checked_url_keys,
    predicate_admits_anonymous,
    predicate_role,
    rebound_params,
    refuses_anywhere,
)
from mtlsguard.scan.facts.exemption_marks import exemption_marks
from mtlsguard.scan.facts.field_paths import related_paths
from mtlsguard.scan.facts.full_path import tests_full_path
from mtlsguard.scan.facts.guards import (
    cert_guard,
    delegated_guard,
    request_context,
    safe_methods_shortcut,
    self_method_guards,
    user_test,
)
from mtlsguard.scan.facts.object_flow import (
    checked_params,
    filter_only,
    object_handoffs,
    token_checked,
)
from mtlsguard.scan.facts.object_methods import (
    instance_checks,
    object_method_calls,
    super_delegates,
    user_check_params,
)
from mtlsguard.scan.facts.object_tests import object_tests
from mtlsguard.scan.facts.owner_guards import owner_guard
from mtlsguard.scan.facts.ownership import checked_attributes, ownership_checked
from mtlsguard.scan.facts.path_gate import Growth, login_paths
from mtlsguard.scan.facts.permission_flow import (
    flow_self_calls,
    may_fetch,
    object_flow,
    permission_name,
)
from mtlsguard.scan.facts.predicates import admits_anonymous
from mtlsguard.scan.facts.public_filter import PUBLIC_FILTER_CALLS, public_filter
from mtlsguard.scan.facts.random_fills import self_fills
from mtlsguard.scan.facts.refusals import (
    gate_calls,
    predicate_gates,
    raises_refusal,
    refusing_params,
    request_calls,
    unsafe_only_refusal,
)
from mtlsguard.scan.facts.role_guards import role_branch_lines, role_guard
from mtlsguard.scan.facts.secret_checks import secret_guard
from mtlsguard.scan.facts.session_gate import pre_login_session
from mtlsguard.scan.facts.stubs import not_allowed_stub, serves_nothing
from mtlsguard.scan.facts.syntax import FunctionNode
from mtlsguard.scan.facts.walk import FunctionWalk, Resolver
from mtlsguard.scan.knowledge import HTTP_METHODS
from mtlsguard.scan.project_model import Const, FunctionFacts, LookupFacts, ObjectFlow, UserChecks

__all__ = ["Resolver", "analyze_function"]

_SCOPING_METHODS = ("get_queryset", "get_object", "filter_queryset")
_MIDDLEWARE_HOOKS = frozenset({"__call__", "process_request", "process_view"})
_GATE_METHODS = ("dispatch", "initial", "check_permissions")
_OBJECT_CHECKERS = frozenset({"dispatch", "setup", "initial", *HTTP_METHODS})
"""Methods whose check of ``self.object`` guards what the view's ``get_object()`` fetched."""


def analyze_function(
    func: FunctionNode,
    resolve: Resolver,
    constant: Callable[[str], str | None] = lambda _name: None,
    growth: Growth = lambda _name: (),
) -> FunctionFacts:
    """Compute :class:`FunctionFacts` for ``func``.

    :param resolve: resolves an expression of ``func``'s module to an :data:`Expr`.
    :param constant: value of a module-level string constant, by name (for header names kept
        in constants such as ``CERT_HEADER = "HTTP_X_SSL_CLIENT_S_DN"``).
    :param growth: what the module may add to a module-level list after assigning it
        (``EXEMPT += [...]`` under an ``if``; None: assigned again in a block, unknown).
    """
    walk = FunctionWalk(func, resolve, constant)
    walk.run()
    hints = walk.hints
    # A staff or global-permission hint is worth the role checks; ``auth`` covers is_staff.
    role_hint = "auth" in hints or "role" in hints
    user_hint = "auth" in hints or "user" in hints or "userdata" in hints
    mentions_user = "user" in hints
    # ``get_full_path()`` tested (not only quoted in a ``next=`` link) reads the path too.
    by_path = "path" in hints or (func.name in _MIDDLEWARE_HOOKS and tests_full_path(func))
    shorts = frozenset(name.rsplit(".", 1)[-1] for name in walk.called)
    frozen_hints = frozenset(hints)
    guarded, guards = _guard_facts(func, walk, shorts)
    return FunctionFacts(
        cert_keys=tuple(dict.fromkeys(walk.cert_keys)),
        cert_guard=bool(walk.cert_keys) and cert_guard(func, constant, auth_guard=guarded()),
        trusted_proxy_check="trusted" in hints,
        calls_login=walk.calls_login,
        writes_session=walk.writes_session,
        cycles_session=walk.cycles or walk.calls_login,
        authenticates=walk.authenticates,
        jwt_decodes=tuple(walk.jwts),
        return_source=lambda: tuple(
            resolve(node.value) if node.value is not None else Const(None) for node in walk.returns
        ),
        super_calls=tuple(dict.fromkeys(walk.supers)),
        mentions_user=mentions_user,
        permission_branches=(
            permission_branches(func, resolve) if func.name == "get_permissions" else ()
        ),
        calls=tuple(dict.fromkeys(walk.called)),
        path_dependent=by_path,
        login_paths=(
            login_paths(func, resolve, growth)
            if func.name in _MIDDLEWARE_HOOKS and by_path and user_hint
            else None
        ),
        self_reads=tuple(dict.fromkeys(walk.self_reads)),
        self_writes=tuple(walk.self_writes),
        not_allowed_stub=func.name in HTTP_METHODS and not_allowed_stub(func),
        # Computed on first read (most bodies are never asked about them).
        # A body without lookups has no other lookup fact: its object flow (read for few
        # bodies; most only need the ``self`` methods it calls) comes on its own.
        lookup_source=(
            (lambda: _lookup_facts(func, walk, role_hint=role_hint))
            if walk.lookups
            else NO_LOOKUP_FACTS
        ),
        user_check_source=lambda: UserChecks(
            checked_params=checked_params(func) if mentions_user else (),
            checked_attributes=(
                checked_attributes(func) if mentions_user and func.name in _OBJECT_CHECKERS else ()
            ),
            object_tests=(
                object_tests(func) if mentions_user and "self.get_object" in walk.called else ()
            ),
        ),
        mark_source=lambda: exemption_marks(func),
        capability_source=lambda: capability_facts(
            func,
            resolve,
            shorts=shorts,
            hints=frozen_hints,
        ),
        later={
            **guards,
            "object_flow": (
                None
                if walk.lookups
                else lambda: object_flow(func, ()) if _flows(walk) else ObjectFlow()
            ),
            "self_method_calls": lambda: flow_self_calls(func),
            "may_fetch": lambda: bool(walk.lookups) or may_fetch(func),
            "instance_checks": lambda: instance_checks(func),
            "rebound_params": lambda: rebound_params(func),
            "admits_anonymous": lambda: (
                "user_passes_test" in shorts and predicate_admits_anonymous(func)
            ),
            "true_for_anonymous": lambda: admits_anonymous(func.args, func.body),
            "related_paths": lambda: related_paths(func),
            "checked_url_keys": lambda: (
                checked_url_keys(func) if walk.has_nested and mentions_user else ()
            ),
            "self_fills": lambda: self_fills(func, walk.callee),
            "serves_nothing": lambda: serves_nothing(func),
            "gate_calls": lambda: gate_calls(func, walk.callee),
            "request_calls": lambda: request_calls(func, walk.callee),
            "predicate_gates": lambda: predicate_gates(func, walk.callee),
            "containers": lambda: container_names(func),
            "account_attributes": lambda: account_attributes(func) if mentions_user else (),
            "idle_user_tests": lambda: idle_user_tests(func) if mentions_user else (),
            "caller_keys": lambda: caller_keys(func) if mentions_user else (),
            "public_filter": lambda: (
                public_filter(func)
                if any(n.endswith(PUBLIC_FILTER_CALLS) for n in walk.called)
                else ""
            ),
        },
    )


def _guard_facts(
    func: FunctionNode, walk: FunctionWalk, shorts: frozenset[str]
) -> tuple[Callable[[], bool], dict[str, object]]:
    """The guards of the body, each computed on first read (most bodies are asked few).

    The whole body is read again for most of them (no name is resolved, no file parsed):
    pretix reads ``auth_guard`` of 519 of its 1,639 functions, ``refusing_params`` of none.
    """
    hints = walk.hints
    role_hint = "auth" in hints or "role" in hints
    user_hint = "auth" in hints or "user" in hints or "userdata" in hints
    known: dict[str, bool] = {}

    def guarded() -> bool:
        if "guarded" not in known:
            known["guarded"] = bool(
                (user_hint and (auth_guard(func, nested=walk.has_nested) or owner_guard(func)))
                or ("denied" in hints and delegated_guard(func))
            )
        return known["guarded"]

    def refuses() -> bool:
        if "refuses" not in known:
            known["refuses"] = "denied" in hints and raises_refusal(func)
        return known["refuses"]

    return guarded, {
        "auth_guard": guarded,
        "secret_guard": lambda: (
            not guarded() and (("secret" in hints and secret_guard(func)) or signed_guard(func))
        ),
        "guard_methods": lambda: self_method_guards(func) if func.name in _GATE_METHODS else (),
        "safe_methods_shortcut": lambda: (
            "safe" in hints
            and (
                safe_methods_shortcut(func) or (guarded() and unsafe_only_refusal(func, user_test))
            )
        ),
        "user_scoped_queryset": lambda: (
            (func.name in _SCOPING_METHODS or "queryset" in func.name)
            and ("user" in hints or request_context(func))
        ),
        "pre_login_session": lambda: (
            pre_login_session(func, calls_login=walk.calls_login) if user_hint else ""
        ),
        "role_guard": lambda: (
            (role_guard(func, nested=walk.has_nested) if role_hint else "")
            or (predicate_role(func) if "user_passes_test" in shorts else "")
        ),
        "user_check_params": lambda: user_check_params(func) if refuses() else (),
        "super_delegates": lambda: super_delegates(func) if walk.supers else (),
        "raises_refusal": refuses,
        "may_refuse": lambda: refuses_anywhere(func),
        "refusing_params": lambda: refusing_params(func) if refuses() else (),
        "object_owner_guard": lambda: bool(
            user_hint
            and not guarded()
            and func.name == "dispatch"
            and owner_guard(func, present=True)
        ),
    }


def _lookup_facts(func: FunctionNode, walk: FunctionWalk, *, role_hint: bool) -> LookupFacts:
    """The body's fetches, which of them are checked, and where the objects go.

    Reads the finished walk and ``func``'s syntax only (no file is parsed), so it may run as
    late as the first question about them.
    """
    role_lines = role_branch_lines(func) if walk.lookups and role_hint else set()
    open_lines = {lk.line for lk in walk.lookups if not lk.user_scoped}
    checked_lines = ownership_checked(func, open_lines) if open_lines else set()
    flow = object_flow(func, tuple(walk.lookups)) if _flows(walk) else ObjectFlow()
    # obj = get_object_or_404(...), then user_has_permission_or_403(request.user, obj, perm)
    checked_lines |= {line for name, line, *_ in flow.fetched if name in flow.direct}
    if open_lines - checked_lines:
        checked_lines |= token_checked(func, open_lines - checked_lines)
    if open_lines - checked_lines and "user" in walk.hints:
        checked_lines |= filter_only(func, open_lines - checked_lines)
    unchecked = open_lines - checked_lines
    return LookupFacts(
        # An object-level permission check in the same view authorizes what it fetched
        # (user.has_perm(perm, obj), check_object_permissions, obj.has_permission(user)).
        lookups=tuple(
            replace(lk, user_scoped=True, checked=not lk.user_scoped)
            if walk.object_checked or lk.line in role_lines or lk.line in checked_lines
            else lk
            for lk in walk.lookups
        ),
        object_flow=flow,
        object_handoffs=object_handoffs(func, unchecked, walk.callee) if unchecked else (),
        object_method_calls=object_method_calls(func, unchecked, walk.callee) if unchecked else (),
        caller_relation_lines=(
            caller_relation_lines(func, unchecked) if unchecked and "user" in walk.hints else ()
        ),
    )


def _flows(walk: FunctionWalk) -> bool:
    """Worth following objects: the body fetches one, or hands things to a method or a check."""
    return bool(walk.lookups) or any(
        name.startswith(("self.", ".")) or permission_name(name.rsplit(".", 1)[-1])
        for name in walk.called
    )
