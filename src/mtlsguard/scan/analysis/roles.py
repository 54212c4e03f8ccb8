"""Views only a role reaches: administrators, staff, or holders of a global permission.

An administrator gate is a superuser check (``is_superuser`` alone, ``user_passes_test(lambda
u: u.is_superuser)``, ``superuser_required``) or a project's own administrator check (``is_admin``,
an active staff session) in a decorator, ``dispatch()`` or an ``as_view()`` override: role
``"superuser"``. A staff gate reads Django's ``is_staff`` flag (``staff_member_required``,
``user_passes_test(lambda u: u.is_staff)``, ``IsAdminUser`` among the permission classes every
request must pass, staff mixins, the admin site itself). A global permission is
``has_perm("management.use")`` with no object or ``permission_required``. Project functions are
followed a few calls deep, but only into files the scan has read. The BOLA rules (MG103, MG104)
read the gate through :meth:`~mtlsguard.scan.context.RuleContext.role_gate`: an administrator
holds every permission, so nothing is hidden from them; behind a staff gate listing everything
is the view's purpose, but ``is_staff`` grants no permission on an object (the admin still asks
the model and object permissions), so fetching one by a caller-chosen id stays a (low) finding;
behind a global permission, who holds it is data the scan cannot see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from mtlsguard.scan.analysis.dispatch import gate_tests
from mtlsguard.scan.analysis.permissions import action_kwarg, view_permission_classes
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.expressions import refs
from mtlsguard.scan.facts.role_guards import admin_role
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.linearisation import Linearisation
from mtlsguard.scan.project_model import (
    BinOp,
    Call,
    ClassModel,
    Const,
    Expr,
    FunctionModel,
    Lambda,
    ProjectModel,
    Ref,
    Seq,
    Unknown,
)

__all__ = ["RoleGate", "decorator_gate", "handler_role", "lambda_role", "role_gate"]

_STAFF_NAMES = frozenset(
    {"staff_member_required", "IsAdminUser", "StaffuserRequiredMixin", "StaffRequiredMixin"}
)
_SUPERUSER_NAMES = frozenset({"superuser_required", "SuperuserRequiredMixin"})
_PERMISSION_NAMES = frozenset({"permission_required", "PermissionRequiredMixin"})
_GATE_METHODS = ("as_view", "dispatch")
_FLAG_PREFIXES = ("is_", "can_", "has_")
_ELEVATED = ("manager", "privileged")
_ACCOUNT_FLAGS = frozenset({"is_active", "is_authenticated", "is_anonymous"})
_MAX_DEPTH = 3


@dataclass(frozen=True, slots=True)
class RoleGate:
    """What restricts a view to a role."""

    role: str
    """``"superuser"``, ``"staff"`` or ``"permission"``."""
    source: str
    """Where it is decided (``@management_access``, ``AdministratorPermissionRequiredMixin``)."""


def _function_role(project: ProjectModel, func: FunctionModel, depth: int = 0) -> str:
    """The role ``func`` or a project function it calls demands.

    Callees are followed only into files the scan has read (decorators and ``as_view()``
    wrappers are, by the protection analysis); ``dispatch()`` calls into the rest of the
    project are not worth parsing it for.
    """
    facts = func.facts
    if facts.role_guard:
        return facts.role_guard
    built = _built_role(project, func)
    if built:
        return built
    for value in facts.returns:  # return user_passes_test(lambda u: u.is_staff)(view_func)
        role = lambda_role(value.func if isinstance(value, Call) else value)
        if role:
            return role
    if depth >= _MAX_DEPTH:
        return ""
    for name in facts.calls:
        inner = project.function_named(name, parse=False)
        if inner is not None and inner is not func:
            role = _function_role(project, inner, depth + 1)
            if role:
                return role
    return ""


def _built_role(project: ProjectModel, func: FunctionModel) -> str:
    """The role of a decorator a checking factory made from a predicate of the user.

    ``@class_or_function_check_decorator`` on ``def manager_required(user): return
    user.is_manager``: the factory's wrapper refuses unless the predicate accepts the user. A
    predicate of the user alone (no object) is a global role: an administrator when it names
    one (``is_superuser``, ``is_admin``, or only manager flags: a manager of nothing in
    particular manages everything), staff for ``is_staff``, else a global permission.
    """
    if len(func.params) != 1:
        return ""
    for deco in func.decorators:
        base = deco.func if isinstance(deco, Call) else deco
        factory = project.function_named(base.name, parse=False) if isinstance(base, Ref) else None
        if factory is not None and factory is not func and factory.facts.auth_guard:
            return _flag_role([w for value in func.facts.returns for w in _words(value)])
    return ""


def _flag_role(words: list[str]) -> str:
    """The role a predicate reading these names of the user demands.

    An administrator when one is named (``is_superuser``, ``is_admin``, or only flags of an
    elevated role over nothing in particular, ``is_manager``/``is_privileged``: it covers
    everything), staff for ``is_staff``, else a global permission.
    """
    flags = [w for w in words if w.startswith(_FLAG_PREFIXES)]
    if flags and all(any(e in w for e in _ELEVATED) for w in flags):
        return "superuser"
    return admin_role(words) or "permission"


def _test_role(project: ProjectModel, func: FunctionModel) -> str:
    """The role a view's test predicate demands when it asks about the user alone.

    ``def test_func(self): return self.request.user.is_staff``, or ``return
    verify_user_is_privileged(self.request.user)`` with ``def verify_user_is_privileged(user):
    return user.is_privileged``: no object is asked about, so it is a global role, like a
    decorator built from such a predicate. Account-state flags (``is_active``) are no role.
    """
    flags = _user_flags(project, func, 0)
    if not flags or set(flags) <= _ACCOUNT_FLAGS:
        return ""
    return _flag_role(flags)


def _user_flags(project: ProjectModel, func: FunctionModel, depth: int) -> list[str] | None:
    """The flags of the user every answer of ``func`` is; None if one answer is anything else.

    An answer is a flag (``self.request.user.is_staff``, ``user.is_privileged`` of a
    parameter) or a project predicate handed the user whose answers are flags.
    """
    returns = func.facts.returns
    if not returns:
        return None
    flags: list[str] = []
    for value in returns:
        if isinstance(value, Ref):
            *owner, flag = value.name.split(".")
            if not (flag.startswith(_FLAG_PREFIXES) and _is_user(owner, func)):
                return None
            flags.append(flag)
            continue
        if not (
            isinstance(value, Call)
            and isinstance(value.func, Ref)
            and depth < _MAX_DEPTH
            and len(value.args) == 1
            and isinstance(value.args[0], Ref)
            and _is_user(value.args[0].name.split("."), func)
        ):
            return None
        callee = project.function_named(value.func.name, parse=False)
        inner = _user_flags(project, callee, depth + 1) if callee not in (None, func) else None
        if inner is None:
            return None
        flags.extend(inner)
    return flags


def _is_user(path: list[str], func: FunctionModel) -> bool:
    """``self.request.user``/``request.user``, or a parameter of a function of one."""
    if path in (["self", "request", "user"], ["request", "user"]):
        return True
    return len(path) == 1 and len(func.params) == 1 and path[0] == func.params[0]


def _words(value: Expr) -> list[str]:
    """Identifiers of a returned value (``user.is_manager`` -> ``user``, ``is_manager``)."""
    if isinstance(value, Ref):
        return value.name.split(".")
    if isinstance(value, Unknown):
        return re.findall(r"\w+", value.text)
    return []


def _named_role(project: ProjectModel, name: str) -> str:
    short = short_of(name)
    if short in _SUPERUSER_NAMES:
        return "superuser"
    if short in _STAFF_NAMES:
        return "staff"
    if short in _PERMISSION_NAMES:
        return "permission"
    func = project.function_named(name, parse=False)
    return _function_role(project, func) if func is not None else ""


def lambda_role(deco: Expr) -> str:
    """``user_passes_test(lambda u: u.is_superuser)`` -> ``"superuser"`` (``is_staff``: staff)."""
    if not (isinstance(deco, Call) and isinstance(deco.func, Ref) and deco.args):
        return ""
    test = deco.args[0]
    if deco.func.short != "user_passes_test" or not isinstance(test, Lambda):
        return ""
    return test.role if test.role in ("superuser", "staff") else ""


def handler_role(project: ProjectModel, cls: ClassModel | None, func: FunctionModel) -> str:
    """The role a handler demands itself or through a method of its view it calls.

    weblate's ``UserViewSet.groups`` calls ``self.perm_check(request)``, which refuses
    unless ``request.user.has_perm("user.edit")``: the lookups after it are behind that
    permission, like a view behind ``@permission_required``.
    """
    role = _action_role(func) or _function_role(project, func)
    if role or cls is None:
        return role
    for name in func.facts.calls:
        if name.startswith(("self.", ".")):
            hit = project.method(cls, short_of(name))
            if hit is not None and hit[1] is not func:
                role = _function_role(project, hit[1], 1)
                if role:
                    return role
    return ""


def _action_role(func: FunctionModel) -> str:
    """``"staff"`` for a DRF ``@action(permission_classes=[IsAdminUser])`` handler.

    DRF's documented ``action`` decorator replaces the viewset's permission classes for that
    action; a list is an AND, so a staff class in it gates every request (``IsAdminUser |
    IsOwner`` does not).
    """
    perms = action_kwarg(func, "permission_classes")
    for item in perms.items if isinstance(perms, Seq) else ():
        base = item.func if isinstance(item, Call) else item
        if isinstance(base, Ref) and short_of(base.name) in _STAFF_NAMES:
            return "staff"
    return ""


def role_gate(
    project: ProjectModel,
    analysis: RouteAnalysis,
    linearisation: Linearisation | None = None,
    defaults: Expr | None = None,
) -> RoleGate | None:
    """The strongest role gate in front of ``analysis``'s view (staff beats permission).

    ``linearisation``: the project's, shared by the routes (each class's MRO merged once);
    ``defaults``: DRF's ``DEFAULT_PERMISSION_CLASSES``, for a view that sets none.
    """
    found: list[RoleGate] = []
    if analysis.framework == "admin":
        found.append(RoleGate("staff", "the Django admin site"))
    decorators: list[Expr] = list(analysis.route.wrappers)
    if analysis.function is not None:
        decorators.extend(analysis.function.decorators)
    cls = analysis.klass
    if cls is not None:
        for entry in cls.mro:
            local = project.class_named(entry)
            if local is None:
                role = _named_role(project, entry)
                if role:
                    found.append(RoleGate(role, short_of(entry)))
                continue
            decorators.extend(local.decorators)
            for name in _GATE_METHODS:
                meth = local.methods.get(name)
                if meth is None:
                    continue
                decorators.extend(meth.decorators)
                role = _function_role(project, meth)
                if role:
                    found.append(RoleGate(role, f"{short_of(local.qualname)}.{name}()"))
        for name, func in gate_tests(project, cls, linearisation):
            role = _test_role(project, func)
            if role:
                owner = short_of(func.qualname.rsplit(".", 1)[0])
                found.append(RoleGate(role, f"dispatch() asks {owner}.{name}()"))
        declared = view_permission_classes(project, analysis.route, cls)
        perms = declared[0] if declared is not None else None
        if perms is None and analysis.framework == "drf":
            perms = defaults
        if isinstance(perms, Seq):
            # Only classes every request must pass (a list is an AND); IsAdminUser | AllowAny
            # restricts nobody.
            for item in perms.items:
                staff = _staff_class(item)
                if staff:
                    found.append(RoleGate("staff", staff))
                elif label := _permission_class(project, item):
                    found.append(RoleGate("permission", label))
    found.extend(_decorator_gates(project, decorators))
    return _strongest(found)


def _permission_class(project: ProjectModel, item: Expr) -> str:
    """``IsSystemTokenOrUser.has_permission()`` when that answers with a global permission.

    A project permission class whose ``has_permission`` returns ``request.user.has_perm(perm)``
    (:func:`~mtlsguard.scan.facts.role_guards.role_guard`): only holders of the permission
    (or of a service key it also checks) pass, as behind ``DjangoModelPermissions``.
    """
    cls = project.class_named(item.name) if isinstance(item, Ref) else None
    found = project.method(cls, "has_permission") if cls is not None else None
    if found is None or found[1].facts.role_guard != "permission":
        return ""
    return f"{short_of(found[0].qualname)}.has_permission()"


def _staff_class(item: Expr) -> str:
    """The staff class every request passing ``item`` must pass (``IsAdminUser``), or ``""``.

    ``IsAdminUser & DjangoModelPermissions`` requires it; ``IsAdminUser | ReadOnly`` only when
    both sides do.
    """
    if isinstance(item, BinOp) and item.op in ("&", "|"):
        left, right = _staff_class(item.left), _staff_class(item.right)
        if item.op == "&":
            return left or right
        return left if left and right else ""
    base = item.func if isinstance(item, Call) else item
    if isinstance(base, Ref) and short_of(base.name) in _STAFF_NAMES:
        return short_of(base.name)
    return ""


def decorator_gate(project: ProjectModel, decorators: tuple[Expr, ...]) -> RoleGate | None:
    """The strongest role gate among ``decorators`` (a handler's own, outermost first).

    ``@method_decorator(group_required("Application Administrator"))`` on ``delete()``: the
    factory's ``user_passes_test`` predicate asks the user's groups, a role over no object.
    """
    return _strongest(list(_decorator_gates(project, decorators)))


def _strongest(found: list[RoleGate]) -> RoleGate | None:
    for wanted in ("superuser", "staff", "permission"):
        for gate in found:
            if gate.role == wanted:
                return gate
    return None


def _decorator_gates(
    project: ProjectModel, decorators: list[Expr] | tuple[Expr, ...]
) -> Iterator[RoleGate]:
    for deco in decorators:
        role = lambda_role(deco)
        if role:
            yield RoleGate(role, f"@user_passes_test(lambda u: {role} flag)")
        for ref in refs(deco):
            role = _named_role(project, ref.name)
            if role:
                yield RoleGate(role, _gate_label(deco, ref))


def _gate_label(deco: Expr, ref: Ref) -> str:
    """``@group_required("Graph Editor")``: the decorator, with the role names it is given."""
    stack: list[Expr] = [deco]
    while stack:
        expr = stack.pop()
        if not isinstance(expr, Call):
            continue
        names = [a.value for a in expr.args if isinstance(a, Const) and isinstance(a.value, str)]
        if expr.func == ref and names:
            return f"@{short_of(ref.name)}({', '.join(repr(n) for n in names)})"
        stack.extend(expr.args)
        stack.extend(value for _, value in expr.kwargs)
    return f"@{short_of(ref.name)}"
