"""The static URLconf walker: includes, concatenation, routers, aliases."""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import scan

VIEWS = """\
from django.views import View
from rest_framework import viewsets
from rest_framework.decorators import action, api_view
def a(request): pass
def b(request): pass
def c(request): pass
def d(request): pass
class K(View):
    def get(self, request): pass
class VS(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    @action(detail=False)
    def recent(self, request): pass
    @action(detail=True, methods=["put"])
    def rename(self, request, slug=None): pass
class Full(viewsets.ModelViewSet):
    pass
"""


def _routes(tmp_path: Path, files: dict[str, str]) -> dict[str, str | None]:
    result = scan(tmp_path, {"app/views.py": VIEWS, **files})
    assert result.errors == ()
    return {r.pattern: r.view for r in result.routes}


def test_include_forms_and_prefixes(tmp_path: Path) -> None:
    files = {
        "app/urls.py": """\
        from django.urls import path
        from . import views
        urlpatterns = [path("a/", views.a, name="a")]
        """,
        "app/more.py": """\
        from django.urls import path
        from .views import b as bee
        urlpatterns = [path("b/", bee)]
        """,
        "proj/urls.py": """\
        from django.urls import include, path, re_path
        from django.conf.urls.i18n import i18n_patterns
        import app.more
        from app import views
        extra = [path("c/", views.c)]
        urlpatterns = [
            path("one/", include("app.urls")),
            path("two/", include(app.more)),
            re_path(r"^three/", include((extra, "extra"), namespace="x")),
            path("four/", include([path("d/", views.d)])),
        ]
        urlpatterns += [path("k/", views.K.as_view())]
        urlpatterns.append(path("appended/", views.a))
        urlpatterns = urlpatterns + i18n_patterns(path("i18n/", views.b))
        """,
    }
    routes = _routes(tmp_path, files)
    assert routes == {
        "one/a/": "app.views.a",
        "two/b/": "app.views.b",
        "^three/c/": "app.views.c",
        "four/d/": "app.views.d",
        "k/": "app.views.K",
        "appended/": "app.views.a",
        "i18n/": "app.views.b",
    }


def test_routers_register_actions_and_lookup(tmp_path: Path) -> None:
    files = {
        "app/api.py": """\
        from rest_framework import routers
        from .views import Full, VS
        router = routers.SimpleRouter()
        router.register(r"items", VS)
        router.register("full", Full, basename="full")
        """,
        "proj/urls.py": """\
        from django.urls import include, path
        from app.api import router
        urlpatterns = [path("api/", include(router.urls))]
        urlpatterns += router.urls
        """,
    }
    result = scan(tmp_path, {"app/views.py": VIEWS, **files})
    by_pattern = {r.pattern: r for r in result.routes}
    assert set(by_pattern) >= {
        "api/items/",
        "api/items/<slug>/",
        "api/items/recent/",
        "api/items/<slug>/rename/",
        "api/full/",
        "api/full/<pk>/",
        "items/",
        "full/<pk>/",
    }
    assert by_pattern["api/items/"].methods == ("GET",)  # ReadOnly: list only
    assert by_pattern["api/items/<slug>/rename/"].methods == ("PUT",)
    assert set(by_pattern["api/full/<pk>/"].methods) == {"GET", "PUT", "PATCH", "DELETE"}
    assert by_pattern["api/full/"].name == "full-list"


def test_admin_and_viewset_as_view_mapping(tmp_path: Path) -> None:
    files = {
        "proj/urls.py": """\
        from django.contrib import admin
        from django.urls import path
        from app.views import VS
        urlpatterns = [
            path("admin/", admin.site.urls),
            path("vs/", VS.as_view({"get": "list"})),
        ]
        """,
    }
    result = scan(tmp_path, {"app/views.py": VIEWS, **files})
    by_pattern = {r.pattern: r for r in result.routes}
    assert by_pattern["admin/"].protections[0].authenticated is True
    assert by_pattern["vs/"].methods == ("GET",)


