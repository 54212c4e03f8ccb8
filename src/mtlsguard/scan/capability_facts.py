"""Facts about secrets and user-aware code in one function body (a part of its facts).

Kept apart from :class:`~mtlsguard.scan.project_model.FunctionFacts`'s other fields because
they are read together, by :mod:`mtlsguard.scan.analysis.secrets` and
:mod:`mtlsguard.scan.analysis.public_api`, which resolve the names they hold against the
project (a helper's body, a model field's default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast


def later_fact(later: dict[str, object], name: str) -> object:
    """The fact ``name`` of ``later``, computed on first read and kept (None if absent).

    ``later`` maps a fact's name to its value or to what computes it: the lazy facts of
    :class:`CapabilityFacts` and of :class:`mtlsguard.scan.body_records.LazyBodyFacts`.
    """
    value = later.get(name)
    if callable(value):
        value = later[name] = value()
    return value


__all__ = ["NO_CAPABILITIES", "CapabilityFacts", "KeyLookup", "later_fact"]


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
    """What a body checks a caller's secret with, and how it involves ``request.user``.

    The three facts nearly every reader asks for are fields; the others are computed on first
    read (:attr:`later`): on pretix, 542 bodies are asked for their guard calls, 73 for their
    request refusals and 4 whether they answer a secret.
    """

    guard_calls: tuple[str, ...] = ()
    """Resolved names of calls whose failing answer makes the body refuse
    (``if not verify_signature(...): raise PermissionDenied``)."""
    key_lookups: tuple[KeyLookup, ...] = ()
    """Records the body cannot go on without, fetched by a caller-given secret-named field."""
    credential_guard: bool = False
    """Refuses unless a credential the caller sent (``X-Api-Key``) finds a record, here or in
    a nested wrapper (:mod:`mtlsguard.scan.facts.credentials`)."""
    reads_user_state: bool = False
    """Reads ``is_anonymous``/``is_authenticated``/``has_perm`` & co of some user."""
    later: dict[str, object | Callable[[], object]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """The facts below by name, or what computes one on first read (absent: the default)."""

    def _later(self, name: str) -> object:
        """The fact ``name`` of :attr:`later` (computed once; None if absent)."""
        return later_fact(self.later, name)

    @property
    def user_calls(self) -> tuple[str, ...]:
        """Resolved names of calls given ``request.user``.

        ``get_events_for_user(request.user)``, or ``.visible_for`` when the receiver is not
        resolved.
        """
        return cast("tuple[str, ...]", self._later("user_calls") or ())

    @property
    def authenticate_keywords(self) -> tuple[tuple[str, ...], ...]:
        """Keyword names of each ``authenticate(...)`` call (``("username", "token")``).

        A call with ``**kwargs`` is left out.
        """
        return cast("tuple[tuple[str, ...], ...]", self._later("authenticate_keywords") or ())

    @property
    def lockout(self) -> bool:
        """Refuses when a failed-attempt counter reaches a threshold.

        ``if user.failed_login_count >= lock_count: return ...``.
        """
        return bool(self._later("lockout"))

    @property
    def required_credentials(self) -> tuple[str, ...]:
        """In ``dispatch()``: attributes named like a credential the body refuses without.

        ``if not self.token: return ...`` (:mod:`mtlsguard.scan.facts.bearer_gates`).
        """
        return cast("tuple[str, ...]", self._later("required_credentials") or ())

    @property
    def resolved_credentials(self) -> tuple[str, ...]:
        """In ``dispatch()``: such attributes resolved through a model manager.

        The body refuses when that fails (``except ApiKey.DoesNotExist: return ...``).
        """
        return cast("tuple[str, ...]", self._later("resolved_credentials") or ())

    @property
    def user_param_calls(self) -> tuple[str, ...]:
        """Resolved names of calls handed a parameter named like a user.

        ``user``, ``viewer``: where a helper given the user passes it on
        (``Project.objects.visible_for(user)``).
        """
        return cast("tuple[str, ...]", self._later("user_param_calls") or ())

    @property
    def credential_helpers(self) -> tuple[str, ...]:
        """Methods an ``authenticate()`` calls on ``self`` for every request, before it returns.

        A helper among them that refuses without the credential
        (:attr:`refuses_without_credential`) makes the class refuse anonymous requests.
        """
        return cast("tuple[str, ...]", self._later("credential_helpers") or ())

    @property
    def refuses_without_credential(self) -> bool:
        """The body raises when a credential it reads is missing, before anything may return.

        ``if not auth_header: raise ...`` on a header, cookie or query value it read, or
        ``if request.META.get(TOKEN): ... else: raise ...``
        (:func:`~mtlsguard.scan.facts.credential_refusals.refuses_without_credential`): an
        ``authenticate()`` or a helper it calls first thing.
        """
        return bool(self._later("refuses_without_credential"))

    @property
    def view_kwargs(self) -> tuple[str, ...]:
        """URL keywords read off a view handed in (``view.kwargs.get("project_id")``).

        What a permission class's check is about; in a property of a view, those it reads off
        ``self``.
        """
        return cast("tuple[str, ...]", self._later("view_kwargs") or ())

    @property
    def view_attributes(self) -> tuple[str, ...]:
        """Attributes read off a view handed in (``view.workspace_slug``).

        A property of the view class may read the URL keyword for the permission
        (``return self.kwargs.get("slug")``).
        """
        return cast("tuple[str, ...]", self._later("view_attributes") or ())

    @property
    def principal_writes(self) -> tuple[str, ...]:
        """In a middleware hook: request attributes set for a signed-in caller only.

        :func:`~mtlsguard.scan.facts.request_principals.principal_writes`.
        """
        return cast("tuple[str, ...]", self._later("principal_writes") or ())

    @property
    def credential_calls(self) -> tuple[str, ...]:
        """In a middleware hook: ``self`` methods called only when a credential was sent.

        ``if key: self.authenticate(request, key)`` (:func:`~mtlsguard.scan.facts.
        request_principals.credential_calls`): their refusals spare a caller who sent none.
        """
        return cast("tuple[str, ...]", self._later("credential_calls") or ())

    @property
    def header_sign_in(self) -> tuple[str, bool]:
        """In a middleware hook: the header it signs the user in from, refusing without it.

        And whether the value names the user (:func:`~mtlsguard.scan.facts.request_principals.
        header_sign_in`); ``("", False)`` for any other body.
        """
        return cast("tuple[str, bool]", self._later("header_sign_in") or ("", False))

    @property
    def request_refusals(self) -> tuple[str, ...]:
        """Request attributes without which the body (or a decorator's wrapper) refuses.

        ``if not request.current_organization: return redirect(...)``.
        """
        return cast("tuple[str, ...]", self._later("request_refusals") or ())

    @property
    def secret_answer(self) -> bool:
        """A predicate that says yes only when a secret the caller presents matched.

        ``if sent == settings.HOOK_SECRET: return True`` (:func:`~mtlsguard.scan.facts.
        secret_checks.secret_answer`).
        """
        return bool(self._later("secret_answer"))


NO_CAPABILITIES = CapabilityFacts()
"""Nothing of the kind (the default)."""
