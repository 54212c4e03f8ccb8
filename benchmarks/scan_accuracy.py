"""Accuracy on the labelled corpus: mtlsguard scan vs route-detect vs django-access-inspector.

Run from the repository root with the development virtualenv (the peers are installed into
``benchmarks/.venv-peers`` on first use, Django and DRF at the dev venv's versions too)::

    .venv/bin/python benchmarks/scan_accuracy.py

The question asked of every tool is the one they share: *is this endpoint reachable without
application authentication?* The corpus (``tests/scan/corpus``) labels lines with
``# expect: RULES`` / ``# expect: -``. An evaluation unit is a labelled line outside settings
modules that is a view's ``def``/``class`` line; it is *unprotected* when its labels include
MG101 (no authentication) or MG102 (only an mTLS certificate header), and *protected*
otherwise (``-``, or only other rules such as an unscoped queryset on an authenticated view).

How each tool's answer is mapped to units:

* mtlsguard: findings MG101/MG102 at the unit's line (``scan_project``, in process).
* route-detect: Semgrep with route-detect's ``django`` and ``django-rest-framework`` rules on a
  copy of the project (outside git, empty ``.semgrepignore``). Its results point at urls.py
  ``path()`` lines (Django rules) or at the view (DRF rules). A urls.py result names its view
  by the second argument of the call (``views.x``, ``V.as_view()``): every unit with that name
  in the project gets the verdict. A result elsewhere gets the unit whose decorators/def span
  contains its first line. ``*-unauthenticated`` = unprotected; anything else = protected.
  A unit no result reaches is predicted protected (route-detect said nothing about it).
* django-access-inspector: ``manage.py inspect_access_control --output json`` on a copy of the
  project with ``django_access_inspector`` added to ``INSTALLED_APPS`` (it imports the
  project). The runner maps each reported URL to its callback's view (``view_class`` /
  ``cls`` / unwrapped function) and that to the unit by file and name. ``unauthenticated`` =
  unprotected; ``authenticated`` = protected; views it lists as unchecked count as protected
  (it did not flag them) and are counted separately.

Precision and recall are over units; units a tool's output never reached are listed per tool.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _peers import REPO, ensure_peers, peer_bin, peer_versions

os.environ.setdefault("SEMGREP_ENABLE_VERSION_CHECK", "0")
os.environ.setdefault("SEMGREP_SEND_METRICS", "off")

CORPUS = REPO / "tests" / "scan" / "corpus"
UNPROTECTED = {"MG101", "MG102"}
DJANGO_STACK = (
    "Django==5.2.19",
    "djangorestframework==3.18.3",
    "django-axes==8.3.1",
    "django-otp==1.7.5",
    "django-stronghold==0.4.0",
)
"""Installed into the peers' venv: the dev venv's Django/DRF and the corpus's third-party apps."""
_MARK = "# expect:"
Unit = tuple[str, str, int]
"""(project, path relative to the project, def/class line)."""


@dataclass(frozen=True)
class Definition:
    """A labelled view definition."""

    unit: Unit
    name: str
    first_line: int
    """First decorator line (or the def line)."""
    unprotected: bool


def definitions(project: Path) -> list[Definition]:
    """Every labelled ``def``/``class`` line outside settings modules."""
    found: list[Definition] = []
    for path in sorted(project.rglob("*.py")):
        rel = path.relative_to(project).as_posix()
        if "settings" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            line = lines[node.lineno - 1]
            if _MARK not in line:
                continue
            rules = set(line.split(_MARK, 1)[1].split())
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            found.append(
                Definition(
                    (project.name, rel, node.lineno), node.name, first, bool(rules & UNPROTECTED)
                )
            )
    return found


def mtlsguard_predictions(project: Path) -> set[Unit]:
    """Units mtlsguard reports as unprotected."""
    from mtlsguard.scan.engine import scan_project

    result = scan_project(project)
    return {
        (project.name, f.location.path, f.location.line)
        for f in result.findings
        if f.rule_id in UNPROTECTED and f.location is not None
    }


