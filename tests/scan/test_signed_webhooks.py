"""Webhooks signed with a shared secret authenticate their caller (MuckRock, DocumentCloud).

Mailgun and similar providers sign each callback with an HMAC keyed by a secret the site keeps
in its settings. A view that refuses unless the signature matches (``if not _verify(
request.POST): return HttpResponseForbidden()``), directly or through a decorator whose wrapper
does (``@mailgun_verify``), serves only the holder of that secret: it is authenticated, as a
password would authenticate it. The helper compares the caller's signature with a digest it
computed into a local from the secret setting (``expected = hmac.new(settings.MAILGUN_KEY,
...).hexdigest()``; ``return signature == expected and fresh``).

The twins compute the digest with a key the caller sends, verify nothing before the work,
compare a count with a setting (``count < settings.API_KEY_RATE_LIMIT``: no secret is
presented), or compare with ``settings.PARTNER_API_KEY_MAP.get(...)`` (``None`` for an unknown
partner, which a missing header matches): still reported as open.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import protections, scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Upload(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    title = models.CharField(max_length=100)
""",
    "app/hooks.py": """\
import hashlib
import hmac
import time
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse, HttpResponseForbidden

from app.models import Upload


def _verify(post):
    if "signature" not in post:
        return False
    token = post.get("token", "")
    timestamp = post.get("timestamp", "")
    expected = hmac.new(
        key=settings.MAILGUN_ACCESS_KEY.encode(),
        msg=f"{timestamp}{token}".encode(),
        digestmod=hashlib.sha256,
    ).hexdigest()
    return post.get("signature") == expected and int(timestamp) + 300 > time.time()


def _verify_with_sent_key(post):
    expected = hmac.new(
        key=post.get("key", "").encode(), msg=post.get("token", "").encode(), digestmod="sha256"
    ).hexdigest()
    return post.get("signature") == expected


def _under_limit(request):
    limit = settings.API_KEY_RATE_LIMIT
    return int(request.POST.get("count", "0")) < limit


def _partner_ok(request):
    expected = settings.PARTNER_API_KEY_MAP.get(request.GET.get("partner"))
    return request.headers.get("X-Api-Key") == expected


def mailgun_verify(function):
    @wraps(function)
    def wrapper(request):
        if _verify(request.POST):
            return function(request)
        else:
            return HttpResponseForbidden()

    return wrapper


def sent_key_verify(function):
    @wraps(function)
    def wrapper(request):
        if _verify_with_sent_key(request.POST):
            return function(request)
        return HttpResponseForbidden()

    return wrapper


def _store(request):
    user = get_user_model().objects.get(email=request.POST["to"])
    Upload.objects.create(owner=user, title=request.POST["subject"])
    return HttpResponse("OK")


def upload_by_mail(request):
    if not _verify(request.POST):
        return HttpResponseForbidden()
    return _store(request)


@mailgun_verify
def route_mail(request):
    return _store(request)


@sent_key_verify
def route_mail_sent_key(request):
    return _store(request)


def upload_unverified(request):
    return _store(request)


def upload_rate_limited(request):
    if not _under_limit(request):
        return HttpResponseForbidden()
    return _store(request)


def upload_partner(request):
    if not _partner_ok(request):
        return HttpResponseForbidden()
    return _store(request)
""",
    "proj/urls.py": """\
from django.urls import path

from app import hooks

urlpatterns = [
    path("hooks/upload/", hooks.upload_by_mail),
    path("hooks/route/", hooks.route_mail),
    path("hooks/route-sent-key/", hooks.route_mail_sent_key),
    path("hooks/unverified/", hooks.upload_unverified),
    path("hooks/rate-limited/", hooks.upload_rate_limited),
    path("hooks/partner/", hooks.upload_partner),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("signed_webhooks")), FILES)


def test_signature_checked_in_the_view_authenticates(result: ScanResult) -> None:
    found = protections(result, "hooks/upload/")["*"]
    assert found.authenticated is True
    assert "shared-secret check _verify()" in found.detail


def test_signature_checked_by_a_decorator_wrapper_authenticates(result: ScanResult) -> None:
    found = protections(result, "hooks/route/")["*"]
    assert found.authenticated is True
    assert found.decided_by == "decorator"
    assert "@mailgun_verify" in found.detail


@pytest.mark.parametrize(
    "pattern",
    ["hooks/route-sent-key/", "hooks/unverified/", "hooks/rate-limited/", "hooks/partner/"],
)
def test_a_key_the_caller_sends_or_no_check_stays_open(result: ScanResult, pattern: str) -> None:
    assert protections(result, pattern)["*"].authenticated is False
    assert any(f.rule_id == "MG101" and f.route == pattern for f in result.findings), pattern
