"""Value types of what a function body does, kept in :class:`~.project_model.FunctionFacts`.

Plain records with no dependency on the expression tree: the ORM fetches a view makes, its
``jwt.decode`` calls and where the objects it fetches go (:class:`ObjectFlow`;
``SelfWrite``, which holds an expression, stays in :mod:`.project_model`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from mtlsguard.scan.capability_facts import later_fact

__all__ = [
    "NO_EXEMPTION_MARKS",
    "NO_FLOW",
    "NO_LOOKUP_FACTS",
    "NO_USER_CHECKS",
    "ExemptionMarks",
    "JwtDecode",
    "LookupFacts",
    "ObjectFlow",
    "ObjectLookup",
    "PathCond",
    "PathTest",
    "UserChecks",
]


@dataclass(frozen=True, slots=True)
class ObjectLookup:
    """A single-object ORM fetch in a view body (``get_object_or_404(Account, pk=pk)``)."""

    line: int
    """1-based line of the call."""
    kind: str
    """``get_object_or_404``, ``get`` or ``filter``."""
    model: str | None
    """Dotted path of the model, when known."""
    url_kwargs: tuple[str, ...]
    """View parameters (URL kwargs) used in the lookup."""
    user_scoped: bool
    """True if the lookup or its queryset mentions ``request.user``/``self.request.user``."""
    server_keys: tuple[str, ...] = ()
    """Keywords with a value the caller did not choose (``project=self.project``)."""
    url_parent_keys: tuple[str, ...] = ()
    """Keywords through a relation with a value the caller chose (``workspace__slug=slug``)."""
    caller_fields: tuple[str, ...] = ()
    """Every keyword with a value the caller chose (``invitation_token__iexact=token``)."""
    checked: bool = False
    """:attr:`user_scoped` because a check of the fetched object follows (an ownership test, an
    object permission), not because the query itself names the caller."""
    alternatives: bool = False
    """Some keywords sit in ``Q(...) | Q(...)``: a match needs only some of them."""


@dataclass(frozen=True, slots=True)
class JwtDecode:
    """A ``jwt.decode(...)`` call."""

    line: int
    verify_disabled: bool
    """``options={"verify_signature": False}`` or ``verify=False``."""
    allows_none: bool
    """``"none"`` among the accepted algorithms."""


@dataclass(frozen=True, slots=True)
class ObjectFlow:
    """Objects a function fetches by a caller-chosen key, and where they go (per root name)."""

    fetched: tuple[tuple[str, int, str, str, bool], ...] = ()
    """(local, line, keys, ``self`` helper that fetched it or ``""``, key from the request)."""
    checked: tuple[str, ...] = ()
    """Roots a permission method was asked about with the user, here."""
    self_checks: tuple[tuple[str, str, str], ...] = ()
    """(permission method of ``self``, argument slot, root it carries)."""
    consumers: tuple[tuple[str, str, str], ...] = ()
    """(other method of ``self``, argument slot, root handed over as is)."""
    self_calls: tuple[str, ...] = ()
    """Methods of ``self`` called."""
    direct: tuple[str, ...] = ()
    """Fetched locals a permission check is asked about as they are (not through a parent)."""
    payload: tuple[str, ...] = ()
    """Roots handed to a permission method of another object (the plugins a placeholder is
    asked whether it may take): part of an access decision that never asked about them."""


NO_FLOW = ObjectFlow()
"""The flow of a body that fetches nothing and hands nothing to a check."""


@dataclass(frozen=True, slots=True)
class LookupFacts:
    """What a body fetches and where it goes (a part of its facts, computed on first read)."""

    lookups: tuple[ObjectLookup, ...] = ()
    """Single-object ORM fetches."""
    object_flow: ObjectFlow = NO_FLOW
    """Objects fetched by caller-chosen keys and the permission checks asked about them."""
    object_handoffs: tuple[tuple[int, str, int], ...] = ()
    """``(lookup line, method, position)``: a fetched object handed to ``self.method(...)``."""
    object_method_calls: tuple[tuple[int, str, str, tuple[int, ...]], ...] = ()
    """``(lookup line, form class or "", method, user/request argument positions)``: a fetched
    object's own method (or a form's on it) called with the requesting user."""
    caller_relation_lines: tuple[int, ...] = ()
    """Lines of unscoped lookups whose object only names a relation of the caller
    (``request.user.blocks.add(obj)``; :mod:`mtlsguard.scan.facts.caller_relations`)."""


NO_LOOKUP_FACTS = LookupFacts()
"""A body that fetches nothing."""


@dataclass(frozen=True, slots=True)
class PathTest:
    """A middleware's test of the request path (``request.path not in IGNORE_URL``).

    ``op`` is ``in`` (equal to one of the values), ``startswith``, ``endswith``, ``match``,
    ``search`` or ``fullmatch`` (regular expressions, :mod:`re`'s functions); the path is tested
    after ``lstrip`` (``request.path_info.lstrip("/")``). The values are the literal strings,
    plus the items of the Django list settings named in ``settings`` (``LOGIN_EXEMPT_URLS``)
    and the string settings in ``strings`` (``settings.LOGIN_URL.lstrip("/")``: the name and
    what is stripped from its left). ``full``: the path is ``get_full_path()`` (the query
    string follows it, and unsafe characters are percent-encoded).
    """

    op: str
    values: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    lstrip: str | None = None
    strings: tuple[tuple[str, str | None], ...] = ()
    full: bool = False
    listed: bool = False
    """The values are a container (``path in X``, ``for p in X``): a string there is not one
    value (``in`` tests a substring, a loop its characters)."""


@dataclass(frozen=True, slots=True)
class PathCond:
    """When a middleware refuses an anonymous request, as a condition on its path.

    ``kind`` is ``const`` (``value``), ``unknown`` (decided by something else than the path),
    ``test`` (``test``), ``not``, ``and`` or ``or`` (over ``parts``).
    """

    kind: str
    parts: tuple[PathCond, ...] = ()
    test: PathTest | None = None
    value: bool = False


@dataclass(frozen=True, slots=True)
class UserChecks:
    """What of its own a body checks against the user, refusing otherwise (read rarely)."""

    checked_params: tuple[int, ...] = ()
    """Positions (``self`` not counted) of parameters checked against the user, refusing."""
    checked_attributes: tuple[str, ...] = ()
    """``self.object`` when a refusing check tests that attribute of the view with the user."""
    object_tests: tuple[str, ...] = ()
    """What every answer of a predicate asks of ``self.get_object()`` about the user
    (:mod:`mtlsguard.scan.facts.object_tests`)."""


NO_USER_CHECKS = UserChecks()
"""A body that checks nothing of its own against the user."""


@dataclass(frozen=True, slots=True)
class ExemptionMarks:
    """Per-view exemption marks (:mod:`mtlsguard.scan.facts.exemption_marks`; read rarely)."""

    records: str = ""
    """The registry (``VIEWS_WITHOUT_LOGIN_REQUIRED``) or attribute (``.login_exempt``) a
    decorator records its argument in before returning it unchanged; ``""`` if none."""
    tests: tuple[str, ...] = ()
    """Registries the body tests by membership and attributes it reads by name."""


NO_EXEMPTION_MARKS = ExemptionMarks()
"""A body that records and tests no exemption mark."""


class LazyBodyFacts:
    """Readers of the body facts computed on first read (a base of ``FunctionFacts``).

    ``lookup_source`` / ``user_check_source`` hold the value or what computes it; the first
    read replaces the computation by its value (the dataclass is frozen, hence
    ``object.__setattr__``).
    """

    __slots__ = ()
    lookup_source: LookupFacts | Callable[[], LookupFacts]
    user_check_source: UserChecks | Callable[[], UserChecks]
    mark_source: ExemptionMarks | Callable[[], ExemptionMarks]
    later: dict[str, object]

    def _later(self, name: str) -> object:
        """The fact ``name`` of :attr:`later` (computed once; None if absent)."""
        return later_fact(self.later, name)

    @property
    def auth_guard(self) -> bool:
        """An inline ``request.user.is_authenticated`` (or staff/perm) check that returns/raises."""
        return bool(self._later("auth_guard"))

    @property
    def secret_guard(self) -> bool:
        """A check of a secret the caller presents (an invitation token) that refuses."""
        return bool(self._later("secret_guard"))

    @property
    def safe_methods_shortcut(self) -> bool:
        """``if request.method in SAFE_METHODS: return True`` (read access for anybody)."""
        return bool(self._later("safe_methods_shortcut"))

    @property
    def user_scoped_queryset(self) -> bool:
        """``get_queryset()``/``get_object()`` derives from ``request.user``/``.organizer``."""
        return bool(self._later("user_scoped_queryset"))

    @property
    def guard_methods(self) -> tuple[str, ...]:
        """``self.<name>()`` calls whose failing answer refuses (``if not self.has_perm()``)."""
        return cast("tuple[str, ...]", self._later("guard_methods") or ())

    @property
    def pre_login_session(self) -> str:
        """A session key naming a user that a refusing check requires (a second sign-in step)."""
        return cast(str, self._later("pre_login_session") or "")

    @property
    def role_guard(self) -> str:
        """A guard refusing users without a role: ``"staff"``, ``"permission"`` or ``""``."""
        return cast(str, self._later("role_guard") or "")

    @property
    def user_check_params(self) -> tuple[int, ...]:
        """Parameters an ``if`` tests before refusing or returning, in a body raising a refusal."""
        return cast("tuple[int, ...]", self._later("user_check_params") or ())

    @property
    def super_delegates(self) -> tuple[int, ...]:
        """Parameters handed on, at the same position, to ``super().<same method>(...)``."""
        return cast("tuple[int, ...]", self._later("super_delegates") or ())

    @property
    def raises_refusal(self) -> bool:
        """Raises ``PermissionDenied``/``NotAuthenticated``/``Http404`` somewhere: it can say no."""
        return bool(self._later("raises_refusal"))

    @property
    def may_refuse(self) -> bool:
        """A statement here or in a nested function refuses (raises, answers 403, redirects)."""
        return bool(self._later("may_refuse"))

    @property
    def refusing_params(self) -> tuple[int, ...]:
        """Positions (``self`` not counted) of parameters an ``if`` tests before refusing."""
        return cast("tuple[int, ...]", self._later("refusing_params") or ())

    @property
    def object_owner_guard(self) -> bool:
        """``dispatch()`` refuses unless the caller owns the object, when there is one."""
        return bool(self._later("object_owner_guard"))

    @property
    def instance_checks(self) -> tuple[tuple[str, int, int], ...]:
        """``self.instance.<method>(<param>.user)``: (method, parameter, argument) positions."""
        return cast("tuple[tuple[str, int, int], ...]", self._later("instance_checks") or ())

    @property
    def checked_url_keys(self) -> tuple[str, ...]:
        """URL keys a nested wrapper checks against the user before the view runs."""
        return cast("tuple[str, ...]", self._later("checked_url_keys") or ())

    @property
    def admits_anonymous(self) -> bool:
        """The ``user_passes_test(pred)`` the body returns certainly lets anonymous users in."""
        return bool(self._later("admits_anonymous"))

    @property
    def containers(self) -> frozenset[str]:
        """Local names only holding an in-memory dict, set or list (:mod:`.facts.containers`)."""
        return cast("frozenset[str]", self._later("containers") or frozenset())

    @property
    def account_attributes(self) -> frozenset[str]:
        """What is read or called on ``request.user`` (``email``; :mod:`.facts.account_reads`)."""
        return frozenset(cast("frozenset[str]", self._later("account_attributes") or ()))

    @property
    def idle_user_tests(self) -> tuple[int, ...]:
        """Lines of tests of ``request.user`` whose branch refuses and changes nothing."""
        return cast("tuple[int, ...]", self._later("idle_user_tests") or ())

    @property
    def caller_keys(self) -> tuple[tuple[str, str, str], ...]:
        """(model short name, relation, ``"key"``/``"list"``) queried with the caller.

        (:func:`mtlsguard.scan.facts.caller_keys.caller_keys`: ``manager=request.user``).
        """
        return tuple(cast("tuple[tuple[str, str, str], ...]", self._later("caller_keys") or ()))

    @property
    def related_paths(self) -> tuple[str, ...]:
        """``author__email`` of ``values(...)``/``only(...)``/``select_related(...)``.

        (:func:`mtlsguard.scan.facts.field_paths.related_paths`).
        """
        return cast("tuple[str, ...]", self._later("related_paths") or ())

    @property
    def true_for_anonymous(self) -> bool:
        """As a ``user_passes_test`` predicate, the function certainly admits anonymous users.

        (:func:`mtlsguard.scan.facts.predicates.admits_anonymous`).
        """
        return bool(self._later("true_for_anonymous"))

    @property
    def rebound_params(self) -> tuple[tuple[str, int, int], ...]:
        """Parameters assigned in the body: (name, first, last line the new value holds)."""
        return cast("tuple[tuple[str, int, int], ...]", self._later("rebound_params") or ())

    @property
    def self_fills(self) -> tuple[tuple[str, str], ...]:
        """``self.<attribute> = <call>(...)``: (attribute, resolved callee), generated fields."""
        return cast("tuple[tuple[str, str], ...]", self._later("self_fills") or ())

    @property
    def serves_nothing(self) -> bool:
        """The first statement answers 5xx/405 or raises "not implemented" unconditionally.

        ``NotImplementedError``/``Http404`` too: the code after it never runs
        (:mod:`mtlsguard.scan.facts.stubs`).
        """
        return bool(self._later("serves_nothing"))

    @property
    def gate_calls(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """Bare-statement calls of the body given the requesting user: (callee, user positions)."""
        return cast("tuple[tuple[str, tuple[int, ...]], ...]", self._later("gate_calls") or ())

    @property
    def request_calls(self) -> tuple[str, ...]:
        """Callees of unconditional statements handed the request (``self.get_thread(request)``)."""
        return cast("tuple[str, ...]", self._later("request_calls") or ())

    @property
    def predicate_gates(self) -> tuple[str, ...]:
        """Predicates given the request whose falsy answer refuses (``if not allowed(request)``)."""
        return cast("tuple[str, ...]", self._later("predicate_gates") or ())

    @property
    def public_filter(self) -> str:
        """A constant public-visibility filter that always narrows what the body queries.

        ``filter(is_public=True)``, ``exclude(privacy="private")``: :mod:`.facts.public_filter`.
        """
        return cast(str, self._later("public_filter") or "")

    @property
    def checked_params(self) -> tuple[int, ...]:
        """Positions (``self`` not counted) of parameters checked against the user, refusing."""
        return self._user_checks().checked_params

    @property
    def checked_attributes(self) -> tuple[str, ...]:
        """``self.object`` when a refusing check tests that attribute of the view with the user."""
        return self._user_checks().checked_attributes

    @property
    def object_tests(self) -> tuple[str, ...]:
        """What every answer asks of ``self.get_object()`` about the user (``test_func``)."""
        return self._user_checks().object_tests

    def _user_checks(self) -> UserChecks:
        value = self.user_check_source
        if not isinstance(value, UserChecks):
            value = value()
            object.__setattr__(self, "user_check_source", value)
        return value

    @property
    def exemption_marks(self) -> ExemptionMarks:
        """Per-view exemption marks recorded or tested (computed once)."""
        value = self.mark_source
        if not isinstance(value, ExemptionMarks):
            value = value()
            object.__setattr__(self, "mark_source", value)
        return value

    @property
    def lookup_facts(self) -> LookupFacts:
        """The :class:`LookupFacts` (computed once)."""
        value = self.lookup_source
        if not isinstance(value, LookupFacts):
            value = value()
            object.__setattr__(self, "lookup_source", value)
        return value

    @property
    def lookups(self) -> tuple[ObjectLookup, ...]:
        """Single-object ORM fetches."""
        return self.lookup_facts.lookups

    @property
    def object_flow(self) -> ObjectFlow:
        """Objects fetched by caller-chosen keys and the permission checks asked about them."""
        flow = self._later("object_flow")  # a body without lookups: computed on its own
        return flow if isinstance(flow, ObjectFlow) else self.lookup_facts.object_flow

    @property
    def self_method_calls(self) -> tuple[str, ...]:
        """``object_flow.self_calls`` (methods of ``self`` called), read without the flow."""
        found = self._later("self_method_calls")
        return cast("tuple[str, ...]", found) if found is not None else self.object_flow.self_calls

    @property
    def may_fetch(self) -> bool:
        """False when ``object_flow.fetched`` is certainly empty (then it is not computed)."""
        found = self._later("may_fetch")
        return bool(found) if found is not None else bool(self.object_flow.fetched)

    @property
    def object_handoffs(self) -> tuple[tuple[int, str, int], ...]:
        """``(lookup line, method, position)``: a fetched object handed to ``self.method(...)``."""
        return self.lookup_facts.object_handoffs

    @property
    def object_method_calls(self) -> tuple[tuple[int, str, str, tuple[int, ...]], ...]:
        """``(lookup line, form class or "", method, user/request argument positions)``."""
        return self.lookup_facts.object_method_calls

    @property
    def caller_relation_lines(self) -> tuple[int, ...]:
        """Unscoped lookups whose object only names a relation of the caller."""
        return self.lookup_facts.caller_relation_lines
