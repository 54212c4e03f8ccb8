"""Refusals by raising: permission classes and ACL helpers that ``raise PermissionDenied``.

Shapes from a held-out forum project (issue 12), reduced to our own code:

- a project ``IsAuthenticatedOrReadOnly`` whose ``has_permission`` raises ``PermissionDenied``
  for a guest on an unsafe method and otherwise returns ``True``: writes are refused, reads are
  open (it is not "always True");
- a permission that raises unless the caller asks about themselves or holds a per-user ACL
  flag (``request.user_acl``): refused;
- ``allow_use_notifications(request.user)`` as a statement of a view, the helper raising for
  anonymous users; ``allow_browse_users_list(request.user_acl)`` in a base class's ``get()``,
  raising without the ACL flag: both gate the view.

The unprotected twins keep their MG101: a permission that raises only for signed-in users, a
helper that never tests the user it is given, a helper called only under an ``if``.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Severity
from tests.scan.projects import protections, reported_open, scan

DRF = (
    "INSTALLED_APPS = ['django.contrib.auth', 'rest_framework', 'app']\n"
    "REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': ['app.permissions.{default}']}\n"
)

PERMISSIONS = """\
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsAuthenticatedOrReadOnly(BasePermission):
    def has_permission(self, request, view):
        if request.user.is_anonymous and request.method not in SAFE_METHODS:
            raise PermissionDenied("This action is not available to guests.")
        return True


class OnlyLogs(BasePermission):
    def has_permission(self, request, view):
        print(request.method)
        return True


class OwnHistoryOrAcl(BasePermission):
    def has_permission(self, request, view):
        try:
            user_pk = int(request.query_params.get("user"))
        except (ValueError, TypeError):
            user_pk = -1
        if user_pk == request.user.pk:
            return True
        if not request.user_acl.get("can_see_users_name_history"):
            raise PermissionDenied("You can't see other users' name history.")
        return True


class GuestsOnly(BasePermission):
    def has_permission(self, request, view):
        if request.user.is_authenticated:
            raise PermissionDenied("Signed-in users can't do this.")
        return True
"""

MODELS = """\
from django.conf import settings
from django.db import models


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""


API = """\
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet
from app.models import Notification
from app.permissions import GuestsOnly, OwnHistoryOrAcl


@api_view(["GET", "POST"])
def submit_agreement(request):
    Notification.objects.filter(pk=request.data["pk"]).delete()
    return Response({"ok": True})


class HistoryViewSet(GenericViewSet):
    permission_classes = (OwnHistoryOrAcl,)

    def list(self, request):
        return Response([])


class GuestViewSet(GenericViewSet):
    permission_classes = (GuestsOnly,)

    def list(self, request):
        return Response([])
"""

API_URLS = """\
from django.urls import path
from app import api

urlpatterns = [
    path("agreement/", api.submit_agreement),
    path("history/", api.HistoryViewSet.as_view({"get": "list"})),
    path("guests/", api.GuestViewSet.as_view({"get": "list"})),
]
"""


def _drf(tmp_path: Path, default: str) -> object:
    files = {"app/permissions.py": PERMISSIONS, "app/api.py": API, "app/models.py": MODELS}
    files["proj/urls.py"] = API_URLS
    return scan(tmp_path, files, settings_extra=DRF.replace("{default}", default))


def test_a_permission_raising_for_guests_on_writes_refuses_writes_only(tmp_path: Path) -> None:
    result = _drf(tmp_path, "IsAuthenticatedOrReadOnly")
    prot = protections(result, "agreement/")  # type: ignore[arg-type]
    assert prot["POST"].authenticated is True
    assert "always returns True" not in prot["POST"].detail
    assert prot["GET"].authenticated is False
    assert "allows safe methods to anyone" in prot["GET"].detail


def test_the_permission_without_its_raise_is_still_always_true(tmp_path: Path) -> None:
    result = _drf(tmp_path, "OnlyLogs")
    prot = protections(result, "agreement/")  # type: ignore[arg-type]
    assert prot["POST"].authenticated is False
    assert "OnlyLogs.has_permission always returns True" in prot["POST"].detail
    mg101 = [f for f in result.findings if f.rule_id == "MG101" and "agreement" in f.route]  # type: ignore[attr-defined]
    assert [f.severity for f in mg101] == [Severity.HIGH]


