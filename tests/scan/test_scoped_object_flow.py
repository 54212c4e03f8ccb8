"""MG103/MG104 precision (issue 12): protections a lookup alone does not show.

Each pattern from the hand review of the large projects (``benchmarks/realworld/projects.md``,
rows 2, 3, 4, 7, 8, 10, 13, 14, 15) as our own minimal reproduction: the safe shape is not
reported, the vulnerable shape next to it still is.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Finding, ScanResult, Severity
from tests.scan.projects import scan

MODELS = """\
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import get_random_string


def invite_code():
    return get_random_string(32)


class Account(AbstractUser):
    pass


class Note(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    body = models.TextField()

    def has_permission(self, user):
        return self.owner_id == user.id


class Invitation(models.Model):
    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )


class Share(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    code = models.CharField(max_length=16)
    token = models.CharField(max_length=32, default=invite_code)
    guests = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="shared")


class Team(models.Model):
    name = models.CharField(max_length=50)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
"""


def _findings(result: ScanResult, rule_id: str, view: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id and f.view == view]


RESET_VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.http import JsonResponse
from django.shortcuts import redirect

from app.models import Account as User


def _invalid(request):
    return redirect("forgot")


@login_required
def recover(request):
    user = User.objects.get(id=request.GET.get("id"))
    if not default_token_generator.check_token(user, request.GET.get("token")):
        return _invalid(request)
    user.set_password(request.POST["password"])
    user.save()
    return JsonResponse({})


@login_required
def recover_unchecked(request):
    user = User.objects.get(id=request.GET.get("id"))
    user.set_password(request.POST["password"])
    user.save()
    return JsonResponse({})
"""


def test_reset_token_checked_against_the_fetched_user_binds_it(tmp_path: Path) -> None:
    # pretix control/forgot/recover (row 2): check_token(user, ?token) before the change.
    urls = """\
    from django.urls import path
    from app import views
    urlpatterns = [path("recover/", views.recover), path("unchecked/", views.recover_unchecked)]
    """
    result = scan(
        tmp_path, {"app/models.py": MODELS, "app/views.py": RESET_VIEWS, "proj/urls.py": urls}
    )
    assert not _findings(result, "MG104", "app.views.recover")
    assert _findings(result, "MG104", "app.views.recover_unchecked")


CAPABILITY_VIEWS = """\
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, UpdateView

from app.models import Invitation, Share


class InvitationView(LoginRequiredMixin, DetailView):
    model = Invitation

    def post(self, request, *args, **kwargs):
        invitation = self.get_object()
        if invitation.user != request.user:
            raise Http404
        invitation.delete()
        return redirect("home")


class InvitationEdit(LoginRequiredMixin, UpdateView):
    model = Invitation
    fields = ["user"]


class ShareAccept(LoginRequiredMixin, DetailView):
    def get_object(self, queryset=None):
        return get_object_or_404(
            Share, code=self.kwargs["code"], token__iexact=self.kwargs["invitation"]
        )

    def post(self, request, *args, **kwargs):
        share = self.get_object()
        if not request.user.has_perm("app.join_share", share):
            raise PermissionDenied
        share.guests.add(request.user)
        return redirect("home")


class ShareTake(LoginRequiredMixin, DetailView):
    def get_object(self, queryset=None):
        return get_object_or_404(Share, code=self.kwargs["code"], token=self.kwargs["invitation"])

    def post(self, request, *args, **kwargs):
        share = self.get_object()
        share.owner_id = int(request.POST["new_owner"])
        share.save()
        return redirect("home")


class ShareJoin(LoginRequiredMixin, DetailView):
    def get_object(self, queryset=None):
        return get_object_or_404(Share, code=self.kwargs["code"], token=self.kwargs["invitation"])

    def post(self, request, *args, **kwargs):
        self.get_object().guests.add(request.user)
        return redirect("home")


class ShareByCode(LoginRequiredMixin, DetailView):
    def get_object(self, queryset=None):
        return get_object_or_404(Share, code=self.kwargs["code"])
"""

