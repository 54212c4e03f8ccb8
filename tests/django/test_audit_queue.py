"""The audit logger's handlers run behind a queue: off the request path, never losing a record.

(issue 14, item 11) ``tests/django/test_servers.py`` also reads the audit file of real gunicorn
and uvicorn processes after SIGTERM: every event of the request table is there.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django import audit
from tests.django.conftest import PROXY, nginx_headers

ROOT = Path(__file__).resolve().parents[2]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.events: list[tuple[str, dict[str, Any], str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        audit_dict = getattr(record, "audit", {})
        self.events.append((threading.current_thread().name, audit_dict, record.getMessage()))


@pytest.mark.django_db
def test_handlers_run_in_the_listener_thread_and_flush_delivers_everything(
    mtls_settings: Any, alice: Any, pki: TestPKI
) -> None:
    audit_logger = logging.getLogger(audit.AUDIT_LOGGER)
    collect = _Collect()
    level, propagate = audit_logger.level, audit_logger.propagate
    audit_logger.setLevel(logging.INFO)
    audit_logger.addHandler(collect)
    audit_logger.propagate = False
    try:
        client = Client(REMOTE_ADDR=PROXY)
        for index in range(50):
            response = client.get(
                "/api/whoami", headers={**nginx_headers(pki.client), "X-Request-ID": f"req-{index}"}
            )
            assert response.status_code == 200
        assert collect not in audit_logger.handlers  # moved behind the queue
        audit.flush()
        assert [event["request_id"] for _, event, _ in collect.events] == [
            f"req-{index}" for index in range(50)
        ]
        assert {thread for thread, _, _ in collect.events} != {threading.current_thread().name}
        assert collect.events[0][2].startswith("mtlsguard decision=allow reason=verified")
    finally:
        audit.flush()
        for handler in list(audit_logger.handlers):
            audit_logger.removeHandler(handler)
        audit.audit_queue.route(audit_logger)  # nothing left to route: the queue stays idle
        audit_logger.setLevel(level)
        audit_logger.propagate = propagate


SCRIPT = """
import logging, sys
sys.path.insert(0, {root!r})
import tests.django.conftest  # configures Django with the tests' settings
from django.conf import settings
from django.test.utils import setup_test_environment
from django.db import connection
from django.test import Client
from tests.django.conftest import PROXY, base_mtlsguard, nginx_headers
from pathlib import Path
from mtlsguard.devserver.pki import TestPKI

pki = TestPKI.create()
files = pki.write(Path({tmp!r}))
settings.MTLSGUARD = base_mtlsguard(files["ca"].parent / "bundle.pem", files["crl"],
                                    AUTHENTICATE=False, REQUIRED="off")
(files["ca"].parent / "bundle.pem").write_bytes(files["ca"].read_bytes()
                                                + files["intermediate"].read_bytes())
audit_logger = logging.getLogger("mtlsguard.audit")
audit_logger.setLevel(logging.INFO)
audit_logger.propagate = False
handler = logging.FileHandler({log!r})
handler.setFormatter(logging.Formatter("%(message)s"))
audit_logger.addHandler(handler)
client = Client(REMOTE_ADDR=PROXY)
for index in range({count}):
    assert client.get("/public/whoami", headers=nginx_headers(pki.client)).status_code == 200
# No flush: the interpreter's exit must deliver whatever is still queued.
"""


def test_records_queued_at_exit_are_written(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    count = 300
    script = SCRIPT.format(root=str(ROOT), tmp=str(tmp_path), log=str(log), count=count)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = log.read_text().splitlines()
    assert len(lines) == count
    assert all(line.startswith("mtlsguard decision=allow") for line in lines)


def test_close_drains_and_puts_the_handlers_back() -> None:
    from mtlsguard.django.audit_sink import AuditQueue

    sink = AuditQueue()
    own = logging.getLogger("mtlsguard.tests.audit-sink")
    own.propagate = False
    own.setLevel(logging.INFO)
    collect = _Collect()
    own.addHandler(collect)
    try:
        for index in range(20):
            sink.route(own)
            own.info("event %d", index)
        assert own.handlers != [collect]  # behind the queue
        sink.close()
        assert own.handlers == [collect]  # put back: later records are handled at once
        own.info("after close")
        sink.route(own)  # closed: never starts a thread again (interpreter shutdown)
        assert own.handlers == [collect]
        messages = [record[2] for record in collect.events]
        assert messages == [f"event {index}" for index in range(20)] + ["after close"]
        assert collect.events[-1][0] == threading.current_thread().name
    finally:
        own.removeHandler(collect)


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_a_stream_handler_gets_one_write_per_batch_with_levels_and_filters_applied() -> None:
    from mtlsguard.django.audit_sink import _Writer

    stream = _CountingStream()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(lambda record: "secret" not in record.getMessage())
    warnings_only = _Collect()
    warnings_only.setLevel(logging.WARNING)
    writer = _Writer((handler, warnings_only))  # not started: drain() runs in this thread
    own = logging.getLogger("mtlsguard.tests.batch")
    for index in range(30):
        writer.put(own.makeRecord(own.name, logging.INFO, __file__, 0, "event %d", (index,), None))
    writer.put(own.makeRecord(own.name, logging.INFO, __file__, 0, "a secret", (), None))
    writer.put(own.makeRecord(own.name, logging.WARNING, __file__, 0, "denied", (), None))
    assert writer.drain() == 32
    assert stream.writes == 1
    assert stream.getvalue().splitlines() == [
        *(f"INFO event {index}" for index in range(30)),
        "WARNING denied",
    ]
    assert [message for _, _, message in warnings_only.events] == ["denied"]
    assert writer.drain() == 0


def test_an_idle_writer_is_woken_by_a_put(monkeypatch: pytest.MonkeyPatch) -> None:
    from mtlsguard.django import audit_sink

    monkeypatch.setattr(audit_sink, "IDLE_WAIT", 60.0)  # only a put can wake it in time
    collect = _Collect()
    writer = audit_sink._Writer((collect,))
    writer.start()
    try:
        for _ in range(500):
            if writer.idle:
                break
            time.sleep(0.01)
        assert writer.idle
        own = logging.getLogger("mtlsguard.tests.wake")
        writer.put(own.makeRecord(own.name, logging.INFO, __file__, 0, "wake up", (), None))
        for _ in range(500):
            if collect.events:
                break
            time.sleep(0.01)
        assert [message for _, _, message in collect.events] == ["wake up"]
        assert collect.events[0][0] == "mtlsguard-audit"
    finally:
        writer.stop()


@pytest.mark.django_db
def test_a_queued_event_is_dated_when_it_happened(
    mtls_settings: Any, alice: Any, pki: TestPKI
) -> None:
    audit_logger = logging.getLogger(audit.AUDIT_LOGGER)
    created: list[float] = []

    class _Dates(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            created.append(record.created)

    level, propagate = audit_logger.level, audit_logger.propagate
    audit_logger.setLevel(logging.INFO)
    audit_logger.addHandler(_Dates())
    audit_logger.propagate = False
    try:
        before = time.time()
        response = Client(REMOTE_ADDR=PROXY).get("/api/whoami", headers=nginx_headers(pki.client))
        after = time.time()
        assert response.status_code == 200
        time.sleep(0.05)  # the writer builds the record later (its batch pause, or flush())
        audit.flush()
        [stamp] = created
        assert before <= stamp <= after
    finally:
        audit.flush()
        for handler in list(audit_logger.handlers):
            audit_logger.removeHandler(handler)
        audit.audit_queue.route(audit_logger)
        audit_logger.setLevel(level)
        audit_logger.propagate = propagate
