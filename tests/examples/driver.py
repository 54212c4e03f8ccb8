"""Run inside an example project's process: send requests through Django's test client.

Usage: ``python driver.py`` with ``DJANGO_SETTINGS_MODULE`` set, the project directory on
``sys.path`` (the cwd) and a JSON list of requests on stdin, each
``{"path": ..., "headers": {...}, "environ": {...}, "peer": "127.0.0.1"}``; ``{alice}`` /
``{bob}`` in a path become the id of that user's account. Prints one JSON
list of ``{"status", "body", "content_type", "www_authenticate"}``. Running in its own process
keeps each example's settings away from the test session's (and from each other's).
"""

from __future__ import annotations

import json
import sys

import django
from django.test import Client
from django.test.utils import setup_test_environment


def main() -> None:
    django.setup()
    setup_test_environment()  # adds "testserver" to ALLOWED_HOSTS, nothing else
    from bank.models import Account

    accounts = {a.owner.username: a.pk for a in Account.objects.select_related("owner")}
    results = []
    for spec in json.load(sys.stdin):
        client = Client(REMOTE_ADDR=spec.get("peer", "127.0.0.1"))
        response = client.get(
            spec["path"].format(**accounts),
            headers=spec.get("headers", {}),
            **spec.get("environ", {}),
        )
        content_type = response.get("Content-Type", "")
        text = response.content.decode("utf-8", "replace")
        body = json.loads(text) if "json" in content_type else text
        results.append(
            {
                "status": response.status_code,
                "body": body,
                "content_type": content_type,
                "www_authenticate": response.get("WWW-Authenticate"),
            }
        )
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
