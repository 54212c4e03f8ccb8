"""Gates in ``dispatch()`` overrides that are not Django's or DRF's names.

Held-out set 5 (Ghostwriter v7.2.5), three shapes, each rebuilt here from scratch:

- a project ``AccessMixin`` whose ``dispatch()`` refuses anonymous users and then refuses
  unless ``self.get_test_func()()`` says yes (``LoginRequiredMixin`` + ``UserPassesTestMixin``
  in one class), with views whose ``test_func`` asks ``self.get_object()`` about the user or
  asks about a role of the user alone: before, every detail/update/delete view was MG103;
- a bearer credential read in ``setup()``, required by one ``dispatch()`` of the MRO and looked
  up (a 401 when no record matches) by another: before, MG101 "no authentication check";
- a webhook base view whose ``dispatch()`` answers 403 unless a helper says the shared-secret
  header equals a secret setting: before, MG101.

Each comes with twins that must stay reported: a ``test_func`` that returns ``True``, one that
ignores the user, a model method that always says yes; a credential required but never looked
up, or looked up only when present; a header read but never refused on.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import protections, rule_ids, scan

MODELS = """\
from django.conf import settings
from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=50)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL)

    def user_can_edit(self, user):
        return self.members.filter(pk=user.pk).exists()

    def user_can_view(self, user):
        return True


