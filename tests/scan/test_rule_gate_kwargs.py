"""A decorator whose wrapper hands the user and every URL keyword to a permission check.

getgov (the .gov registrar) guards its views with ``@grant_access(RULE, ...)``: on a class it
replaces ``dispatch`` with a wrapper doing ``if not _user_has_permission(request.user, request,
rules, **kwargs): raise PermissionDenied``; on a function it wraps the view the same way. The
check sees whatever the URL names, so a lookup by a URL keyword fetches an object the check
vouched for (MG104), and a ``DetailView`` whose key is in the URL serves one (MG103). The twins:
the same wrapper handing ``**kwargs`` to an audit call (no permission asked), and one asking
the check but never refusing.
"""

from __future__ import annotations

import ast

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from mtlsguard.scan.facts.decorator_checks import EVERY_URL_KEY, checked_url_keys
from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class DomainRequest(models.Model):
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=50)
"""

DECORATORS = """\
import functools

from django.core.exceptions import PermissionDenied
from django.utils.decorators import method_decorator

from app.models import DomainRequest

IS_REQUESTER = "is_requester"


def _user_has_permission(user, request, rules, **kwargs):
    if not user.is_authenticated:
        return False
    if IS_REQUESTER in rules:
        pk = kwargs.get("request_pk")
        return DomainRequest.objects.filter(requester=user, id=pk).exists()
    return False


def _audit(user, request, rules, **kwargs):
    print(user, rules, kwargs)
    return True


def grant_access(*rules):
    def decorator(view):
        if isinstance(view, type):
            original_dispatch = view.dispatch

            def wrapped_dispatch(self, request, *args, **kwargs):
                if not _user_has_permission(request.user, request, rules, **kwargs):
                    raise PermissionDenied
                return original_dispatch(self, request, *args, **kwargs)

            view.dispatch = wrapped_dispatch
            return view

        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _user_has_permission(request.user, request, rules, **kwargs):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _org_permission(user, request, rules, **kwargs):
    return user.is_authenticated and user.orgs.filter(id=kwargs.get("org_id")).exists()


def org_grant(*rules):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _org_permission(request.user, request, rules, **kwargs):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def audited(*rules):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _audit(request.user, request, rules, **kwargs):
                return view(request, *args, **kwargs)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView

from app.decorators import IS_REQUESTER, audited, grant_access, org_grant
from app.models import DomainRequest


@grant_access(IS_REQUESTER)
class RequestStatus(LoginRequiredMixin, DetailView):
    model = DomainRequest
    pk_url_kwarg = "request_pk"


class RequestStatusOpen(LoginRequiredMixin, DetailView):
    model = DomainRequest
    pk_url_kwarg = "request_pk"


@login_required
@grant_access(IS_REQUESTER)
def withdraw(request, request_pk):
    domain_request = get_object_or_404(DomainRequest, pk=request_pk)
    domain_request.delete()
    return JsonResponse({})


@login_required
@org_grant("viewer")
def org_withdraw(request, org_id, request_pk):
    domain_request = get_object_or_404(DomainRequest, pk=request_pk)
    domain_request.delete()
    return JsonResponse({})


@login_required
@audited(IS_REQUESTER)
def withdraw_audited(request, request_pk):
    domain_request = get_object_or_404(DomainRequest, pk=request_pk)
    domain_request.delete()
    return JsonResponse({})
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("request/<int:request_pk>/", views.RequestStatus.as_view()),
    path("open/<int:request_pk>/", views.RequestStatusOpen.as_view()),
    path("request/<int:request_pk>/withdraw/", views.withdraw),
    path("audited/<int:request_pk>/withdraw/", views.withdraw_audited),
    path("orgs/<int:org_id>/requests/<int:request_pk>/", views.org_withdraw),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    files = {
        "app/models.py": MODELS,
        "app/decorators.py": DECORATORS,
        "app/views.py": VIEWS,
        "proj/urls.py": URLS,
    }
    found = scan(tmp_path_factory.mktemp("rule_gate"), files)
    assert found.errors == ()
    return found


def _reported(result: ScanResult) -> set[tuple[str, str]]:
    return {
        (f.rule_id, (f.view or "").rsplit(".", 1)[-1])
        for f in result.findings
        if f.rule_id in ("MG103", "MG104") and f.severity >= Severity.MEDIUM
    }


def test_a_check_handed_every_url_keyword_vouches_for_the_object(result: ScanResult) -> None:
    reported = _reported(result)
    assert ("MG103", "RequestStatus") not in reported  # class decorator replacing dispatch
    assert ("MG104", "withdraw") not in reported  # function decorator


def test_without_the_check_or_with_an_audit_call_the_lookups_stay_reported(
    result: ScanResult,
) -> None:
    reported = _reported(result)
    assert ("MG103", "RequestStatusOpen") in reported
    assert ("MG104", "withdraw_audited") in reported
    # the check handed **kwargs reads only org_id: the request it fetches by request_pk may be
    # any organisation's (a red-team case)
    assert ("MG104", "org_withdraw") in reported


def test_rule_gate_facts() -> None:
    """The fact itself: the wrapper's check is handed ``**kwargs``; an audit call is not one."""
    tree = ast.parse(DECORATORS)
    by_name = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert EVERY_URL_KEY + "_user_has_permission" in checked_url_keys(by_name["grant_access"])
    assert checked_url_keys(by_name["audited"]) == ()
