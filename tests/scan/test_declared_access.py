"""A project's own access model, declared (``[tool.mtlsguard]`` ``guards`` and ``public``).

The guards here live in a package outside the scanned tree (``acl``, as a private package a
company installs), so the scan cannot read them: without a declaration each view is open
(MG101); with one, the view counts as authenticated and the evidence names the declaration.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from mtlsguard.scan.declared import DeclaredAccess
from mtlsguard.scan.engine import scan_project
from tests.scan.projects import OWNED_NOTE_MODELS, protections, write_project

VIEWS = """\
from acl.decorators import election_admin
from acl.mixins import MemberRequiredMixin
from acl.permissions import PlatformPermission
from django.http import JsonResponse
from django.views import View
from rest_framework.views import APIView
from rest_framework.response import Response

from app.models import Note


@election_admin(frozen=True)
def close(request, pk):
    Note.objects.filter(pk=pk).delete()
    return JsonResponse({})


class NoteView(MemberRequiredMixin, View):
    def get(self, request, pk):
        return JsonResponse({"text": Note.objects.get(pk=pk).text})


class NoteApi(APIView):
    permission_classes = [PlatformPermission]

    def get(self, request):
        return Response([n.text for n in Note.objects.all()])


def homepage(request):
    return JsonResponse({"notes": [n.text for n in Note.objects.all()[:3]]})
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("close/<int:pk>/", views.close),
    path("notes/<int:pk>/", views.NoteView.as_view()),
    path("api/notes/", views.NoteApi.as_view()),
    path("", views.homepage),
]
"""

FILES = {"app/models.py": OWNED_NOTE_MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
DRF = 'INSTALLED_APPS += ["rest_framework"]\n'


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("declared"), FILES, settings_extra=DRF)


def _mg101(result: ScanResult) -> dict[str, Severity]:
    return {f.view or "": f.severity for f in result.findings if f.rule_id == "MG101"}


def test_undeclared_guards_leave_every_view_open(root: Path) -> None:
    """The premise: the scan cannot see what the outside package's guards do."""
    result = scan_project(root)
    found = _mg101(result)
    assert set(found) == {"app.views.close", "app.views.NoteView", "app.views.homepage"}
    # Named, and low: on real projects such uncredited project gates refused far more often
    # than not, so the finding waits for a declaration (or a reader's refutation).
    assert found["app.views.close"] is Severity.LOW
    close = next(f for f in result.findings if f.view == "app.views.close")
    assert "not credited as a gate: acl.decorators.election_admin" in close.evidence
    assert "it would be high because" in close.evidence
    assert "guards = ['acl.decorators.election_admin']" in close.remediation
    # A permission class the scan cannot read leaves the question open (no finding either way).
    assert protections(result, "api/notes/")["GET"].authenticated is None


def test_declared_decorator_mixin_and_permission_class_authenticate(root: Path) -> None:
    declared = DeclaredAccess(
        guards=(
            "acl.decorators.election_admin",
            "acl.mixins.*",
            "acl.permissions.PlatformPermission",
        )
    )
    result = scan_project(root, declared=declared)
    assert set(_mg101(result)) == {"app.views.homepage"}
    close = protections(result, "close/<int:pk>/")["*"]
    assert close.authenticated is True
    assert "declared guard 'acl.decorators.election_admin'" in close.detail
    assert "declared guard 'acl.mixins.*'" in protections(result, "notes/<int:pk>/")["GET"].detail
    api = protections(result, "api/notes/")["GET"]
    assert api.authenticated is True
    assert "PlatformPermission (declared guard" in api.detail
    assert not [f for f in result.findings if f.rule_id == "MG003"]


def test_declared_guard_does_not_scope_objects(root: Path) -> None:
    """A guard signs the caller in; which records the caller may read is another question."""
    declared = DeclaredAccess(guards=("acl.mixins.MemberRequiredMixin",))
    result = scan_project(root, declared=declared)
    object_rules = {f.rule_id for f in result.findings if f.view == "app.views.NoteView"}
    assert "MG101" not in object_rules
    assert object_rules & {"MG103", "MG104"}


