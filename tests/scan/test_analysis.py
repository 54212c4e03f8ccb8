"""Focused tests: one protection semantic each, through the static front-end."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence
from tests.scan.projects import protections, rule_ids, scan, write_project

URLS_FN = """\
from django.urls import path
from app import views
urlpatterns = [path("v/", views.v)]
"""
URLS_CLS = """\
from django.urls import path
from app import views
urlpatterns = [path("v/", views.V.as_view())]
"""

FUNCTION_CASES = {
    "login_required": (
        "from django.contrib.auth.decorators import login_required\n"
        "@login_required\ndef v(request): pass\n",
        True,
        "decorator",
    ),
    "permission_required": (
        "from django.contrib.auth.decorators import permission_required\n"
        "@permission_required('a.b')\ndef v(request): pass\n",
        True,
        "decorator",
    ),
    "user_passes_test": (
        "from django.contrib.auth.decorators import user_passes_test\n"
        "@user_passes_test(lambda u: u.is_staff)\ndef v(request): pass\n",
        True,
        "decorator",
    ),
    "user_passes_test_trivial": (
        "from django.contrib.auth.decorators import user_passes_test\n"
        "@user_passes_test(lambda u: True)\ndef v(request): pass\n",
        False,
        "none",
    ),
    "staff_member_required": (
        "from django.contrib.admin.views.decorators import "
        "staff_member_required\n@staff_member_required\ndef v(request): pass\n",
        True,
        "decorator",
    ),
    "no_decorator": ("def v(request): pass\n", False, "none"),
    "inline_guard_return": (
        "def v(request):\n    if not request.user.is_authenticated:\n"
        "        return redirect('/login')\n    return 1\n",
        True,
        "inline",
    ),
    "inline_guard_raise": (
        "def v(request):\n    if request.user.is_anonymous:\n"
        "        raise PermissionDenied\n    return 1\n",
        True,
        "inline",
    ),
    "guard_without_exit": (
        "def v(request):\n    if request.user.is_authenticated:\n        x = 1\n    return 1\n",
        False,
        "none",
    ),
    "csrf_exempt_only": (
        "from django.views.decorators.csrf import csrf_exempt\n"
        "@csrf_exempt\ndef v(request): pass\n",
        False,
        "none",
    ),
}


@pytest.mark.parametrize("case", sorted(FUNCTION_CASES))
def test_function_view_decorators_and_inline_guards(tmp_path: Path, case: str) -> None:
    source, authenticated, decided_by = FUNCTION_CASES[case]
    result = scan(tmp_path, {"app/views.py": source, "proj/urls.py": URLS_FN})
    prot = protections(result, "v/")["*"]
    assert prot.authenticated is authenticated
    assert prot.decided_by == decided_by
    assert ("MG101" in rule_ids(result)) is (not authenticated)


def test_login_not_required_exempts_from_login_required_middleware(tmp_path: Path) -> None:
    views = """\
    from django.contrib.auth.decorators import login_not_required
    def private(request): pass
    @login_not_required
    def public(request): pass
    """
    urls = """\
    from django.urls import path
    from app import views
    urlpatterns = [path("a/", views.private), path("b/", views.public)]
    """
    mw = 'MIDDLEWARE = ["django.contrib.auth.middleware.LoginRequiredMiddleware"]\n'
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": urls}, settings_extra=mw)
    assert protections(result, "a/")["*"].decided_by == "middleware"
    assert protections(result, "a/")["*"].authenticated is True
    assert protections(result, "b/")["*"].authenticated is False


def test_login_required_middleware_does_not_cover_drf_views(tmp_path: Path) -> None:
    # DRF's APIView.as_view() sets login_required = False: Django's middleware skips it.
    views = """\
    from rest_framework.views import APIView
    class V(APIView):
        def get(self, request): pass
    """
    mw = 'MIDDLEWARE = ["django.contrib.auth.middleware.LoginRequiredMiddleware"]\n'
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": URLS_CLS}, settings_extra=mw)
    prot = protections(result, "v/")["GET"]
    assert prot.authenticated is False
    assert prot.decided_by == "default"


def test_project_decorator_wrapping_login_required_is_followed(tmp_path: Path) -> None:
    files = {
        "app/auth.py": """\
        from django.contrib.auth.decorators import login_required as lr
        def members_only(fn):
            return lr(fn)
        def noop(fn):
            return fn
        """,
        "app/views.py": """\
        from .auth import members_only, noop
        @members_only
        def v(request): pass
        @noop
        def w(request): pass
        """,
        "proj/urls.py": """\
        from django.urls import path
        from app.views import v, w as renamed
        urlpatterns = [path("v/", v), path("w/", renamed)]
        """,
    }
    result = scan(tmp_path, files)
    assert protections(result, "v/")["*"].authenticated is True
    assert "members_only" in protections(result, "v/")["*"].detail
    assert protections(result, "w/")["*"].authenticated is False


def test_decorator_applied_in_urls(tmp_path: Path) -> None:
    urls = """\
    from django.contrib.auth.decorators import login_required
    from django.urls import path
    from app import views
    urlpatterns = [
        path("v/", login_required(views.v)),
        path("c/", login_required(views.V.as_view())),
    ]
    """
    views = """\
    from django.views import View
    def v(request): pass
    class V(View):
        def get(self, r): pass
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": urls})
    assert protections(result, "v/")["*"].authenticated is True
    assert protections(result, "c/")["GET"].authenticated is True