def test_a_permission_raising_without_an_acl_flag_refuses(tmp_path: Path) -> None:
    result = _drf(tmp_path, "IsAuthenticatedOrReadOnly")
    assert protections(result, "history/")["GET"].authenticated is True  # type: ignore[arg-type]
    assert not any(f.rule_id == "MG101" and f.route == "history/" for f in result.findings)  # type: ignore[attr-defined]


def test_a_permission_raising_only_for_signed_in_users_lets_guests_in(tmp_path: Path) -> None:
    result = _drf(tmp_path, "IsAuthenticatedOrReadOnly")
    prot = protections(result, "guests/")["GET"]  # type: ignore[arg-type]
    assert prot.authenticated is False
    assert "GuestsOnly.has_permission always returns True" in prot.detail


HELPERS = """\
from django.core.exceptions import PermissionDenied


def allow_use_notifications(user):
    if user.is_anonymous:
        raise PermissionDenied("You must be signed in to access your notifications.")


def allow_browse_users_list(user_acl):
    if not user_acl["can_browse_users_list"]:
        raise PermissionDenied("You can't browse users list.")


def note_visit(user):
    if not user.is_anonymous:
        print("visit")


def allow_feature(user, flag):
    if not flag:
        raise PermissionDenied("The feature is off.")
"""

VIEWS = """\
from django.http import HttpResponse
from django.views import View
from app.acl import allow_browse_users_list, allow_feature, allow_use_notifications, note_visit
from app.models import Notification


def notifications(request):
    allow_use_notifications(request.user)
    return HttpResponse(Notification.objects.filter(user=request.user).count())


def visits(request):
    note_visit(request.user)
    return HttpResponse(Notification.objects.count())


def maybe(request):
    if request.GET.get("check"):
        allow_use_notifications(request.user)
    return HttpResponse(Notification.objects.count())


def feature(request):
    allow_feature(request.user, request.GET.get("on"))
    return HttpResponse(Notification.objects.count())


class ListBase(View):
    def get(self, request, *args, **kwargs):
        allow_browse_users_list(request.user_acl)
        return HttpResponse(self.rows(request))


class RankUsers(ListBase):
    def rows(self, request):
        return Notification.objects.count()
"""


URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("notifications/", views.notifications),
    path("visits/", views.visits),
    path("maybe/", views.maybe),
    path("feature/", views.feature),
    path("users/rank/", views.RankUsers.as_view()),
]
"""


def _views(tmp_path: Path) -> object:
    files = {"app/acl.py": HELPERS, "app/views.py": VIEWS, "app/models.py": MODELS}
    return scan(tmp_path, {**files, "proj/urls.py": URLS})


def test_a_helper_raising_for_anonymous_users_authenticates_the_view(tmp_path: Path) -> None:
    result = _views(tmp_path)
    prot = protections(result, "notifications/")["*"]  # type: ignore[arg-type]
    assert prot.authenticated is True
    assert "allow_use_notifications() raises" in prot.detail
    # a base class's get() calling an ACL helper with request.user_acl gates the subclass
    rank = protections(result, "users/rank/")["GET"]  # type: ignore[arg-type]
    assert rank.authenticated is True
    assert "allow_browse_users_list() raises" in rank.detail
    flagged = {f.route for f in result.findings if f.rule_id == "MG101"}  # type: ignore[attr-defined]
    assert "notifications/" not in flagged
    assert "users/rank/" not in flagged


def test_helpers_that_do_not_refuse_the_user_leave_the_view_open(tmp_path: Path) -> None:
    result = _views(tmp_path)
    # never raises; raises only under an ``if`` of the view; raises on a flag, not the user
    for route in ("visits/", "maybe/", "feature/"):
        assert protections(result, route)["*"].authenticated is False, route  # type: ignore[arg-type]
    # reported open: high, or low only because they just read (weak evidence)
    reported = {
        f.route
        for f in result.findings  # type: ignore[attr-defined]
        if reported_open(f)
    }
    assert {"visits/", "maybe/", "feature/"} <= reported


VIEW_MODELS = """\
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from app.models import Notification


def allow_see_thread(user_acl, target):
    category_acl = user_acl["categories"].get(target.pk, {"can_see": False})
    if not category_acl["can_see"]:
        raise Http404()


class ViewModel:
    def __init__(self, request, pk):
        self.request = request
        self._model = self.get_thread(request, pk)

    def unwrap(self):
        return self._model


class ForumThread(ViewModel):
    def get_thread(self, request, pk):
        thread = get_object_or_404(Notification, pk=pk)
        allow_see_thread(request.user_acl, thread)
        return thread


