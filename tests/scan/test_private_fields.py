"""MG101: a user's private fields read through a relation are strong evidence; a name is not.

``Task.objects.values("owner__email")`` hands an anonymous caller a user's e-mail address,
whatever else the route reads: high. ``author__username`` or ``user__profile`` is the name a
public page shows beside what someone wrote (nitrate's search pages, codalab's forums on the
reviewed projects): it adds nothing to the weak evidence of an open read.
"""

from __future__ import annotations

import pytest

from mtlsguard.findings.model import Confidence, Finding, Severity
from tests.scan.projects import mg101_by_route, weak_reason

MODELS = """\
from django.conf import settings
from django.db import models


class Gift(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Ticket(models.Model):
    seat = models.CharField(max_length=10)
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    gift = models.ForeignKey(Gift, on_delete=models.CASCADE)


class Task(models.Model):
    title = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

VIEWS = """\
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse

from app.models import Task, Ticket


def _key(user_id):
    return _prefixed(user_id)


def _prefixed(user_id):
    return _scoped(f"profile:{user_id}")


def _scoped(key):
    return _versioned(key)


def _versioned(key):
    return key + ":v1"


def cached_profile(request, user_id):
    return HttpResponse(f"{request.user.username}: {cache.get(_key(user_id))}")


def task_emails(request):
    return JsonResponse({"rows": list(Task.objects.values("title", "owner__email"))})


def task_names(request):
    return JsonResponse({"rows": list(Task.objects.values("title", "owner__username"))})


def ticket_mails(request):
    return JsonResponse({"rows": list(Ticket.objects.values("seat", "gift__recipient__email"))})


def task_phones(request):
    return JsonResponse({"rows": list(Task.objects.values("title", "owner__profile__phone"))})
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("emails/", views.task_emails),
    path("names/", views.task_names),
    path("phones/", views.task_phones),
    path("tickets/", views.ticket_mails),
    path("profiles/<int:user_id>/", views.cached_profile),
]
"""


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Finding]:
    files = {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    return mg101_by_route(tmp_path_factory.mktemp("private_fields"), files)


@pytest.mark.parametrize(
    ("route", "path"),
    [
        ("emails/", "owner__email"),
        ("phones/", "owner__profile__phone"),
        # red team (round 18): followed through the models, whatever the relations are called
        ("tickets/", "gift__recipient__email"),
    ],
)
def test_a_users_private_field_through_a_relation_is_high(
    found: dict[str, Finding], route: str, path: str
) -> None:
    finding = found[route]
    assert finding.severity is Severity.HIGH
    assert f"high because it reads a user's fields through {path}" in finding.evidence


def test_a_users_name_through_a_relation_is_no_private_field(found: dict[str, Finding]) -> None:
    finding = found["names/"]
    assert finding.confidence is Confidence.LOW
    assert weak_reason(finding) == (
        "it reads Task, whose records belong to a user or account (owner)"
    )


def test_the_callers_account_beside_a_url_key_stays_high_past_deep_calls(
    found: dict[str, Finding],
) -> None:
    """The caller's account shown beside a key from the URL (a cache entry anyone may name) is
    strong evidence, checked before the weak evidence of calls deeper than the scan follows."""
    finding = found["profiles/<int:user_id>/"]
    assert finding.severity is Severity.HIGH
    assert "high because it shows the caller's account (request.user.username) and takes a key" in (
        finding.evidence
    )
