"""A bounded cache of certificate -> user answers, so the database stays off the hot path.

Keyed on the backend class and the certificate's fingerprint; holds the user (or ``None`` for
"maps to nobody") for ``IDENTITY["CACHE_TTL"]`` seconds. Any save or delete of a
:class:`~mtlsguard.django.models.CertificateBinding` or a user in this process clears it
(signals connected in ``apps.py``), and so do the bulk revocations of the admin action and
``mtlscert``; other processes pick changes up within the TTL. Certificate revocation by CRL
does not depend on it: ``verify()`` runs on every request.

A lookup that read the database before a revocation must not store its answer after the
revocation cleared the cache (the stale user would then outlive the revocation by up to the
TTL): every clear bumps a generation, a lookup notes the generation before its query, and
:meth:`IdentityCache.put` drops answers from an older generation. A change made inside a
transaction is invisible to other connections until it commits, so :func:`invalidate` clears
again on commit.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from typing import Any, Final

from django.db import transaction
from django.db.models import Model

__all__ = ["MISS", "IdentityCache", "identity_cache", "invalidate", "private_copy"]

MISS: Final = object()
"""Returned by :meth:`IdentityCache.get` when nothing (live) is cached."""


def private_copy(user: Any) -> Any:
    """A shallow copy of ``user`` with its own model state, like ``copy.copy``.

    ``copy.copy`` of a model instance goes through ``Model.__reduce__`` and the version check
    of ``__setstate__`` (~5 us, a large part of mtlsguard's warm path); this builds the same
    result directly: a new ``__dict__`` and a copied ``_state`` whose ``fields_cache`` is
    copied too, as ``Model.__getstate__`` does. An empty ``fields_cache`` is left out: Django's
    ``ModelState`` creates the copy's own on first use.
    """
    if not isinstance(user, Model):
        return copy.copy(user)
    clone = _new(type(user))
    state = user._state
    new_state = _new(type(state))
    state_dict = state.__dict__.copy()
    fields_cache = state_dict.pop("fields_cache", None)
    if fields_cache:
        state_dict["fields_cache"] = fields_cache.copy()
    new_state.__dict__ = state_dict
    user_dict = user.__dict__.copy()
    user_dict["_state"] = new_state
    clone.__dict__ = user_dict
    return clone


_new = object.__new__


class IdentityCache:
    """Thread-safe LRU of ``key -> (user or None, expiry)``."""

    def __init__(self, maxsize: int = 10_000) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[object, tuple[Any, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    @property
    def generation(self) -> int:
        """Bumped by every :meth:`clear`; read it before the database query of a lookup."""
        return self._generation

    def get(self, key: object) -> Any:
        """A private copy of the cached user, ``None``, or :data:`MISS`."""
        # Lock-free on a hit (each dict operation is atomic); only a removal takes the lock.
        entry = self._data.get(key)
        if entry is None:
            return MISS
        if entry[1] <= time.monotonic():
            with self._lock:
                if self._data.get(key) is entry:
                    del self._data[key]
            return MISS
        try:  # noqa: SIM105 (contextlib.suppress costs more than the rest of a hit)
            self._data.move_to_end(key)
        except KeyError:  # removed meanwhile (a clear, an eviction): the entry read stands
            pass
        user = entry[0]
        # Each request gets its own instance: authenticate() sets attributes on it.
        return None if user is None else private_copy(user)

    def put(self, key: object, user: Any, ttl: int, generation: int) -> None:
        """Remember ``user`` (or ``None``) for ``ttl`` seconds (0: do nothing).

        ``generation`` is :attr:`generation` as read before the lookup's query; if the cache
        was cleared since, the answer may predate the change that cleared it and is dropped.
        """
        if ttl <= 0:
            return
        stored = None if user is None else private_copy(user)
        with self._lock:
            if generation != self._generation:
                return
            self._data[key] = (stored, time.monotonic() + ttl)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self, *args: Any, **kwargs: Any) -> None:
        """Forget everything, and refuse answers of lookups already under way."""
        with self._lock:
            self._generation += 1
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


#: The process-wide cache used by :class:`~mtlsguard.django.backends.ClientCertificateBackend`.
identity_cache = IdentityCache()


def invalidate(*args: Any, using: str | None = None, **kwargs: Any) -> None:
    """Clear :data:`identity_cache` now and when the current transaction commits.

    The signal receiver for bindings and users (``using`` is the signal's database alias),
    and what bulk changes call. Inside ``atomic()`` the change is not visible to other
    connections until the commit, so a lookup made in between still reads the old rows and
    may store them under the new generation; the clear on commit removes that answer. (Outside
    a transaction ``on_commit`` runs the clear at once.)
    """
    identity_cache.clear()
    transaction.on_commit(identity_cache.clear, using=using)