def test_declared_middleware_covers_django_and_drf_views(tmp_path: Path) -> None:
    settings = DRF + 'MIDDLEWARE = ["gateway.IdentityMiddleware"]\n'
    root = write_project(tmp_path, FILES, settings_extra=settings)
    assert len(_mg101(scan_project(root))) == 3
    declared = DeclaredAccess(guards=("gateway.IdentityMiddleware",))
    result = scan_project(root, declared=declared)
    assert _mg101(result) == {}
    detail = protections(result, "api/notes/")["GET"].detail
    assert detail == "gateway.IdentityMiddleware (declared guard 'gateway.IdentityMiddleware')"
    assert protections(result, "")["*"].decided_by == "middleware"


def test_declared_public_view_is_info_and_says_so(root: Path) -> None:
    result = scan_project(root, declared=DeclaredAccess(public=("app.views.homepage",)))
    (home,) = [
        f for f in result.findings if f.view == "app.views.homepage" and f.rule_id == "MG101"
    ]
    assert home.severity == Severity.INFO
    assert home.evidence.startswith("declared public ('app.views.homepage' in [tool.mtlsguard]")
    # Only the declared view changes (close stays low: its decorator is unread, see above).
    assert _mg101(result)["app.views.close"] is Severity.LOW


@pytest.mark.parametrize("entry", ["/notes/*", "notes/<int:pk>/", "app.views.Note*"])
def test_public_matches_routes_with_or_without_slash_and_globs(root: Path, entry: str) -> None:
    result = scan_project(root, declared=DeclaredAccess(public=(entry,)))
    assert _mg101(result)["app.views.NoteView"] == Severity.INFO


def test_unused_declarations_are_reported(root: Path) -> None:
    """A typo must not read as if the project had told the scanner something."""
    config = root / "pyproject.toml"
    declared = DeclaredAccess(
        guards=("acl.decorators.election_admni", "acl.decorators.election_admin"),
        public=("app.views.hompage",),
        source=str(config),
    )
    result = scan_project(root, declared=declared)
    unused = [f for f in result.findings if f.rule_id == "MG003"]
    assert [f.evidence for f in unused] == [
        f"guards = ['acl.decorators.election_admni'] in {config} changes nothing: it names no "
        "decorator, view base class, DRF permission class or (exactly) middleware of the scanned "
        "views whose code the scan could not judge itself (a declaration never overrides what "
        "the code shows)",
        f"public = ['app.views.hompage'] in {config} names no view or route of the scan",
    ]
    assert {f.severity for f in unused} == {Severity.LOW}
    assert {f.location.path for f in unused if f.location} == {"pyproject.toml"}
    assert "app.views.close" not in _mg101(result)  # the correct entry still applies


def test_a_public_view_without_a_finding_to_lower_is_not_unused(root: Path) -> None:
    """``NoteApi`` has no MG101 (its permission class is unread); the entry still names it."""
    result = scan_project(root, declared=DeclaredAccess(public=("app.views.NoteApi", "api/nope")))
    (unused,) = [f.evidence for f in result.findings if f.rule_id == "MG003"]
    assert unused.startswith("public = ['api/nope']")


def test_a_glob_never_makes_a_guard_of_django_or_drf_names() -> None:
    """``rest_framework.permissions.*`` would otherwise turn ``AllowAny`` into a guard."""
    declared = DeclaredAccess(guards=("rest_framework.permissions.*", "django.views.*", "acl.*"))
    assert declared.guard("rest_framework.permissions.AllowAny") == ""
    assert declared.guard("django.views.generic.View") == ""
    assert declared.guard("acl.mixins.MemberRequiredMixin") == "acl.*"
    exact = DeclaredAccess(guards=("rest_framework.permissions.IsAdminUser",))
    assert exact.guard("rest_framework.permissions.IsAdminUser") != ""