def _url_view_name(source: str, line: int) -> str | None:
    """The view name of the ``path()``/``re_path()``/``url()`` call on ``line``."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.lineno == line and len(node.args) >= 2):
            continue
        view = node.args[1]
        if isinstance(view, ast.Call):  # V.as_view(), login_required(v), include(...)
            func = view.func
            if isinstance(func, ast.Attribute) and func.attr == "as_view":
                view = func.value
            elif view.args:
                view = view.args[0]
            else:
                continue
        if isinstance(view, ast.Attribute):
            return view.attr
        if isinstance(view, ast.Name):
            return view.id
    return None


def route_detect(project: Path, work: Path, defs: list[Definition]) -> tuple[set[Unit], set[Unit]]:
    """(units route-detect calls unprotected, units it said anything about)."""
    copy = work / f"rd-{project.name}"
    shutil.copytree(project, copy)
    (copy / ".semgrepignore").write_text("")
    rules = [
        subprocess.run(
            [peer_bin("routes"), "which", fw], capture_output=True, text=True, check=True
        ).stdout.strip()
        for fw in ("django", "django-rest-framework")
    ]
    cmd = [peer_bin("semgrep"), "--json", "--metrics=off", "--disable-version-check", "--quiet"]
    cmd += [arg for rule in rules for arg in ("--config", rule)] + ["."]
    done = subprocess.run(cmd, cwd=copy, capture_output=True, text=True)
    results = json.loads(done.stdout)["results"]
    flagged: set[Unit] = set()
    reached: set[Unit] = set()
    for result in results:
        rel, line = result["path"], result["start"]["line"]
        unsafe = result["check_id"].endswith("-unauthenticated")
        if rel.endswith("urls.py"):
            name = _url_view_name((copy / rel).read_text(encoding="utf-8"), line)
            hits = [d for d in defs if d.name == name]
        else:
            hits = [d for d in defs if d.unit[1] == rel and d.first_line <= line <= d.unit[2]]
        for d in hits:
            reached.add(d.unit)
            if unsafe:
                flagged.add(d.unit)
    return flagged, reached


_DAI_RUNNER = r"""
import inspect, io, json, os, sys
import django
django.setup()
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
out = io.StringIO()
call_command("inspect_access_control", output="json", stdout=out)
text = out.getvalue()
report = json.loads(text[text.index("{"):])
views = {}
def walk(patterns, namespace=None):
    # Keys as the inspector makes them: the URL name, namespaced ("ns:name"); it drops
    # unnamed routes.
    for p in patterns:
        if isinstance(p, URLPattern):
            if not p.name:
                continue
            key = f"{namespace}:{p.name}" if namespace else p.name
            cb = p.callback
            target = (
                getattr(cb, "view_class", None) or getattr(cb, "cls", None) or inspect.unwrap(cb)
            )
            try:
                path = os.path.relpath(inspect.getsourcefile(target), os.getcwd())
            except TypeError:
                path = None
            views[key] = [path, getattr(target, "__name__", None)]
        elif isinstance(p, URLResolver):
            ns = p.namespace
            walk(p.url_patterns, f"{namespace}:{ns}" if namespace and ns else ns or namespace)
