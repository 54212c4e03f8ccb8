"""The audit logger's handlers, run by a background thread: off the request path.

:data:`audit_queue` moves the handlers of the ``mtlsguard.audit`` logger behind a
:class:`logging.handlers.QueueHandler` whose queue is a :class:`collections.deque`, and a
writer thread runs them: the request thread pays for one deque append (no lock; the writer
polls in batches, see :data:`BATCH_PAUSE`, and is woken only after it went idle). Records
still propagate to parent loggers from the request thread, as before. An event whose record
only goes to those handlers can be queued before its record is even built, as a tuple of
plain values (:meth:`AuditQueue.put`); the writer builds it. The queue is drained before the
interpreter exits (``atexit``), and :meth:`AuditQueue.flush` drains it on demand.
"""

from __future__ import annotations

import atexit
import collections
import logging
import logging.handlers
import os
import threading
import time
from typing import Any, cast

__all__ = ["BATCH_PAUSE", "AuditQueue", "audit_queue"]

#: This process's id, kept current across forks (``os.getpid()`` is a system call, and the
#: queue asks on every audited request whether it was installed in this process).
_pid = os.getpid()


def _after_fork() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_after_fork)


class _Enqueue(logging.handlers.QueueHandler):
    """A ``QueueHandler`` that appends the record as it is to the writer's deque.

    Same process, nothing to pickle: the message is formatted by the real handler, in the
    writer thread.
    """

    def __init__(self, writer: _Writer) -> None:
        super().__init__(cast(Any, writer.events))
        self.writer = writer

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record

    def enqueue(self, record: logging.LogRecord) -> None:
        self.writer.put(record)


#: How long the writer lets a batch gather before handling it. While it pauses, puts wake
#: nobody (a deque append, no lock, no condition): a busy process runs the handlers at most
#: ~100 times a second, after a burst of requests rather than against it, and records reach
#: the handlers at most about this much later.
BATCH_PAUSE = 0.01

#: Records handled per round at most (a bound on the memory of one batch).
MAX_BATCH = 1024

#: How long an idle writer sleeps before it looks at the deque again anyway (a put wakes it
#: sooner; this only bounds the wait should a wake-up ever be missed).
IDLE_WAIT = 1.0

_LOG = logging.getLogger("mtlsguard.django")


class _Writer:
    """The thread that runs the audit logger's handlers over what :meth:`put` queued.

    An event is a :class:`logging.LogRecord`, or a tuple whose first item builds the record
    from the tuple (``event[0](event)``, in this thread). Records go to each handler in
    order; a plain :class:`~logging.StreamHandler` or :class:`~logging.FileHandler` gets one
    write and one flush per batch instead of one per record.
    """

    def __init__(self, handlers: tuple[logging.Handler, ...]) -> None:
        self.events: collections.deque[Any] = collections.deque()
        self.handlers = handlers
        self.idle = False
        self._wake = threading.Event()
        self._handling = threading.Lock()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def put(self, event: Any) -> None:
        """Queue ``event`` (atomic: no lock); wake the writer only if it went idle."""
        self.events.append(event)
        if self.idle:
            self.wake()

    def wake(self) -> None:
        """Wake the writer if it waits for events."""
        self._wake.set()

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="mtlsguard-audit", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Handle everything queued so far and end the thread."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.drain()

    def _run(self) -> None:
        events = self.events
        while not self._stopping:
            self._wake.wait(BATCH_PAUSE)  # a stop() or flush() ends the pause early
            self._wake.clear()
            if self.drain(yielding=True):
                continue
            # A whole pause without an event: sleep until a put wakes us. A put appends,
            # then reads ``idle``; this sets ``idle``, then reads the deque: one of them sees
            # the other.
            self.idle = True
            if not events and not self._stopping:
                self._wake.wait(IDLE_WAIT)
            self._wake.clear()
            self.idle = False
        self.drain()

    def flush(self) -> None:
        """Have the writer thread handle everything queued so far, and wait for it."""
        if self._thread is None or not self._thread.is_alive():
            self.drain()
            return
        self.stop()
        self._stopping = False
        self.start()

    def drain(self, *, yielding: bool = False) -> int:
        """Handle every queued event now (in the calling thread); how many there were.

        :param yielding: offer the GIL to the request threads after each record (the
            writer thread does): under load the handlers' work is spread thinly between
            requests instead of running in bursts against them (a burst of formatting evicts
            the request path from the CPU caches), and an idle process drains at full speed.
        """
        handled = 0
        pop = self.events.popleft
        streams = [h for h in self.handlers if _writes_a_stream(h)]
        others = [h for h in self.handlers if h not in streams]
        with self._handling:  # batches reach the handlers whole and in order
            while True:
                lines: list[list[str]] = [[] for _ in streams]
                last: list[logging.LogRecord | None] = [None for _ in streams]
                count = 0
                while count < MAX_BATCH:
                    try:
                        event = pop()
                    except IndexError:
                        break
                    count += 1
                    record = _record_of(event)
                    if record is None:
                        continue
                    for index, handler in enumerate(streams):
                        if _format_into(handler, record, lines[index]):
                            last[index] = record
                    for handler in others:
                        if record.levelno >= handler.level:
                            handler.handle(record)
                    if yielding:
                        time.sleep(0)
                if not count:
                    return handled
                handled += count
                for index, handler in enumerate(streams):
                    _write(cast(logging.StreamHandler[Any], handler), lines[index], last[index])


