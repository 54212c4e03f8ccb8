"""One example project's server process for the demo: ``python -m mtlsguard.demo.serve``.

Runs inside the example project's directory with its settings (each project needs a process
of its own: Django's settings are global), on a database the demo has migrated and seeded
with the project's own ``manage.py``. It serves the project either over mutual TLS with the
embedded dev server (``--pki DIR``: the certificate reaches Django in the WSGI environ) or over
plain http (``--plain``: the app server as it sits behind a TLS-terminating proxy, reached
directly).

It prints one JSON line, ``{"url": ...}``, once it listens, and stops when its standard input
closes (the demo ended, however it ended, even killed), on SIGTERM or on Ctrl-C.
"""

from __future__ import annotations

import json
import signal
import socketserver
import sys
import threading
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.types import WSGIApplication

__all__ = ["PlainServer", "main"]


class _QuietHandler(WSGIRequestHandler):
    """wsgiref's handler without a log line per request (the demo prints its own summary)."""

    def log_message(self, format: str, *args: Any) -> None:
        """Drop request logs."""


class PlainServer(socketserver.ThreadingMixIn, WSGIServer):
    """A threaded plain-http WSGI server on loopback: the app server behind a proxy."""

    daemon_threads = True

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup ``HTTPServer`` does."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.setup_environ()


def _serve_plain(app: WSGIApplication, host: str) -> tuple[str, Any]:
    server = PlainServer((host, 0), _QuietHandler)
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    thread.daemon = True
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://{host}:{server.server_port}/", stop


def _serve_tls(app: WSGIApplication, host: str, pki: Path) -> tuple[str, Any]:
    from mtlsguard.devserver.server import serve
    from mtlsguard.devserver.tls import ServerTLS

    server = serve(app, tls=ServerTLS.from_pki(pki), host=host, port=0)
    return server.url, server.shutdown


def _wait_for_end() -> None:
    """Block until stdin closes, SIGTERM or Ctrl-C."""

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (KeyboardInterrupt, OSError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Prepare and serve one example project until told to stop; return the exit code.

    ``argv`` is one JSON object (the demo starts this process; it is not a user's command):
    ``{"settings": MODULE, "pki": DIR}`` serves over mTLS with the PKI in ``DIR``,
    ``{"settings": MODULE, "plain": true}`` over plain http; ``"host"`` defaults to
    ``127.0.0.1``.
    """
    raw = sys.argv[1:] if argv is None else argv
    try:
        spec = json.loads(raw[0]) if len(raw) == 1 else None
    except ValueError:
        spec = None
    if not isinstance(spec, dict) or not isinstance(spec.get("settings"), str):
        print(
            'usage: python -m mtlsguard.demo.serve \'{"settings": MODULE, "pki": DIR}\'',
            file=sys.stderr,
        )
        return 2
    settings, host = spec["settings"], str(spec.get("host", "127.0.0.1"))

    from mtlsguard.devserver.launch import load_django

    try:
        app = load_django(settings)
        if spec.get("plain"):
            url, stop = _serve_plain(app, host)
        else:
            url, stop = _serve_tls(app, host, Path(str(spec["pki"])))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # whatever the project raises: one line on stderr for the demo
        print(f"cannot start {settings}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"url": url}), flush=True)
    try:
        _wait_for_end()
    finally:
        stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
