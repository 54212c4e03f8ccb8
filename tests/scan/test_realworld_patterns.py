"""Patterns from real projects and published advisories (issue 12), on the ``tenancy`` corpus.

The corpus labels say *whether* a rule fires; these tests pin what a maintainer reads: one
finding per code location with every route it serves, severities that separate a public
pricing page from an IDOR, and the reason in the evidence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence, Finding, ScanResult, Severity
from mtlsguard.report.json_report import finding_dict
from mtlsguard.scan.engine import scan_project
from tests.scan.projects import protections, rule_ids, scan

CORPUS = Path(__file__).parent / "corpus" / "tenancy"


@pytest.fixture(scope="module")
def tenancy() -> ScanResult:
    return scan_project(CORPUS)


def _one(result: ScanResult, rule_id: str, view: str) -> Finding:
    found = [f for f in result.findings if f.rule_id == rule_id and f.view == view]
    assert len(found) == 1, found
    return found[0]


def test_one_finding_per_location_lists_every_route(tenancy: ScanResult) -> None:
    finding = _one(tenancy, "MG101", "orgs.views.pricing")
    assert finding.route == "pricing/"
    assert finding.also_routes == ("pricing/eu/", "pricing/us/")
    assert "also serves /pricing/eu/, /pricing/us/" in finding.evidence
    assert finding_dict(finding)["also_routes"] == ["pricing/eu/", "pricing/us/"]


def test_views_touching_no_user_data_and_auth_flows_are_informational(
    tenancy: ScanResult,
) -> None:
    pricing = _one(tenancy, "MG101", "orgs.views.pricing")
    assert pricing.severity is Severity.INFO
    assert "reads no model owned by a user" in pricing.evidence
    reset = _one(tenancy, "MG101", "orgs.views.password_reset_done")
    assert reset.severity is Severity.INFO
    assert "public by design" in reset.evidence
    leak = _one(tenancy, "MG101", "orgs.views.invoice_public")
    # Routed under public/: low with the reason, and the fetch it would leak (still reported).
    assert leak.severity is Severity.LOW
    assert "its URL has a public segment" in leak.evidence
    assert "But it fetches a record related to a user by a key the caller chooses" in leak.evidence


def test_media_served_without_auth_is_reported_static_is_not(tenancy: ScanResult) -> None:
    served = [f for f in tenancy.findings if f.view == "django.views.static.serve"]
    assert [(f.route, f.severity, f.confidence) for f in served] == [
        ("^media/(?P<path>.*)$", Severity.HIGH, Confidence.MEDIUM)
    ]
    assert "user uploads" in served[0].evidence


def test_read_only_permission_on_private_reads_from_get_queryset(tenancy: ScanResult) -> None:
    finding = _one(tenancy, "MG101", "orgs.api.InvoicesReadOnlyOpen")
    assert finding.severity is Severity.MEDIUM
    assert finding.methods == ("GET",)


def test_typoed_permission_attribute_is_named(tenancy: ScanResult) -> None:
    finding = _one(tenancy, "MG103", "orgs.api.InvoiceTypo")
    assert "InvoiceTypo.permissions is not a DRF attribute" in finding.evidence


def test_tenant_owned_lookup_names_the_path(tenancy: ScanResult) -> None:
    finding = _one(tenancy, "MG104", "orgs.views.document_detail")
    assert "owned via project" in finding.evidence
    audited = _one(tenancy, "MG104", "orgs.views.task_detail")
    # not via the created_by audit column; the project joins no user, its organization does
    assert "owned via project__organization)" in audited.evidence
    by_slug = _one(tenancy, "MG104", "orgs.views.project_by_slug")
    assert "scoped only by organization__slug from the request" in by_slug.evidence


def test_user_records_and_permission_gated_handlers_are_medium_low(tenancy: ScanResult) -> None:
    user = _one(tenancy, "MG104", "orgs.views.change_bio")
    assert (user.severity, user.confidence) == (Severity.MEDIUM, Confidence.LOW)
    assert "the user model" in user.evidence
    gated = _one(tenancy, "MG104", "orgs.api.InvoiceAdminViewSet")
    assert (gated.severity, gated.confidence) == (Severity.MEDIUM, Confidence.LOW)
    assert "a check in reassign()" in gated.evidence


MIDDLEWARE_VIEWS = """\
from django.http import HttpResponse

