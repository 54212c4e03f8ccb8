"""The neutral project model: routes, views, classes and settings, whoever built them.

Two front-ends fill it: the static one (:mod:`mtlsguard.scan.static`, AST only, never imports
the scanned project) and runtime introspection under ``manage.py mtlsguard``. The analyses and
the rules only ever see this model, so both modes share one rule engine. Values the rules care
about are a tiny expression tree (:data:`Expr`) with every name resolved to a dotted path
(``p.IsAuthenticated`` becomes ``Ref("rest_framework.permissions.IsAuthenticated")``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mtlsguard.findings.model import Location
from mtlsguard.scan.body_records import (
    NO_EXEMPTION_MARKS,
    NO_LOOKUP_FACTS,
    NO_USER_CHECKS,
    ExemptionMarks,
    JwtDecode,
    LazyBodyFacts,
    LookupFacts,
    ObjectFlow,
    ObjectLookup,
    PathCond,
    UserChecks,
)
from mtlsguard.scan.capability_facts import NO_CAPABILITIES, CapabilityFacts
from mtlsguard.scan.declared import DeclaredAccess
from mtlsguard.scan.expressions import (
    BinOp,
    Call,
    Const,
    Expr,
    IfExpr,
    Lambda,
    Mapping,
    Ref,
    Seq,
    Unary,
    Unknown,
    string_constants,
)

__all__ = [
    "CREDENTIAL_CALL_HINT",
    "UNROUTED_PREFIX",
    "BinOp",
    "Call",
    "ClassModel",
    "Const",
    "Expr",
    "FunctionFacts",
    "FunctionModel",
    "IfExpr",
    "JwtDecode",
    "Lambda",
    "LookupFacts",
    "Mapping",
    "ObjectFlow",
    "ObjectLookup",
    "PermissionBranch",
    "ProjectModel",
    "Ref",
    "RouteModel",
    "SelfWrite",
    "Seq",
    "SettingValue",
    "SettingsModel",
    "Unary",
    "Unknown",
    "UserChecks",
    "string_constants",
]


# --- code facts ----------------------------------------------------------------------------

CREDENTIAL_CALL_HINT = "authenticate()"
"""The hint of a module naming ``authenticate`` or ``check_password`` as a whole identifier:
only there can a call of the body be a credential check (``FunctionFacts.authenticates``)."""


@dataclass(frozen=True, slots=True)
class PermissionBranch:
    """One branch of a ``get_permissions()`` override.

    ``actions``/``methods`` are the viewset actions or HTTP methods the branch applies to;
    both ``None`` means "every other case" (the ``else`` or fall-through).
    """

    permissions: Expr
    actions: tuple[str, ...] | None = None
    methods: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class SelfWrite:
    """``self.project = parse_path(request, ...)``: an attribute a method sets, and from what."""

    name: str
    """The attribute (``project``)."""
    calls: tuple[str, ...]
    """Resolved names of the calls in the assigned value (``.get_path_object`` for methods)."""
    mentions_user: bool
    """The assigned value refers to ``request.user`` itself (``for_user(request.user)``)."""
    value: Expr | None = None
    """The assigned value itself, resolved (``get_document_model()`` for ``self.model``)."""


@dataclass(frozen=True, slots=True)
class FunctionFacts(LazyBodyFacts):
    """Security-relevant facts about one function body, shared by both front-ends."""

    cert_keys: tuple[str, ...] = ()
    """Certificate headers/environ keys read (``HTTP_X_SSL_CLIENT_VERIFY``, ``SSL_CLIENT_S_DN``)."""
    cert_guard: bool = False
    """A certificate-header check that returns/raises (an mTLS-only gate)."""
    trusted_proxy_check: bool = False
    """Compares ``REMOTE_ADDR``/peer address or a trusted-proxy setting before believing."""
    calls_login: bool = False
    """Calls ``django.contrib.auth.login``."""
    writes_session: bool = False
    """Assigns ``request.session[...]`` (a login by hand stores the user there; assigning only
    ``request.user`` authenticates one request and leaves no session to fix)."""
    cycles_session: bool = False
    """Calls ``request.session.cycle_key()``/``flush()`` (or ``login()``, which does)."""
    authenticates: bool = False
    """Calls ``authenticate()`` or ``check_password()`` (a credential check)."""
    jwt_decodes: tuple[JwtDecode, ...] = ()
    """``jwt.decode`` calls."""
    super_calls: tuple[str, ...] = ()
    """Method names called through ``super()`` (``dispatch``)."""
    mentions_user: bool = False
    """The body refers to ``request.user``/``self.request.user``."""
    permission_branches: tuple[PermissionBranch, ...] = ()
    """For ``get_permissions()`` overrides: what each branch returns."""
    calls: tuple[str, ...] = ()
    """Resolved dotted names of everything called (``.method`` for unresolved attributes)."""
    path_dependent: bool = False
    """Reads ``request.path``/``resolver_match``: a middleware guard for only some URLs."""
    login_paths: PathCond | None = None
    """In a middleware hook: when it refuses an anonymous request, as a condition on the path."""
    self_reads: tuple[str, ...] = ()
    """Names read through ``self`` (``self.project``, ``self._get_project()``), minus the
    request itself (``request``, ``kwargs``, ``args``)."""
    self_writes: tuple[SelfWrite, ...] = ()
    """``self.<name> = value`` assignments: where a view keeps a parent object."""
    not_allowed_stub: bool = False
    """The whole body answers 405: a handler serving nothing (:mod:`.facts.stubs`)."""
    later: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    """Facts by name, or what computes one on first read (:class:`LazyBodyFacts`: the
    instance checks, self fills, helper calls, public filter, "serves nothing")."""
    capability_source: CapabilityFacts | Callable[[], CapabilityFacts] = field(
        default=NO_CAPABILITIES, repr=False, compare=False
    )
    """:attr:`capabilities`, or what computes them on first read (most bodies are never asked:
    pretix reads them for 451 of 1,639 functions). The computation resolves names shallowly,
    through the module's own imports, so it parses no file whenever it runs."""

    lookup_source: LookupFacts | Callable[[], LookupFacts] = field(
        default=NO_LOOKUP_FACTS, repr=False, compare=False
    )
    """:attr:`lookups`, :attr:`object_flow`, :attr:`object_handoffs` and
    :attr:`object_method_calls`, or what computes
    them on first read (pure syntax and shallow name resolution: no file is parsed)."""

    return_source: tuple[Expr, ...] | Callable[[], tuple[Expr, ...]] = field(
        default=(), repr=False, compare=False
    )
    """:attr:`returns`, or what resolves them on first read (shallowly: no file is parsed)."""

    @property
    def returns(self) -> tuple[Expr, ...]:
        """Every returned value (``Const(True)`` for ``return True``); empty if none."""
        value = self.return_source
        if not isinstance(value, tuple):
            value = value()
            object.__setattr__(self, "return_source", value)
        return value

    user_check_source: UserChecks | Callable[[], UserChecks] = field(
        default=NO_USER_CHECKS, repr=False, compare=False
    )
    """:attr:`checked_params` and :attr:`checked_attributes`, or what computes them on first
    read (syntax only)."""
    mark_source: ExemptionMarks | Callable[[], ExemptionMarks] = field(
        default=NO_EXEMPTION_MARKS, repr=False, compare=False
    )
    """:attr:`exemption_marks`, or what computes them on first read (syntax only)."""

    @property
    def capabilities(self) -> CapabilityFacts:
        """Secrets checked and user-aware calls (:mod:`mtlsguard.scan.capability_facts`)."""
        value = self.capability_source
        if not isinstance(value, CapabilityFacts):
            value = value()
            object.__setattr__(self, "capability_source", value)
        return value


