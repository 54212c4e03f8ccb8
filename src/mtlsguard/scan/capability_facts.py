"""Facts about secrets and user-aware code in one function body (a part of its facts).

Kept apart from :class:`~mtlsguard.scan.project_model.FunctionFacts`'s other fields because
they are read together, by :mod:`mtlsguard.scan.analysis.secrets` and
:mod:`mtlsguard.scan.analysis.public_api`, which resolve the names they hold against the
project (a helper's body, a model field's default).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NO_CAPABILITIES", "CapabilityFacts", "KeyLookup"]


@dataclass(frozen=True, slots=True)
class KeyLookup:
    """``Device.objects.get(initialization_token=request.data["token"])`` at the top level.

    The body cannot go on without the record (``get()`` raises, ``get_object_or_404`` answers
    404, an ``except DoesNotExist`` refuses), and the caller chose the value of a field named
    like a secret.
    """

    line: int
    model: str | None
    """Dotted path of the model, when known."""
    field: str
    """The field looked up (``initialization_token``)."""


@dataclass(frozen=True, slots=True)
class CapabilityFacts:
    """What a body checks a caller's secret with, and how it involves ``request.user``."""

    guard_calls: tuple[str, ...] = ()
    """Resolved names of calls whose failing answer makes the body refuse
    (``if not verify_signature(...): raise PermissionDenied``)."""
    key_lookups: tuple[KeyLookup, ...] = ()
    """Records the body cannot go on without, fetched by a caller-given secret-named field."""
    user_calls: tuple[str, ...] = ()
    """Resolved names of calls given ``request.user`` (``get_events_for_user(request.user)``,
    ``.visible_for`` when the receiver is not resolved)."""
    credential_guard: bool = False
    """Refuses unless a credential the caller sent (``X-Api-Key``) finds a record, here or in
    a nested wrapper (:mod:`mtlsguard.scan.facts.credentials`)."""
    authenticate_keywords: tuple[tuple[str, ...], ...] = ()
    """Keyword names of each ``authenticate(...)`` call (``("username", "token")``); a call
    with ``**kwargs`` is left out."""
    lockout: bool = False
    """Refuses when a failed-attempt counter reaches a threshold
    (``if user.failed_login_count >= lock_count: return ...``)."""
    reads_user_state: bool = False
    """Reads ``is_anonymous``/``is_authenticated``/``has_perm`` & co of some user."""
    required_credentials: tuple[str, ...] = ()
    """In ``dispatch()``: attributes of ``self`` named like a credential without which the body
    refuses (``if not self.token: return ...``; :mod:`mtlsguard.scan.facts.bearer_gates`)."""
    resolved_credentials: tuple[str, ...] = ()
    """In ``dispatch()``: such attributes the body resolves through a model manager, refusing
    when that fails (``except ApiKey.DoesNotExist: return ...``)."""
    user_param_calls: tuple[str, ...] = ()
    """Resolved names of calls handed a parameter named like a user (``user``, ``viewer``):
    where a helper given the user passes it on (``Project.objects.visible_for(user)``)."""
    refuses_without_credential: bool = False
    """An ``authenticate()`` whose first top-level ``if`` on a request header, cookie or query
    value it read refuses when the value is missing (``if not auth_header: raise
    AuthenticationFailed``), before any ``return``."""
    view_kwargs: tuple[str, ...] = ()
    """URL keywords read off a view handed in (``view.kwargs.get("project_id")``): what a
    permission class's check is about; in a property of a view, those it reads off ``self``."""
    view_attributes: tuple[str, ...] = ()
    """Attributes read off a view handed in (``view.workspace_slug``): a property of the view
    class may read the URL keyword for the permission (``return self.kwargs.get("slug")``)."""
    principal_writes: tuple[str, ...] = ()
    """In a middleware hook: request attributes set for a signed-in caller only
    (:func:`~mtlsguard.scan.facts.request_principals.principal_writes`)."""
    credential_calls: tuple[str, ...] = ()
    """In a middleware hook: ``self`` methods called only when the caller sent a credential
    (``if key: self.authenticate(request, key)``; :func:`~mtlsguard.scan.facts.
    request_principals.credential_calls`): their refusals spare a caller who sent none."""
    header_sign_in: tuple[str, bool] = ("", False)
    """In a middleware hook: the request header without which it refuses and from which it sets
    ``request.user``, and whether the value names the user (:func:`~mtlsguard.scan.facts.
    request_principals.header_sign_in`); ``("", False)`` for any other body."""
    request_refusals: tuple[str, ...] = ()
    """Request attributes without which the body (or a decorator's wrapper) refuses
    (``if not request.current_organization: return redirect(...)``)."""
    secret_answer: bool = False
    """A predicate that says yes only when a secret the caller presents matched
    (``if sent == settings.HOOK_SECRET: return True``; :func:`~mtlsguard.scan.facts.
    secret_checks.secret_answer`)."""


NO_CAPABILITIES = CapabilityFacts()
"""Nothing of the kind (the default)."""