@pytest.mark.parametrize(
    ("bases", "authenticated"),
    [
        ("LoginRequiredMixin, View", True),
        ("View, LoginRequiredMixin", False),
        ("PermissionRequiredMixin, TemplateView", True),
        ("TemplateView, PermissionRequiredMixin", False),
    ],
)
def test_cbv_mixins_follow_the_real_mro(tmp_path: Path, bases: str, authenticated: bool) -> None:
    views = f"""\
    from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
    from django.views import View
    from django.views.generic import TemplateView
    class V({bases}):
        def get(self, request): pass
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": URLS_CLS})
    assert protections(result, "v/")["GET"].authenticated is authenticated


def test_user_passes_test_mixin_trivial_and_real(tmp_path: Path) -> None:
    views = """\
    from django.contrib.auth.mixins import UserPassesTestMixin
    from django.views import View
    class V(UserPassesTestMixin, View):
        def test_func(self):
            return True
        def get(self, request): pass
    class W(UserPassesTestMixin, View):
        def test_func(self):
            return self.request.user.is_superuser
        def get(self, request): pass
    """
    urls = """\
    from django.urls import path
    from app import views
    urlpatterns = [path("v/", views.V.as_view()), path("w/", views.W.as_view())]
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": urls})
    assert protections(result, "v/")["GET"].authenticated is False
    assert "always returns True" in protections(result, "v/")["GET"].detail
    assert protections(result, "w/")["GET"].authenticated is True


def test_method_decorator_on_dispatch_and_per_method(tmp_path: Path) -> None:
    views = """\
    from django.contrib.auth.decorators import login_required
    from django.utils.decorators import method_decorator
    from django.views import View
    @method_decorator(login_required, name="dispatch")
    class A(View):
        def get(self, request): pass
        def post(self, request): pass
    @method_decorator([login_required], name="post")
    class B(View):
        def get(self, request): pass
        def post(self, request): pass
    class C(View):
        @method_decorator(login_required)
        def delete(self, request): pass
        def get(self, request): pass
    """
    urls = """\
    from django.urls import path
    from app.views import A, B, C
    urlpatterns = [path("a/", A.as_view()), path("b/", B.as_view()), path("c/", C.as_view())]
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": urls})
    a = protections(result, "a/")
    assert a["GET"].authenticated is True
    assert a["POST"].authenticated is True
    b = protections(result, "b/")
    assert b["POST"].authenticated is True
    assert b["GET"].authenticated is False
    c = protections(result, "c/")
    assert c["DELETE"].authenticated is True
    assert c["GET"].authenticated is False
    finding = next(f for f in result.findings if f.view == "app.views.C")
    assert finding.methods == ("GET",)


PERMISSION_CASES = {
    "IsAuthenticated": ("[IsAuthenticated]", {"GET": True, "POST": True}),
    "AllowAny": ("[AllowAny]", {"GET": False, "POST": False}),
    "or_allow_any": ("[IsAuthenticated | AllowAny]", {"GET": False}),
    "and_admin": ("[IsAuthenticated & IsAdminUser]", {"GET": True}),
    "not_admin": ("[~IsAdminUser]", {"GET": False}),
    "not_allow_any": ("[~AllowAny]", {"GET": True}),
    "read_only": ("[IsAuthenticatedOrReadOnly]", {"GET": False, "POST": True}),
    "empty": ("[]", {"GET": False}),
    "tuple": ("(IsAuthenticated,)", {"GET": True}),
}


@pytest.mark.parametrize("case", sorted(PERMISSION_CASES))
def test_drf_permission_composition(tmp_path: Path, case: str) -> None:
    expr, expected = PERMISSION_CASES[case]
    views = f"""\
    from rest_framework.generics import ListCreateAPIView
    from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
    from rest_framework.permissions import IsAuthenticatedOrReadOnly
    class V(ListCreateAPIView):
        permission_classes = {expr}
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": URLS_CLS})
    prot = protections(result, "v/")
    for method, authenticated in expected.items():
        assert prot[method].authenticated is authenticated, (method, prot[method])