class OpenThread(ViewModel):
    def get_thread(self, request, pk):
        return get_object_or_404(Notification, pk=pk)
"""

GOTO = """\
from django.http import HttpResponse
from django.views import View
from app.models import Notification
from app.viewmodels import ForumThread, OpenThread


class GotoView(View):
    thread = None

    def get(self, request, pk):
        thread = self.get_thread(request, pk).unwrap()
        return HttpResponse(Notification.objects.filter(user=thread.user).count())

    def get_thread(self, request, pk):
        return self.thread(request, pk)


class ThreadGotoView(GotoView):
    thread = ForumThread


class OpenGotoView(GotoView):
    thread = OpenThread


def thread_view(request, pk):
    thread = ForumThread(request, pk).unwrap()
    return HttpResponse(str(thread.pk))
"""

GOTO_URLS = """\
from django.urls import path
from app import goto

urlpatterns = [
    path("t/<int:pk>/", goto.ThreadGotoView.as_view()),
    path("o/<int:pk>/", goto.OpenGotoView.as_view()),
    path("f/<int:pk>/", goto.thread_view),
]
"""


def test_a_view_model_checking_the_users_acl_gates_the_view(tmp_path: Path) -> None:
    files = {"app/viewmodels.py": VIEW_MODELS, "app/goto.py": GOTO, "app/models.py": MODELS}
    result = scan(tmp_path, {**files, "proj/urls.py": GOTO_URLS})
    # self.get_thread() -> self.thread (a class attribute) -> ForumThread.__init__ ->
    # ForumThread.get_thread -> allow_see_thread(request.user_acl, thread), which raises
    goto = protections(result, "t/<int:pk>/")["GET"]  # type: ignore[arg-type]
    assert goto.authenticated is True
    assert "allow_see_thread() raises" in goto.detail
    assert protections(result, "f/<int:pk>/")["*"].authenticated is True  # type: ignore[arg-type]
    # the same view with a view model that checks nothing stays open and reported
    assert protections(result, "o/<int:pk>/")["GET"].authenticated is False  # type: ignore[arg-type]
    flagged = {f.route: f for f in result.findings if f.rule_id == "MG101"}  # type: ignore[attr-defined]
    assert reported_open(flagged.get("o/<int:pk>/"))
    assert not {"t/<int:pk>/", "f/<int:pk>/"} & flagged.keys()


ACL_MODELS = """\
from django.conf import settings
from django.db import models


class Thread(models.Model):
    starter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    category_id = models.IntegerField()
"""

ACL_HELPERS = """\
from django.http import Http404


def allow_see_thread(user_acl, target):
    if user_acl["is_anonymous"] or user_acl["user_id"] != target.starter_id:
        category_acl = user_acl["categories"].get(target.category_id, {})
        if not category_acl.get("can_see_all_threads"):
            raise Http404()


def allow_use_threads(user_acl, target):
    if not user_acl["can_use_threads"]:
        raise Http404()
"""

ACL_VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from app.acl import allow_see_thread, allow_use_threads
from app.models import Thread


@login_required
def watch_thread(request, thread_id):
    thread = get_object_or_404(Thread, id=thread_id)
    allow_see_thread(request.user_acl, thread)
    return HttpResponse(thread.starter.email)


@login_required
def watch_any_thread(request, thread_id):
    thread = get_object_or_404(Thread, id=thread_id)
    allow_use_threads(request.user_acl, thread)
    return HttpResponse(thread.starter.email)
"""

ACL_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("threads/<int:thread_id>/watch/", views.watch_thread),
    path("any/<int:thread_id>/watch/", views.watch_any_thread),
]
"""


def test_an_acl_helper_given_the_user_and_the_fetched_object_checks_it(tmp_path: Path) -> None:
    files = {"app/models.py": ACL_MODELS, "app/acl.py": ACL_HELPERS, "app/views.py": ACL_VIEWS}
    result = scan(tmp_path, {**files, "proj/urls.py": ACL_URLS})
    mg104 = {f.route: f.severity for f in result.findings if f.rule_id == "MG104"}  # type: ignore[attr-defined]
    # allow_see_thread() tests the thread against the user's ACL before raising: checked
    assert "threads/<int:thread_id>/watch/" not in mg104
    # allow_use_threads() is given the thread but never tests it: still an unscoped fetch
    assert mg104.get("any/<int:thread_id>/watch/") is Severity.HIGH
