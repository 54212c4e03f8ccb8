"""URL factories of reusable apps (openwisp-radius's ``get_api_urls(api_views=None)``).

openwisp-radius builds its URLconf from functions that take the views module as a value
(``if not api_views: api_views = views``) and return their patterns under a feature flag read
from the settings at run time (``if app_settings.RADIUS_API: return [...] else: return []``,
``if not app_settings.SOCIAL_REGISTRATION_CONFIGURED: return []``), mounted as
``include((get_urls(), namespace), namespace=namespace)``. The scan used to stop at all three
(the call handed over with absolute names, the unknown flag, the tuple whose first item is a
call) and reported the whole API unresolved. A flag decided at deploy time now walks both
branches, as the URLconf walker does with an ``if`` on such a setting; a flag the scan knows
still picks one branch, and a branch that returns something other than patterns still stops
the evaluation (reported, never guessed).
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import scan

APP = {
    "proj/urls.py": """\
        from django.urls import include, path

        urlpatterns = [path("", include("radius.urls"))]
        """,
    "radius/__init__.py": "",
    "radius/api/__init__.py": "",
    "radius/social/__init__.py": "",
    "radius/saml/__init__.py": "",
    "radius/saml/urls.py": """\
        from django.urls import path

        from .. import settings as app_settings
        from ..social import views


        def get_saml_urls():
            if not app_settings.SAML_CONFIGURED:
                return []
            return [path("login/", views.redirect_cp)]
        """,
    "radius/settings.py": """\
        from django.conf import settings

        RADIUS_API = getattr(settings, "OPENWISP_RADIUS_API", True)
        SOCIAL_REGISTRATION_CONFIGURED = getattr(settings, "OPENWISP_RADIUS_SOCIAL", False)
        SAML_CONFIGURED = "djangosaml2" in settings.INSTALLED_APPS
        LEGACY_API = False
        """,
    "radius/api/views.py": """\
        from django.http import HttpResponse


        def authorize(request):
            return HttpResponse("ok")


        def legacy(request):
            return HttpResponse("old")
        """,
    "radius/social/views.py": """\
        from django.contrib.auth.decorators import login_required
        from django.http import HttpResponse


        @login_required
        def redirect_cp(request, slug):
            return HttpResponse(slug)
        """,
    "radius/api/urls.py": """\
        from django.urls import path

        from .. import settings as app_settings
        from . import views


        def get_api_urls(api_views=None):
            if not api_views:
                api_views = views
            if app_settings.LEGACY_API:
                return [path("legacy/", api_views.legacy)]
            if app_settings.RADIUS_API:
                return [
                    path("freeradius/authorize/", api_views.authorize, name="authorize"),
                ]
            else:
                return []
        """,
    "radius/social/urls.py": """\
        from django.urls import path

        from .. import settings as app_settings
        from . import views


        def get_social_urls(social_views=None):
            if not app_settings.SOCIAL_REGISTRATION_CONFIGURED:
                return []

            if not social_views:
                social_views = views

            return [path("<slug:slug>/", social_views.redirect_cp, name="redirect_cp")]
        """,
    "radius/urls.py": """\
        from django.urls import include, path

        from .api.urls import get_api_urls
        from .saml.urls import get_saml_urls
        from .social.urls import get_social_urls


        def get_urls(api_views=None, social_views=None):
            return [
                path("api/v1/", include(get_api_urls(api_views))),
                path("social-login/", include(get_social_urls(social_views))),
                path("saml2/", include(get_saml_urls())),
            ]


        namespace = "radius"
        urlpatterns = [
            path("", include((get_urls(), namespace), namespace=namespace)),
        ]
        """,
}


def test_factories_taking_a_views_module_under_run_time_flags_are_walked(tmp_path: Path) -> None:
    result = scan(tmp_path, APP)
    assert result.unresolved == ()
    paths = {route.pattern for route in result.routes}
    assert "api/v1/freeradius/authorize/" in paths
    assert "social-login/<slug:slug>/" in paths
    # A flag the scan knows (LEGACY_API = False, an app not in INSTALLED_APPS) still decides
    # its branch; the feature that is off serves nothing (``include([])``), nothing unresolved.
    assert "api/v1/legacy/" not in paths
    assert not any(p.startswith("saml2/") for p in paths)
    views = {route.pattern: route.view for route in result.routes}
    assert views["api/v1/freeradius/authorize/"] == "radius.api.views.authorize"
    assert views["social-login/<slug:slug>/"] == "radius.social.views.redirect_cp"


def test_a_branch_returning_something_else_stays_unresolved(tmp_path: Path) -> None:
    files = dict(APP)
    files["radius/api/urls.py"] = """\
        from django.urls import path

        from .. import settings as app_settings
        from . import views
        from .builders import build_patterns


        def get_api_urls(api_views=None):
            if not api_views:
                api_views = views
            if app_settings.RADIUS_API:
                return [path("freeradius/authorize/", api_views.authorize)]
            return build_patterns(api_views)
        """
    files["radius/api/builders.py"] = """\
        import importlib


        def build_patterns(views):
            return importlib.import_module(views.PATTERNS_MODULE).urlpatterns
        """
    result = scan(tmp_path, files)
    paths = {route.pattern for route in result.routes}
    assert "api/v1/freeradius/authorize/" not in paths
    assert any(
        "get_api_urls" in item.item and "stopped at" in item.reason for item in result.unresolved
    ), result.unresolved