def page(request):
    return HttpResponse(request.user.username)
"""
MIDDLEWARE_URLS = """\
from django.urls import path
from app import views

urlpatterns = [path("app/page/", views.page)]
"""
WRAPPING = """\
import re
from django.contrib.auth.decorators import login_required

class RequireLogin:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.user.is_authenticated:
            return None
        if re.match(r"/app/", request.path):
            return login_required(view_func)(request, *view_args, **view_kwargs)
        return None
"""
HELPER = """\
from django.shortcuts import redirect

class AreaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def _handle_area(self, request):
        if request.user.is_anonymous:
            return redirect("/login/")
        return None

    def __call__(self, request):
        if request.path.startswith("/app/"):
            response = self._handle_area(request)
            if response:
                return response
        return self.get_response(request)
"""
READS_ONLY = """\
class CurrentTeam:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        request.team = request.user.username
        return self.get_response(request)
"""


@pytest.mark.parametrize(
    ("middleware", "name", "authenticated"),
    [
        # re.match(r"/app/", request.path) is read from the hook: /app/page/ is under it.
        (WRAPPING, "RequireLogin", True),
        (HELPER, "AreaMiddleware", None),
        (READS_ONLY, "CurrentTeam", False),
    ],
    ids=["wraps-login_required", "refusing-helper", "only-reads-the-user"],
)
def test_middleware_that_refuses_vs_one_that_only_reads(
    tmp_path: Path, middleware: str, name: str, authenticated: bool | None
) -> None:
    result = scan(
        tmp_path,
        {
            "app/middleware.py": middleware,
            "app/views.py": MIDDLEWARE_VIEWS,
            "proj/urls.py": MIDDLEWARE_URLS,
        },
        settings_extra=f'MIDDLEWARE = ["app.middleware.{name}"]\n',
    )
    # A gate whose paths depend on a helper's answer is undecidable per route (None); one that
    # only reads request.user covers nothing.
    assert protections(result, "app/page/")["*"].authenticated is authenticated


REMOTE_USER = """\
from os import getenv
from django.contrib.auth.middleware import RemoteUserMiddleware

class ForwardedRemoteUser(RemoteUserMiddleware):  # a header any client can send
    header = getenv("PROXY_HEADER", "HTTP_REMOTE_USER")

class EnvironRemoteUser(RemoteUserMiddleware):  # the server's environ: not a header
    header = "REMOTE_USER"
"""


def test_remote_user_taken_from_a_request_header_is_mg301(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "app/middleware.py": REMOTE_USER,
            "app/views.py": MIDDLEWARE_VIEWS,
            "proj/urls.py": MIDDLEWARE_URLS,
        },
        settings_extra=(
            'MIDDLEWARE = ["app.middleware.ForwardedRemoteUser", '
            '"app.middleware.EnvironRemoteUser"]\n'
        ),
    )
    found = [f for f in result.findings if f.rule_id == "MG301"]
    assert [f.view for f in found] == ["app.middleware.ForwardedRemoteUser"]
    assert "HTTP_REMOTE_USER" in found[0].evidence


TESTER_MODELS = """\
from django.conf import settings
from django.db import models

