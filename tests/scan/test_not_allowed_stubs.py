"""Handlers that only answer 405 serve nothing: they are not the route's open methods.

Real-world shape (a held-out mailing-list UI): a base view defines ``get()`` and ``post()`` as
``return HttpResponse(status=405)`` "to be overridden"; a subclass overrides ``post()`` with
``@method_decorator(login_required)``. The scanner reported the inherited GET high, "no
authentication check", although GET answers 405 to everybody.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, Protection, Severity
from mtlsguard.scan.facts.stubs import not_allowed_stub
from tests.scan.projects import protections, scan

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("v/", views.V.as_view())]
"""

MODELS = """\
from django.db import models
class Entry(models.Model):
    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
"""


@pytest.mark.parametrize(
    ("body", "stub"),
    [
        ("return HttpResponse(status=405)", True),
        ('"""Overridden by subclasses."""\n    return HttpResponse(status=405)', True),
        ("return JsonResponse({}, status=HTTPStatus.METHOD_NOT_ALLOWED)", True),
        ("return Response(status=status.HTTP_405_METHOD_NOT_ALLOWED)", True),
        ('return HttpResponseNotAllowed(["POST"])', True),
        ("return self.http_method_not_allowed(request)", True),
        ("raise MethodNotAllowed(request.method)", True),
        ("return HttpResponse(status=404)", False),
        ("Entry.objects.all().delete()\n    return HttpResponse(status=405)", False),
        (
            "if request.user.is_staff:\n        return HttpResponse('x')\n    return "
            "HttpResponse(status=405)",
            False,
        ),
        ("return render(request, 'x.html')", False),
        ("raise PermissionDenied", False),
    ],
)
def test_stub_bodies(body: str, stub: bool) -> None:
    node = ast.parse(f"def get(self, request):\n    {body}\n").body[0]
    assert isinstance(node, ast.FunctionDef)
    assert not_allowed_stub(node) is stub


BASE = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView
from app.models import Entry

class ListBase(TemplateView):
    template_name = "x.html"

    def get(self, request, *args, **kwargs):
        # overridden by subclasses
        return HttpResponse(status=405)

    def post(self, request, *args, **kwargs):
        return HttpResponse(status=405)
"""


def _scan(tmp_path: Path, views: str) -> tuple[dict[str, Protection], list[Finding]]:
    files = {"app/views.py": BASE + textwrap.dedent(views), "app/models.py": MODELS}
    result = scan(tmp_path, {**files, "proj/urls.py": URLS})
    found = [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.V"]
    return protections(result, "v/"), found


def test_protected_post_with_inherited_405_get_is_not_reported(tmp_path: Path) -> None:
    by_method, findings = _scan(
        tmp_path,
        """\
        class V(ListBase):
            @method_decorator(login_required)
            def post(self, request):
                Entry.objects.filter(owner=request.user).delete()
                return HttpResponse("done")
        """,
    )
    assert sorted(by_method) == ["POST"]
    assert findings == []


def test_unprotected_post_is_still_reported_and_get_stub_is_not_listed(tmp_path: Path) -> None:
    _, findings = _scan(
        tmp_path,
        """\
        class V(ListBase):
            def post(self, request):
                return JsonResponse({"entries": list(Entry.objects.values())})
        """,
    )
    assert len(findings) == 1
    finding = findings[0]
    assert finding.methods == ("POST",)
    assert finding.severity is Severity.HIGH


def test_a_real_get_before_the_stub_in_the_mro_still_serves(tmp_path: Path) -> None:
    # TemplateView comes first: its get() renders the page, the stub in Refusing never runs.
    by_method, findings = _scan(
        tmp_path,
        """\
        class Refusing:
            def get(self, request, *args, **kwargs):
                return HttpResponse(status=405)

        class V(TemplateView, Refusing):
            template_name = "entries.html"

            def get_context_data(self, **kwargs):
                return {"entries": Entry.objects.all()}
        """,
    )
    assert "GET" in by_method
    assert by_method["GET"].authenticated is False
    assert len(findings) == 1


def test_overridden_get_serves_again(tmp_path: Path) -> None:
    _, findings = _scan(
        tmp_path,
        """\
        class V(ListBase):
            def get(self, request):
                return JsonResponse({"entries": list(Entry.objects.values())})

            @method_decorator(login_required)
            def post(self, request):
                return HttpResponse("done")
        """,
    )
    assert len(findings) == 1
    assert findings[0].methods == ("GET",)


def test_drf_view_with_a_405_stub_lists_only_its_served_method(tmp_path: Path) -> None:
    views = """\
    from rest_framework import status
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class Base(APIView):
        def get(self, request):
            return Response(status=status.HTTP_405_METHOD_NOT_ALLOWED)

    class V(Base):
        permission_classes = [IsAuthenticated]

        def post(self, request):
            return Response({})
    """
    result = scan(
        tmp_path,
        {"app/views.py": views, "proj/urls.py": URLS},
        settings_extra='INSTALLED_APPS += ["rest_framework"]\n',
    )
    assert sorted(protections(result, "v/")) == ["POST"]