def test_a_regex_route_names_itself_despite_its_brackets(tmp_path: Path) -> None:
    urls = URLS.replace('path("notes/<int:pk>/"', 're_path(r"^notes/(?P<pk>[0-9]+)/$"').replace(
        "import path", "import path, re_path"
    )
    root = write_project(tmp_path, {**FILES, "proj/urls.py": urls}, settings_extra=DRF)
    declared = DeclaredAccess(public=("^notes/(?P<pk>[0-9]+)/$",))
    result = scan_project(root, declared=declared)
    assert _mg101(result)["app.views.NoteView"] == Severity.INFO
    assert not [f for f in result.findings if f.rule_id == "MG003"]


HINTED = """\
from acl.decorators import election_admin, json_view
from django.http import JsonResponse
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from app.models import Note


@csrf_exempt
@json_view
@election_admin(frozen=True)
def close(request, pk):
    Note.objects.filter(pk=pk).delete()
    return JsonResponse({})


class Base(View):
    def dispatch(self, request, *args, **kwargs):
        self.note = Note.objects.first()
        return super().dispatch(request, *args, **kwargs)


class Edit(Base):
    def post(self, request):
        Note.objects.filter(pk=request.POST["pk"]).delete()
        return JsonResponse({})
"""


def test_open_view_names_its_own_uncredited_gates_and_how_to_declare_them(tmp_path: Path) -> None:
    """The reader of a false MG101 sees first the project code that probably guards it."""
    urls = (
        "from django.urls import path\nfrom app import views\n"
        'urlpatterns = [path("close/<int:pk>/", views.close),\n'
        '               path("edit/", views.Edit.as_view())]\n'
    )
    files = {"app/models.py": OWNED_NOTE_MODELS, "app/views.py": HINTED, "proj/urls.py": urls}
    result = scan_project(write_project(tmp_path, files))
    by_view = {f.view: f for f in result.findings if f.rule_id == "MG101"}
    close = by_view["app.views.close"]
    # gate-like names first; Django's own decorators (csrf_exempt) are the scan's knowledge
    assert (
        "; the view's own code not credited as a gate: "
        "acl.decorators.election_admin, acl.decorators.json_view (code that can refuse, or "
        "that the scan could not read" in close.evidence
    )
    assert close.severity is Severity.LOW  # another package's decorators: unread
    # Base.dispatch was read and never refuses: no gate, the finding stays high
    assert by_view["app.views.Edit"].severity is Severity.HIGH
    assert close.remediation.endswith(
        "If election_admin refuses callers who are not signed in (code the scan cannot "
        "follow), declare it once: [tool.mtlsguard] guards = ['acl.decorators.election_admin'] "
        "(object-guards if it also checks the record the route names)."
    )
    assert by_view["app.views.Edit"].evidence.endswith("not credited as a gate: app.views.Base")
    # once declared, the hint has done its work: the finding is gone
    declared = DeclaredAccess(guards=("acl.decorators.election_admin",))
    again = scan_project(tmp_path, declared=declared)
    assert "app.views.close" not in {f.view for f in again.findings if f.rule_id == "MG101"}


# --- A declaration fills a gap; it never overrides what the code shows (red-team, round 13) ---

LOGIN_MIDDLEWARE = """\
import re

from django.shortcuts import redirect

EXEMPT = [re.compile(r"^open/")]


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            if not any(p.match(request.path_info.lstrip("/")) for p in EXEMPT):
                return redirect("/login/")
        return self.get_response(request)
"""

OVERRIDES_VIEWS = """\
from acl.permissions import AllowAny
from django.http import JsonResponse
from django.views import View
from rest_framework.permissions import BasePermission, SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from app.models import Note


def wipe(request):
    Note.objects.all().delete()
    return JsonResponse({})


class MemberOrReadOnly(BasePermission):
    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return request.user.is_authenticated


class Notes(APIView):
    permission_classes = [MemberOrReadOnly]

    def get(self, request):
        return Response([n.text for n in Note.objects.all()])


class Reexported(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        Note.objects.all().delete()
        return Response({})


class Plain(View):
    def post(self, request):
        Note.objects.all().delete()
        return JsonResponse({})
"""

