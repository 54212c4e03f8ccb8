"""Reads of a queryset narrowed to published records (issue 12, round 4: public data).

``Template.objects.filter(is_public=True)`` or ``List.objects.exclude(privacy="private")`` serves
only what the owners made public: MG101/MG103 say ``info`` with the reason, for routes that only
read. The unprotected twins keep their finding: the same queryset without the filter, a
filter on a value the caller chooses, a filter the caller can skip, and writes through the
public queryset. Writes stay high; an open MG101 route that only reads a user's records (no
filter, or one the caller can skip) is weak evidence: low with low confidence, its evidence
saying why it would be high.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, ScanResult, Severity
from mtlsguard.scan.facts.public_filter import keyword_publishes, public_filter
from tests.scan.projects import scan, weak_reason

MODELS = """\
from django.conf import settings
from django.db import models


class Template(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    is_public = models.BooleanField(default=False)
    name = models.CharField(max_length=100)


class Archive(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    privacy = models.CharField(max_length=20, default="private")
"""

API = """\
from rest_framework import generics, serializers, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated

from app.models import Archive, Template


class ArchiveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Archive
        fields = ["id", "privacy"]


class TemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Template
        fields = ["id", "name"]


class PublicArchives(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ArchiveSerializer
    queryset = Archive.objects.exclude(privacy="private")


class AllArchives(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ArchiveSerializer
    queryset = Archive.objects.all()


class EditPublicArchive(generics.RetrieveUpdateAPIView):
    permission_classes = [AllowAny]
    serializer_class = ArchiveSerializer
    queryset = Archive.objects.filter(privacy="public")


class PublicTemplates(viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = TemplateSerializer

    def get_queryset(self):
        return Template.objects.filter(is_public=True)

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


class PublicTemplatesReadOnly(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = TemplateSerializer

    def get_queryset(self):
        return Template.objects.filter(is_public=True)


class ChosenTemplates(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = TemplateSerializer

    def get_queryset(self):
        return Template.objects.filter(is_public=self.request.GET.get("public", True))
"""

VIEWS = """\
from django.http import JsonResponse

from app.models import Template


def public_names(request):
    names = []
    if request.GET.get("all"):
        query = Template.objects.order_by("name")
        if not request.user.is_superuser:
            query = query.filter(is_public=True)
        names = list(query.values_list("name", flat=True))
    return JsonResponse({"names": names})


def optional_public_names(request):
    query = Template.objects.all()
    if request.GET.get("public"):
        query = query.filter(is_public=True)
    return JsonResponse({"names": list(query.values_list("name", flat=True))})


def rename_public(request):
    for template in Template.objects.filter(is_public=True):
        template.name = request.POST.get("name", template.name)
        template.save()
    return JsonResponse({})
"""

URLS = """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from app import api, views

router = DefaultRouter()
router.register("public-templates", api.PublicTemplates, basename="public-template")
router.register("read-templates", api.PublicTemplatesReadOnly, basename="read-template")
router.register("chosen-templates", api.ChosenTemplates, basename="chosen-template")

urlpatterns = [
    path("api/", include(router.urls)),
    path("archives/public/", api.PublicArchives.as_view()),
    path("archives/all/", api.AllArchives.as_view()),
    path("archives/<int:pk>/", api.EditPublicArchive.as_view()),
    path("names/", views.public_names),
    path("names/optional/", views.optional_public_names),
    path("names/rename/", views.rename_public),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("public_filter")
    files = {
        "app/models.py": MODELS,
        "app/api.py": API,
        "app/views.py": VIEWS,
        "proj/urls.py": URLS,
    }
    return scan(root, files)


def _found(result: ScanResult, rule_id: str, view: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id and f.view == f"app.{view}"]


def _one(result: ScanResult, rule_id: str, view: str) -> Finding:
    (found,) = _found(result, rule_id, view)
    return found


def test_open_list_excluding_private_records_is_informational(result: ScanResult) -> None:
    public = _one(result, "MG101", "api.PublicArchives")
    assert public.severity is Severity.INFO
    assert "exclude(privacy='private')" in public.evidence
    assert "public by design" in public.evidence
    # The same list without the filter hands out every user's archives: it only reads, weak
    # evidence (low with low confidence), but not a public filter.
    everything = _one(result, "MG101", "api.AllArchives")
    assert weak_reason(everything) == _READS_ARCHIVES
    assert "public by design" not in everything.evidence


_READS_ARCHIVES = "it reads Archive, whose records belong to a user or account (owner)"
_READS_TEMPLATES = "it reads Template, whose records belong to a user or account (owner)"


def test_write_through_a_public_queryset_stays_reported(result: ScanResult) -> None:
    edit = _one(result, "MG101", "api.EditPublicArchive")
    assert edit.severity is Severity.HIGH
    assert "PUT" in edit.methods
    assert "public-visibility" not in edit.evidence


def test_unscoped_viewset_reads_of_public_records_are_info_writes_stay(result: ScanResult) -> None:
    listed = _one(result, "MG103", "api.PublicTemplatesReadOnly")
    assert listed.severity is Severity.INFO
    assert "filter(is_public=True)" in listed.evidence
    # update/destroy of somebody else's public template: still an IDOR (one finding per
    # location, the detail route's writes decide).
    writable = _one(result, "MG103", "api.PublicTemplates")
    assert writable.severity is Severity.HIGH
    assert {"PUT", "DELETE"} <= set(writable.methods)


def test_filter_on_a_caller_chosen_value_is_no_public_filter(result: ScanResult) -> None:
    chosen = _found(result, "MG103", "api.ChosenTemplates")
    assert chosen
    assert all(f.severity is Severity.HIGH for f in chosen)


def test_function_view_narrowed_for_ordinary_users_is_informational(result: ScanResult) -> None:
    names = _one(result, "MG101", "views.public_names")
    assert names.severity is Severity.INFO
    assert "filter(is_public=True)" in names.evidence


def test_optional_filter_keeps_the_finding_and_writes_stay_high(result: ScanResult) -> None:
    optional = _one(result, "MG101", "views.optional_public_names")
    assert weak_reason(optional) == _READS_TEMPLATES
    assert "public by design" not in optional.evidence
    rename = _one(result, "MG101", "views.rename_public")
    assert rename.severity is Severity.HIGH
    assert "; high because it changes data (rename_public() writes" in rename.evidence


@pytest.mark.parametrize(
    ("key", "value", "exclude", "expected"),
    [
        ("is_public", "True", False, True),
        ("is_public", "False", True, True),
        ("is_public", "False", False, False),
        ("owner__is_public", "True", False, True),
        ("is_private", "True", True, True),
        ("privacy", "'public'", False, True),
        ("privacy__in", "['public', 'unlisted']", False, True),
        ("privacy__in", "['public', 'followers']", False, False),
        ("privacy", "'private'", True, True),
        ("mailinglist__archive_policy", "ArchivePolicy.private.value", True, True),
        ("archive_policy", "ArchivePolicy.public.value", False, True),
        ("archive_policy", "ArchivePolicy.public.value", True, False),
        ("is_public", "request.GET['public']", False, False),
        ("privacy", "level", False, False),
        ("name", "'public'", False, False),
        ("status", "'published'", False, True),
        ("status", "Post.Status.PUBLISHED", False, True),
        ("state", "'approved'", False, True),
        ("status", "'draft'", False, False),
        ("status", "'published'", True, False),
        ("status__in", "['published', 'draft']", False, False),
    ],
)
def test_keyword_judgement(key: str, value: str, exclude: bool, expected: bool) -> None:
    node = ast.parse(value, mode="eval").body
    assert keyword_publishes(key, node, exclude=exclude) is expected


def _filter_of(source: str) -> str:
    func = ast.parse(source).body[0]
    assert isinstance(func, ast.FunctionDef)
    return public_filter(func)


def test_conditional_filters() -> None:
    narrowed_if_asked = (
        "def f(request):\n"
        "    qs = M.objects.all()\n"
        "    if request.GET.get('public'):\n"
        "        qs = qs.filter(is_public=True)\n"
        "    return qs\n"
    )
    assert _filter_of(narrowed_if_asked) == ""
    either = (
        "def f(request):\n"
        "    if request.GET.get('public'):\n"
        "        qs = M.objects.filter(is_public=True)\n"
        "    else:\n"
        "        qs = M.objects.all()\n"
        "    return qs\n"
    )
    assert _filter_of(either) == ""
    made_inside = (
        "def f(request):\n"
        "    if request.GET.get('term'):\n"
        "        qs = M.objects.filter(is_public=True)\n"
        "        return list(qs)\n"
        "    return []\n"
    )
    assert _filter_of(made_inside) == "filter(is_public=True)"
    ternary = (
        "def f(request):\n"
        "    return M.objects.filter(is_public=True) if request.GET else M.objects.all()\n"
    )
    assert _filter_of(ternary) == ""
