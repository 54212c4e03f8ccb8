"""Routes whose request paths the pattern does not tell, and middleware names re-bound.

Red-team round 2: Django searches an ``re_path`` regex without ``^`` anywhere in what is left
of the path (``/login/records/1/`` reaches ``re_path(r"records/...")``), ``path()`` takes
``$`` literally, ``i18n_patterns`` adds a language prefix and ``format_suffix_patterns`` a
suffix; ``path in OPEN`` with ``OPEN`` one string tests a substring; a name re-bound by a tuple
target, an annotation, ``+=``, a loop or ``:=`` no longer holds the path. Each unsafe shape is
undecided (never "protected"); each safe twin keeps its decision.
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.test_allow_list_soundness import MIDDLEWARE, _authenticated, _scan

LOOSE_URLS = """\
from django.urls import include, path, re_path
from app import views

urlpatterns = [
    re_path(r"records/(?P<pk>[0-9]+)/", views.records),
    re_path(r"secret/", views.records),
    re_path(r"api/", include("app.urls")),
    path("price$/<int:pk>/", views.records),
    re_path(r"^anchored/(?P<pk>[0-9]+)/$", views.records),
    path("plain/<int:pk>/", views.records),
]
"""
APP_URLS = (
    "from django.urls import path\nfrom app import views\n\n"
    'urlpatterns = [path("items/<int:pk>/", views.records)]\n'
)


def test_unanchored_re_path_and_literal_dollar_leave_routes_undecided(tmp_path: Path) -> None:
    result = _scan(tmp_path, more={"proj/urls.py": LOOSE_URLS, "app/urls.py": APP_URLS})
    for pattern in (
        "records/(?P<pk>[0-9]+)/",
        "secret/",
        "api/items/<int:pk>/",
        "price$/<int:pk>/",
    ):
        assert _authenticated(result, pattern) is None, pattern
    # Anchored regexes and plain ``path()`` routes keep their decision.
    assert _authenticated(result, "^anchored/(?P<pk>[0-9]+)/$") is True
    assert _authenticated(result, "plain/<int:pk>/") is True


RECORDS = 'path("records/<int:pk>/", views.records)'


def test_language_prefix_and_format_suffix_leave_routes_undecided(tmp_path: Path) -> None:
    for name, wrap in (("i18n", "i18n_patterns({})"), ("suffix", "format_suffix_patterns([{}])")):
        urls = (
            "from django.conf.urls.i18n import i18n_patterns\n"
            "from django.urls import path\n"
            "from rest_framework.urlpatterns import format_suffix_patterns\n"
            "from app import views\n\n"
            f"urlpatterns = {wrap.format(RECORDS)}\n"
            'urlpatterns += [path("plain/<int:pk>/", views.records)]\n'
        )
        result = _scan(tmp_path / name, more={"proj/urls.py": urls})
        assert _authenticated(result, "records/<int:pk>/") is None, name
        assert _authenticated(result, "plain/<int:pk>/") is True, name


def _open(tmp_path: Path, name: str, open_: str, test: str) -> bool | None:
    test_line = f"if {test}:\n                return self.get_response(request)"
    middleware = (
        MIDDLEWARE.replace("{extra}", f"OPEN = {open_}")
        .replace("{exempt}", 're.compile(r"^login/")')
        .replace("{init}", "pass")
        .replace("{suffix}", test_line)
    )
    result = _scan(tmp_path / name, more={"app/mw.py": middleware})
    return _authenticated(result, "records/<int:pk>/")


def test_membership_in_one_string_is_a_substring_test(tmp_path: Path) -> None:
    # ``"/records/1/" in "/login/ /public/"`` is false, but ``"/" in ...`` is true: unknown.
    assert _open(tmp_path, "str", '("/login/ /public/")', "request.path in OPEN") is None
    assert _open(tmp_path, "chars", '"/login/"', "any(path.startswith(p) for p in OPEN)") is None
    assert _open(tmp_path, "tuple", '("/login/", "/public/")', "request.path in OPEN") is True
    assert _open(tmp_path, "eq", '"/login/"', "request.path == OPEN") is True


MW_REBIND = """\
from django.conf import settings
from django.shortcuts import redirect

EXEMPT = ("public/",)


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            path = request.path_info.lstrip("/")
            {rebind}
            if not any(path.startswith(p) for p in EXEMPT):
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)
"""


def test_path_name_rebound_by_any_statement_is_no_longer_the_path(tmp_path: Path) -> None:
    shapes = {
        "tuple": "path, _ = path.lower(), None",
        "annotated": "path: str = path.lower()",
        "augmented": 'path += ""',
        "loop": "for path in ['public/']:\n                pass",
        "walrus": "if (path := 'public/'):\n                pass",
        "with": "with open('x') as path:\n                pass",
    }
    for name, rebind in shapes.items():
        middleware = MW_REBIND.replace("{rebind}", rebind)
        result = _scan(tmp_path / name, more={"app/mw.py": middleware})
        assert _authenticated(result, "records/<int:pk>/") is None, name
    for name, keep in (
        ("other", "other, _ = path.lower(), None"),
        ("strip", "path = path.lstrip('/')"),
    ):
        result = _scan(tmp_path / name, more={"app/mw.py": MW_REBIND.replace("{rebind}", keep)})
        assert _authenticated(result, "records/<int:pk>/") is True, name
