"""Audit events on the ``mtlsguard.audit`` logger, and the optional database sink.

Each event is one :class:`AuditRecord`: who (fingerprint, subject, serial, issuer, user), what
(method, path -- never the query string), the outcome (status, decision, reason) and where
from (peer, request id). Full certificates, headers, cookies and tokens are never recorded.
The record is attached to the log record as ``record.audit`` (a dict) for structured handlers,
and rendered as ``key=value`` pairs in the message for plain ones.

The handlers of the ``mtlsguard.audit`` logger run off the request path: :data:`audit_queue`
moves them behind a :class:`logging.handlers.QueueHandler` and a
:class:`~logging.handlers.QueueListener` thread (the message is rendered there too), so an
allowed request pays for building the record and one queue put. Records propagate to parent
loggers as before. The queue is drained before the process exits (``atexit``), and
:func:`flush` drains it on demand; the database sink stays synchronous.

:func:`audit_record` is the one place a record is built from a request, so the middleware
and the DRF classes fill every field alike (the client address, the request id...).
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import queue
import re
import threading
import uuid
from dataclasses import dataclass, fields
from typing import Any, Final

from django.http import HttpRequest

from mtlsguard.certs.request import CertificateOutcome
from mtlsguard.django.conf import AuditSettings, MtlsGuardSettings
from mtlsguard.django.request_certificate import client_address, meta_key, peer_address

__all__ = [
    "AUDIT_LOGGER",
    "AuditRecord",
    "audit_record",
    "clean_request_id",
    "clip_path",
    "audit_queue",
    "emit",
    "emit_async",
    "flush",
    "wanted",
]

#: The logger name; route it to your SIEM.
AUDIT_LOGGER: Final = "mtlsguard.audit"
logger = logging.getLogger(AUDIT_LOGGER)

_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._:/+=-]{1,128}\Z")
_MAX_PATH: Final = 512


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audited request."""

    decision: str
    """``allow`` or ``deny``."""
    reason: str
    """Why: a ``CertificateError`` reason, ``no_certificate``, ``throttled``, ``verified``..."""
    status: int | None
    """HTTP status of the response."""
    method: str
    """HTTP method."""
    path: str
    """Request path without the query string (which may carry tokens)."""
    peer: str
    """``REMOTE_ADDR`` of the connection."""
    request_id: str
    """The proxy's request id, or a generated UUID."""
    fingerprint: str = ""
    """SHA-256 of the presented certificate (even a refused one), if any."""
    subject: str = ""
    """Subject DN of the presented certificate."""
    issuer: str = ""
    """Issuer DN of the presented certificate."""
    serial: str = ""
    """Serial number, upper-case hex."""
    user: str = ""
    """Username the request was authenticated as, if any."""
    client: str = ""
    """The client's address as a trusted proxy reported it (``CLIENT_IP_HEADER``), or the
    peer."""

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict (for JSON log formatters)."""
        # Every field is a str, int or None: a shallow dict equals dataclasses.asdict(), which
        # deep-copies field by field (~17 us on every logged request).
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    def message(self) -> str:
        """A one-line ``key=value`` rendering with values quoted where needed."""
        parts = []
        for key, value in self.as_dict().items():
            text = "" if value is None else str(value)
            if not text or any(c in text for c in ' "=\\') or not text.isprintable():
                text = '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
            parts.append(f"{key}={text}")
        return "mtlsguard " + " ".join(parts)


_FIELD_NAMES: Final = tuple(f.name for f in fields(AuditRecord))


def clean_request_id(value: str | None) -> str:
    """The proxy's request id if it looks like one, else a new UUID (never log junk)."""
    if value and _REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


def clip_path(path: str) -> str:
    """Bound the logged path's length."""
    return path if len(path) <= _MAX_PATH else path[: _MAX_PATH - 1] + "…"


def audit_record(
    request: HttpRequest,
    settings: MtlsGuardSettings,
    outcome: CertificateOutcome,
    *,
    allowed: bool,
    reason: str,
    status: int | None,
    user: Any = None,
) -> AuditRecord:
    """The audit record of ``request``, whose certificate reading gave ``outcome``.

    :param allowed: the decision (``allow`` or ``deny``).
    :param reason: why (a ``CertificateError`` reason, ``no_user``, ``throttled``...).
    :param status: the response's HTTP status.
    :param user: the user the request was authenticated as, if any.
    """
    cert = outcome.presented
    meta = request.META
    header = settings.audit.request_id_header
    return AuditRecord(
        decision="allow" if allowed else "deny",
        reason=reason,
        status=status,
        method=(request.method or "")[:16],
        path=clip_path(request.path),
        peer=peer_address(request)[:64],
        request_id=clean_request_id(meta.get(meta_key(header)) if header else None),
        fingerprint=(cert.sha256 or "") if cert else "",
        subject=cert.subject if cert else "",
        issuer=cert.issuer if cert else "",
        serial=format(cert.serial, "X") if cert and cert.serial is not None else "",
        user=user.get_username() if user is not None else "",
        client=client_address(request, settings)[:64],
    )


