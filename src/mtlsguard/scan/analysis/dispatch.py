"""Which mixins and ``dispatch()`` overrides of a class-based view actually run.

Shared by Django and DRF class views. A request enters at the first ``dispatch`` of the MRO;
each project override runs the next one only if it calls ``super().dispatch()``, and Django's
``View.dispatch`` (any generic view) never calls ``super()``. So an authenticating mixin placed
*after* the generic view in the bases (``class V(DetailView, LoginRequiredMixin)``) never runs:
it is not counted. The order is Python's C3 linearisation with Django's view hierarchy
expanded (:mod:`mtlsguard.scan.linearisation`): in ``class V(YearArchiveView, ProtectedList)``
the shared ``View`` comes after ``ProtectedList``'s ``LoginRequiredMixin``, which does run.
``UserPassesTestMixin`` counts only when its ``test_func`` looks at the user.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from mtlsguard.scan.analysis.bearer import credential_gate
from mtlsguard.scan.analysis.decorators import DecoratorReader
from mtlsguard.scan.analysis.secrets import secret_gate
from mtlsguard.scan.knowledge import AUTH_MIXINS, DJANGO_VIEW_METHODS, PUBLIC_VIEWS, short_of
from mtlsguard.scan.linearisation import (
    DJANGO_CLASSES,
    DJANGO_TERMINAL_DISPATCH,
    Linearisation,
)
from mtlsguard.scan.project_model import ClassModel, Const, FunctionModel, ProjectModel, Ref, Seq

__all__ = [
    "DispatchChain",
    "declared_methods",
    "dispatch_chain",
    "gate_tests",
    "is_login_view",
    "predicate",
    "served_methods",
    "user_checking_methods",
]


@dataclass(slots=True)
class DispatchChain:
    """What runs on the way from ``as_view()`` to the handler."""

    auth: list[str] = field(default_factory=list)
    """Mixins and ``dispatch()`` checks that refuse anonymous users."""
    cert: list[str] = field(default_factory=list)
    """``dispatch()`` overrides that check a certificate header."""
    trivial: list[str] = field(default_factory=list)
    """Checks that let everybody through (a ``test_func`` that ignores the user)."""
    public: bool = False
    """The generic view is public by design (``LoginView``)."""
    methods: set[str] = field(default_factory=set)
    """HTTP methods the generic view answers."""


def dispatch_chain(
    project: ProjectModel,
    decorators: DecoratorReader,
    cls: ClassModel,
    linearisation: Linearisation | None = None,
) -> DispatchChain:
    """Walk ``cls``'s MRO as ``dispatch`` would: stop at the first one not calling super().

    ``linearisation`` keeps the expanded MROs of the project between calls.
    """
    chain = DispatchChain()
    reached = True
    declared = {short_of(e) for e in cls.mro}
    order = (linearisation or Linearisation(project)).of(cls)
    overrides: list[tuple[ClassModel, FunctionModel]] = []
    for entry in order:
        # The view's bases, never the view itself: a declaration names a guard it inherits.
        guard = project.declared.guard(entry) if reached and entry != cls.qualname else ""
        if guard:
            chain.auth.append(f"{short_of(entry)} (declared guard {guard!r})")
        local = project.class_named(entry)
        if local is not None:
            if reached and "dispatch" in local.methods:
                overrides.append((local, local.methods["dispatch"]))
                reached = _local_dispatch(project, decorators, cls, local, chain)
            continue
        short = short_of(entry)
        modelled = entry.startswith("django.") and short in DJANGO_CLASSES
        if short in DJANGO_VIEW_METHODS and (short in declared or not modelled):
            chain.methods.update(DJANGO_VIEW_METHODS[short])
            chain.public = chain.public or short in PUBLIC_VIEWS
        if entry in DJANGO_TERMINAL_DISPATCH or (short in DJANGO_VIEW_METHODS and not modelled):
            reached = False  # View.dispatch never calls super(): later mixins never run
        elif reached and short in AUTH_MIXINS:
            _mixin(project, cls, short, chain)
    credential = credential_gate(project, cls, overrides) if overrides else ""
    if credential:
        chain.auth.append(credential)
    return chain


def _local_dispatch(
    project: ProjectModel,
    decorators: DecoratorReader,
    cls: ClassModel,
    local: ClassModel,
    chain: DispatchChain,
) -> bool:
    """Record what a project ``dispatch()`` checks; True if it hands on through super()."""
    dispatch = local.methods["dispatch"]
    owner = short_of(local.qualname)
    chain.auth.extend(decorators.effects(dispatch.decorators).auth)
    facts = dispatch.facts
    if facts.auth_guard or (facts.object_owner_guard and _single_object(cls)):
        chain.auth.append(f"request.user check in {owner}.dispatch()")
    if facts.secret_guard:
        chain.auth.append(f"secret-token check in {owner}.dispatch()")
    principal = decorators.principal_gate(dispatch)
    if principal:
        chain.auth.append(f"{owner}.dispatch() {principal}")
    secret = secret_gate(project, dispatch)
    if secret:
        chain.auth.append(f"{owner}.dispatch(): {secret}")
    for name in facts.guard_methods:
        found = predicate(project, cls, name)
        if found is None:
            continue
        why_not = _ignores_user(found[1])
        if why_not is None:
            chain.auth.append(f"{owner}.dispatch() refuses unless self.{found[0]}() (a user check)")
        elif found[0] == "test_func" or name.endswith("()"):
            # The AccessMixin convention (a test the view overrides): say why it lets all in.
            chain.trivial.append(f"{owner}.dispatch() asks self.{found[0]}(), which {why_not}")
    if facts.cert_guard:
        chain.cert.append(f"{owner}.dispatch() checks {', '.join(facts.cert_keys)}")
    return "dispatch" in facts.super_calls


def predicate(
    project: ProjectModel, cls: ClassModel, name: str
) -> tuple[str, FunctionModel] | None:
    """The method of ``cls`` a gate asks, by the name :attr:`FunctionFacts.guard_methods` uses.

    ``"has_permission"`` is that method; ``"get_test_func()"`` is the method it returns
    (``return self.test_func``, Django's ``UserPassesTestMixin.get_test_func``), when every
    answer names the same one.
    """
    if not name.endswith("()"):
        found = project.method(cls, name)
        alias = project.attribute(cls, name) if found is None else None
        if alias is not None and isinstance(alias[1], Ref) and "." not in alias[1].name:
            # test_func = user_can_edit_study: a method of the class under a second name
            found = project.method(alias[0], alias[1].name)
            name = alias[1].name if found is not None else name
        return (name, found[1]) if found is not None else None
    getter = project.method(cls, name[:-2])
    if getter is None:
        return None
    named = {
        value.name.removeprefix("self.")
        for value in getter[1].facts.returns
        if isinstance(value, Ref) and value.name.startswith("self.")
    }
    if len(named) != 1 or len(getter[1].facts.returns) != 1:
        return None
    target = named.pop()
    found = project.method(cls, target)
    return (target, found[1]) if found is not None else None


def user_checking_methods(
    project: ProjectModel, cls: ClassModel, names: tuple[str, ...]
) -> list[str]:
    """Those of ``names`` (methods a gate refuses on) that look at the user and can say no.

    ``has_permission()`` returning ``user.has_perms(...)``: yes; a method that never reads
    the user, or always answers ``True``, is no check.
    """
    checking: list[str] = []
    for name in names:
        found = predicate(project, cls, name)
        if found is None:
            continue
        if _ignores_user(found[1]) is None:
            checking.append(found[0])
    return checking


def _ignores_user(func: FunctionModel) -> str | None:
    """None if ``func`` (a predicate) looks at the user and can say no; otherwise why not."""
    facts = func.facts
    if facts.returns and all(isinstance(r, Const) and r.value for r in facts.returns):
        return "always returns True"
    if not (facts.mentions_user or facts.auth_guard):
        return "does not look at the user"
    return None


def gate_tests(
    project: ProjectModel, cls: ClassModel, linearisation: Linearisation | None = None
) -> list[tuple[str, FunctionModel]]:
    """The predicates of ``cls`` that a ``dispatch()`` on the way refuses on.

    Django's ``UserPassesTestMixin`` asks ``test_func()``; a project ``dispatch()`` the methods
    its refusals depend on (a project ``AccessMixin`` that does what ``LoginRequiredMixin`` and
    ``UserPassesTestMixin`` do: ``if not self.get_test_func()(): return
    self.handle_no_permission()``). Only a ``dispatch()`` the request reaches counts, as in
    :func:`dispatch_chain`.
    """
    found: dict[str, FunctionModel] = {}
    for entry in (linearisation or Linearisation(project)).of(cls):
        local = project.class_named(entry)
        if local is not None:
            dispatch = local.methods.get("dispatch")
            if dispatch is None:
                continue
            for name in dispatch.facts.guard_methods:
                hit = predicate(project, cls, name)
                if hit is not None:
                    found.setdefault(*hit)
            if "dispatch" not in dispatch.facts.super_calls:
                break
            continue
        short = short_of(entry)
        if entry in DJANGO_TERMINAL_DISPATCH or (
            short in DJANGO_VIEW_METHODS
            and not (entry.startswith("django.") and short in DJANGO_CLASSES)
        ):
            break
        if short == "UserPassesTestMixin":
            hit = predicate(project, cls, "get_test_func()") or predicate(project, cls, "test_func")
            if hit is not None:
                found.setdefault(*hit)
    return list(found.items())


def _mixin(project: ProjectModel, cls: ClassModel, short: str, chain: DispatchChain) -> None:
    if short != "UserPassesTestMixin":
        chain.auth.append(short)
        return
    why_not = _test_func_ignores_user(project, cls)
    if why_not is None:
        chain.auth.append(short)
    else:
        chain.trivial.append(why_not)


def _test_func_ignores_user(project: ProjectModel, cls: ClassModel) -> str | None:
    """None if ``test_func`` checks the user; otherwise why it does not."""
    found = project.method(cls, "test_func")
    if found is None:
        return None  # Django raises NotImplementedError: nobody gets in
    why = _ignores_user(found[1])
    return f"UserPassesTestMixin.test_func {why}" if why else None


def is_login_view(project: ProjectModel, cls: ClassModel) -> bool:
    """Login/token endpoints are public by design (MG106 looks at their throttling)."""
    if any(short_of(e) in PUBLIC_VIEWS for e in cls.mro):
        return True
    for name in ("post", "create", "form_valid"):
        found = project.method(cls, name)
        if found is not None and found[1].may_authenticate() and found[1].facts.authenticates:
            return True
    return False


def served_methods(
    project: ProjectModel,
    cls: ClassModel,
    methods: Collection[str],
    generic: Mapping[str, tuple[str, ...]],
) -> set[str]:
    """``methods`` minus those whose handler only answers 405 (a base view's refusing stub).

    The handler is the first definer along the MRO: a project method
    (``FunctionFacts.not_allowed_stub``) or an external generic view that answers the method
    (``generic``: short name -> upper-case methods), which serves it. Nothing is dropped when
    every method would go (the view would serve nothing; leave that to the rules as before).
    """
    stubs: set[str] = set()
    for method in methods:
        name = method.lower()
        for entry in cls.mro:
            local = project.class_named(entry)
            if local is not None and name in local.methods:
                if local.methods[name].facts.not_allowed_stub:
                    stubs.add(method)
                break
            if local is None and method in generic.get(short_of(entry), ()):
                break
    allowed = declared_methods(project, cls)
    kept = {m for m in methods if m not in stubs and (allowed is None or m in allowed)}
    return kept if kept else set(methods)


def declared_methods(project: ProjectModel, cls: ClassModel) -> frozenset[str] | None:
    """Upper-case methods of the nearest ``http_method_names = [...]`` along the MRO, if any.

    Django's ``View.dispatch()`` answers any other method with 405 before a handler runs (a
    viewset with ``http_method_names = ["get", "patch"]`` never destroys).
    """
    for entry in cls.mro:
        local = project.class_named(entry)
        if local is None:
            continue
        value = local.attributes.get("http_method_names")
        if value is None:
            continue
        if not isinstance(value, Seq) or not all(
            isinstance(v, Const) and isinstance(v.value, str) for v in value.items
        ):
            return None
        return frozenset(str(v.value).upper() for v in value.items if isinstance(v, Const))
    return None


_OBJECT_VIEWS = frozenset(
    {"SingleObjectMixin", "DetailView", "UpdateView", "DeleteView", "BaseDetailView"}
)
_NEW_OBJECT_VIEWS = frozenset({"CreateView", "BaseCreateView", "FormView"})


def _single_object(cls: ClassModel) -> bool:
    """Django's detail/update/delete views: ``get_object()`` always gives one (or 404)."""
    names = {short_of(entry) for entry in cls.mro}
    return bool(names & _OBJECT_VIEWS) and not names & _NEW_OBJECT_VIEWS