def _record_of(event: Any) -> logging.LogRecord | None:
    """The log record of a queued event (``None``, reported, if it cannot be built)."""
    if isinstance(event, logging.LogRecord):
        return event
    try:
        record: logging.LogRecord = event[0](event)
    except Exception:  # never lose the rest of the batch (nor the thread)
        _LOG.exception("mtlsguard: could not build an audit record")
        return None
    return record


def _writes_a_stream(handler: logging.Handler) -> bool:
    """Whether ``handler`` is a stock stream or file handler with an open stream."""
    kind = type(handler)
    return (
        kind.handle is logging.Handler.handle
        and (kind.emit is logging.StreamHandler.emit or kind.emit is logging.FileHandler.emit)
        and getattr(handler, "stream", None) is not None
    )


def _format_into(handler: logging.Handler, record: logging.LogRecord, lines: list[str]) -> bool:
    """``handler.handle(record)`` up to the write: the line goes to ``lines``."""
    if record.levelno < handler.level:
        return False
    passed = handler.filter(record)
    if not passed:
        return False
    if isinstance(passed, logging.LogRecord):  # Python 3.12: a filter may replace it
        record = passed
    try:
        lines.append(handler.format(record) + cast(Any, handler).terminator)
    except RecursionError:
        raise
    except Exception:
        handler.handleError(record)
        return False
    return True


def _write(
    handler: logging.StreamHandler[Any], lines: list[str], last: logging.LogRecord | None
) -> None:
    """One write and one flush for a batch of formatted records."""
    if not lines or last is None:
        return
    handler.acquire()
    try:
        handler.stream.write("".join(lines))
        handler.flush()
    except RecursionError:
        raise
    except Exception:
        handler.handleError(last)
    finally:
        handler.release()


class AuditQueue:
    """Runs the audit logger's handlers in a background thread.

    On first use in a process (and whenever the logger's handlers change, e.g. a new
    ``LOGGING`` configuration or a fork) the handlers of ``mtlsguard.audit`` are moved to a
    writer thread and replaced by one queue handler. With no
    handlers of its own the logger is left alone (records only propagate).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._handler: _Enqueue | None = None
        self._writer: _Writer | None = None
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
            or (len(handlers) == 1 and handlers[0] is self._handler and self._pid == _pid)
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
        forked = self._pid != _pid
        if ours is not None and ours in current:
            moved = [*self._moved, *(h for h in current if h is not ours)]
        else:
            moved = current
        if not forked:
            self._stop_listener()
        writer = _Writer(tuple(moved))
        handler = _Enqueue(writer)
        writer.start()
        self._handler, self._writer, self._moved = handler, writer, tuple(moved)
        self._pid = _pid
        for old in current:
            audit_logger.removeHandler(old)
        audit_logger.addHandler(handler)
        self._logger = audit_logger
        if self._registered != self._pid:
            self._registered = self._pid
            atexit.register(self.close)

    def put(self, audit_logger: logging.Logger, event: tuple[Any, ...]) -> bool:
        """Queue ``event``, whose record ``event[0](event)`` builds in the writer thread.

        Only when the audit logger's one handler is this queue's, it has no filters and does
        not propagate (a ``LOGGING`` entry with ``"propagate": False``): then the writer's
        handlers are all that would see the record. Otherwise ``False``: log it as usual.
        """
        handler = self._handler
        handlers = audit_logger.handlers
        if not (
            handler is not None
            and len(handlers) == 1
            and handlers[0] is handler
            and self._pid == _pid
            and not self._closed
        ):  # not (or no longer) routed through this queue in this process
            self.route(audit_logger)
            handler = self._handler
            handlers = audit_logger.handlers
            if handler is None or len(handlers) != 1 or handlers[0] is not handler:
                return False
        if audit_logger.propagate or audit_logger.filters or handler.filters:
            return False
        writer = handler.writer  # writer.put(event), inlined: this runs for every request
        writer.events.append(event)
        if writer.idle:
            writer.wake()
        return True

    def _stop_listener(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.stop()  # handles every record queued so far, then joins the thread

    def flush(self) -> None:
        """Deliver every queued record now."""
        with self._lock:
            if self._pid != _pid or self._writer is None:
                return
            self._writer.flush()

    def close(self, audit_logger: logging.Logger | None = None) -> None:
        """Deliver every queued record and put the handlers back on the logger (at exit).

        Records logged afterwards (by other ``atexit`` functions) are handled synchronously:
        no thread is started while the interpreter shuts down.
        """
        with self._lock:
            self._closed = True
            if self._pid != _pid or self._writer is None:
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