class Page(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

TESTER_VIEWS = """\
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView

from app.models import Page

class PageBase(LoginRequiredMixin, DetailView):
    def setup(self, request, pk, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.pk = pk

class Unchecked(PageBase):
    def get_object(self, queryset=None):
        return get_object_or_404(Page, id=self.pk)

class Checked(PageBase):
    def get_object(self, queryset=None):
        page = get_object_or_404(Page, id=self.pk)
        perms = page.permissions_for_user(self.request.user)
        if not (perms.can_publish() or perms.can_edit()):
            raise PermissionDenied
        return page
"""

TESTER_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("unchecked/<int:pk>/", views.Unchecked.as_view()),
    path("checked/<int:pk>/", views.Checked.as_view()),
]
"""


def test_view_pk_attribute_and_permission_tester_of_the_fetched_object(tmp_path: Path) -> None:
    # Wagtail CVE-2026-44197/44198: ``self.pk`` kept from the URL; the fix asks a permission
    # tester built from the page and the user, and refuses.
    result = scan(
        tmp_path,
        {"app/models.py": TESTER_MODELS, "app/views.py": TESTER_VIEWS, "proj/urls.py": TESTER_URLS},
    )
    assert "MG104" in rule_ids(result, "app.views.Unchecked")
    assert "MG104" not in rule_ids(result, "app.views.Checked")


BODY_IDS_MODELS = """\
from django.conf import settings
from django.db import models

class Project(models.Model):
    members = models.ManyToManyField(settings.AUTH_USER_MODEL)

class Issue(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL)
"""

BODY_IDS_VIEWS = """\
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from app.models import Issue, Project

class BulkDates(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, project_id):
        if not Project.objects.filter(id=project_id, members=request.user).exists():
            raise PermissionDenied
        updates = request.data.get("updates", [])
        issue_ids = [update["id"] for update in updates]
        issues = Issue.objects.filter(id__in=issue_ids)
        return Response({"n": len(issues)})

class ScopedBulkDates(BulkDates):
    def post(self, request, project_id):
        if not Project.objects.filter(id=project_id, members=request.user).exists():
            raise PermissionDenied
        updates = request.data.get("updates", [])
        issue_ids = [update["id"] for update in updates]
        issues = Issue.objects.filter(id__in=issue_ids, project_id=project_id)
        return Response({"n": len(issues)})
"""

BODY_IDS_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("p/<int:project_id>/dates/", views.BulkDates.as_view()),
    path("p/<int:project_id>/scoped-dates/", views.ScopedBulkDates.as_view()),
]
"""


def test_ids_computed_from_a_body_list_pick_records_of_a_checked_parent(tmp_path: Path) -> None:
    # Plane PR 8834: ids gathered from ``request.data["updates"]`` select issues of any
    # project; the membership check of the URL's project scopes nothing unless the lookup
    # names that project.
    result = scan(
        tmp_path,
        {
            "app/models.py": BODY_IDS_MODELS,
            "app/views.py": BODY_IDS_VIEWS,
            "proj/urls.py": BODY_IDS_URLS,
        },
    )
    assert "MG104" in rule_ids(result, "app.views.BulkDates")
    assert "MG104" not in rule_ids(result, "app.views.ScopedBulkDates")


INVITE_MODELS = """\
from django.conf import settings
from django.db import models

class Invite(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    email = models.EmailField()
    token = models.CharField(max_length=64)
"""

INVITE_VIEWS = """\
from django.utils.crypto import constant_time_compare
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from app.models import Invite

class OpenInvite(APIView):
    permission_classes = [AllowAny]

    def get(self, request, pk):
        invite = Invite.objects.get(pk=pk)
        return Response({"email": invite.email, "token": invite.token})

class TokenInvite(APIView):
    permission_classes = [AllowAny]

    def get(self, request, pk):
        token = request.GET.get("token", "")
        invite = Invite.objects.get(pk=pk)
        if not constant_time_compare(invite.token, token):
            return Response({"error": "forbidden"}, status=403)
        return Response({"email": invite.email})

    def post(self, request, pk):
        invite = Invite.objects.get(pk=pk)
        if invite.token != request.data.get("token"):
            return Response({"error": "no"}, status=403)
        return Response({"joined": True})
"""

