"""The engine is front-end agnostic, and the static front-end parses only what is reached."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from mtlsguard.findings.model import Location
from mtlsguard.scan.engine import analyze, run_rules, scan_project
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    FunctionFacts,
    FunctionModel,
    ProjectModel,
    Ref,
    RouteModel,
    Seq,
)
from tests.scan.projects import write_project

ONE_VIEW = {
    "proj/urls.py": "from django.urls import path\nfrom app import views\n"
    "urlpatterns = [path('v/', views.v)]\n",
    "app/views.py": "def v(request):\n    return 1\n",
}
"""A URLconf with one unprotected function view."""


def test_rules_run_on_a_hand_built_model_as_introspection_would_build_it() -> None:
    # What ``manage.py mtlsguard`` will produce from the real resolver and classes: no AST.
    loc = Location("billing/views.py", 10)
    view = ClassModel(
        qualname="billing.views.BillingView",
        location=loc,
        bases=(Ref("django.views.generic.base.View"),),
        mro=("billing.views.BillingView", "django.views.generic.base.View"),
        methods={
            "get": FunctionModel(
                "billing.views.BillingView.get",
                Location("billing/views.py", 11),
                precomputed=FunctionFacts(cert_keys=("HTTP_X_SSL_CLIENT_VERIFY",), cert_guard=True),
            )
        },
    )
    api = ClassModel(
        qualname="accounts.api.AccountDetail",
        location=Location("accounts/api.py", 5),
        mro=("accounts.api.AccountDetail", "rest_framework.generics.RetrieveAPIView"),
        attributes={"permission_classes": Seq((Ref("rest_framework.permissions.AllowAny"),))},
    )
    protected = FunctionModel(
        "accounts.views.home",
        Location("accounts/views.py", 3),
        decorators=(Ref("django.contrib.auth.decorators.login_required"),),
    )
    project = ProjectModel(
        root="/srv/app",
        routes=[
            RouteModel("billing/", "billing.views.BillingView", "type"),
            RouteModel("accounts/<int:pk>/", "accounts.api.AccountDetail", "type"),
            RouteModel("home/", "accounts.views.home", "function"),
            RouteModel(
                "wrapped/",
                "accounts.views.home",
                "function",
                wrappers=(Call(Ref("django.contrib.auth.decorators.permission_required")),),
            ),
        ],
        functions={protected.qualname: protected},
        classes={view.qualname: view, api.qualname: api},
    )
    context = analyze(project)
    found = {(f.rule_id, f.route) for f in run_rules(context)}
    assert found == {("MG102", "billing/"), ("MG101", "accounts/<int:pk>/")}
    routes = {r.route.pattern: r for r in context.routes}
    assert routes["home/"].protections[0].authenticated is True
    assert routes["wrapped/"].protections[0].detail == "@permission_required, @login_required"


def test_only_reached_files_are_parsed(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            **ONE_VIEW,
            # Never imported by the URLconf or settings: not read, so its error is not seen.
            "app/unused.py": "def broken(:\n",
            "app/tests/test_big.py": "x = 1\n" * 5000,
        },
    )
    result = scan_project(root)
    assert result.errors == ()
    assert result.files_scanned <= 5  # settings, urls, views and package __init__ files
    assert result.lines_scanned < 50


def test_progress_reports_every_step(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"proj/urls.py": "urlpatterns = []\n"})
    calls: list[tuple[int, int]] = []
    scan_project(root, progress=lambda done, total: calls.append((done, total)))
    totals = {t for _d, t in calls}
    assert len(totals) == 1
    assert [d for d, _t in calls] == list(range(1, totals.pop() + 1))


def test_scan_project_runs_only_the_rules_it_is_given(tmp_path: Path) -> None:
    # The run layer applies the RuleSelection before any rule runs and hands in the result.
    from mtlsguard.findings.registry import RuleSelection
    from mtlsguard.scan.rules import static_rules

    root = write_project(tmp_path, ONE_VIEW)
    everything = scan_project(root)
    assert "MG101" in {f.rule_id for f in everything.findings}
    selected = RuleSelection(ignore=frozenset({"MG101"})).apply(static_rules())
    calls: list[tuple[int, int]] = []
    result = scan_project(root, rules=selected, progress=lambda d, t: calls.append((d, t)))
    assert "MG101" not in {f.rule_id for f in result.findings}
    assert calls[-1] == (len(selected) + 1, len(selected) + 1)
    assert result.routes == everything.routes
    assert scan_project(root, rules=()).findings == ()


@pytest.mark.timeout(60)
def test_one_file_reached_under_two_module_names_terminates(tmp_path: Path) -> None:
    # Regression (label-studio): a module reached under two dotted names made the model
    # builder's sweep loop forever, because it tracked module names instead of keys.
    root = write_project(
        tmp_path,
        {
            "proj/urls.py": "from django.urls import path\nfrom app import views, alias\n"
            "urlpatterns = [path('v/', views.v), path('w/', alias.v)]\n",
            "app/views.py": "def v(request):\n    request.session['x'] = 1\n    return 1\n",
        },
    )
    (root / "app" / "alias.py").symlink_to(root / "app" / "views.py")
    result = scan_project(root)
    assert sorted(r.pattern for r in result.routes) == ["v/", "w/"]


def test_collector_is_paused_during_the_scan_and_restored_after(tmp_path: Path) -> None:
    # The scan keeps every parsed tree alive, so generation-2 collections only re-traverse
    # them (half of pretix's scan time): the collector is off while scanning, on again after.
    root = write_project(tmp_path, {"proj/urls.py": "urlpatterns = []\n"})
    seen: list[bool] = []
    scan_project(root, progress=lambda _done, _total: seen.append(gc.isenabled()))
    assert seen
    assert not any(seen)
    assert gc.isenabled()
    gc.disable()
    try:
        scan_project(root)
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_function_named_without_parse_only_sees_files_already_read(tmp_path: Path) -> None:
    # The BOLA heuristics chase callees with parse=False: on pretix, following every call of
    # every dispatch() parsed 8k more lines (signals, checkout flow) for nothing.
    from mtlsguard.scan.static.frontend import build_static_project

    root = write_project(
        tmp_path,
        {
            "proj/urls.py": "from django.urls import path\nfrom app import views\n"
            "urlpatterns = [path('v/', views.v)]\n",
            "app/views.py": "from app import signals\ndef v(request):\n    return 1\n",
            "app/signals.py": "def fire():\n    return 1\n",
        },
    )
    project = build_static_project(root).model
    assert project.function_named("app.signals.fire", parse=False) is None
    assert project.function_named("app.views.v", parse=False) is not None
    assert project.function_named("app.signals.fire") is not None
    assert project.function_named("app.signals.fire", parse=False) is not None


def test_canonical_name_of_a_top_level_definition_does_not_parse_its_file(tmp_path: Path) -> None:
    # pretix parsed its 4,000-line base/settings.py only to learn that a name is defined there.
    from mtlsguard.scan.static.source import SourceTree

    for name, text in {
        "app/__init__.py": "",
        "app/big.py": "import os\n\nclass Thing:\n    pass\n\nLIMIT: int = 3\n"
        "if os.environ:\n    def late():\n        pass\n",
        "app/reexport.py": "from app.big import Thing as Renamed\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    tree = SourceTree(tmp_path)
    assert tree.canonical("app.big.Thing") == "app.big.Thing"
    assert tree.canonical("app.big.LIMIT") == "app.big.LIMIT"
    assert "app.big" not in tree.modules
    assert tree.canonical("app.reexport.Renamed") == "app.big.Thing"
    assert "app.big" not in tree.modules  # the re-export is parsed, its target is not
    assert tree.canonical("app.big.late") == "app.big.late"  # indented: parsed to be sure
    assert "app.big" in tree.modules
