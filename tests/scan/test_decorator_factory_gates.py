"""Project decorators applied with ``method_decorator``: a role factory and an object check.

Arches' ``group_required(*names)`` returns ``user_passes_test(in_groups)``, a predicate on the
user's groups (handed to a project helper), and is applied as
``@method_decorator(group_required("Graph Editor"), name="dispatch")`` on a class or
``@method_decorator(group_required("Application Administrator", raise_exception=True))`` on
one handler: a role gate, like a global permission (who is in the group is data the scan
cannot see), so MG104 stays, at medium severity and low confidence. Arches'
``can_read_resource_instance`` wraps the view in a wrapper that raises ``PermissionDenied``
unless ``user_can_read_resource(request.user, kwargs["resourceid"])`` says yes: an object check
of the very id the view later fetches, so that lookup is no IDOR.

The unprotected twins stay reported: a factory whose wrapper never refuses (MG101), a
``user_passes_test`` factory asking only ``is_authenticated`` (no role: MG104 stays high), and a
decorator that checks another URL key than the one fetched (MG104 stays high).
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

MODELS = """\
from django.conf import settings
from django.db import models


class Folder(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Note(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    folder = models.ForeignKey(Folder, on_delete=models.CASCADE)
    text = models.TextField()
"""

PERMS = """\
from app.models import Folder, Note


def user_in_groups(user, *names):
    return user.groups.filter(name__in=names).exists()


def user_can_read_note(user, noteid=None):
    return Note.objects.filter(pk=noteid, owner=user).exists()


def user_can_read_folder(user, folderid=None):
    return Folder.objects.filter(pk=folderid, owner=user).exists()
"""

GATES = """\
import functools

from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied

from app.perms import user_can_read_folder, user_can_read_note, user_in_groups


def group_required(*group_names, raise_exception=False):
    def in_groups(u):
        passed = user_in_groups(u, *group_names)
        if passed:
            return True
        elif raise_exception:
            raise PermissionDenied
        return False

    return user_passes_test(in_groups)


def signed_in_required(message=""):
    def signed_in(u):
        return u.is_authenticated

    return user_passes_test(signed_in)


def audited(*group_names):
    def decorator(function):
        @functools.wraps(function)
        def wrapper(request, *args, **kwargs):
            print(group_names)
            return function(request, *args, **kwargs)

        return wrapper

    return decorator


def can_read_note(function):
    @functools.wraps(function)
    def wrapper(request, *args, **kwargs):
        noteid = kwargs["noteid"] if "noteid" in kwargs else None
        if user_can_read_note(request.user, noteid=noteid):
            return function(request, *args, **kwargs)
        else:
            raise PermissionDenied

    return wrapper


def can_read_folder(function):
    @functools.wraps(function)
    def wrapper(request, *args, **kwargs):
        if not user_can_read_folder(request.user, kwargs.get("folderid")):
            raise PermissionDenied
        return function(request, *args, **kwargs)

    return wrapper
"""

VIEWS = """\
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.generic import View

from app.gates import audited, can_read_folder, can_read_note, group_required, signed_in_required
from app.models import Note


@method_decorator(group_required("Editor"), name="dispatch")
class EditorView(View):
    def get(self, request, noteid):
        return HttpResponse(Note.objects.get(pk=noteid).text)


class AdminNoteView(View):
    @method_decorator(group_required("Administrator", raise_exception=True))
    def delete(self, request, noteid):
        Note.objects.get(pk=noteid).delete()
        return HttpResponse("")


@method_decorator(signed_in_required(), name="dispatch")
class SignedInView(View):
    def get(self, request, noteid):
        return HttpResponse(Note.objects.get(pk=noteid).text)


@method_decorator(audited("Editor"), name="dispatch")
class AuditedView(View):
    def get(self, request, noteid):
        return HttpResponse(Note.objects.get(pk=noteid).text)


@method_decorator(can_read_note, name="dispatch")
class ReportView(View):
    def get(self, request, noteid):
        return HttpResponse(Note.objects.get(pk=noteid).text)


@can_read_note
def report(request, noteid):
    noteid = int(noteid)  # still the URL's key
    return HttpResponse(Note.objects.get(pk=noteid).text)


@method_decorator(can_read_note, name="dispatch")
class RelatedView(View):
    action = None

    def get(self, request, noteid=None):
        if self.action == "candidates":
            noteid = request.GET.get("other")
            return HttpResponse(Note.objects.get(pk=noteid).text)
        return HttpResponse(Note.objects.filter(pk=noteid).count())


@method_decorator(can_read_folder, name="dispatch")
class FolderNoteView(View):
    def get(self, request, folderid, noteid):
        return HttpResponse(Note.objects.get(pk=noteid).text)
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("editor/<int:noteid>/", views.EditorView.as_view()),
    path("admin-notes/<int:noteid>/", views.AdminNoteView.as_view()),
    path("signed-in/<int:noteid>/", views.SignedInView.as_view()),
    path("audited/<int:noteid>/", views.AuditedView.as_view()),
    path("report/<int:noteid>/", views.ReportView.as_view()),
    path("report-fn/<int:noteid>/", views.report),
    path("related/<int:noteid>/", views.RelatedView.as_view()),
    path("candidates/<int:noteid>/", views.RelatedView.as_view(action="candidates")),
    path("folders/<int:folderid>/notes/<int:noteid>/", views.FolderNoteView.as_view()),
]
"""


def _scan(tmp_path: Path) -> list[Finding]:
    root = write_project(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/perms.py": PERMS,
            "app/gates.py": GATES,
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
    )
    result = scan_project(root)
    assert result.errors == ()
    return list(result.findings)


def _findings(tmp_path: Path) -> dict[tuple[str, str], tuple[Severity, Confidence, str]]:
    return {
        (f.rule_id, (f.view or "").rsplit(".", 1)[-1]): (f.severity, f.confidence, f.evidence)
        for f in _scan(tmp_path)
        if f.rule_id in ("MG101", "MG104")
    }


def test_group_factory_on_dispatch_is_a_role_gate(tmp_path: Path) -> None:
    found = _findings(tmp_path)
    assert ("MG101", "EditorView") not in found
    severity, confidence, evidence = found["MG104", "EditorView"]
    assert (severity, confidence) == (Severity.MEDIUM, Confidence.LOW)
    assert "@group_required" in evidence


def test_group_factory_on_one_handler_is_a_role_gate(tmp_path: Path) -> None:
    found = _findings(tmp_path)
    assert ("MG101", "AdminNoteView") not in found
    severity, confidence, evidence = found["MG104", "AdminNoteView"]
    assert (severity, confidence) == (Severity.MEDIUM, Confidence.LOW)
    assert "group_required" in evidence


def test_authentication_only_factory_names_no_role(tmp_path: Path) -> None:
    found = _findings(tmp_path)
    assert ("MG101", "SignedInView") not in found
    assert found["MG104", "SignedInView"][:2] == (Severity.HIGH, Confidence.MEDIUM)


def test_factory_whose_wrapper_never_refuses_protects_nothing(tmp_path: Path) -> None:
    found = _findings(tmp_path)
    assert found["MG101", "AuditedView"][0] == Severity.HIGH


def test_decorator_checking_the_fetched_url_key_is_an_object_check(tmp_path: Path) -> None:
    found = _findings(tmp_path)
    for view in ("ReportView", "report"):
        assert ("MG101", view) not in found
        assert ("MG104", view) not in found


def test_decorator_checking_another_url_key_leaves_the_lookup_reported(tmp_path: Path) -> None:
    found = _findings(tmp_path)
    assert ("MG101", "FolderNoteView") not in found
    assert found["MG104", "FolderNoteView"][:2] == (Severity.HIGH, Confidence.MEDIUM)


def test_a_url_key_rebound_from_the_query_string_is_not_the_checked_object(
    tmp_path: Path,
) -> None:
    # can_read_note checked the URL's noteid; the "candidates" branch rebinds noteid from
    # request.GET before its lookup (reported), the other branch still fetches the checked one.
    lines = {
        f.location.line
        for f in _scan(tmp_path)
        if f.rule_id == "MG104" and (f.view or "").endswith(".RelatedView")
    }
    source = VIEWS.splitlines()
    rebound = 1 + next(i for i, text in enumerate(source, 1) if 'GET.get("other")' in text)
    checked = next(i for i, text in enumerate(source, 1) if "filter(pk=noteid)" in text)
    assert rebound in lines
    assert checked not in lines
