"""Serve ``tests.integration.whoami_app`` with the standard library's wsgiref (threaded).

``python -m tests.integration.wsgiref_server PORT``: wsgiref folds header names the way
gunicorn <= 21 does (``X-SSL-Client_Cert`` becomes ``HTTP_X_SSL_CLIENT_CERT``).
"""

from __future__ import annotations

import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(port: int) -> None:
    from tests.integration.whoami_app import application

    server = make_server(
        "127.0.0.1",
        port,
        application,  # type: ignore[arg-type]
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
