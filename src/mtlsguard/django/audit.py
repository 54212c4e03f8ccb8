"""Audit events on the ``mtlsguard.audit`` logger, and the optional database sink.

Each event is one :class:`AuditRecord`: who (fingerprint, subject, serial, issuer, user), what
(method, path -- never the query string), the outcome (status, decision, reason) and where
from (peer, request id). Full certificates, headers, cookies and tokens are never recorded.
The record is attached to the log record as ``record.audit`` (a dict) for structured handlers,
and rendered as ``key=value`` pairs in the message for plain ones.

The handlers of the ``mtlsguard.audit`` logger run off the request path, in the thread of
:data:`~mtlsguard.django.audit_sink.audit_queue` (the message is rendered there too, and the
record itself is built there when it goes nowhere else); queued records are written before the
process exits, and :func:`flush` writes them on demand. The database sink stays synchronous.

:func:`audit_record` is the one place a record is built from a request, so the middleware
and the DRF classes fill every field alike (the client address, the request id...).
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Final

from django.http import HttpRequest

from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.proxies import TrustedProxies
from mtlsguard.certs.request import CertificateOutcome
from mtlsguard.django.audit_sink import audit_queue
from mtlsguard.django.conf import AuditSettings, MtlsGuardSettings
from mtlsguard.django.request_certificate import meta_key

__all__ = [
    "AUDIT_LOGGER",
    "AuditRecord",
    "audit_queue",
    "audit_record",
    "audit_request",
    "clean_request_id",
    "clip_path",
    "emit",
    "emit_async",
    "flush",
    "submit_allowed",
    "submit_event",
    "wanted",
]

#: The logger name; route it to your SIEM.
AUDIT_LOGGER: Final = "mtlsguard.audit"
logger = logging.getLogger(AUDIT_LOGGER)

_random_bits = random.getrandbits
_now = time.time
_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._:/+=-]{1,128}\Z")
_MAX_PATH: Final = 512
_UUID4_KEEP: Final = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET: Final = (0x8000 << 48) | (4 << 76)
_NEEDS_QUOTES = re.compile(r'[ "=\\]')


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
        for key in _FIELD_NAMES:
            value = getattr(self, key)
            text = "" if value is None else str(value)
            if not text or _NEEDS_QUOTES.search(text) or not text.isprintable():
                text = '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
            parts.append(f"{key}={text}")
        return "mtlsguard " + " ".join(parts)


_FIELD_NAMES: Final = tuple(f.name for f in fields(AuditRecord))


def clean_request_id(value: str | None) -> str:
    """The proxy's request id if it looks like one, else a new random id (never log junk).

    The new id has the form of ``uuid.uuid4().hex`` (32 hex digits, version 4) but comes from
    :mod:`random`, which is reseeded in every forked child: ``os.urandom`` would release the
    GIL on every request and hand it to the audit writer thread mid-request.
    """
    if value and _REQUEST_ID.match(value):
        return value
    # uuid.UUID(int=..., version=4).hex without the UUID object: the variant and version bits.
    return "%032x" % (_random_bits(128) & _UUID4_KEEP | _UUID4_SET)


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
    return _built(_capture(request, settings, outcome, allowed, reason, status, user))


# An event as queued (see _capture): one tuple of values that already exist, plus the clock.
# No dict, no dataclass, no datetime, no reference back to the request: nothing for the
# garbage collector to follow while it waits for the writer thread.
_Event = tuple[
    Callable[..., logging.LogRecord],  # 0: builds the log record (_event_log_record)
    float,  # 1: time.time() when the event happened
    bool,  # 2: allowed
    str,  # 3: reason
    int | None,  # 4: status
    str,  # 5: method
    str,  # 6: path
    Any,  # 7: REMOTE_ADDR, unchecked
    Any,  # 8: the proxy's request id, unchecked
    Any,  # 9: CLIENT_IP_HEADER, unchecked
    TrustedProxies,  # 10: believes (or not) 9
    ClientCertificate | None,  # 11: what was presented
    str,  # 12: username
]


#: ``(settings, request id META key, client IP META key)`` of the settings seen last.
_meta_keys: tuple[object, str | None, str | None] = (None, None, None)


def _capture(
    request: HttpRequest,
    settings: MtlsGuardSettings,
    outcome: CertificateOutcome,
    allowed: bool,
    reason: str,
    status: int | None,
    user: Any,
) -> _Event:
    # Plain reads of META (what peer_address() and forwarded_for() read): this runs on the
    # request thread for every audited request; the checks and the formatting wait for
    # _built(), in the writer thread.
    global _meta_keys
    keys = _meta_keys
    if keys[0] is not settings:
        header, ip_header = settings.audit.request_id_header, settings.client_ip_header
        keys = _meta_keys = (
            settings,
            meta_key(header) if header else None,
            meta_key(ip_header) if ip_header is not None else None,
        )
    meta = request.META
    return (
        _event_log_record,
        _now(),
        allowed,
        reason,
        status,
        request.method or "",
        request.path,
        meta.get("REMOTE_ADDR"),
        meta.get(keys[1]) if keys[1] is not None else None,
        meta.get(keys[2]) if keys[2] is not None else None,
        settings.trusted_proxies,
        outcome.presented,
        user.get_username() if user is not None else "",
    )


def _built(event: _Event) -> AuditRecord:
    """The record of a captured event."""
    (
        _,
        _,
        allowed,
        reason,
        status,
        method,
        path,
        remote_addr,
        request_id,
        forwarded,
        proxies,
        cert,
        user,
    ) = event
    # The META values as captured: strings from a server, anything from other code.
    peer = remote_addr if isinstance(remote_addr, str) else str(remote_addr or "")
    return AuditRecord(
        decision="allow" if allowed else "deny",
        reason=reason,
        status=status,
        method=method[:16],
        path=clip_path(path),
        peer=peer[:64],
        request_id=clean_request_id(request_id if isinstance(request_id, str) else None),
        fingerprint=(cert.sha256 or "") if cert else "",
        subject=cert.subject if cert else "",
        issuer=cert.issuer if cert else "",
        serial=format(cert.serial, "X") if cert and cert.serial is not None else "",
        user=user,
        client=proxies.client_address(peer, forwarded if isinstance(forwarded, str) else None)[:64],
    )


def _event_log_record(event: _Event) -> logging.LogRecord:
    """The log record of a queued event (built in the writer thread), dated when it happened."""
    record = _log_record(logging.INFO if event[2] else logging.WARNING, _built(event))
    created = event[1]
    record.relativeCreated += (created - record.created) * 1000
    record.created = created
    record.msecs = (created - int(created)) * 1000
    return record


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


def _log_record(level: int, record: AuditRecord) -> logging.LogRecord:
    # makeRecord without findCaller()'s walk up the stack: the caller is always this module.
    return logger.makeRecord(
        AUDIT_LOGGER,
        level,
        __file__,
        0,
        _Message(record),
        (),
        None,
        extra={"audit": record.as_dict()},
    )


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
        logger.handle(_log_record(level, record))
    if options.database:
        try:
            _store(record)
        except Exception:  # an audit sink failure must not turn a response into a 500
            logger.exception("mtlsguard: could not store audit event")


def audit_request(
    request: HttpRequest,
    settings: MtlsGuardSettings,
    outcome: CertificateOutcome,
    *,
    allowed: bool,
    reason: str,
    status: int | None,
    user: Any = None,
) -> None:
    """:func:`audit_record` + :func:`emit`, off the request path where possible.

    The record is built in the listener thread when it only goes to the audit logger's own
    handlers (the hot path of an allowed request); otherwise here, as :func:`emit` needs it.
    """
    if wanted(allowed, settings.audit):
        submit_event(
            request, settings, outcome, allowed=allowed, reason=reason, status=status, user=user
        )


def submit_event(
    request: HttpRequest,
    settings: MtlsGuardSettings,
    outcome: CertificateOutcome,
    *,
    allowed: bool,
    reason: str,
    status: int | None,
    user: Any = None,
) -> None:
    """:func:`audit_request` for a caller that has just checked :func:`wanted` itself."""
    options = settings.audit
    event = _capture(request, settings, outcome, allowed, reason, status, user)
    if options.database or not audit_queue.put(logger, event):
        emit(_built(event), options)


def submit_allowed(
    request: HttpRequest,
    settings: MtlsGuardSettings,
    outcome: CertificateOutcome,
    reason: str,
    status: int | None,
    user: Any,
) -> None:
    """:func:`audit_request` of an allowed request: the middleware's hot path, in one call.

    The same event as ``audit_request(..., allowed=True, ...)``: :func:`wanted`, then
    :func:`submit_event`, with their checks made here in line.
    """
    options = settings.audit
    if not (options.enabled and options.log_allowed):
        return
    if options.database:
        emit(_built(_capture(request, settings, outcome, True, reason, status, user)), options)
    elif logger.isEnabledFor(logging.INFO):
        event = _capture(request, settings, outcome, True, reason, status, user)
        if not audit_queue.put(logger, event):
            emit(_built(event), options)


async def emit_async(record: AuditRecord, options: AuditSettings) -> None:
    """:func:`emit` for async code (the database write runs in a thread)."""
    if not _should_log(record, options):
        return
    if not options.database:
        emit(record, options)
        return
    from asgiref.sync import sync_to_async

    await sync_to_async(emit, thread_sensitive=True)(record, options)