def test_custom_permissions(tmp_path: Path) -> None:
    views = """\
    from rest_framework.permissions import BasePermission
    from rest_framework.views import APIView
    class Yes(BasePermission):
        def has_permission(self, request, view):
            return True
    class ObjectOnly(BasePermission):
        def has_object_permission(self, request, view, obj):
            return obj.owner == request.user
    class Staff(BasePermission):
        def has_permission(self, request, view):
            return request.user.is_staff
    class A(APIView):
        permission_classes = [Yes]
        def get(self, request): pass
    class B(APIView):
        permission_classes = [ObjectOnly]
        def get(self, request): pass
    class C(APIView):
        permission_classes = [Staff]
        def get(self, request): pass
    """
    urls = """\
    from django.urls import path
    from app import views as v
    urlpatterns = [path("a/", v.A.as_view()), path("b/", v.B.as_view()), path("c/", v.C.as_view())]
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": urls})
    assert protections(result, "a/")["GET"].authenticated is False
    assert protections(result, "b/")["GET"].authenticated is False
    assert protections(result, "c/")["GET"].authenticated is True


def test_rest_framework_default_and_implicit_allow_any(tmp_path: Path) -> None:
    views = """\
    from rest_framework.views import APIView
    class V(APIView):
        def get(self, request): pass
    """
    implicit = scan(tmp_path / "a", {"app/views.py": views, "proj/urls.py": URLS_CLS})
    prot = protections(implicit, "v/")["GET"]
    assert prot.authenticated is False
    assert prot.decided_by == "default"
    assert "implicit" in prot.detail
    configured = scan(
        tmp_path / "b",
        {"app/views.py": views, "proj/urls.py": URLS_CLS},
        settings_extra="REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': "
        "['rest_framework.permissions.IsAuthenticated']}\n",
    )
    prot = protections(configured, "v/")["GET"]
    assert prot.authenticated is True
    assert prot.decided_by == "default"


def test_conditional_rest_framework_default_is_low_confidence(tmp_path: Path) -> None:
    views = """\
    from rest_framework.views import APIView
    class V(APIView):
        def get(self, request): pass
    """
    extra = """\
    DEBUG = False
    REST_FRAMEWORK = {
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]
        if DEBUG
        else ["rest_framework.permissions.IsAuthenticated"],
    }
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": URLS_CLS}, settings_extra=extra)
    finding = next(f for f in result.findings if f.rule_id == "MG101")
    assert finding.confidence is Confidence.LOW