def test_include_cycle_and_missing_module_do_not_crash(tmp_path: Path) -> None:
    files = {
        "app/urls.py": """\
        from django.urls import include, path
        from . import views
        urlpatterns = [path("a/", views.a), path("loop/", include("proj.urls"))]
        """,
        "proj/urls.py": """\
        from django.urls import include, path
        urlpatterns = [path("x/", include("app.urls")), path("gone/", include("not_here.urls"))]
        """,
    }
    routes = _routes(tmp_path, files)
    assert "x/a/" in routes


def test_view_defined_as_assignment_and_string_view(tmp_path: Path) -> None:
    files = {
        "app/wiring.py": """\
        from django.contrib.auth.decorators import login_required
        from .views import K
        k_view = login_required(K.as_view())
        """,
        "proj/urls.py": """\
        from django.urls import path
        from app.wiring import k_view
        urlpatterns = [path("k/", k_view), path("s/", "app.views.a")]
        """,
    }
    result = scan(tmp_path, {"app/views.py": VIEWS, **files})
    by_pattern = {r.pattern: r for r in result.routes}
    assert by_pattern["k/"].view == "app.views.K"
    assert by_pattern["k/"].protections[0].authenticated is True
    assert by_pattern["s/"].view == "app.views.a"


def test_settings_found_through_wsgi_and_src_layout(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "src" / "site_cfg").mkdir(parents=True)
    (root / "src" / "site_cfg" / "__init__.py").write_text("")
    (root / "src" / "site_cfg" / "wsgi.py").write_text(
        "import os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'site_cfg.conf'\n"
    )
    (root / "src" / "site_cfg" / "conf.py").write_text(
        "ROOT_URLCONF = 'site_cfg.routes'\nINSTALLED_APPS = []\n"
    )
    (root / "src" / "site_cfg" / "routes.py").write_text(
        "from django.urls import path\nfrom . import pages\nurlpatterns = [path('p/', pages.p)]\n"
    )
    (root / "src" / "site_cfg" / "pages.py").write_text("def p(request): pass\n")
    from mtlsguard.scan.engine import scan_project

    result = scan_project(root)
    assert [r.pattern for r in result.routes] == ["p/"]
    assert result.routes[0].location is not None
    assert result.routes[0].location.path == "src/site_cfg/pages.py"


def test_include_of_string_tuple_and_module_attribute(tmp_path: Path) -> None:
    # Real-world forms (pretix): include(("pkg.urls", "ns")) and include((pkg.sub.urls, "ns")).
    files = {
        "app/sub/__init__.py": "",
        "app/sub/urls.py": """\
        from django.urls import path
        from app import views
        urlpatterns = [path("b/", views.b)]
        """,
        "app/urls.py": """\
        from django.urls import path
        from . import views
        urlpatterns = [path("a/", views.a)]
        """,
        "proj/urls.py": """\
        import app.sub.urls
        from django.urls import include, re_path
        urlpatterns = [
            re_path(r"^one/", include(("app.urls", "one"), namespace="one")),
            re_path(r"^two/", include((app.sub.urls, "two"))),
        ]
        """,
    }
    assert _routes(tmp_path, files) == {"^one/a/": "app.views.a", "^two/b/": "app.views.b"}


def test_settings_example_used_when_declared_settings_module_is_absent(tmp_path: Path) -> None:
    # Weblate ships settings_example.py/settings_docker.py; wsgi.py names weblate.settings.
    root = tmp_path / "repo"
    pkg = root / "site_cfg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "wsgi.py").write_text(
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_cfg.settings')\n"
    )
    (pkg / "settings_test.py").write_text("ROOT_URLCONF = 'site_cfg.test_urls'\n")
    (pkg / "settings_example.py").write_text("ROOT_URLCONF = 'site_cfg.urls'\n")
    (pkg / "urls.py").write_text(
        "from django.urls import path\nfrom . import pages\nurlpatterns = [path('p/', pages.p)]\n"
    )
    (pkg / "pages.py").write_text("def p(request): pass\n")
    from mtlsguard.scan.engine import scan_project

    result = scan_project(root)
    assert [r.pattern for r in result.routes] == ["p/"]
