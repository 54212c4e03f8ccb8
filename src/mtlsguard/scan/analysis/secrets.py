"""Secret-gated handlers: a signed URL, or a record fetched by a secret only the caller holds.

Two shapes authenticate a request as a password would, for the one thing they open:

- a **signature check** before any work: the handler refuses unless a helper of the project
  says yes, and that helper returns a constant-time comparison (Wagtail's image ``ServeView``:
  ``if not verify_signature(signature, image_id, spec): raise PermissionDenied``, where
  ``verify_signature`` returns ``constant_time_compare(signature, generate_signature(...))``, an
  HMAC keyed with ``SECRET_KEY``); ``try: signing.loads(...) except BadSignature: raise`` is
  recognised by the facts themselves;
- a **secret-keyed lookup** the handler cannot go on without: a field named like a secret
  (``initialization_token``, ``api_key``) whose model default is a random generator
  (``get_random_string``, ``secrets.token_urlsafe``, ``uuid4``, or a project helper calling
  one), looked up with a value from the request (pretix's device initialization:
  ``Device.objects.get(initialization_token=...)`` with ``except DoesNotExist: raise
  ValidationError``). A primary key is an identifier shown in lists and links, never a secret.
"""

from __future__ import annotations

import re

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.knowledge import SECRET_CHECKS, short_of
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    Const,
    Expr,
    FunctionModel,
    ProjectModel,
    Ref,
)

__all__ = [
    "random_default",
    "secret_gate",
    "secret_keyed",
    "shared_secret_check",
    "signature_check",
]

RANDOM_GENERATORS = frozenset(
    {
        "get_random_string",
        "token_urlsafe",
        "token_hex",
        "token_bytes",
        "uuid4",
        "urandom",
        "randbits",
    }
)
"""Short names of the standard random-secret generators (``django.utils.crypto``,
``secrets``, ``uuid``, ``os``)."""
_MAX_DEPTH = 2
_TOKEN_CHECK = re.compile(
    r"^(?:is_|check_|verify_|validate_)?(?:\w+_)?token_(?:is_)?(?:valid|verified|ok)$"
    r"|^(?:check|verify|validate)_(?:\w+_)?token$"
)
"""A project helper named as the check of a token (``is_password_change_token_valid``,
``verify_reset_token``) whose failing answer refuses: the token in the link is the secret (a
reset or activation link), as Django's ``default_token_generator.check_token`` is."""


def secret_gate(project: ProjectModel, func: FunctionModel) -> str:
    """Why ``func`` only serves a caller holding a secret (evidence text), or ``""``."""
    key = ("secret_gate", id(func))  # asked once per route and method: many share a handler
    found = project.memo.get(key)
    if found is None:
        found = project.memo[key] = _secret_gate(project, func)
    return str(found)


def _secret_gate(project: ProjectModel, func: FunctionModel) -> str:
    name = signature_check(project, func)
    if name:
        return f"signature check {short_of(name)}() in {short_of(func.qualname)}()"
    name = shared_secret_check(project, func)
    if name:
        return f"shared-secret check {short_of(name)}() in {short_of(func.qualname)}()"
    facts = func.facts.capabilities
    if facts.credential_guard:
        return f"credential the caller sends resolved to a record in {short_of(func.qualname)}()"
    for name in facts.guard_calls:
        helper = project.function_named(name)
        if helper is not None and _TOKEN_CHECK.search(short_of(name)):
            return f"token check {short_of(name)}() in {short_of(func.qualname)}()"
    for lookup in facts.key_lookups:
        if lookup.model is not None and random_default(project, lookup.model, lookup.field):
            return (
                f"lookup by the secret {short_of(lookup.model)}.{lookup.field} (random default) "
                f"in {short_of(func.qualname)}()"
            )
    return ""


def secret_keyed(
    project: ProjectModel, analysis: RouteAnalysis, func: FunctionModel, line: int
) -> bool:
    """The lookup at ``line`` of ``func`` is by a random secret, the view's only authentication.

    ``Check.objects.get(slug=slug, project__ping_key=key)`` with a random ``ping_key`` and no
    user signing in: the request cannot go on without the record, and only the holder of the
    secret names it, so the lookup is the authentication, not an IDOR (used by MG104; with a
    signed-in user, MG104 lowers capability links instead).
    """
    if not all(p.decided_by == "inline" and "secret" in p.detail for p in analysis.protections):
        return False
    return any(
        key.line == line and key.model is not None and random_default(project, key.model, key.field)
        for key in func.facts.capabilities.key_lookups
    )


