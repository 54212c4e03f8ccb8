"""Children of a checked object (MG107) and object ids from the request body (MG108), issue 12.

Minimal reproductions of GHSA-qmjf-wc2h-6x3q (Nautobot: ``group.members`` after a restricted
fetch; fixed by ``.restrict(request.user, "view")``), pretalx 1.0.2 (a speaker's mails of every
event; fixed by ``event=self.request.event``) and GHSA-386h-chg4-cfw9 (paperless-ngx: a
serializer foreign key over ``Document.objects.all()`` and ``documents__id__in=ids`` from the
body; fixed by ``validate_document()`` and a refusing permission check of the ids), on the
``children`` corpus. Each vulnerable shape is reported, its fixed shape is not.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, ScanResult, Severity
from mtlsguard.scan.analysis.body_ids import id_list_lookups
from mtlsguard.scan.analysis.children import child_collections, object_arguments
from mtlsguard.scan.engine import scan_project

CORPUS = Path(__file__).parent / "corpus" / "children"


@pytest.fixture(scope="module")
def children() -> ScanResult:
    return scan_project(CORPUS)


def _at(result: ScanResult, rule_id: str, path: str) -> list[Finding]:
    return [
        f
        for f in result.findings
        if f.rule_id == rule_id and f.location is not None and f.location.path == path
    ]


def _function(source: str) -> ast.FunctionDef:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_members_of_a_restricted_group_are_reported_with_the_reason(children: ScanResult) -> None:
    (api,) = _at(children, "MG107", "groups/api.py")
    assert api.view == "groups.api.DeviceGroupViewSet"
    assert api.severity is Severity.HIGH
    assert "group.members in members()" in api.evidence
    assert "a queryset DeviceGroup computes" in api.evidence
    views = {f.location.line for f in _at(children, "MG107", "groups/views.py") if f.location}
    # GroupDevicesView (restrict(request.user) on the parent only) and SpeakerDetail.mails;
    # not the restricted members, the reverse foreign key (ports) or the event-filtered mails.
    assert views == {13, 36}


def test_speaker_mails_of_every_event_name_the_tenant(children: ScanResult) -> None:
    (mails,) = [f for f in _at(children, "MG107", "groups/views.py") if "mails" in f.evidence]
    assert mails.view == "groups.views.SpeakerDetail"
    assert "owned via event" in mails.evidence
    assert "without filtering by request.event" in mails.evidence
    assert "filter(event=request.event)" in mails.remediation


def test_share_link_serializer_and_selection_ids_are_reported(children: ScanResult) -> None:
    found = {(f.view, f.location.line) for f in _at(children, "MG108", "groups/sharing.py")}
    assert {view for view, _ in found} == {
        "groups.sharing.ShareLinkViewSet",
        "groups.sharing.PlainShareLinkViewSet",  # serializer_related_field that checks nothing
        "groups.sharing.SelectionDataView",
    }  # not RestrictedShareLinkViewSet: its serializer_related_field narrows by the user
    (link,) = [
        f
        for f in _at(children, "MG108", "groups/sharing.py")
        if "ShareLinkSerializer.document" in f.evidence and f.view.endswith(".ShareLinkViewSet")
    ]
    assert "ShareLinkSerializer.document accepts the id of any Document" in link.evidence
    assert "validate_document" in link.remediation


def test_restrict_with_the_user_scopes_a_child_collection() -> None:
    vulnerable = _function(
        """
        def members(self, request, pk):
            instance = get_object_or_404(self.queryset, pk=pk)
            return self.paginate_queryset(instance.members)
        """
    )
    fixed = _function(
        """
        def members(self, request, pk):
            instance = get_object_or_404(self.queryset, pk=pk)
            return self.paginate_queryset(instance.members.restrict(request.user, "view"))
        """
    )
    (child,) = child_collections(vulnerable)
    assert (child.parent, child.attr, child.scoped) == ("instance", "members", False)
    assert child.fetch is not None
    assert child.fetch.kind == "view"
    (scoped,) = child_collections(fixed)
    assert scoped.scoped


def test_a_fetch_handing_the_user_to_a_call_is_restricted_not_one_through_its_relation() -> None:
    restricted = _function(
        """
        def get(self, request, model, **kwargs):
            if hasattr(model.objects, "restrict"):
                obj = get_object_or_404(model.objects.restrict(request.user, "view"), **kwargs)
            else:
                obj = get_object_or_404(model, **kwargs)
            return render(request, "t.html", {"table": GroupTable(data=obj.groups_cached)})
        """
    )
    membership = _function(
        """
        def get_queryset(self):
            org = get_object_or_404(self.request.user.organizations, pk=self.kwargs["pk"])
            return org.members.order_by("user__username")
        """
    )
    (child,) = child_collections(restricted)
    assert child.fetch is not None
    assert child.fetch.restricted
    (member,) = child_collections(membership)
    assert member.fetch is not None
    assert not member.fetch.restricted


def test_the_fetched_object_is_followed_into_the_method_it_is_handed_to() -> None:
    handler = _function(
        """
        def get(self, request, **kwargs):
            instance = get_object_or_404(self.queryset, **kwargs)
            return render(request, "t.html", self.get_extra_context(request, instance))
        """
    )
    (argument,) = object_arguments(handler)
    assert (argument.method, argument.position, argument.fetch.kind) == (
        "get_extra_context",
        1,
        "view",
    )


def test_ids_checked_in_a_loop_or_narrowed_later_are_not_reported() -> None:
    looped = _function(
        """
        def post(self, request):
            ids = serializer.validated_data.get("documents")
            documents = Document.objects.filter(pk__in=ids)
            for document in documents:
                if not has_perms(request.user, "view_document", document):
                    return HttpResponseForbidden("Insufficient permissions")
        """
    )
    narrowed = _function(
        """
        def acknowledge(self, request):
            task_ids = serializer.validated_data.get("tasks")
            tasks = Task.objects.filter(id__in=task_ids)
            if not request.user.is_superuser:
                tasks = tasks.filter(owner=request.user)
        """
    )
    unchecked = _function(
        """
        def post(self, request):
            ids = request.data.get("documents")
            return Tag.objects.annotate(n=Count(Case(When(documents__id__in=ids, then=1))))
        """
    )
    assert list(id_list_lookups(looped)) == []
    assert list(id_list_lookups(narrowed)) == []
    (lookup,) = id_list_lookups(unchecked)
    assert (lookup.model, lookup.path, lookup.ids) == ("Tag", ("documents",), "ids")