@dataclass(eq=False, slots=True)
class FunctionModel:
    """A function or method definition; its :attr:`facts` are computed on first use.

    So the many functions a scan never asks about (model methods, helpers) cost only parsing.
    """

    qualname: str
    """Dotted path (``billing.views.invoice`` or ``billing.views.InvoiceView.get``)."""
    location: Location
    decorators: tuple[Expr, ...] = ()
    """Decorators, outermost first."""
    params: tuple[str, ...] = ()
    """Parameter names, in order."""
    precomputed: FunctionFacts | None = None
    """Facts, when the front-end computed them up front."""
    loader: Callable[[], FunctionFacts] | None = field(default=None, repr=False)
    """Computes the facts on first use."""
    hints: frozenset[str] | None = None
    """Words in the function's module (``jwt``...); None = unknown (module-wide rules skip)."""
    self_assigned: frozenset[str] | Callable[[], frozenset[str]] | None = field(
        default=None, repr=False
    )
    """Attributes the body assigns as ``self.<name> = ...`` (nested bodies too), or what finds
    them (a walk of the statements only); None = unknown."""

    @property
    def facts(self) -> FunctionFacts:
        """Security facts of the body (computed once)."""
        if self.precomputed is None:
            self.precomputed = self.loader() if self.loader is not None else FunctionFacts()
        return self.precomputed

    def may_mention(self, word: str) -> bool:
        """False only if the module certainly does not contain ``word``."""
        return self.hints is None or word in self.hints

    def may_write_self(self, name: str) -> bool:
        """False only if no ``FunctionFacts.self_writes`` entry is ``name`` (facts not computed)."""
        found = self.self_assigned
        if found is None:
            return True
        if callable(found):
            found = self.self_assigned = found()
        return name in found

    def may_authenticate(self) -> bool:
        """False only if ``facts.authenticates`` is certainly False (then it is not computed).

        A call's resolved name ends in a name of the module's own text (an attribute, a name,
        an import or an assignment there), so without ``authenticate``/``check_password`` as
        a whole identifier in that text no call can be a credential check.
        """
        return self.may_mention(CREDENTIAL_CALL_HINT)


