"""An exempt list handed to other code may grow unseen: the wall is then undecided (red team 2).

``_more = EXEMPT_URLS; _more.append(...)``, a helper appending to its argument
(``_add(EXEMPT_URLS)``), another module rebinding it (``mw.EXEMPT_URLS = mw.EXEMPT_URLS + [...]``)
or importing it under another name (``from app.mw import EXEMPT_URLS as E; E.append(...)``)
all let a path past the login middleware that the module itself never lists. Reading the list
(iteration, ``any(...)``, a copy) keeps the answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scan.projects import protections, scan
from tests.scan.test_settings_mutations import BASE, FILES

_GROWN = "EXEMPT_URLS += [re.compile(expr) for expr in settings.LOGIN_EXEMPT_URLS]\n"
_RECORDS = 're.compile(r"^records/")'
_APPS = "import re\nfrom django.apps import AppConfig\n\n\nclass C(AppConfig):\n    name = 'app'\n"


def _mw(extra: str) -> str:
    text = FILES["app/mw.py"]
    assert _GROWN in text
    return text.replace(_GROWN, _GROWN + extra)


@pytest.mark.parametrize(
    "files",
    [
        {"app/mw.py": _mw(f"_more = EXEMPT_URLS\n_more.append({_RECORDS})\n")},
        {
            "app/mw.py": _mw(
                f"def _add(urls):\n    urls.append({_RECORDS})\n\n\n_add(EXEMPT_URLS)\n"
            )
        },
        {"app/mw.py": _mw(f"EXEMPT_URLS.__iadd__([{_RECORDS}])\n")},
        {
            "app/apps.py": _APPS + "\n    def ready(self):\n        from app import mw\n\n"
            f"        mw.EXEMPT_URLS = mw.EXEMPT_URLS + [{_RECORDS}]\n"
        },
        {
            "app/apps.py": "import re\nfrom app.mw import EXEMPT_URLS as E\n\n"
            f"E.append({_RECORDS})\n"
        },
    ],
)
def test_a_list_handed_on_leaves_the_wall_undecided(tmp_path: Path, files: dict[str, str]) -> None:
    result = scan(tmp_path, FILES | files, settings_extra=BASE)
    records = protections(result, "records/<int:pk>/")["*"]
    assert records.authenticated is None, records.detail


@pytest.mark.parametrize(
    "reads",
    [
        "",
        "_PATTERNS = [p.pattern for p in EXEMPT_URLS]\n_COUNT = len(EXEMPT_URLS)\n",
        "_COPY = list(EXEMPT_URLS)\n_COPY.append(re.compile(r'^records/'))\n",
    ],
)
def test_a_list_only_read_keeps_the_wall(tmp_path: Path, reads: str) -> None:
    result = scan(tmp_path, FILES | {"app/mw.py": _mw(reads)}, settings_extra=BASE)
    records = protections(result, "records/<int:pk>/")["*"]
    assert (records.authenticated, records.decided_by) == (True, "middleware")