def wanted(allowed: bool, options: AuditSettings) -> bool:
    """Whether an event would go anywhere (checked before building it, on the hot path)."""
    if not options.enabled or (allowed and not options.log_allowed):
        return False
    return options.database or logger.isEnabledFor(logging.INFO if allowed else logging.WARNING)


def _store(record: AuditRecord) -> None:
    from mtlsguard.django.models import AuditEvent

    AuditEvent.objects.create(**record.as_dict())


def _should_log(record: AuditRecord, options: AuditSettings) -> bool:
    return options.enabled and (record.decision != "allow" or options.log_allowed)


class _Message:
    """A log message rendered only when a handler formats it (in the listener thread)."""

    __slots__ = ("_record",)

    def __init__(self, record: AuditRecord) -> None:
        self._record = record

    def __str__(self) -> str:
        return self._record.message()


class _Enqueue(logging.handlers.QueueHandler):
    """A ``QueueHandler`` that hands the record over as it is: same process, nothing to pickle,
    and the message is formatted by the real handler in the listener thread."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class AuditQueue:
    """Runs the audit logger's handlers in a background thread.

    On first use in a process (and whenever the logger's handlers change, e.g. a new
    ``LOGGING`` configuration or a fork) the handlers of ``mtlsguard.audit`` are moved to a
    :class:`~logging.handlers.QueueListener` and replaced by one queue handler. With no
    handlers of its own the logger is left alone (records only propagate).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._handler: _Enqueue | None = None
        self._listener: logging.handlers.QueueListener | None = None
        self._moved: tuple[logging.Handler, ...] = ()
        self._registered = 0

    def route(self, audit_logger: logging.Logger) -> None:
        """Make sure ``audit_logger``'s handlers run behind the queue (cheap when they do)."""
        handlers = audit_logger.handlers
        if not handlers or (
            len(handlers) == 1 and handlers[0] is self._handler and self._pid == os.getpid()
        ):
            return
        with self._lock:
            self._install(audit_logger)

    def _install(self, audit_logger: logging.Logger) -> None:
        current = list(audit_logger.handlers)
        if not current:
            return
        ours = self._handler
        forked = self._pid != os.getpid()
        if ours is not None and ours in current:
            moved = [*self._moved, *(h for h in current if h is not ours)]
        else:
            moved = current
        if not forked:
            self._stop_listener()
        channel: queue.SimpleQueue[Any] = queue.SimpleQueue()
        handler = _Enqueue(channel)
        listener = logging.handlers.QueueListener(channel, *moved, respect_handler_level=True)
        listener.start()
        self._handler, self._listener, self._moved = handler, listener, tuple(moved)
        self._pid = os.getpid()
        for old in current:
            audit_logger.removeHandler(old)
        audit_logger.addHandler(handler)
        if self._registered != self._pid:
            self._registered = self._pid
            atexit.register(self.flush)

    def _stop_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and listener._thread is not None:
            listener.stop()  # processes every record queued so far, then joins the thread

    def flush(self) -> None:
        """Deliver every queued record now (also run at interpreter exit)."""
        with self._lock:
            if self._pid != os.getpid() or self._listener is None:
                return
            listener = self._listener
            listener.stop()
            listener.start()


audit_queue = AuditQueue()
"""The process's audit queue (see :class:`AuditQueue`)."""


def flush() -> None:
    """Deliver every audit record queued so far to the audit logger's handlers."""
    audit_queue.flush()


def emit(record: AuditRecord, options: AuditSettings) -> None:
    """Log ``record`` (and store it when the database sink is on)."""
    if not _should_log(record, options):
        return
    level = logging.INFO if record.decision == "allow" else logging.WARNING
    if logger.isEnabledFor(level):
        audit_queue.route(logger)
        # makeRecord + handle is logger.log() without findCaller()'s walk up the stack: the
        # caller is always this function.
        logger.handle(
            logger.makeRecord(
                AUDIT_LOGGER,
                level,
                __file__,
                0,
                _Message(record),
                None,
                None,
                extra={"audit": record.as_dict()},
            )
        )
    if options.database:
        try:
            _store(record)
        except Exception:  # an audit sink failure must not turn a response into a 500
            logger.exception("mtlsguard: could not store audit event")


async def emit_async(record: AuditRecord, options: AuditSettings) -> None:
    """:func:`emit` for async code (the database write runs in a thread)."""
    if not _should_log(record, options):
        return
    if not options.database:
        emit(record, options)
        return
    from asgiref.sync import sync_to_async

    await sync_to_async(emit, thread_sensitive=True)(record, options)