OVERRIDES_URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("open/wipe/", views.wipe),
    path("internal/wipe/", views.wipe),
    path("notes/", views.Notes.as_view()),
    path("reexported/", views.Reexported.as_view()),
    path("open/plain/", views.Plain.as_view()),
    path("", views.wipe),
]
"""


@pytest.fixture(scope="module")
def overrides(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/views.py": OVERRIDES_VIEWS,
        "app/middleware.py": LOGIN_MIDDLEWARE,
        "proj/urls.py": OVERRIDES_URLS,
    }
    middleware = (
        'MIDDLEWARE = ["django.contrib.auth.middleware.AuthenticationMiddleware",\n'
        '              "app.middleware.LoginRequiredMiddleware", "acl.middleware.Timezone"]\n'
    )
    return write_project(
        tmp_path_factory.mktemp("overrides"), files, settings_extra=DRF + middleware
    )


def test_a_declared_middleware_keeps_the_allow_list_the_scan_read(overrides: Path) -> None:
    declared = DeclaredAccess(guards=("app.middleware.LoginRequiredMiddleware",))
    result = scan_project(overrides, declared=declared)
    assert protections(result, "open/wipe/")["*"].authenticated is False
    assert (
        protections(result, "open/wipe/")["*"]
        == protections(scan_project(overrides), "open/wipe/")["*"]
    )


def test_a_declared_permission_class_keeps_the_readers_its_code_lets_in(overrides: Path) -> None:
    declared = DeclaredAccess(guards=("app.views.MemberOrReadOnly",))
    assert (
        protections(scan_project(overrides, declared=declared), "notes/")["GET"].authenticated
        is False
    )


def test_a_glob_names_no_middleware_no_view_and_no_known_open_class(overrides: Path) -> None:
    result = scan_project(overrides, declared=DeclaredAccess(guards=("acl.*", "app.*")))
    for route, method in (("open/wipe/", "*"), ("reexported/", "POST"), ("open/plain/", "POST")):
        assert protections(result, route)[method].authenticated is False, route
    exact = DeclaredAccess(guards=("acl.middleware.Timezone",))  # named exactly, it applies
    assert protections(scan_project(overrides, declared=exact), "open/wipe/")["*"].authenticated


def test_a_route_entry_speaks_for_its_route_only(overrides: Path) -> None:
    """``wipe`` is served at open/wipe/, internal/wipe/ and the root: one entry lowers nothing."""
    one = scan_project(overrides, declared=DeclaredAccess(public=("internal/wipe/",)))
    assert _mg101(one)["app.views.wipe"] >= Severity.HIGH
    every = DeclaredAccess(public=("internal/wipe/", "/", "open/*"))
    (wipe,) = [
        f
        for f in scan_project(overrides, declared=every).findings
        if f.view == "app.views.wipe" and f.rule_id == "MG101"
    ]
    assert wipe.severity == Severity.INFO
    assert "high because" not in wipe.evidence
    assert wipe.remediation.startswith("Declared public by the project")


def test_every_matching_entry_is_used_and_each_unused_one_has_its_own_key(root: Path) -> None:
    declared = DeclaredAccess(
        guards=("acl.decorators.*", "acl.*", "acl.decorators.election_admin", "acl.typo.one"),
        public=("app.views.homepage", "", "app.views.home*", "acl.typo.two"),
    )
    unused = [f for f in scan_project(root, declared=declared).findings if f.rule_id == "MG003"]
    assert [f.view for f in unused] == ["guards acl.typo.one", "public acl.typo.two"]
    assert len({f.fingerprint for f in unused}) == 2


def test_an_object_guard_also_answers_for_the_record_the_route_names(root: Path) -> None:
    """django-tutelary's mixin checks the caller's right to the URL's record (Cadasta, set 24C)."""
    # a plain guard signs the caller in and leaves the lookup to the object rules
    plain = DeclaredAccess(guards=("acl.mixins.MemberRequiredMixin",))
    kept = {(f.rule_id, f.view): f for f in scan_project(root, declared=plain).findings}
    assert kept[("MG104", "app.views.NoteView")].severity == Severity.HIGH
    declared = DeclaredAccess(object_guards=("acl.mixins.MemberRequiredMixin",))
    after = {(f.rule_id, f.view): f for f in scan_project(root, declared=declared).findings}
    assert ("MG101", "app.views.NoteView") not in after  # an object guard is a guard
    lookup = after[("MG104", "app.views.NoteView")]
    assert lookup.severity == Severity.INFO
    assert lookup.evidence.startswith(
        "checked by a declared object guard ('acl.mixins.MemberRequiredMixin' in "
        "[tool.mtlsguard] object-guards); "
    )
    assert after[("MG101", "app.views.close")].severity == Severity.LOW  # other views unchanged