CAPABILITY_URLS = """\
from django.urls import path
from app import views
urlpatterns = [
    path("invitation/<uuid:pk>/", views.InvitationView.as_view()),
    path("invitation/<uuid:pk>/edit/", views.InvitationEdit.as_view()),
    path("share/<code>/<invitation>/", views.ShareAccept.as_view()),
    path("take/<code>/<invitation>/", views.ShareTake.as_view()),
    path("join/<code>/<invitation>/", views.ShareJoin.as_view()),
    path("code/<code>/", views.ShareByCode.as_view()),
]
"""


def test_capability_links_by_random_token_fields(tmp_path: Path) -> None:
    # Weblate InvitationView (row 3), pretalx SubmissionInviteAcceptView (row 4).
    result = scan(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/views.py": CAPABILITY_VIEWS,
            "proj/urls.py": CAPABILITY_URLS,
        },
    )
    # a uuid4 primary key, the handler that changes data checks the user: info, with the reason
    (invitation,) = _findings(result, "MG103", "app.views.InvitationView")
    assert invitation.severity is Severity.INFO
    assert "random UUID the server generated" in invitation.evidence
    # the same key with Django's own post() saving anything: still a (UUID-lowered) candidate
    (edit,) = _findings(result, "MG103", "app.views.InvitationEdit")
    assert edit.severity is Severity.MEDIUM
    # a random token field from the URL in the lookup, accepting checks has_perm: not an IDOR
    assert not _findings(result, "MG104", "app.views.ShareAccept")
    # the same capability whose post() changes the object unchecked: lowered, not dropped
    (take,) = _findings(result, "MG104", "app.views.ShareTake")
    assert take.severity is Severity.INFO
    assert "never check the user" in take.evidence
    # using request.user is no check: adding the caller to whatever the link names
    (join,) = _findings(result, "MG104", "app.views.ShareJoin")
    assert join.severity is Severity.INFO
    # a non-random field alone is a counter-like key: reported as before
    (by_code,) = _findings(result, "MG104", "app.views.ShareByCode")
    assert by_code.severity is Severity.HIGH


HANDOFF_VIEWS = """\
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from app.models import Account as User
from app.models import Membership, Note, Team


class ResolveMixin:
    def resolve(self, request, uri, instance):
        if not instance.has_permission(request.user):
            return Response(status=status.HTTP_403_FORBIDDEN)
        return Response({"uri": uri, "id": instance.id})

    def render_note(self, request, uri, instance):
        return Response({"uri": uri, "body": instance.body})


class NoteResolve(ResolveMixin, APIView):
    permission_classes = (IsAuthenticated,)

    def get(self, request, *args, **kwargs):
        note = Note.objects.get(pk=kwargs.get("note_id"))
        return self.resolve(request, request.GET.get("uri"), note)


class NoteRender(ResolveMixin, APIView):
    permission_classes = (IsAuthenticated,)

    def get(self, request, *args, **kwargs):
        note = Note.objects.get(pk=kwargs.get("note_id"))
        return self.render_note(request, request.GET.get("uri"), note)


class MemberDelete(APIView):
    permission_classes = (IsAuthenticated,)

    def delete(self, request, pk=None, user_pk=None):
        team = get_object_or_404(Team, pk=pk)
        if team not in request.user.teams.all():
            raise PermissionDenied
        user = get_object_or_404(User, pk=user_pk)
        member = get_object_or_404(Membership, user=user, team=team)
        member.delete()
        return Response(status=204)


class MemberDeleteAnyTeam(APIView):
    permission_classes = (IsAuthenticated,)

    def delete(self, request, pk=None, user_pk=None):
        user = get_object_or_404(User, pk=user_pk)
        member = get_object_or_404(Membership, user=user, team_id=pk)
        member.delete()
        return Response({"email": user.email})
"""

