"""A setting changed in a way the scan does not model is unknown, never believed (red team).

``MIDDLEWARE.remove("app.mw.LoginRequiredMiddleware")``, ``MIDDLEWARE.pop()`` or
``del MIDDLEWARE[2]`` take the login wall out at run time; the settings model used to ignore
them and kept crediting the middleware. Now the value is unknown from there on: no route is
called protected by it (the twin without the mutation still is).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scan.projects import protections, scan
from tests.scan.test_exempt_url_middleware import MIDDLEWARE, MOUNTED, SETTINGS, URLS, VIEWS

FILES = {
    "app/mw.py": MIDDLEWARE,
    "app/views.py": VIEWS,
    "app/mounted.py": MOUNTED,
    "app/models.py": "from django.db import models\n\n\nclass Site(models.Model):\n"
    "    url_prefix = models.CharField(max_length=30)\n",
    "proj/urls.py": URLS,
}
BASE = SETTINGS.replace("{name}", "LoginRequiredMiddleware") + "MIDDLEWARE = list(MIDDLEWARE)\n"


@pytest.mark.parametrize(
    "mutation",
    [
        'MIDDLEWARE.remove("app.mw.LoginRequiredMiddleware")\n',
        "MIDDLEWARE.pop(2)\n",
        "del MIDDLEWARE[2]\n",
        'MIDDLEWARE[2] = "app.mw.Search"\n',
        # round 2: a loop body, an alias, a helper handed the list, an unmodelled method
        'for _m in ("app.mw.LoginRequiredMiddleware",):\n    MIDDLEWARE.remove(_m)\n',
        'while "app.mw.LoginRequiredMiddleware" in MIDDLEWARE:\n    MIDDLEWARE.pop()\n',
        '_mw = MIDDLEWARE\n_mw.remove("app.mw.LoginRequiredMiddleware")\n',
        'def _drop(mw):\n    mw.remove("app.mw.LoginRequiredMiddleware")\n\n\n_drop(MIDDLEWARE)\n',
        "_drop = print\n_drop(items=MIDDLEWARE)\n",
        "MIDDLEWARE.__delitem__(2)\n",
        "def _drop():\n    global MIDDLEWARE\n    MIDDLEWARE = []\n",
        # round 14 (red team): a lower-case copy the wall is removed from, assigned back
        '_mw_list = list(MIDDLEWARE)\n_mw_list.remove("app.mw.LoginRequiredMiddleware")\n'
        "MIDDLEWARE = _mw_list\n",
        "_mw_list = list(MIDDLEWARE)\n_mw_list.pop()\nMIDDLEWARE = _mw_list\n",
    ],
)
def test_a_mutated_middleware_list_protects_nothing(tmp_path: Path, mutation: str) -> None:
    result = scan(tmp_path, FILES, settings_extra=BASE + mutation)
    records = protections(result, "records/<int:pk>/")["*"]
    assert records.authenticated is not True, records.detail


@pytest.mark.parametrize(
    "reads",
    [
        "",
        '_copy = list(MIDDLEWARE)\n_copy.remove("app.mw.LoginRequiredMiddleware")\n',
        "_names = [m for m in MIDDLEWARE if m]\n_spread = [*MIDDLEWARE]\n",
        "for _m in MIDDLEWARE:\n    INSTALLED_APPS.append(_m)\n",
        '_count = len(MIDDLEWARE) + MIDDLEWARE.index("app.mw.LoginRequiredMiddleware")\n',
        # a function declaring the setting global is read as conditional statements
        'def _more():\n    global MIDDLEWARE\n    MIDDLEWARE.append("app.mw.Extra")\n',
        # a string setting handed on changes no list
        "_SECRET = SECRET_KEY\nprint(SECRET_KEY, LOGIN_URL)\n",
    ],
)
def test_the_unmutated_twin_is_still_behind_the_wall(tmp_path: Path, reads: str) -> None:
    result = scan(tmp_path, FILES, settings_extra=BASE + reads)
    records = protections(result, "records/<int:pk>/")["*"]
    assert (records.authenticated, records.decided_by) == (True, "middleware")


def test_installed_apps_handed_to_a_function_still_asks_for_password_validation(
    tmp_path: Path,
) -> None:
    # INSTALLED_APPS is unknown from the call on; django.contrib.auth may well be installed
    extra = BASE + "AUTH_PASSWORD_VALIDATORS = []\napply_env(INSTALLED_APPS)\n"
    result = scan(tmp_path, FILES, settings_extra=extra)
    assert "MG201" in {f.rule_id for f in result.findings}
