"""The audit logger's handlers, run by a background thread: off the request path.

:data:`audit_queue` moves the handlers of the ``mtlsguard.audit`` logger behind a
:class:`logging.handlers.QueueHandler`, and a :class:`~logging.handlers.QueueListener`
thread runs them: the request thread pays for one queue put. Records still propagate to parent
loggers from the request thread, as before. An event whose record only goes to those handlers
can be queued before its record is even built (:meth:`AuditQueue.submit`); the listener builds
it. The queue is drained before the interpreter exits (``atexit``), and :meth:`AuditQueue.flush`
drains it on demand.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["AuditQueue", "audit_queue"]


class _Enqueue(logging.handlers.QueueHandler):
    """A ``QueueHandler`` that hands the record over as it is.

    Same process, nothing to pickle: the message is formatted by the real handler, in the
    listener thread.
    """

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class _Deferred:
    """An event queued before its log record was built: ``build(*args)`` makes it."""

    __slots__ = ("args", "build")

    def __init__(self, build: Callable[..., logging.LogRecord], args: tuple[Any, ...]) -> None:
        self.build, self.args = build, args


class _Listener(logging.handlers.QueueListener):
    """Builds deferred events into log records, in the listener thread."""

    def prepare(self, record: Any) -> Any:
        if isinstance(record, _Deferred):
            return record.build(*record.args)
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
        self._listener: _Listener | None = None
        self._moved: tuple[logging.Handler, ...] = ()
        self._registered = 0
        self._closed = False
        self._logger: logging.Logger | None = None

    def route(self, audit_logger: logging.Logger) -> None:
        """Make sure ``audit_logger``'s handlers run behind the queue (cheap when they do)."""
        handlers = audit_logger.handlers
        if (
            not handlers
            or self._closed
            or (len(handlers) == 1 and handlers[0] is self._handler and self._pid == os.getpid())
        ):
            return
        with self._lock:
            if not self._closed:
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
        listener = _Listener(channel, *moved, respect_handler_level=True)
        listener.start()
        self._handler, self._listener, self._moved = handler, listener, tuple(moved)
        self._pid = os.getpid()
        for old in current:
            audit_logger.removeHandler(old)
        audit_logger.addHandler(handler)
        self._logger = audit_logger
        if self._registered != self._pid:
            self._registered = self._pid
            atexit.register(self.close)

    def submit(
        self, audit_logger: logging.Logger, build: Callable[..., logging.LogRecord], *args: Any
    ) -> bool:
        """Queue an event whose record is built in the listener thread, if nothing is lost.

        Only when the audit logger's one handler is this queue's, it has no filters and does
        not propagate (a ``LOGGING`` entry with ``"propagate": False``): then the listener's
        handlers are all that would see the record. Otherwise ``False``: log it as usual.
        """
        self.route(audit_logger)
        handler = self._handler
        handlers = audit_logger.handlers
        if (
            handler is None
            or audit_logger.propagate
            or audit_logger.filters
            or handler.filters
            or len(handlers) != 1
            or handlers[0] is not handler
        ):
            return False
        handler.queue.put_nowait(_Deferred(build, args))
        return True

    def _stop_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and listener._thread is not None:
            listener.stop()  # processes every record queued so far, then joins the thread

    def flush(self) -> None:
        """Deliver every queued record now."""
        with self._lock:
            if self._pid != os.getpid() or self._listener is None:
                return
            listener = self._listener
            listener.stop()
            listener.start()

    def close(self, audit_logger: logging.Logger | None = None) -> None:
        """Deliver every queued record and put the handlers back on the logger (at exit).

        Records logged afterwards (by other ``atexit`` functions) are handled synchronously:
        no thread is started while the interpreter shuts down.
        """
        with self._lock:
            self._closed = True
            if self._pid != os.getpid() or self._listener is None:
                return
            self._stop_listener()
            handler, self._handler = self._handler, None
            audit_logger = audit_logger or self._logger
            if (
                handler is not None
                and audit_logger is not None
                and handler in audit_logger.handlers
            ):
                audit_logger.removeHandler(handler)
                for moved in self._moved:
                    audit_logger.addHandler(moved)


audit_queue = AuditQueue()
"""The process's audit queue (see :class:`AuditQueue`)."""