def signature_check(project: ProjectModel, func: FunctionModel) -> str:
    """The refusing helper of ``func`` that compares a signature of the request, or ``""``.

    A signed link names what it serves (``verify_signature(signature, image_id, spec)``): the
    objects fetched by those values are the ones the signer handed out.
    """
    for name in func.facts.capabilities.guard_calls:
        helper = project.function_named(name)
        if helper is not None and _compares_secret(project, helper, 0):
            return name
    return ""


def shared_secret_check(project: ProjectModel, func: FunctionModel) -> str:
    """The refusing helper of ``func`` that says yes only to a matching secret, or ``""``.

    ``if not verify_hook_request(request.headers): return HttpResponseForbidden()`` where
    ``verify_hook_request`` compares a header with a secret setting (a webhook that only the
    holder of the shared secret can call): the comparison authenticates the caller. The helper
    may hand the question on to another (``return _matches(headers)``), two calls deep.
    """
    for name in func.facts.capabilities.guard_calls:
        helper = project.function_named(name)
        if helper is not None and _answers_secret(project, helper, 0):
            return name
    return ""


def _answers_secret(project: ProjectModel, func: FunctionModel, depth: int) -> bool:
    if func.facts.capabilities.secret_answer:
        return True
    returns = func.facts.returns
    if depth >= _MAX_DEPTH or len(returns) != 1:
        return False
    value = returns[0]
    if not (isinstance(value, Call) and isinstance(value.func, Ref)):
        return False
    inner = project.function_named(value.func.name)
    return inner is not None and inner is not func and _answers_secret(project, inner, depth + 1)


def _compares_secret(project: ProjectModel, func: FunctionModel, depth: int) -> bool:
    """``func`` returns ``constant_time_compare(...)``/``compare_digest(...)`` (or a helper's)."""
    for value in func.facts.returns:
        if not (isinstance(value, Call) and isinstance(value.func, Ref)):
            continue
        if value.func.short.endswith(SECRET_CHECKS):
            return True
        inner = project.function_named(value.func.name) if depth < _MAX_DEPTH else None
        if inner is not None and inner is not func and _compares_secret(project, inner, depth + 1):
            return True
    return False


_RELATIONS = frozenset({"ForeignKey", "OneToOneField"})


def random_default(project: ProjectModel, model: str, field: str) -> bool:
    """``model.field`` is not the primary key and holds a random secret.

    ``field`` may go through relations (``project__ping_key``). Random: a random default, or a
    method of the model that stores a random value in it (``self.ping_key =
    token_urlsafe(16)``, the only way the field is filled).
    """
    *path, name = field.split("__")
    cls = project.class_named(model)
    for step in path:
        target = _related(project, cls, step) if cls is not None else None
        cls = project.class_named(target) if target else None
    found = project.attribute(cls, name) if cls is not None else None
    if cls is None or found is None or not isinstance(found[1], Call):
        return False
    declared = found[1]
    primary = declared.kwarg("primary_key")
    if isinstance(primary, Const) and primary.value is True:
        return False
    default = declared.kwarg("default")
    if default is not None:
        return _generates(project, default, 0)
    return any(
        write.name == name and any(short_of(c) in RANDOM_GENERATORS for c in write.calls)
        for meth in cls.methods.values()
        for write in meth.facts.self_writes
    )


def _related(project: ProjectModel, cls: ClassModel, name: str) -> str:
    """The model a ``ForeignKey``/``OneToOneField`` named ``name`` of ``cls`` points to."""
    found = project.attribute(cls, name)
    value = found[1] if found is not None else None
    if not (isinstance(value, Call) and isinstance(value.func, Ref) and value.args):
        return ""
    if value.func.short not in _RELATIONS:
        return ""
    target = value.args[0]
    if isinstance(target, Ref):
        return target.name
    return ""


def _generates(project: ProjectModel, value: Expr, depth: int) -> bool:
    """A random generator, ``partial(generator, ...)``, or a project helper calling one."""
    if isinstance(value, Call):
        # functools.partial(get_random_string, 32); not get_random_string(32), one value for all
        return (
            isinstance(value.func, Ref)
            and value.func.short == "partial"
            and bool(value.args)
            and _generates(project, value.args[0], depth)
        )
    if not isinstance(value, Ref):
        return False
    if value.short in RANDOM_GENERATORS:
        return True
    helper = project.function_named(value.name, parse=depth == 0) if depth < _MAX_DEPTH else None
    if helper is None:
        return False
    return any(
        short_of(name) in RANDOM_GENERATORS
        or (not name.startswith(".") and _generates(project, Ref(name), depth + 1))
        for name in helper.facts.calls
    )
