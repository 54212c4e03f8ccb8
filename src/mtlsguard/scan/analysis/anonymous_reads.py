"""Open routes that only read records no user or tenant owns: public content until shown otherwise.

MG101 reports every route an anonymous caller reaches. Whether that is a vulnerability depends on
what the route hands out, which the scan can only estimate. On the hand-reviewed real projects
(``benchmarks/realworld/projects.md``) most high "no authentication" findings were catalogues,
articles, search pages, feeds and public profiles: routes that change nothing and read records
whose only relation to a user says who wrote them (``creator``, ``author``, ``*_by``). A
reviewer could not call them vulnerabilities, and a scanner that reports them as high trains its
users to ignore the rule.

:func:`public_shaped_read` names that shape so the rule can report it as ``low`` (listed, with
the reason, never hidden):

* every open method is a read (``GET``/``HEAD``/``OPTIONS``), or it is a function view or a
  syndication ``Feed``; and its code, with the project functions and view methods it calls (three
  levels), makes no call that may write (:data:`~mtlsguard.scan.knowledge.ORM_WRITES`:
  ``save()``, ``delete()``, ``update()``, ``create()``, many-to-many ``add()``, raw SQL...;
  not ``update()``/``add()`` of a local dict or set such as a template context, nor Django's
  cache). Looking at ``request.user`` does not count against it: a read-only view that does
  (``Document.objects.visible(request.user)``, ``if request.user.is_staff: ...``) adapts what
  it shows to the caller, and an anonymous caller gets the public part; on the reviewed projects
  55 of 58 such views were public pages (``projects.md``, sessions of 2026-12-06); unless a
  test of the account leads to a branch that neither refuses nor changes anything (``if not
  request.user.is_staff: messages.error(...)``): a refusal that was meant and is missing.
  Nor does reading the caller's own account (``request.user.email``, ``request.user.profile``)
  in a view that takes nothing else from the caller: an anonymous caller has none, a signed-in
  one sees its own (the 6 such high findings on the reviewed projects were all false). Changing
  it does (``request.user.set_password()``, ``.save()``), and so does a URL key or request data
  beside it (a cache entry or a file it names may be anyone's);
* it fetches no record related to a user by a caller-chosen key (:attr:`Exposure.keyed_lookup`:
  even an author's record, such as an attachment an ``uploaded_by`` names, may be private);
* no model it serves or queries belongs to a user or an account (a query naming the caller,
  such as ``Favorite.objects.filter(user=request.user)``, hands an anonymous caller nothing; a
  record fetched by key and only then checked against the caller counts): the user model, a
  model with an owner relation other than an authorship or a role (``owner``, ``user``,
  ``donor``, a many-to-many ``members``...), or a model the scan could not resolve.

A read of records that belong only to a tenant (``workspace``, ``project__organization``) or
hang off a record a user or a tenant owns is low too, with its own reason (:data:`TENANT_NOTE`):
on the reviewed projects (sets 1-14) 32 of 34 such open pages were public listings. Fetching
such a record by a caller-chosen key keeps the finding.

What is left is weak evidence (:data:`WEAK_NOTE`): a route that writes nothing the scan can see
and fetches no user's record by a caller-chosen key, but reads a user's records, the user model
or a model the scan cannot read, fetches a tenant's record by key, or has code the scan cannot
see whole (a class view answering every method, calls deeper than it follows). On the
hand-reviewed real projects 35 of 214 such high findings were true or defensible (reviews of
``benchmarks/realworld/review.json`` on the scanner of 2026-12-07): low with low confidence,
the evidence saying what would have made it high. Anonymous writes, a user's record fetched by
a caller-chosen key, a user's fields read through a relation, changes to the caller's account
and account tests that let the caller through keep the finding high.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from mtlsguard.scan.analysis.caller_owned import caller_scoped
from mtlsguard.scan.analysis.exposure import Exposure, view_functions
from mtlsguard.scan.analysis.model_writes import model_method_writer
from mtlsguard.scan.analysis.ownership import (
    child_of_private,
    is_tenant,
    is_user_model,
    joined_by_many,
    owner_fields,
    tenant_paths,
)
from mtlsguard.scan.analysis.private_fields import reads_private_fields
from mtlsguard.scan.analysis.public_data import public_name
from mtlsguard.scan.analysis.relation_names import attribution, shared_relation
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import served_model
from mtlsguard.scan.analysis.sources import project_sources
from mtlsguard.scan.facts.account_reads import ACCOUNT_FLAGS
from mtlsguard.scan.facts.public_filter import VISIBILITY_FIELDS
from mtlsguard.scan.knowledge import (
    INDIRECT_CALL,
    ORM_WRITES,
    SAFE_METHODS,
    SYNDICATION_FEED,
    short_of,
)
from mtlsguard.scan.project_model import ClassModel, FunctionModel, ProjectModel

__all__ = ["ReadShape", "public_shaped_read", "writes_records"]


_MANAGERS = (".objects", "._default_manager", "._base_manager")
_MAX_DEPTH = 3
_CALLER_FLAGS = ACCOUNT_FLAGS | {
    "pk",
    "id",
    "has_perm",
    "has_perms",
    "has_module_perms",
    "groups",
}
"""What a page deciding per caller reads of ``request.user``: flags, its key, permissions."""
_CACHES = ("django.core.cache.cache", "django.core.cache.caches")
"""Calls that call a method by a name or reference the scan does not resolve."""

NOTE = (
    "; it only reads (no open method changes data and its code writes nothing through the "
    "ORM), fetches nothing by a caller-chosen key, and what it reads belongs to no user, "
    "tenant or account ({0}): the shape of public content (catalogues, articles, search, "
    "feeds), low. If these records are not meant for every certificate holder, add the "
    "login wall"
)


NAMED_NOTE = (
    "; it only reads (no open method changes data and its code writes nothing through the "
    "ORM), and {0}: its authors published it on purpose, low. But {1}: check that it serves "
    "nothing its owners did not make public"
)


ACCOUNT_NOTE = (
    "; it only reads (no open method changes data and its code writes nothing through the "
    "ORM), reads no model, and what it shows of an account is the caller's own "
    "(request.user.{0}): an anonymous caller has none to show (on the reviewed real projects "
    "all 6 such open pages were public pages), low. If the page is meant for signed-in "
    "callers only, add the login wall"
)


_ACCOUNT_WRITES = frozenset({"save", "delete", "check_password"})
"""Methods of the caller's account whose call changes it (``set_*`` as well) or checks a
password (MG106's concern: a guessable secret checked with no login wall)."""


TENANT_NOTE = (
    "; it only reads (no open method changes data and its code writes nothing through the "
    "ORM) and fetches nothing by a caller-chosen key; what it reads belongs to a tenant (an "
    "organization, project, team...), is one (its own page), or hangs off a record one owns, "
    "never to a user account "
    "({0}). On the reviewed real projects such open pages were public listings (32 of 34), "
    "low. If these records are private to their tenant, add the login wall and scope the "
    "query to the caller's tenants"
)


WEAK_NOTE = (
    "; it would be high because {0}; but the view's own code writes nothing the scan can see "
    "and fetches no user's record by a key the caller chooses (a detail route served by the "
    "framework's get_object() is not counted as such: 2 of the 33 judged were true or "
    "defensible), and that alone does not tell private data from public: on the "
    "hand-reviewed real projects 35 of 214 such high findings were true "
    "or defensible (the rest public pages by design, or code that refused), low with low "
    "confidence. If these records are not meant for every certificate holder, add the login "
    "wall"
)


class ReadShape(NamedTuple):
    """What an open route's code says about the data it hands an anonymous caller."""

    note: str
    """Evidence suffix of a low finding (public-shaped, or only weak evidence), else ``""``."""
    why: str
    """What keeps the finding high (``it changes data (...)``), when ``note`` is empty."""
    weak: bool = False
    """The note reports weak evidence: low with low confidence (:data:`WEAK_NOTE`)."""


def public_shaped_read(
    project: ProjectModel,
    analysis: RouteAnalysis,
    open_methods: list[str] | tuple[str, ...],
    found: Exposure,
) -> ReadShape:
    """The shape of what an open route reads: public content, weak evidence, or a strong bet.

    ``why`` says what keeps the route's finding high (``it writes through the ORM:
    Ticket.save() in close_ticket()``), for the evidence: a reader sees why the rule bets on it.
    A route that only reads but reads a user's records is low all the same when its authors
    named it public (:func:`public_name`), with that reason. When all the scan has is weak
    evidence (:data:`WEAK_NOTE`), the note says so and the finding is low with low confidence.
    """
    if analysis.function is None and analysis.klass is None:
        return ReadShape("", "the view's code was not read")
    methods = {m for m in open_methods if m != "*"}
    if writing := sorted(methods - SAFE_METHODS):
        return ReadShape("", f"anonymous callers may send {', '.join(writing)}")
    unsure = ""
    if "*" in open_methods and analysis.function is None and not _feed(analysis.klass):
        unsure = "it is a class view open to every HTTP method (its writes are not all in sight)"
    functions, cut = _reached(project, view_functions(project, analysis), analysis.klass)
    if cut:
        unsure = (
            unsure or "its calls go deeper than the scan follows, so a write may be further down"
        )
    if writer := next((f for f in functions if writes_records(f)), None):
        return ReadShape(
            "", f"it changes data ({short_of(writer.qualname)}() writes through the ORM)"
        )
    models = _read_models(project, analysis, functions)
    if method := model_method_writer(project, models, functions, writes_records):
        return ReadShape("", f"it changes data ({method} writes through the ORM)")
    account = sorted({a for f in functions for a in f.facts.account_attributes} - _CALLER_FLAGS)
    if changes := [a for a in account if _changes_account(a)]:
        return ReadShape("", f"it changes the caller's account (request.user.{changes[0]})")
    if any(f.facts.idle_user_tests for f in functions):
        return ReadShape("", "it tests the caller's account and goes on when the test fails")
    owners = {model: _private(project, model) for model in models}
    why, weak = _private_read(project, models, owners, functions, keyed=found.keyed_lookup)
    if why:
        if named := public_name(analysis):
            return ReadShape(NAMED_NOTE.format(named, why), "")
        if not weak:
            return ReadShape("", why)
    taken = _caller_input(project, analysis, functions) if account and not models else ""
    if taken:
        # a cache entry or a file named by the caller's key may be anyone's: not in sight
        return ReadShape(
            "", f"it shows the caller's account (request.user.{account[0]}) and {taken}"
        )
    if why or unsure:
        return ReadShape(WEAK_NOTE.format(why or unsure), "", weak=True)
    shown = ", ".join(sorted({m.rsplit(".", 1)[-1] for m in models})) or "no model"
    if account and not models:
        return ReadShape(ACCOUNT_NOTE.format(account[0]), "")
    note = TENANT_NOTE if "tenant" in owners.values() else NOTE
    return ReadShape(note.format(f"reads {shown}"), "")


_URL_KEY = re.compile(r"<(?:\w+:)?(\w+)>|\((?!\?)")
_REQUEST_INPUTS = (".GET", ".POST", ".data", "query_params", ".body", ".FILES", ".COOKIES")


def _caller_input(
    project: ProjectModel, analysis: RouteAnalysis, functions: list[FunctionModel]
) -> str:
    """What the caller hands the view besides its account: a URL key or request data."""
    if found := _URL_KEY.search(analysis.route.pattern):
        return f"takes a key from its URL ({found.group(1) or 'a positional group'})"
    sources = project_sources(project)
    for func in functions:
        if sources.mentions(func.location.path, func.location.line, _REQUEST_INPUTS):
            return f"reads request data ({short_of(func.qualname)}())"
    return ""


def _changes_account(attribute: str) -> bool:
    """``request.user.set_password``, ``.save``, ``.delete``: a call that changes the account."""
    return attribute.startswith("set_") or attribute in _ACCOUNT_WRITES


def _private_read(
    project: ProjectModel,
    models: list[str],
    owners: dict[str, str],
    functions: list[FunctionModel],
    *,
    keyed: bool,
) -> tuple[str, bool]:
    """What the route reads that may be private, and whether that is weak evidence.

    ``("", False)``: nothing private in sight. A user's record fetched by a caller-chosen key,
    or a user's fields read through a relation, is strong; a read of a user's records, of the
    user model or of a model the scan cannot read, and a tenant's record fetched by key, are
    weak (:data:`WEAK_NOTE`).
    """
    if keyed:
        return "it fetches a record related to a user by a key the caller chooses", False
    paths = [p for f in functions for p in f.facts.related_paths]
    if through := next((p for p in paths if reads_private_fields(project, models, p)), None):
        return f"it reads a user's fields through {through}", False
    if owned := sorted(m for m, whose in owners.items() if whose == "user"):
        return f"it reads {_whose(project, owned[0])}", True
    if found := sorted(m for m in _keyed_models(functions) if owners.get(m)):
        return (
            f"it fetches {short_of(found[0])} (a tenant's record) by a key the caller chooses",
            True,
        )
    return "", False


def _whose(project: ProjectModel, model: str) -> str:
    """``Event, which belongs to a user (owner)``: why a read of ``model`` is a user's data."""
    if model == "?":
        return "records of a model the scan cannot name"
    if is_user_model(project, model):
        return f"{short_of(model)}, the user model"
    if project.class_named(model) is None:
        return f"{short_of(model)}, a model the scan cannot read"
    fields = ", ".join(owner_fields(project, model)) or "an owner relation"
    return f"{short_of(model)}, whose records belong to a user or account ({fields})"


def _keyed_models(functions: list[FunctionModel]) -> set[str]:
    """Models fetched by a key the caller chose (a URL kwarg, a request value)."""
    return {
        lk.model
        for f in functions
        for lk in f.facts.lookups
        if lk.model and (lk.url_kwargs or lk.caller_fields)
    }


def _reached(
    project: ProjectModel, functions: list[FunctionModel], cls: ClassModel | None
) -> tuple[list[FunctionModel], bool]:
    """``functions`` and what they call, three levels deep; whether a deeper callee was left.

    Project functions of the files read so far, and methods of the view class ``cls``
    (``self.cleanup()``).
    """
    found = {id(f): f for f in functions}
    layer = list(functions)
    for depth in range(_MAX_DEPTH + 1):
        callees: list[FunctionModel] = []
        for func in layer:
            for name in func.facts.calls:
                callee = _callee(project, name, cls)
                if callee is not None and id(callee) not in found:
                    if depth == _MAX_DEPTH:
                        return list(found.values()), True
                    found[id(callee)] = callee
                    callees.append(callee)
        layer = callees
    return list(found.values()), False


def _callee(project: ProjectModel, name: str, cls: ClassModel | None) -> FunctionModel | None:
    if name.startswith("self.") and name.count(".") == 1:
        hit = project.method(cls, name[5:]) if cls is not None else None
        return hit[1] if hit is not None else None
    if "." not in name or name.startswith((".", "self.")):
        return None
    return project.function_named(name, parse=False)


def writes_records(func: FunctionModel) -> bool:
    """``func`` writes through the ORM (or saves a form), or calls a method it does not name.

    ``getattr(a, "delete")()``, ``map(Article.delete, qs)``, ``methodcaller("delete")``: the
    method called is not in sight, so it may write. ``context.update()`` on a local dict
    (:attr:`~mtlsguard.scan.project_model.FunctionFacts.containers`) and Django's cache
    (``cache.set()``) keep no record.
    """
    containers = None
    for name in func.facts.calls:
        receiver, dot, short = name.rpartition(".")
        if name == INDIRECT_CALL:
            return True
        if short not in ORM_WRITES or not dot or receiver.startswith(_CACHES):
            continue  # set(): the builtin; ".update": a method of an expression (a write)
        if containers is None:
            containers = func.facts.containers
        if receiver not in containers:
            return True
    return False


def _feed(cls: ClassModel | None) -> bool:
    """A syndication feed: it answers every method by rendering items (it writes nothing)."""
    return cls is not None and SYNDICATION_FEED in cls.mro


def _read_models(
    project: ProjectModel, analysis: RouteAnalysis, functions: list[FunctionModel]
) -> list[str]:
    """Models the view (and what it calls) serves or queries (``?``: one the scan cannot name)."""
    found: dict[str, None] = {}
    served = served_model(project, analysis.klass) if analysis.klass is not None else None
    if served is not None and analysis.function is None:
        found[served] = None
    for func in functions:
        for lookup in func.facts.lookups:
            if lookup.user_scoped and not lookup.checked:
                continue  # the query names the caller: an anonymous caller gets none of it
            model = lookup.model
            if model == "self.model" and served is not None:
                model = served
            found[model or "?"] = None
        for name in func.facts.calls:
            manager = next((m for m in _MANAGERS if m + "." in name or name.endswith(m)), "")
            owner = name.split(manager, 1)[0] if manager else ""
            if owner and owner != "self.model":  # self.model: the served model
                found[owner] = None
    return list(found)


_STOREFRONTS = frozenset(
    {"organization", "organisation", "org", "team", "project", "event", "course"}
)
"""Tenants whose own page is usually public: a community many users join. Not a workspace,
an account or a household (a customer's or a family's own data), nor a model users join that
is named otherwise (a message thread and its participants), nor one a single user owns (a bank
``Account`` with an ``owner``)."""


def _visibility_field(project: ProjectModel, cls: ClassModel) -> str:
    """A field of ``cls`` (or a base) saying whether a record is public (``is_public``)."""
    for entry in cls.mro:
        owner = project.class_named(entry)
        for name in owner.attributes if owner is not None else ():
            if name in VISIBILITY_FIELDS:
                return name
    return ""


def _private(project: ProjectModel, model: str) -> str:
    """Whose data a read of ``model`` may hand out.

    ``"user"``: a user's or an account's (an owner relation, the user model, or a model the
    scan cannot resolve); ``"tenant"``: only a tenant's, or that of a record a user or a
    tenant owns; ``""``: nobody's.
    """
    cls = project.class_named(model) if model != "?" else None
    if cls is None or is_user_model(project, model):
        return "user"
    if (
        short_of(model).lower() in _STOREFRONTS
        and not _visibility_field(project, cls)
        and joined_by_many(project, model)
        and is_tenant(project, model)
    ):
        # A community's own record (an organisation's name, imprint, terms; an event) is its
        # public face: when no field keeps some of them from the public, none is private.
        return "tenant"
    tenants = tenant_paths(project, cls)
    owners = owner_fields(project, model)
    if any(
        name not in tenants
        and (
            not attribution(name) or (shared_relation(name) and caller_scoped(project, model, name))
        )
        for name in owners
    ):
        return "user"
    return "tenant" if tenants or child_of_private(project, model) else ""