def test_get_permissions_per_action_and_action_decorator(tmp_path: Path) -> None:
    views = """\
    from rest_framework import viewsets
    from rest_framework.decorators import action
    from rest_framework.permissions import AllowAny, IsAuthenticated
    class V(viewsets.ModelViewSet):
        permission_classes = [IsAuthenticated]
        def get_permissions(self):
            if self.action == "list":
                return [AllowAny()]
            return super().get_permissions()
        @action(detail=True, methods=["post", "delete"], url_path="lock-it",
                permission_classes=[AllowAny])
        def lock(self, request, pk=None): pass
    """
    urls = """\
    from django.urls import include, path
    from rest_framework.routers import DefaultRouter
    from app.views import V
    router = DefaultRouter()
    router.register("things", V, basename="thing")
    urlpatterns = [path("api/", include(router.urls))]
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": urls})
    listing = protections(result, "api/things/")
    assert listing["GET"].authenticated is False
    assert listing["POST"].authenticated is True
    detail = protections(result, "api/things/<pk>/")
    assert all(p.authenticated for p in detail.values())
    assert set(detail) == {"GET", "PUT", "PATCH", "DELETE"}
    lock = protections(result, "api/things/<pk>/lock-it/")
    assert set(lock) == {"POST", "DELETE"}
    assert not any(p.authenticated for p in lock.values())


def test_api_view_function_with_permission_classes(tmp_path: Path) -> None:
    views = """\
    from rest_framework.decorators import api_view, permission_classes
    from rest_framework.permissions import IsAuthenticated
    @api_view(["GET", "POST"])
    @permission_classes([IsAuthenticated])
    def v(request): pass
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": URLS_FN})
    prot = protections(result, "v/")
    assert set(prot) == {"GET", "POST"}
    assert all(p.authenticated for p in prot.values())


def test_authentication_classes_empty_with_allow_any(tmp_path: Path) -> None:
    views = """\
    from rest_framework.views import APIView
    class V(APIView):
        authentication_classes = []
        permission_classes = []
        def get(self, request): pass
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": URLS_CLS})
    assert "MG101" in rule_ids(result)


def test_certificate_only_gate_is_mg102_not_mg101(tmp_path: Path) -> None:
    views = """\
    from django.http import HttpResponseForbidden
    HEADER = "HTTP_X_FORWARDED_CLIENT_CERT"
    def v(request):
        cert = request.META.get(HEADER)
        if cert is None:
            return HttpResponseForbidden()
        return 1
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": URLS_FN})
    assert rule_ids(result) == {"MG102"}
    finding = result.findings[0]
    assert finding.cwes == ("CWE-287", "CWE-308")
    assert "HTTP_X_FORWARDED_CLIENT_CERT" in finding.evidence


def test_certificate_check_plus_login_required_is_fine(tmp_path: Path) -> None:
    views = """\
    from django.contrib.auth.decorators import login_required
    @login_required
    def v(request):
        if request.META.get("SSL_CLIENT_VERIFY") != "SUCCESS":
            raise PermissionDenied
        return 1
    """
    result = scan(tmp_path, {"app/views.py": views, "proj/urls.py": URLS_FN})
    assert rule_ids(result) == set()


def test_rest_framework_computed_at_run_time_is_undecided(tmp_path: Path) -> None:
    # Weblate: REST_FRAMEWORK = get_drf_settings(...). Not the implicit AllowAny.
    views = """\
    from rest_framework.views import APIView
    class V(APIView):
        def get(self, request): pass
    """
    extra = "from app.conf import get_drf_settings\nREST_FRAMEWORK = get_drf_settings(True)\n"
    result = scan(
        tmp_path,
        {
            "app/views.py": views,
            "proj/urls.py": URLS_CLS,
            "app/conf.py": "def get_drf_settings(x): pass\n",
        },
        settings_extra=extra,
    )
    prot = protections(result, "v/")["GET"]
    assert prot.authenticated is None
    assert prot.decided_by == "default"
    assert "MG101" not in rule_ids(result)


