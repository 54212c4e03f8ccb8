"""A URLconf that includes the ``urls`` of every installed app that has one (Fidus Writer).

``for app in settings.INSTALLED_APPS: try: import_module(app + ".urls") except ImportError:
pass else: urlpatterns += [re_path("^api/%s/" % name, include(app + ".urls"))]``: when the
settings spell ``INSTALLED_APPS`` out, the loop runs as it would at run time (the handler for the
apps without ``urls``); when the project builds the list at run time (``.remove()``/``.insert()``
in the settings, or an empty list filled by a deployment file), it stays unresolved.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

LOOP = """\
from importlib import import_module

from django.conf import settings
from django.urls import include, path, re_path

urlpatterns = [path("health/", include("app.urls"))]

for app in settings.INSTALLED_APPS:
    try:
        _module = import_module("%s.urls" % app)
    except ImportError:
        pass
    else:
        app_name = app.rsplit(".", 1).pop()
        urlpatterns += [re_path("^api/%s/" % app_name, include("%s.urls" % app))]
"""

FILES = {
    "proj/urls.py": LOOP,
    "app/urls.py": (
        'from django.urls import path\nfrom app import views\nurlpatterns = [path("x/", views.x)]\n'
    ),
    "app/views.py": (
        "from django.http import JsonResponse\n\ndef x(request):\n    return JsonResponse({})\n"
    ),
    "plain/__init__.py": "",
}


def test_the_loop_includes_each_installed_app_that_has_urls(tmp_path: Path) -> None:
    settings = 'INSTALLED_APPS = ["plain", "app"]\n'
    result = scan_project(write_project(tmp_path, FILES, settings_extra=settings))
    assert not result.unresolved
    assert sorted(r.pattern for r in result.routes) == ["^api/app/x/", "health/x/"]


def test_an_app_the_scan_cannot_read_is_not_taken_for_one_without_urls(tmp_path: Path) -> None:
    """A dependency not installed where the scan runs may well have ``urls``: say so."""
    settings = 'INSTALLED_APPS = ["plain", "app", "thirdparty.app"]\n'
    result = scan_project(write_project(tmp_path, FILES, settings_extra=settings))
    assert [u.item for u in result.unresolved] == ["thirdparty.app.urls"]


@pytest.mark.parametrize(
    "settings",
    [
        # A removal of an app named at deploy time (one of a known name is followed).
        'import os\nINSTALLED_APPS = ["plain", "app"]\n'
        'INSTALLED_APPS.remove(os.environ["DISABLED_APP"])\nINSTALLED_APPS.insert(0, "app")\n',
        "INSTALLED_APPS = []  # filled by a deployment's configuration.py at run time\n",
    ],
)
def test_installed_apps_built_at_run_time_leave_the_loop_unresolved(
    tmp_path: Path, settings: str
) -> None:
    result = scan_project(write_project(tmp_path, FILES, settings_extra=settings))
    assert [u.item for u in result.unresolved] == ["for app in settings.INSTALLED_APPS"]
    assert [r.pattern for r in result.routes] == ["health/x/"]


def test_import_string_of_a_class_in_a_guarded_try_still_resolves(tmp_path: Path) -> None:
    """Wagtail's ``get_viewset_cls``: ``import_string`` names a view in a module, not a module;
    its handler (``raise ImproperlyConfigured``) must not run."""
    urls = (
        "from django.core.exceptions import ImproperlyConfigured\n"
        "from django.urls import path\n"
        "from django.utils.module_loading import import_string\n"
        "urlpatterns = []\n"
        'for name in ["app.views.x"]:\n'
        "    try:\n"
        "        view = import_string(name)\n"
        "    except (AttributeError, ImportError) as e:\n"
        "        raise ImproperlyConfigured(name) from e\n"
        '    urlpatterns.append(path("y/", view))\n'
    )
    settings = 'INSTALLED_APPS = ["app"]\n'
    root = write_project(tmp_path, {**FILES, "proj/urls.py": urls}, settings_extra=settings)
    result = scan_project(root)
    assert not result.unresolved
    assert [(r.pattern, r.view) for r in result.routes] == [("y/", "app.views.x")]
