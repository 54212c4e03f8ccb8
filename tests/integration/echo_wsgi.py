"""WSGI app for the Apache mod_wsgi recipe test: answers with the environ's string values.

Runs under Debian's mod_wsgi, i.e. the system python3, so it uses the standard library only.
"""

import json


def application(environ, start_response):
    """Echo every string value of the WSGI environ as ``{"environ": {...}}``."""
    values = {key: value for key, value in environ.items() if isinstance(value, str)}
    body = json.dumps({"environ": values}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