HANDOFF_URLS = """\
from django.urls import path
from app import views
urlpatterns = [
    path("notes/<int:note_id>/resolve/", views.NoteResolve.as_view()),
    path("notes/<int:note_id>/render/", views.NoteRender.as_view()),
    path("teams/<int:pk>/members/<int:user_pk>/", views.MemberDelete.as_view()),
    path("any/<int:pk>/members/<int:user_pk>/", views.MemberDeleteAnyTeam.as_view()),
]
"""


def test_object_handed_to_a_checking_method_and_records_used_only_as_a_filter(
    tmp_path: Path,
) -> None:
    # label-studio TaskResolveStorageUri/ProjectResolveStorageUri (rows 7, 8) and
    # OrganizationMemberDetailAPI.delete (row 10).
    result = scan(
        tmp_path,
        {"app/models.py": MODELS, "app/views.py": HANDOFF_VIEWS, "proj/urls.py": HANDOFF_URLS},
    )
    assert not _findings(result, "MG104", "app.views.NoteResolve")
    assert _findings(result, "MG104", "app.views.NoteRender")  # the method checks nothing
    assert not _findings(result, "MG104", "app.views.MemberDelete")
    # the user record is served back, and the team is whatever the URL says
    assert _findings(result, "MG104", "app.views.MemberDeleteAnyTeam")


QUERYSET_VIEWS = """\
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import ListView
from rest_framework.permissions import IsAuthenticated
from rest_framework.viewsets import ModelViewSet

from app.models import Note


class TeamNotesBase:
    def get_queryset(self):
        return Note.objects.filter(owner=self.request.user)


class NoteListMixin(TeamNotesBase):
    def _base_queryset(self):
        return super().get_queryset().order_by("-id")

    def get_queryset(self):
        return self._base_queryset().select_related("owner")


class NoteList(NoteListMixin, LoginRequiredMixin, ListView):
    model = Note


class EveryNoteBase:
    def get_queryset(self):
        return Note.objects.all()


class EveryNoteMixin(EveryNoteBase):
    def _base_queryset(self):
        return super().get_queryset().order_by("-id")

    def get_queryset(self):
        return self._base_queryset().select_related("owner")


class EveryNoteList(EveryNoteMixin, LoginRequiredMixin, ListView):
    model = Note


class HookBase(ModelViewSet):
    def alter_queryset(self, request):
        return self.queryset


class NarrowedNotes(HookBase):
    queryset = Note.objects.all()
    permission_classes = [IsAuthenticated]

    def alter_queryset(self, request):
        queryset = super().alter_queryset(request)
        return queryset.filter(owner=request.user)


class HookNotes(HookBase):
    queryset = Note.objects.all()
    permission_classes = [IsAuthenticated]
"""

QUERYSET_URLS = """\
from django.urls import include, path
from rest_framework.routers import SimpleRouter
from app import views

router = SimpleRouter()
router.register("narrowed", views.NarrowedNotes)
router.register("hook", views.HookNotes)

urlpatterns = [
    path("notes/", views.NoteList.as_view()),
    path("every/", views.EveryNoteList.as_view()),
    path("api/", include(router.urls)),
]
"""


def test_queryset_through_super_in_a_helper_and_a_narrowing_queryset_hook(tmp_path: Path) -> None:
    # pretalx SubmissionList/ApplyPendingBulk (rows 13, 14): the helper reads
    # super().get_queryset(), scoped there; Nautobot SavedViewUIViewSet (row 15):
    # alter_queryset() extends the framework's hook and filters by the user.
    result = scan(
        tmp_path,
        {"app/models.py": MODELS, "app/views.py": QUERYSET_VIEWS, "proj/urls.py": QUERYSET_URLS},
    )
    assert not _findings(result, "MG103", "app.views.NoteList")
    assert _findings(result, "MG103", "app.views.EveryNoteList")
    assert not _findings(result, "MG103", "app.views.NarrowedNotes")
    assert _findings(result, "MG103", "app.views.HookNotes")