INVITE_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("open/<int:pk>/", views.OpenInvite.as_view()),
    path("token/<int:pk>/", views.TokenInvite.as_view()),
]
"""


def test_secret_token_check_that_refuses_authenticates_a_capability_link(tmp_path: Path) -> None:
    # Plane GHSA-gf48-p6jp-cwc4: the invitation endpoint stays AllowAny (the invitee has no
    # account yet); the fix compares the link's token and refuses otherwise.
    result = scan(
        tmp_path,
        {"app/models.py": INVITE_MODELS, "app/views.py": INVITE_VIEWS, "proj/urls.py": INVITE_URLS},
    )
    assert "MG101" in rule_ids(result, "app.views.OpenInvite")
    assert "MG101" not in rule_ids(result, "app.views.TokenInvite")
    token = protections(result, "token/<int:pk>/")
    assert token["GET"].detail == "secret-token check in get()"
    assert token["POST"].authenticated is True


HELPER_VIEWS = """\
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from app.models import Ticket

def ticket_with_authorisation(request, ticket_id):
    if not request.user.is_authenticated:
        try:
            return Ticket.objects.get(id=ticket_id, secret_key=request.POST.get("key"))
        except Ticket.DoesNotExist:
            raise PermissionDenied()
    return get_object_or_404(Ticket, id=ticket_id)

def update_checked(request, ticket_id):
    try:
        ticket = ticket_with_authorisation(request, ticket_id)
    except PermissionDenied:
        return redirect_to_login(request.path)
    return JsonResponse({"title": ticket.title})

def update_unchecked(request, ticket_id):
    ticket = ticket_with_authorisation(request, ticket_id)
    return JsonResponse({"title": ticket.title})
"""

HELPER_MODELS = """\
from django.conf import settings
from django.db import models

class Ticket(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)
    secret_key = models.CharField(max_length=64)
"""

HELPER_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("checked/<int:ticket_id>/", views.update_checked),
    path("unchecked/<int:ticket_id>/", views.update_unchecked),
]
"""


def test_helper_raising_permission_denied_turned_into_a_refusal_is_a_gate(tmp_path: Path) -> None:
    # django-helpdesk PR 1134: the helper raises PermissionDenied and the view refuses; before,
    # the helper returned a redirect the view used as a ticket.
    result = scan(
        tmp_path,
        {"app/models.py": HELPER_MODELS, "app/views.py": HELPER_VIEWS, "proj/urls.py": HELPER_URLS},
    )
    assert "MG101" in rule_ids(result, "app.views.update_unchecked")
    assert "MG101" not in rule_ids(result, "app.views.update_checked")


USERS_VIEWS = """\
from django.contrib.auth.models import User
from django.http import HttpResponseForbidden
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

class UserViewSet(viewsets.ModelViewSet):
    model = User
    queryset = User.objects.exclude(username="system").order_by("username")
    permission_classes = [IsAuthenticated]

class GuardedUserViewSet(UserViewSet):
    def destroy(self, request, *args, **kwargs):
        target = self.get_object()
        if target.is_superuser and not request.user.is_superuser:
            return HttpResponseForbidden("Superusers can only be deleted by superusers")
        return super().destroy(request, *args, **kwargs)
"""

USERS_URLS = """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from app import views

router = DefaultRouter()
router.register("users", views.UserViewSet, basename="users")
router.register("guarded", views.GuardedUserViewSet, basename="guarded")

urlpatterns = [path("api/", include(router.urls))]
"""


def test_user_viewset_destroy_without_a_privileged_target_check(tmp_path: Path) -> None:
    # paperless-ngx GHSA-8c6x-pfjq-9gr7: a user allowed to delete users deleted superusers.
    result = scan(tmp_path, {"app/views.py": USERS_VIEWS, "proj/urls.py": USERS_URLS})
    found = [
        f
        for f in result.findings
        if f.rule_id == "MG104" and f.view == "app.views.UserViewSet" and "destroy" in f.evidence
    ]
    assert [(f.severity, f.confidence) for f in found] == [(Severity.MEDIUM, Confidence.LOW)]
    assert not [
        f
        for f in result.findings
        if f.view == "app.views.GuardedUserViewSet" and "more privileged" in f.evidence
    ]