def test_project_login_middleware_global_or_path_dependent(tmp_path: Path) -> None:
    middleware = """\
    from django.shortcuts import redirect
    class Everywhere:
        def __init__(self, get_response):
            self.get_response = get_response
        def __call__(self, request):
            if not request.user.is_authenticated:
                return redirect("/login/")
            return self.get_response(request)
    class ControlOnly:
        def __init__(self, get_response):
            self.get_response = get_response
        def __call__(self, request):
            if request.path.startswith("/control/") and not request.user.is_authenticated:
                return redirect("/login/")
            return self.get_response(request)
    """
    files = {
        "app/views.py": "def v(request): pass\n",
        "proj/urls.py": URLS_FN,
        "app/mw.py": middleware,
    }
    everywhere = scan(tmp_path / "a", files, settings_extra="MIDDLEWARE = ['app.mw.Everywhere']\n")
    prot = protections(everywhere, "v/")["*"]
    assert (prot.authenticated, prot.decided_by) == (True, "middleware")
    # The prefix it gates is read from the test: routes outside it stay open, those under it
    # are authenticated.
    files["proj/urls.py"] = URLS_FN.replace(
        '[path("v/", views.v)]', '[path("v/", views.v), path("control/<int:pk>/", views.v)]'
    )
    partial = scan(tmp_path / "b", files, settings_extra="MIDDLEWARE = ['app.mw.ControlOnly']\n")
    prot = protections(partial, "v/")["*"]
    assert (prot.authenticated, prot.decided_by) == (False, "none")
    assert "lets anonymous callers through" in prot.detail
    prot = protections(partial, "control/<int:pk>/")["*"]
    assert (prot.authenticated, prot.decided_by) == (True, "middleware")


CONCATENATED_MIDDLEWARE = """\
BASE_MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
MIDDLEWARE = BASE_MIDDLEWARE + [{entry!r}]
"""


def test_login_required_middleware_in_a_concatenated_list_protects(tmp_path: Path) -> None:
    # Regression: MIDDLEWARE = BASE + [...] is a BinOp; only a plain list used to be read,
    # so Django's LoginRequiredMiddleware there went unseen and every view was reported.
    mw = CONCATENATED_MIDDLEWARE.format(
        entry="django.contrib.auth.middleware.LoginRequiredMiddleware"
    )
    files = {"app/views.py": "def v(request): pass\n", "proj/urls.py": URLS_FN}
    result = scan(tmp_path, files, settings_extra=mw)
    prot = protections(result, "v/")["*"]
    assert (prot.authenticated, prot.decided_by) == (True, "middleware")
    assert "MG101" not in rule_ids(result)


def test_certificate_middleware_in_a_concatenated_list_is_read(tmp_path: Path) -> None:
    # Regression: the same BinOp hid a project middleware from the front-end (never parsed)
    # and from the protection analysis: MG101 instead of MG102, and no MG301 at all.
    middleware = """\
    from django.http import HttpResponseForbidden
    class CertGate:
        def __init__(self, get_response):
            self.get_response = get_response
        def __call__(self, request):
            if request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS":
                return HttpResponseForbidden()
            return self.get_response(request)
    """
    files = {
        "app/views.py": "def v(request): pass\n",
        "proj/urls.py": URLS_FN,
        "app/gate.py": middleware,
    }
    result = scan(
        tmp_path, files, settings_extra=CONCATENATED_MIDDLEWARE.format(entry="app.gate.CertGate")
    )
    assert {"MG102", "MG301"} <= rule_ids(result)
    assert "MG101" not in rule_ids(result)


def test_evidence_of_per_handler_certificate_checks_does_not_depend_on_hash_seed(
    tmp_path: Path,
) -> None:
    # Regression: handlers were visited in set order, which changes with PYTHONHASHSEED, so
    # the same project gave "get() ...; post() ..." in one run and the reverse in another.
    import json
    import os
    import subprocess
    import sys

    views = """\
    from django.http import HttpResponseForbidden
    from django.views import View
    class V(View):
        def get(self, request):
            if request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS":
                return HttpResponseForbidden()
        def post(self, request):
            if request.META.get("HTTP_X_SSL_CLIENT_S_DN") is None:
                return HttpResponseForbidden()
        def put(self, request):
            if request.META.get("HTTP_X_SSL_CLIENT_CERT") is None:
                return HttpResponseForbidden()
    """
    root = write_project(tmp_path, {"app/views.py": views, "proj/urls.py": URLS_CLS})
    script = (
        "import json, sys\n"
        "from mtlsguard.scan.engine import scan_project\n"
        "result = scan_project(sys.argv[1])\n"
        "print(json.dumps([f.evidence for f in result.findings if f.rule_id == 'MG102']))\n"
    )
    seen = set()
    for seed in range(6):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        out = subprocess.run(
            [sys.executable, "-c", script, str(root)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        seen.add(tuple(json.loads(out)))
    assert len(seen) == 1, seen
    (evidence,) = seen.pop()
    assert evidence.index("get()") < evidence.index("post()") < evidence.index("put()")