walk(get_resolver().url_patterns)
print(json.dumps({"report": report, "views": views}))
"""


def _settings_module(project: Path) -> str:
    match = re.search(
        r"DJANGO_SETTINGS_MODULE\"?,\s*\"([\w.]+)\"", (project / "manage.py").read_text()
    )
    if not match:
        raise ValueError(f"{project}/manage.py names no settings module")
    return match.group(1)


def access_inspector(
    project: Path, work: Path, defs: list[Definition]
) -> tuple[set[Unit], set[Unit], int, str | None]:
    """(flagged units, reached units, unchecked views, error) for django-access-inspector."""
    copy = work / f"dai-{project.name}"
    shutil.copytree(project, copy)
    settings = _settings_module(project)
    (copy / "_dai_settings.py").write_text(
        f"from {settings} import *  # noqa\n"
        f"from {settings} import INSTALLED_APPS as _APPS\n"
        "INSTALLED_APPS = [*_APPS, 'django_access_inspector']\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "_dai_settings", "PYTHONPATH": str(copy)}
    done = subprocess.run(
        [peer_bin("python"), "-c", _DAI_RUNNER], cwd=copy, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        return set(), set(), 0, last[0]
    data = json.loads(done.stdout.strip().splitlines()[-1])
    report, views = data["report"], data["views"]
    by_file_name = {(d.unit[1], d.name): d for d in defs}
    flagged: set[Unit] = set()
    reached: set[Unit] = set()
    for verdict in ("authenticated", "unauthenticated"):
        for url in report["views"].get(verdict, {}):
            path, name = views.get(url, [None, None])
            d = by_file_name.get((path, name))
            if d is None:
                continue
            reached.add(d.unit)
            if verdict == "unauthenticated":
                flagged.add(d.unit)
    named = sum(1 for _ in views)
    unchecked = len(report.get("unchecked_views", []))
    print(f"    access-inspector on {project.name}: {named} named routes, {unchecked} unchecked")
    return flagged, reached, unchecked, None


def score(truth: dict[Unit, bool], predicted: Iterable[Unit]) -> tuple[float, float, int, int, int]:
    """(precision, recall, tp, fp, fn) of ``predicted`` against ``truth`` (units only)."""
    pred = {u for u in predicted if u in truth}
    tp = sum(1 for u in pred if truth[u])
    fp = len(pred) - tp
    fn = sum(1 for u, positive in truth.items() if positive and u not in pred)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, tp, fp, fn


def main() -> None:
    """Run every tool on every corpus project and print precision/recall per tool."""
    ensure_peers()
    subprocess.run(
        # The corpus projects' third-party apps too, so django-access-inspector can import them.
        [peer_bin("pip"), "install", "-q", *DJANGO_STACK],
        check=True,
    )
    print("peers:", json.dumps(peer_versions()))
    truth: dict[Unit, bool] = {}
    predicted: dict[str, set[Unit]] = {"mtlsguard": set(), "route-detect": set(), "dai": set()}
    reached: dict[str, set[Unit]] = {"route-detect": set(), "dai": set()}
    with tempfile.TemporaryDirectory(prefix="scan-accuracy-") as tmp:
        work = Path(tmp)
        for project in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
            defs = definitions(project)
            if not defs:
                continue
            truth.update({d.unit: d.unprotected for d in defs})
            predicted["mtlsguard"] |= mtlsguard_predictions(project)
            rd_flag, rd_reach = route_detect(project, work, defs)
            predicted["route-detect"] |= rd_flag
            reached["route-detect"] |= rd_reach
            dai_flag, dai_reach, unchecked, error = access_inspector(project, work, defs)
            predicted["dai"] |= dai_flag
            reached["dai"] |= dai_reach
            positives = sum(d.unprotected for d in defs)
            status = f"error: {error}" if error else f"{unchecked} unchecked views"
            print(
                f"{project.name:10} units={len(defs):3} unprotected={positives:3} | "
                f"route-detect flagged={len(rd_flag):3} reached={len(rd_reach):3} | "
                f"access-inspector flagged={len(dai_flag):3} reached={len(dai_reach):3} ({status})"
            )
    positives = sum(truth.values())
    print(f"\n{len(truth)} units, {positives} unprotected, {len(truth) - positives} protected")
    names = {
        "mtlsguard": "mtlsguard scan",
        "route-detect": "route-detect",
        "dai": "django-access-inspector",
    }
    for key, label in names.items():
        p, r, tp, fp, fn = score(truth, predicted[key])
        reach = f" reached {len(reached[key])}/{len(truth)} units" if key in reached else ""
        print(f"  {label:24} precision={p:.3f} recall={r:.3f} tp={tp} fp={fp} fn={fn}{reach}")
        if key in reached:
            # The same tool judged only on the units its output said something about.
            sub = {u: truth[u] for u in reached[key]}
            p, r, tp, fp, fn = score(sub, predicted[key])
            mine = score(sub, predicted["mtlsguard"])
            print(
                f"  {'':24}   on those units: precision={p:.3f} recall={r:.3f} "
                f"tp={tp} fp={fp} fn={fn} (mtlsguard there: precision={mine[0]:.3f} "
                f"recall={mine[1]:.3f})"
            )


if __name__ == "__main__":
    main()