class Note(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()

    def user_can_edit(self, user):
        return self.author == user or user.is_staff

    def user_can_view(self, user):
        return True


class ApiKey(models.Model):
    key = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

ACCESS = """\
from django.contrib.auth.mixins import AccessMixin


def is_privileged(user):
    return user.is_privileged


class RoleAccessMixin(AccessMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        passed = self.get_test_func()()
        if not passed:
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)

    def test_func(self):
        return self.request.user.is_active

    def get_test_func(self):
        return self.test_func


class TestOnlyMixin(AccessMixin):
    def dispatch(self, request, *args, **kwargs):
        if not self.test_func():
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)
"""

VIEWS = """\
from django.contrib.auth.mixins import UserPassesTestMixin
from django.views.generic import DeleteView, DetailView, UpdateView

from app.access import RoleAccessMixin, TestOnlyMixin, is_privileged
from app.models import Note


class NoteEdit(RoleAccessMixin, UpdateView):
    model = Note
    fields = ["text"]

    def test_func(self):
        return self.get_object().user_can_edit(self.request.user)


class NoteProjectEdit(RoleAccessMixin, UpdateView):
    model = Note
    fields = ["text"]

    def test_func(self):
        return self.get_object().project.user_can_edit(self.request.user)


class NoteAuthorEdit(RoleAccessMixin, UpdateView):
    model = Note
    fields = ["text"]

    def test_func(self):
        obj: Note = self.get_object()
        return obj.author.id == self.request.user.id or is_privileged(self.request.user)


class NoteDjangoEdit(UserPassesTestMixin, UpdateView):
    model = Note
    fields = ["text"]

    def test_func(self):
        return self.request.user == self.get_object().author


class NoteDelete(RoleAccessMixin, DeleteView):
    model = Note

    def test_func(self):
        return is_privileged(self.request.user)


class NoteYes(RoleAccessMixin, DetailView):
    model = Note

    def test_func(self):
        return True


class NoteDefault(RoleAccessMixin, DetailView):
    model = Note


class NoteNoUser(RoleAccessMixin, DetailView):
    model = Note

    def test_func(self):
        return self.get_object().text != ""


class NoteAlwaysViewable(RoleAccessMixin, DetailView):
    model = Note

    def test_func(self):
        return self.get_object().user_can_view(self.request.user)


class NoteProjectViewable(RoleAccessMixin, DetailView):
    model = Note

    def test_func(self):
        return self.get_object().project.user_can_view(self.request.user)


class NoteOrOpen(RoleAccessMixin, DetailView):
    model = Note

    def test_func(self):
        return self.get_object().user_can_edit(self.request.user) or self.get_object().text


class NoteTestOnly(TestOnlyMixin, DetailView):
    model = Note

    def test_func(self):
        return True
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("edit/<int:pk>/", views.NoteEdit.as_view()),
    path("project-edit/<int:pk>/", views.NoteProjectEdit.as_view()),
    path("author-edit/<int:pk>/", views.NoteAuthorEdit.as_view()),
    path("django-edit/<int:pk>/", views.NoteDjangoEdit.as_view()),
    path("delete/<int:pk>/", views.NoteDelete.as_view()),
    path("yes/<int:pk>/", views.NoteYes.as_view()),
    path("default/<int:pk>/", views.NoteDefault.as_view()),
    path("no-user/<int:pk>/", views.NoteNoUser.as_view()),
    path("always/<int:pk>/", views.NoteAlwaysViewable.as_view()),
    path("project-view/<int:pk>/", views.NoteProjectViewable.as_view()),
    path("or-open/<int:pk>/", views.NoteOrOpen.as_view()),
    path("test-only/<int:pk>/", views.NoteTestOnly.as_view()),
]
"""


def _access(tmp_path: Path) -> ScanResult:
    return scan(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/access.py": ACCESS,
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
    )


def test_object_checked_by_test_func_of_a_project_access_mixin(tmp_path: Path) -> None:
    result = _access(tmp_path)
    for view in ("NoteEdit", "NoteProjectEdit", "NoteAuthorEdit", "NoteDjangoEdit"):
        assert rule_ids(result, f"app.views.{view}") == set(), view
    detail = protections(result, "edit/<int:pk>/")["GET"].detail
    assert "RoleAccessMixin.dispatch() refuses unless self.test_func() (a user check)" in detail


def test_role_test_func_of_the_user_alone_is_a_role_gate(tmp_path: Path) -> None:
    result = _access(tmp_path)
    assert rule_ids(result, "app.views.NoteDelete") == set()


def test_test_func_that_does_not_check_the_object_leaves_mg103(tmp_path: Path) -> None:
    result = _access(tmp_path)
    for view in (
        "NoteYes",
        "NoteDefault",  # is_active: an account state, no role and no object
        "NoteNoUser",
        "NoteAlwaysViewable",  # the model method always answers True
        "NoteProjectViewable",  # the same, through the relation
        "NoteOrOpen",  # an alternative lets callers through without the check
    ):
        assert "MG103" in rule_ids(result, f"app.views.{view}"), view


def test_dispatch_asking_a_test_func_that_always_says_yes_is_no_login(tmp_path: Path) -> None:
    result = _access(tmp_path)
    assert "MG101" in rule_ids(result, "app.views.NoteTestOnly")
    got = protections(result, "test-only/<int:pk>/")["GET"]
    assert got.authenticated is False
    assert "TestOnlyMixin.dispatch() asks self.test_func(), which always returns True" in got.detail


BEARER = """\
from django.http import JsonResponse
from django.views import View

from app.models import ApiKey


def bearer_token(request):
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ") or None


class ApiView(View):
    api_key = None
    token = None

    def setup(self, request, *args, **kwargs):
        self.token = bearer_token(request)
        super().setup(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        if self.token:
            try:
                self.api_key = ApiKey.objects.get(key=self.token)
            except ApiKey.DoesNotExist:
                return JsonResponse({"error": "invalid credential"}, status=401)
        return super().dispatch(request, *args, **kwargs)


class TokenRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if self.token:
            return super().dispatch(request, *args, **kwargs)
        return JsonResponse({"error": "no credential"}, status=400)


class PresenceOnlyView(View):
    token = None

    def setup(self, request, *args, **kwargs):
        self.token = bearer_token(request)
        super().setup(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        if not self.token:
            return JsonResponse({"error": "no credential"}, status=401)
        return super().dispatch(request, *args, **kwargs)


class Keys(TokenRequiredMixin, ApiView):
    def post(self, request):
        return JsonResponse({"keys": list(ApiKey.objects.values("key"))})


class KeysWhenPresent(ApiView):
    def post(self, request):
        return JsonResponse({"keys": list(ApiKey.objects.values("key"))})


class KeysAnyValue(PresenceOnlyView):
    def post(self, request):
        return JsonResponse({"keys": list(ApiKey.objects.values("key"))})
"""

BEARER_URLS = """\
from django.urls import path

from app import api

urlpatterns = [
    path("keys/", api.Keys.as_view()),
    path("keys-when-present/", api.KeysWhenPresent.as_view()),
    path("keys-any-value/", api.KeysAnyValue.as_view()),
]
"""


def test_bearer_credential_required_and_resolved_in_dispatch(tmp_path: Path) -> None:
    result = scan(
        tmp_path, {"app/models.py": MODELS, "app/api.py": BEARER, "proj/urls.py": BEARER_URLS}
    )
    got = protections(result, "keys/")["POST"]
    assert got.authenticated is True
    assert "self.token" in got.detail
    assert "TokenRequiredMixin.dispatch()" in got.detail
    assert "MG101" not in rule_ids(result, "app.api.Keys")
    # looked up only when sent: callers without a credential get through
    assert "MG101" in rule_ids(result, "app.api.KeysWhenPresent")
    # required but never looked up: any value passes
    assert "MG101" in rule_ids(result, "app.api.KeysAnyValue")


HOOKS = """\
from django.conf import settings
from django.http import JsonResponse
from django.views import View

from app.models import Note


def _matches(sent):
    if sent is None:
        return False
    if sent == settings.HOOK_SECRET:
        return True
    return False


def verify_hook(headers):
    return _matches(headers.get("X-Hook-Secret"))


def refuse_unless_mismatch(headers):
    if headers.get("X-Hook-Secret") != settings.HOOK_SECRET:
        return False
    return True


def json_body(headers):
    if headers.get("Content-Type") == "application/json":
        return True
    return False


class HookView(View):
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if verify_hook(request.headers):
            return super().dispatch(request, *args, **kwargs)
        return JsonResponse({"error": "unauthorized"}, status=403)


class InverseHookView(View):
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not refuse_unless_mismatch(request.headers):
            return JsonResponse({"error": "unauthorized"}, status=403)
        return super().dispatch(request, *args, **kwargs)


class LoggingHookView(View):
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not verify_hook(request.headers):
            print("unverified hook call")
        return super().dispatch(request, *args, **kwargs)


class ContentTypeHookView(View):
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if json_body(request.headers):
            return super().dispatch(request, *args, **kwargs)
        return JsonResponse({"error": "unauthorized"}, status=403)


class NoteDeleted(HookView):
    def post(self, request):
        Note.objects.filter(pk=request.POST["id"]).delete()
        return JsonResponse({"ok": True})


class NoteDeletedInverse(InverseHookView):
    def post(self, request):
        Note.objects.filter(pk=request.POST["id"]).delete()
        return JsonResponse({"ok": True})


class NoteDeletedLogged(LoggingHookView):
    def post(self, request):
        Note.objects.filter(pk=request.POST["id"]).delete()
        return JsonResponse({"ok": True})


class NoteDeletedJson(ContentTypeHookView):
    def post(self, request):
        Note.objects.filter(pk=request.POST["id"]).delete()
        return JsonResponse({"ok": True})
"""

HOOK_URLS = """\
from django.urls import path

from app import hooks

urlpatterns = [
    path("hooks/deleted/", hooks.NoteDeleted.as_view()),
    path("hooks/deleted-inverse/", hooks.NoteDeletedInverse.as_view()),
    path("hooks/deleted-logged/", hooks.NoteDeletedLogged.as_view()),
    path("hooks/deleted-json/", hooks.NoteDeletedJson.as_view()),
]
"""


def test_shared_secret_header_compared_by_a_helper_in_dispatch(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {"app/models.py": MODELS, "app/hooks.py": HOOKS, "proj/urls.py": HOOK_URLS},
        settings_extra='HOOK_SECRET = os.environ["HOOK_SECRET"]\nimport os\n',
    )
    got = protections(result, "hooks/deleted/")["POST"]
    assert got.authenticated is True
    assert "shared-secret check verify_hook()" in got.detail
    assert "MG101" not in rule_ids(result, "app.hooks.NoteDeleted")
    assert "MG101" not in rule_ids(result, "app.hooks.NoteDeletedInverse")
    # reads the header, never refuses
    assert "MG101" in rule_ids(result, "app.hooks.NoteDeletedLogged")
    # refuses, but on a header that is no secret
    assert "MG101" in rule_ids(result, "app.hooks.NoteDeletedJson")
