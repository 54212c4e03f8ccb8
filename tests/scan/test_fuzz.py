"""Hypothesis: arbitrary URLconf/view/settings source never crashes the scanner."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.findings.model import ScanResult
from mtlsguard.scan.engine import scan_project
from mtlsguard.scan.knowledge import is_cert_key
from mtlsguard.scan.project_model import BinOp, Const
from mtlsguard.scan.rules._common import number
from tests.budget import secondary
from tests.scan.projects import write_project

FRAGMENTS = [
    "from django.urls import include, path, re_path\n",
    "from rest_framework import routers, viewsets\n",
    "from rest_framework.permissions import AllowAny, IsAuthenticated\n",
    "from django.contrib.auth.decorators import login_required\n",
    "from . import views\n",
    "from app import views as v\n",
    "from .views import *\n",
    "import app.views\n",
    "router = routers.DefaultRouter()\n",
    "router.register('r', views.VS)\n",
    "router.register(views.VS, 'r')\n",
    "urlpatterns = [path('a/', views.f)]\n",
    "urlpatterns += router.urls\n",
    "urlpatterns = urlpatterns + [path('b/', include('app.urls'))]\n",
    "urlpatterns.append(path('c/', login_required(views.C.as_view())))\n",
    "urlpatterns = [path(prefix, include((urlpatterns, 'x')))]\n",
    "urlpatterns = [re_path(r'^(?P<pk>\\d+)/$', views.VS.as_view({'get': 'list'}))]\n",
    "urlpatterns = [path('z/', include(views))]\n",
    "urlpatterns = [path()]\n",
    "urlpatterns = [path('q/', 42), path(1, None), include()]\n",
    "class VS(viewsets.ModelViewSet):\n    permission_classes = [IsAuthenticated | AllowAny]\n",
    "class C(C):\n    pass\n",
    "class D(E):\n    pass\nclass E(D):\n    pass\n",
    "def f(request, pk):\n    if not request.user.is_authenticated:\n        return 1\n",
    "def f(request):\n    return get_object_or_404(f, pk=request)\n",
    "def get_permissions(self):\n    if self.action in ():\n        return []\n",
    "@login_required\n@views.f\n@f(g)(h)\ndef g(request): ...\n",
    "REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': 1 if X else ()}\n",
    "MIDDLEWARE = ['app.views.C'] + MIDDLEWARE\n",
    "ROOT_URLCONF = 'app.urls'\n",
    "SESSION_COOKIE_AGE = 10 ** 10 ** 10\n",
    "SESSION_COOKIE_AGE = 1 / 0\n",
    "AUTH_PASSWORD_VALIDATORS = [{'NAME': 1}, 2, {}]\n",
    "jwt.decode(x, options={'verify_signature': False}, algorithms='none')\n",
    "def (:\n",
    "\x00",
]

source = st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join) | st.text(max_size=200)


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One directory reused by every example: rewriting three files is cheaper than a fresh
    # tree each time, which keeps the CI budget (1,000 examples, tests/budget.py) quick.
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.timeout(3600)
@secondary()
@given(urls=source, views=source, settings=source)
def test_scanner_never_crashes_on_arbitrary_source(
    fuzz_root: Path, urls: str, views: str, settings: str
) -> None:
    root = write_project(
        fuzz_root,
        {"proj/urls.py": urls, "app/views.py": views, "app/urls.py": urls},
        settings_extra=settings,
    )
    result = scan_project(root)
    assert isinstance(result, ScanResult)
    for finding in result.findings:
        assert finding.rule_id.startswith("MG")
        assert finding.location is None or finding.location.line >= 1
    for error in result.errors:
        assert error.message


@secondary()
@given(st.text(max_size=80))
def test_is_cert_key_total(text: str) -> None:
    assert isinstance(is_cert_key(text), bool)


@secondary()
@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6), st.sampled_from("+-*/%&"))
def test_number_evaluation_matches_python(a: int, b: int, op: str) -> None:
    value = number(BinOp(op, Const(a), Const(b)))
    if op in "%&" or (op == "/" and b == 0):
        assert value is None
    else:
        assert value == eval(f"{a} {op} {b}")
