"""Settings that compute paths from ``__file__`` (edX ecommerce, Democracy Club's ynr).

ynr's settings put its ``apps`` folder on ``sys.path`` (``sys.path.insert(0, root("apps"))``)
and include ``parties.urls``, ``candidates.urls``...: the scan looked for them at the root only
and saw 50 of 341 routes. ecommerce names its URLconf after its package folder
(``SITE_NAME = basename(dirname(dirname(abspath(__file__))))``, ``ROOT_URLCONF =
"{}.urls".format(SITE_NAME)``): the scan found no URLconf at all. The twins: without the
``sys.path`` line the include stays unresolved (reported), and a URLconf read from the
environment stays unknown. EvalAI names the folder in a variable first (``APPS_DIR =
os.path.join(BASE_DIR, "apps")``, then ``sys.path.append(APPS_DIR)``): 46 of 357 routes seen.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

APPS = {
    "apps/notes/__init__.py": "",
    "apps/notes/views.py": """\
        from django.contrib.auth.decorators import login_required
        from django.http import HttpResponse


        @login_required
        def index(request):
            return HttpResponse("notes")
        """,
    "apps/notes/urls.py": """\
        from django.urls import path

        from notes import views

        urlpatterns = [path("", views.index)]
        """,
    "proj/urls.py": """\
        from django.urls import include, path

        urlpatterns = [path("notes/", include("notes.urls"))]
        """,
}

SYS_PATH = """
import os
import sys
from os.path import abspath, dirname, join


def root(*path):
    return abspath(join(dirname(dirname(abspath(__file__))), *path))


sys.path.insert(0, root("apps"))
"""


NAMED_SYS_PATH = """
import os
import sys

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS_DIR = os.path.join(BASE_DIR, "apps")

sys.path.append(APPS_DIR)
"""
"""EvalAI's ``settings/common.py``: the folder is named in a module-level variable first."""


@pytest.mark.parametrize(
    ("extra", "added"), [(SYS_PATH, True), (NAMED_SYS_PATH, True), ("", False)]
)
def test_a_folder_the_settings_put_on_sys_path_is_searched(
    tmp_path: Path, extra: str, added: bool
) -> None:
    root = write_project(tmp_path, APPS, settings_extra=extra)
    result = scan_project(root)
    patterns = [route.pattern for route in result.routes]
    if added:
        assert patterns == ["notes/"]
        assert result.unresolved == ()
    else:
        assert patterns == []
        assert [u.item for u in result.unresolved] == ["notes.urls"]


NAMED_URLCONF = """
import os
from os.path import abspath, basename, dirname

DJANGO_ROOT = dirname(dirname(abspath(__file__)))
SITE_NAME = basename(dirname(abspath(__file__)))
ROOT_URLCONF = {urlconf}
"""


@pytest.mark.parametrize(
    ("urlconf", "found"),
    [('"{}.urls".format(SITE_NAME)', "proj.urls"), ('os.environ["URLCONF"]', None)],
)
def test_a_urlconf_named_after_the_settings_folder(
    tmp_path: Path, urlconf: str, found: str | None
) -> None:
    files = {
        "app/views.py": "from django.http import HttpResponse\n\n\n"
        "def home(request):\n    return HttpResponse('hi')\n",
        "proj/urls.py": "from django.urls import path\n\nfrom app import views\n\n"
        "urlpatterns = [path('', views.home)]\n",
    }
    root = write_project(tmp_path, files, settings_extra=NAMED_URLCONF.format(urlconf=urlconf))
    result = scan_project(root)
    assert result.urlconf == found
    assert [route.pattern for route in result.routes] == ([""] if found else [])


def test_a_test_suites_sys_path_folder_is_not_searched(tmp_path: Path) -> None:
    """Red-team case: only the settings a deployment runs count, not a test suite's stubs."""
    files = {
        "proj/urls.py": """\
            from django.urls import include, path

            urlpatterns = [path("billing/", include("billing.urls"))]
            """,
        "tests/__init__.py": "",
        "tests/settings.py": """\
            import os
            import sys

            from proj.settings import *  # noqa: F403

            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs"))
            """,
        "tests/stubs/billing/__init__.py": "",
        "tests/stubs/billing/urls.py": "urlpatterns = []\n",
    }
    result = scan_project(write_project(tmp_path, files))
    assert [u.item for u in result.unresolved] == ["billing.urls"]


def test_a_settings_base_under_the_entry_points_src_folder_adds_its_folder(
    tmp_path: Path,
) -> None:
    """codabench: ``manage.py`` runs ``sys.path.append('src')`` with ``settings.develop``,
    whose ``from .base import *`` brings ``sys.path.insert(0, os.path.join(BASE_DIR, 'apps'))``.

    ``src/settings/base.py`` is ``settings.base`` under ``src`` (a sibling of the declared
    settings), not ``src.settings.base`` under the checkout: 36 of 315 routes were seen.
    """
    files = {
        "manage.py": """\
            import os
            import sys

            if __name__ == "__main__":
                sys.path.append("src")
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.develop")
            """,
        "src/settings/__init__.py": "",
        "src/settings/base.py": """\
            import os
            import sys

            BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            sys.path.insert(0, os.path.join(BASE_DIR, "apps"))

            SECRET_KEY = "x"
            INSTALLED_APPS = ["django.contrib.auth", "notes"]
            ROOT_URLCONF = "urls"
            """,
        "src/settings/develop.py": "from .base import *  # noqa: F403\n",
        "src/urls.py": """\
            from django.urls import include, path

            urlpatterns = [path("notes/", include("notes.urls"))]
            """,
        "src/apps/notes/__init__.py": "",
        "src/apps/notes/views.py": APPS["apps/notes/views.py"],
        "src/apps/notes/urls.py": APPS["apps/notes/urls.py"],
    }
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    result = scan_project(tmp_path)
    assert result.settings_module == "settings.develop"
    assert [route.pattern for route in result.routes] == ["notes/"]
    assert result.unresolved == ()