LOOPED_CHECK_VIEWS = """\
from django.http import JsonResponse
from rest_framework.viewsets import GenericViewSet

from app.models import Device


class DeviceViewSet(GenericViewSet):
    permission_classes = []

    def check_permissions(self, request):
        user = self.request.user
        for permission in self.get_required_permission():
            if not user.has_perms([permission]):
                self.permission_denied(request)

    def list(self, request):
        return JsonResponse({"names": [d.name for d in Device.objects.all()]})


class OpenViewSet(GenericViewSet):
    permission_classes = []

    def check_permissions(self, request):
        for permission in self.get_required_permission():
            self.log(permission)

    def list(self, request):
        return JsonResponse({"names": [d.name for d in Device.objects.all()]})
"""

LOOPED_CHECK_MODELS = """\
from django.conf import settings
from django.db import models


class Device(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=50)
"""

LOOPED_CHECK_URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("devices/", views.DeviceViewSet.as_view({"get": "list"})),
    path("open/", views.OpenViewSet.as_view({"get": "list"})),
]
"""


def test_a_refusal_inside_a_loop_over_required_permissions_is_a_gate(tmp_path: Path) -> None:
    """Nautobot's UI viewsets: ``permission_classes = []`` but ``check_permissions()`` refuses
    inside a loop over the permissions the action requires. A loop that refuses nothing is no
    gate."""
    result = scan(
        tmp_path,
        {
            "app/views.py": LOOPED_CHECK_VIEWS,
            "app/models.py": LOOPED_CHECK_MODELS,
            "proj/urls.py": LOOPED_CHECK_URLS,
        },
    )
    assert protections(result, "devices/")["GET"].authenticated is True
    assert not protections(result, "open/")["GET"].authenticated
    assert "MG101" in rule_ids(result, "app.views.OpenViewSet")
    assert "MG101" not in rule_ids(result, "app.views.DeviceViewSet")


SELF_METHOD_VIEWS = """\
from django.contrib.auth.mixins import AccessMixin
from django.http import JsonResponse
from django.views import View

from app.models import Device


class PermissionRequired(AccessMixin):
    def has_permission(self):
        user = self.request.user
        if user.has_perms(("app.view_device",)):
            return True
        return False

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class AlwaysYes(AccessMixin):
    def has_permission(self):
        return True

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class DeviceList(PermissionRequired, View):
    def get(self, request):
        return JsonResponse({"names": [d.name for d in Device.objects.all()]})


class OpenList(AlwaysYes, View):
    def get(self, request):
        return JsonResponse({"names": [d.name for d in Device.objects.all()]})
"""

SELF_METHOD_URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("devices/", views.DeviceList.as_view()),
    path("open/", views.OpenList.as_view()),
]
"""


def test_dispatch_refusing_on_its_own_user_checking_method_is_a_gate(tmp_path: Path) -> None:
    """Nautobot's ``ObjectPermissionRequiredMixin``: ``dispatch()`` refuses unless
    ``self.has_permission()``, which asks ``user.has_perms(...)``. A method that always says
    yes is no gate."""
    result = scan(
        tmp_path,
        {
            "app/views.py": SELF_METHOD_VIEWS,
            "app/models.py": LOOPED_CHECK_MODELS,
            "proj/urls.py": SELF_METHOD_URLS,
        },
    )
    devices = protections(result, "devices/")["GET"]
    assert devices.authenticated is True
    assert "self.has_permission()" in devices.detail
    assert not protections(result, "open/")["GET"].authenticated
    assert "MG101" in rule_ids(result, "app.views.OpenList")