@dataclass(frozen=True, slots=True)
class ClassModel:
    """A class definition from the project (external bases are only names)."""

    qualname: str
    location: Location
    bases: tuple[Expr, ...] = ()
    """Declared bases, resolved, in order."""
    mro: tuple[str, ...] = ()
    """Linearised MRO (C3) as dotted paths, starting with the class itself; external classes
    appear by name and are not expanded."""
    attributes: dict[str, Expr] = field(default_factory=dict)
    """Class-level assignments (``permission_classes``, ``queryset``, ``model``...)."""
    attribute_lines: dict[str, int] = field(default_factory=dict)
    """Line of each attribute assignment."""
    methods: dict[str, FunctionModel] = field(default_factory=dict)
    decorators: tuple[Expr, ...] = ()
    """Class decorators, outermost first."""
    found_methods: dict[str, tuple[ClassModel, FunctionModel] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """:meth:`ProjectModel.method`'s answers by name (the rules ask each route's class for
    every handler name: tens of thousands of questions on a large project)."""


# --- routes and settings -------------------------------------------------------------------


UNROUTED_PREFIX = "<unrouted>/"
"""Pattern prefix of a view listed without a route (a reusable app without a URLconf)."""


@dataclass(frozen=True, slots=True)
class RouteModel:
    """One URL pattern as the front-end saw it."""

    pattern: str
    """Full pattern after include() prefixes."""
    target: str | None
    """Dotted path of the view function or class; ``None`` if unresolved."""
    kind: str | None = None
    """``function`` or ``type``."""
    name: str | None = None
    wrappers: tuple[Expr, ...] = ()
    """Decorators applied where the route is declared (``login_required(views.x)``)."""
    initkwargs: tuple[tuple[str, Expr], ...] = ()
    """``as_view(**initkwargs)`` (``permission_classes=[...]`` overrides the class)."""
    actions: tuple[tuple[str, str], ...] = ()
    """ViewSet ``method -> action`` mapping (lower-case method)."""
    extra_action: str | None = None
    """Name of the ``@action`` method this route serves."""
    declared_at: Location | None = None
    """Where the route is declared (urls.py line)."""
    admin: bool = False
    """True for ``admin.site.urls``."""
    debug_only: bool = False
    """Declared under ``if settings.DEBUG:`` (or by a helper that adds routes only then)."""
    loose: bool = False
    """The request paths are not known from :attr:`pattern` (an ``re_path`` without ``^`` is
    searched anywhere in what is left of the path; a language or format suffix is added)."""

    @property
    def unrouted(self) -> bool:
        """A view of a reusable app that no URLconf the scan read routes (``<unrouted>/...``)."""
        return self.pattern.startswith(UNROUTED_PREFIX)

    def initkwarg(self, name: str) -> Expr | None:
        """``as_view(name=...)`` as given where the route is declared, if it was."""
        for key, value in self.initkwargs:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class SettingValue:
    """One Django setting."""

    value: Expr
    location: Location
    conditional: bool = False
    """Assigned under an ``if``/``try`` or by a conditional expression."""
    additive: bool = False
    """Conditional only because an ``if`` may add items (``+=``, ``.append()``) to a list
    assigned unconditionally: the value is every item that may be there (a superset)."""


@dataclass(frozen=True, slots=True)
class SettingsModel:
    """The effective settings of the project (later assignments win)."""

    module: str
    """Dotted name of the settings module."""
    values: dict[str, SettingValue] = field(default_factory=dict)
    injected_by: tuple[str, ...] = ()
    """Where the settings module (or one it star-imports) hands its own namespace to code
    (``helper(globals())``, ``globals().update(...)``), as ``path:line call()``: names the
    source never assigns may still be set at run time, so an absent setting is unknown."""
    configuration: str = ""
    """The django-configurations class whose attributes are the settings, if any."""

    def get(self, name: str) -> SettingValue | None:
        """The setting ``name``, if assigned."""
        return self.values.get(name)


@dataclass(slots=True)
class ProjectModel:
    """Everything a front-end learnt about one project."""

    root: str
    settings: SettingsModel | None = None
    routes: list[RouteModel] = field(default_factory=list)
    functions: dict[str, FunctionModel] = field(default_factory=dict)
    """Every function and method seen, by dotted path."""
    classes: dict[str, ClassModel] = field(default_factory=dict)
    """Every class seen, by dotted path."""
    loader: Callable[[str], object] | None = field(default=None, repr=False)
    """Front-end hook that models a project definition on demand (returns it or None)."""
    peek: Callable[[str], object] | None = field(default=None, repr=False)
    """Like :attr:`loader`, but only for definitions in files the front-end has already read
    (never parses another file); None = same as :attr:`loader`."""
    method_finder: Callable[[str], tuple[str, ...]] | None = field(default=None, repr=False)
    """Front-end hook: dotted paths of the methods called ``name`` in the classes of the files
    it has read (None: only the methods modelled so far are known)."""
    parsed_definition: Callable[[str, int], object] | None = field(default=None, repr=False)
    """Front-end hook: the ``def``/``class`` statement at (path, line) of a module it parsed
    (None if it has none); rules that re-read a definition take it instead of parsing again."""
    declared: DeclaredAccess = field(default_factory=DeclaredAccess, repr=False)
    """The project's own ``guards`` and ``public`` declarations (``[tool.mtlsguard]``)."""
    relating_classes: Callable[[str], tuple[str, ...]] | None = field(default=None, repr=False)
    """Front-end hook: dotted paths of the top-level classes of the modules it parsed with a
    class-level call naming the class ``name`` (``ForeignKey(Event)``, ``"events.Event"``):
    the models that may relate to it, modelled or not."""
    memo: dict[tuple[object, ...], object] = field(default_factory=dict, init=False, repr=False)
    """Answers an analysis keeps for one scan, keyed by its name and the ``id()`` of models."""

    def methods_named(self, name: str) -> list[FunctionModel]:
        """Project methods called ``name`` (``visible_for``) in the files read so far."""
        if self.method_finder is None:
            return [f for q, f in list(self.functions.items()) if q.endswith("." + name)]
        classes = (self.class_named(q.rsplit(".", 1)[0]) for q in self.method_finder(name))
        return [cls.methods[name] for cls in classes if cls is not None and name in cls.methods]

    def class_named(self, name: str) -> ClassModel | None:
        """The project class ``name`` (modelled on demand), or None if it is not ours."""
        found = self.classes.get(name)
        if found is None and self.loader is not None:
            loaded = self.loader(name)
            found = loaded if isinstance(loaded, ClassModel) else None
        return found

    def function_named(self, name: str, *, parse: bool = True) -> FunctionModel | None:
        """The project function ``name`` (modelled on demand), or None if it is not ours.

        With ``parse=False`` a function whose file the scan has not read yet counts as unknown
        (heuristics that chase callees use it so as not to parse half the project).
        """
        found = self.functions.get(name)
        hook = self.loader if parse or self.peek is None else self.peek
        if found is None and hook is not None:
            loaded = hook(name)
            found = loaded if isinstance(loaded, FunctionModel) else None
        return found

    def method(self, cls: ClassModel, name: str) -> tuple[ClassModel, FunctionModel] | None:
        """Find ``name`` along ``cls``'s MRO among project classes (first definer wins).

        Memoised (:attr:`ClassModel.found_methods`): a class is modelled once, with its methods
        and MRO, and the classes of its MRO are modelled (or known not to be the project's) by
        the first search.
        """
        known = cls.found_methods
        if name in known:
            return known[name]
        found = None
        for qual in cls.mro:
            owner = self.class_named(qual)
            if owner is not None and name in owner.methods:
                found = owner, owner.methods[name]
                break
        known[name] = found
        return found

    def attribute(self, cls: ClassModel, name: str) -> tuple[ClassModel, Expr] | None:
        """Find the class attribute ``name`` along ``cls``'s MRO among project classes."""
        for qual in cls.mro:
            owner = self.class_named(qual)
            if owner is not None and name in owner.attributes:
                return owner, owner.attributes[name]
        return None