def test_an_unused_object_guard_is_reported(root: Path) -> None:
    declared = DeclaredAccess(object_guards=("acl.mixins.MemberRequired",))
    (unused,) = [f for f in scan_project(root, declared=declared).findings if f.rule_id == "MG003"]
    assert unused.view == "object-guards acl.mixins.MemberRequired"


def test_an_object_finding_names_the_views_own_code_it_did_not_credit(root: Path) -> None:
    """Cadasta's MG104s sat behind a project mixin: the finding says where to look first."""
    plain = DeclaredAccess(guards=("acl.mixins.MemberRequiredMixin",))
    by_key = {(f.rule_id, f.view): f for f in scan_project(root, declared=plain).findings}
    lookup = by_key[("MG104", "app.views.NoteView")]
    assert lookup.evidence.endswith(
        "; the view's own code not credited as an object check: acl.mixins.MemberRequiredMixin"
    )
    assert lookup.remediation.endswith(
        "declare it once: [tool.mtlsguard] object-guards = ['acl.mixins.MemberRequiredMixin']."
    )


def test_a_view_built_only_from_frameworks_gets_no_object_hint(tmp_path: Path) -> None:
    views = (
        "from django.http import JsonResponse\nfrom django.contrib.auth.mixins import "
        "LoginRequiredMixin\nfrom django.views import View\nfrom app.models import Note\n\n"
        "class NoteView(LoginRequiredMixin, View):\n    def get(self, request, pk):\n"
        '        return JsonResponse({"t": Note.objects.get(pk=pk).text})\n'
    )
    urls = (
        "from django.urls import path\nfrom app import views\n"
        'urlpatterns = [path("notes/<int:pk>/", views.NoteView.as_view())]\n'
    )
    files = {"app/models.py": OWNED_NOTE_MODELS, "app/views.py": views, "proj/urls.py": urls}
    (lookup,) = [
        f for f in scan_project(write_project(tmp_path, files)).findings if f.rule_id == "MG104"
    ]
    assert "not credited" not in lookup.evidence


def test_a_project_app_named_like_a_library_is_still_named_in_the_hint(tmp_path: Path) -> None:
    """django-rules lives in ``rules.contrib``; a project's own ``rules`` app is project code."""
    views = HINTED.replace("from acl.decorators import election_admin, json_view", "").replace(
        "@json_view\n@election_admin(frozen=True)", "@can_close"
    )
    files = {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/views.py": "from rules.checks import can_close\n" + views,
        "rules/__init__.py": "",
        "rules/checks.py": "def can_close(view):\n    return view\n",
        "proj/urls.py": (
            "from django.urls import path\nfrom app import views\n"
            'urlpatterns = [path("close/<int:pk>/", views.close)]\n'
        ),
    }
    (close,) = [
        f for f in scan_project(write_project(tmp_path, files)).findings if f.rule_id == "MG101"
    ]
    assert close.evidence.endswith("not credited as a gate: rules.checks.can_close")
