"""Real-world benchmark, large-project half (issue 11): scan real projects in full, both ways.

Run from the repository root with the development virtualenv::

    .venv/bin/python benchmarks/realworld/projects.py install            # venvs, once (slow)
    .venv/bin/python benchmarks/realworld/projects.py run                # every project
    .venv/bin/python benchmarks/realworld/projects.py run --only wagtail --json /tmp/rw.json
    .venv/bin/python benchmarks/realworld/projects.py run --src /work/wt-resolve/src

What it does (projects and their configuration: ``projects.json`` beside this file):

1. Trees (``install``): the project's wheel from PyPI unpacked into ``benchmarks/.cache/src/<name>``
   (``tree: wheel``) or a fresh ``wagtail start mysite`` site in ``benchmarks/.cache/trees/<name>``
   (``tree: wagtail-start``); ``extra_static`` names further trees (unpacked wheels) that are
   scanned statically only (a reusable app such as the ``wagtail`` package itself).
2. Environments (``install``): ``benchmarks/.cache/venvs/<name>`` with the project and its
   dependencies from PyPI plus mtlsguard's own dependencies; mtlsguard itself comes from
   ``--src`` on ``PYTHONPATH``, so the same venv measures any branch.
3. Per project (``run``), each command in its own process (wall time, peak RSS of that process
   through ``os.wait4``):

   * static: ``python -m mtlsguard routes TREE --format json`` and ``scan TREE --format json``
     run by the project venv's interpreter (``--static-env project``, the default: the active
     environment holds the packages an ``include()`` names, as in a CI job of the project) or
     by the development interpreter (``--static-env dev``: only the tree). mtlsguard never
     imports the project there. Settings module, URLconf and unresolved items come from the
     report's ``resolution`` section; for a version without it, the settings module and
     URLconf are read back through :func:`mtlsguard.scan.static.frontend.build_static_project`.
     A version that exits 2 on a partial scan without writing a report is run again with
     ``--allow-partial`` (the first exit code is kept);
   * runtime: ``python manage.py mtlsguard routes TREE --format json`` (and ``scan``) in the
     project's venv. ``manage.py`` (written to ``benchmarks/.cache/run/<name>``) loads the
     project's own settings module, configured through its own mechanism (the ``env``
     variables and ``files`` of ``projects.json``, SQLite), and only appends ``mtlsguard.django``
     to ``INSTALLED_APPS`` before Django sets up, so that the command is found. TREE is the same
     source tree the static scan reads, so both front-ends read the same function bodies.
4. The diff: both inventories keyed on the normalised pattern (regex anchors dropped, named
   groups as ``<name>``, ``\\.`` as ``.``: what the runtime front-end prints for a ``re_path``);
   coverage = runtime patterns the static inventory has / runtime patterns (also ignoring
   parameter names), the runtime routes missing statically grouped by a first-guess cause,
   and the view names and methods of patterns both sides see that differ.

Nothing here is hard-coded: every number printed comes from the run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = HERE.parent / ".cache"
SPEC = HERE / "projects.json"
MTLSGUARD_DEPS = ("cryptography>=45", "httpx>=0.27,<1", "h11>=0.14,<1", "rich>=13.7")
"""mtlsguard's runtime dependencies (mtlsguard itself is put on ``PYTHONPATH`` from ``--src``)."""

_MANAGE = '''"""manage.py of the mtlsguard benchmark: the project's own settings module, unchanged.

mtlsguard.django is appended to INSTALLED_APPS before Django sets up (so that the command is
found); the lines below it are the project's configuration where it has no other mechanism.
"""
import json
import os
import sys

from django.conf import settings
from django.core.management import execute_from_command_line

os.environ["DJANGO_SETTINGS_MODULE"] = {settings!r}
settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "mtlsguard.django"]
{extra}
if os.environ.get("MTLSGUARD_BENCH_META"):
    with open(os.environ["MTLSGUARD_BENCH_META"], "w") as fh:
        json.dump({{"settings": settings.SETTINGS_MODULE, "urlconf": settings.ROOT_URLCONF}}, fh)
execute_from_command_line(sys.argv)
'''
_STATIC_META = """
import json, sys
from pathlib import Path
from mtlsguard.scan.static.frontend import build_static_project
project = build_static_project(Path(sys.argv[1])).model
settings = project.settings
urlconf = None
if settings is not None:
    value = settings.get("ROOT_URLCONF")
    urlconf = getattr(getattr(value, "value", None), "value", None)
print(json.dumps({"settings": settings.module if settings else None, "urlconf": urlconf}))
"""
"""Fallback for a report that does not say which settings module and URLconf it used."""


@dataclass(frozen=True, slots=True)
class Project:
    """One benchmark project, as ``projects.json`` describes it."""

    name: str
    """Short name: directory name under ``benchmarks/.cache/{src,venvs,run}``."""
    requirement: str
    """What ``pip install`` gets (pinned where the version matters)."""
    tree: str
    """``wheel`` (unpacked wheel) or ``wagtail-start`` (a fresh ``wagtail start`` site)."""
    settings: str
    """The project's own settings module."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment variables of the project's own configuration mechanism."""
    files: dict[str, str] = field(default_factory=dict)
    """Configuration files written into the run directory (name -> text)."""
    settings_lines: tuple[str, ...] = ()
    """Lines run in manage.py once the settings are loaded (``settings.X = ...``), only where
    the project has no env/config mechanism for them."""
    extra_static: tuple[str, ...] = ()
    """Further packages whose wheels are scanned statically on their own."""
    pythonpath: tuple[str, ...] = ()
    """Extra ``sys.path`` entries the project's own manage.py adds (``{site}``: site-packages)."""
    database: str = ""
    """How the project's database is provided, where it is not SQLite (documentation only)."""
    manage_once: tuple[tuple[str, ...], ...] = ()
    """``manage.py`` commands run once after the install (``migrate`` where the resolver needs
    tables: a view's ``queryset`` initkwarg is evaluated by the runtime front-end)."""
    pins: tuple[str, ...] = ()
    """Extra requirements for the install (a dependency whose newest release cannot build here)."""

    @property
    def venv(self) -> Path:
        """The project's virtualenv."""
        return CACHE / "venvs" / self.name

    @property
    def run_dir(self) -> Path:
        """Where ``manage.py`` and the project's configuration and data go."""
        return CACHE / "run" / self.name

    @property
    def source(self) -> Path:
        """The tree both front-ends read."""
        if self.tree == "wagtail-start":
            return CACHE / "trees" / self.name
        return CACHE / "src" / self.name

    def expand(self, text: str) -> str:
        """``{run}``: the run directory, ``{site}``: the venv's site-packages, ``{cache}``:
        ``benchmarks/.cache``."""
        site = self.venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        text = text.replace("{run}", str(self.run_dir)).replace("{cache}", str(CACHE))
        return text.replace("{site}", str(site / "site-packages"))

    def environment(self, src: Path) -> dict[str, str]:
        """The environment of ``manage.py``: the project's variables, ``sys.path`` entries."""
        path = [str(self.run_dir)]
        if self.tree == "wagtail-start":
            path.append(str(self.source))
        path.extend(self.expand(entry) for entry in self.pythonpath)
        path.append(str(src))
        return {
            **os.environ,
            **{k: self.expand(v) for k, v in self.env.items()},
            "PYTHONPATH": os.pathsep.join(path),
        }


def load_projects(only: list[str] | None = None) -> list[Project]:
    """Projects of ``projects.json`` (those named in ``only``, if given)."""
    data = json.loads(SPEC.read_text())
    projects = []
    for entry in data["projects"]:
        entry = dict(entry)
        entry["settings_lines"] = tuple(entry.get("settings_lines", ()))
        entry["extra_static"] = tuple(entry.get("extra_static", ()))
        entry["pins"] = tuple(entry.get("pins", ()))
        entry["pythonpath"] = tuple(entry.get("pythonpath", ()))
        entry["manage_once"] = tuple(tuple(c) for c in entry.get("manage_once", ()))
        projects.append(Project(**entry))
    if only:
        unknown = set(only) - {p.name for p in projects}
        if unknown:
            raise SystemExit(f"unknown project(s): {', '.join(sorted(unknown))}")
        projects = [p for p in projects if p.name in only]
    return projects


# --- trees and environments -------------------------------------------------------------


def unpack_wheel(requirement: str, name: str, pip: Path) -> Path:
    """Download (once) the wheel of ``requirement`` and unpack it into ``src/<name>``."""
    tree = CACHE / "src" / name
    if tree.exists():
        return tree
    dist = CACHE / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                str(pip),
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                tmp,
                requirement,
            ],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        target = dist / wheel.name
        if not target.exists():
            wheel.replace(target)
    with zipfile.ZipFile(target) as archive:
        archive.extractall(tree)
    (tree / ".unpacked-from").write_text(target.name)
    return tree


def install(project: Project) -> None:
    """Create the venv, install the project, obtain its tree(s) and write the run directory."""
    python = project.venv / "bin" / "python"
    done = project.venv / ".done"
    if not done.exists():
        subprocess.run([sys.executable, "-m", "venv", str(project.venv)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                project.requirement,
                *project.pins,
                *MTLSGUARD_DEPS,
            ],
            check=True,
        )
        done.touch()
    pip = project.venv / "bin" / "pip"
    if project.tree == "wheel":
        unpack_wheel(project.requirement, project.name, pip)
    elif project.tree == "wagtail-start" and not project.source.exists():
        project.source.mkdir(parents=True)
        subprocess.run(
            [str(project.venv / "bin" / "wagtail"), "start", "mysite", str(project.source)],
            check=True,
        )
    for extra in project.extra_static:
        version = _installed_version(python, extra)
        unpack_wheel(f"{extra}=={version}", extra, pip)
    write_run_dir(project)
    stamp = project.run_dir / ".manage-once"
    if project.manage_once and not stamp.exists():
        env = project.environment(REPO / "src")
        for command in project.manage_once:
            # Nautobot's migrate ends in a post-migrate cache hook that needs Redis; the
            # tables are there by then, which is all the resolver needs: report, go on.
            ran = subprocess.run([str(python), "manage.py", *command], env=env, cwd=project.run_dir)
            if ran.returncode:
                print(f"  manage.py {' '.join(command)}: exit {ran.returncode}")
        stamp.touch()


def _installed_version(python: Path, distribution: str) -> str:
    out = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({distribution!r}))"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def write_run_dir(project: Project) -> None:
    """``manage.py`` and the project's configuration files."""
    run = project.run_dir
    (run / "data").mkdir(parents=True, exist_ok=True)
    extra = "\n".join(project.expand(line) for line in project.settings_lines)
    (run / "manage.py").write_text(_MANAGE.format(settings=project.settings, extra=extra))
    for name, text in project.files.items():
        (run / name).write_text(project.expand(text))


# --- measuring ------------------------------------------------------------------------------


@dataclass(slots=True)
class Measured:
    """One command, run in its own process."""

    wall: float
    """Wall-clock seconds."""
    cpu: float
    """User + system CPU seconds of the process."""
    peak_mb: float
    """Peak resident set of the process (MiB)."""
    returncode: int
    """Exit status (mtlsguard: 0 clean, 1 findings, 2 could not run)."""
    stderr_tail: str
    """Last characters of standard error."""


REUSE = False
"""``--reuse``: keep reports already written (no new measurement; for re-reading a diff)."""


def measure(cmd: list[str], out: Path, env: dict[str, str], cwd: Path) -> Measured | None:
    """Run ``cmd`` with stdout to ``out``; ``os.wait4`` gives that child's own rusage."""
    if REUSE and out.exists():
        return None
    with out.open("wb") as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, env=env, cwd=cwd)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        tail = stderr.read().decode("utf-8", "replace")[-1500:]
    return Measured(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mb=usage.ru_maxrss / 1024,
        returncode=proc.returncode,
        stderr_tail=tail,
    )


def _read_json(path: Path) -> dict[str, Any] | None:
    """The JSON document in ``path``; lines a project prints before it (banners) are skipped."""
    try:
        text = path.read_text()
        start = 0 if text.startswith("{") else text.find("\n{") + 1
        data = json.loads(text[start:]) if start >= 0 else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- the diff -------------------------------------------------------------------------------

_ANCHORS = re.compile(r"(?<![\[\\])\^|(?<!\\)\$|\\Z")
_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
"""A named regex group, one level of nested parentheses (as the runtime front-end writes it)."""


def normal_pattern(pattern: str) -> str:
    """A route pattern as both front-ends can agree on it.

    Regex anchors go (``^a/`` + ``^b$`` and ``a/b`` compare equal), named groups become
    ``<name>`` and ``\\.`` becomes ``.`` (what the runtime front-end prints for a regex route).
    """
    text = _ANCHORS.sub("", pattern)
    return _GROUP.sub(lambda m: f"<{m.group(1)}>", text).replace("\\.", ".")


_PARAMETER = re.compile(r"<[^<>]*>")


def route_shape(pattern: str) -> str:
    """A normalised pattern with its parameter names erased (``a/<pk>/`` ~ ``a/<slug>/``)."""
    return _PARAMETER.sub("<>", pattern)


def _top_package(view: str) -> str:
    return view.split(".", 1)[0] if view else "?"


@dataclass(slots=True)
class Diff:
    """Static vs runtime inventory of one project, keyed on normalised patterns."""

    runtime: int
    """Distinct normalised patterns at runtime."""
    static: int
    """Distinct normalised patterns statically."""
    covered: int
    """Runtime patterns the static inventory has."""
    same_view: int
    """Covered patterns whose view dotted name is the same on both sides."""
    shape_covered: int
    """Runtime patterns whose shape (parameter names erased) the static inventory has."""
    missing: dict[str, list[str]]
    """Runtime routes missing statically, grouped by first-guess cause."""
    extra: list[str]
    """Static patterns the runtime inventory lacks."""
    view_differences: list[str]
    """Patterns on both sides whose view dotted names differ."""
    method_mismatches: list[str]
    """Patterns on both sides whose methods differ."""

    @property
    def coverage(self) -> float:
        """|static ∩ runtime| / |runtime| on normalised patterns."""
        return self.covered / self.runtime if self.runtime else 0.0


def _by_pattern(routes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for route in routes:
        found.setdefault(normal_pattern(str(route.get("pattern", ""))), route)
    return found


def _local_modules(tree: Path) -> set[str]:
    """Top-level module names of the tree: its entries, and those of a plain directory in it
    (label-studio puts ``label_studio/`` itself on ``sys.path``, so ``io_storages`` is local)."""
    names: set[str] = set()
    for entry in tree.iterdir():
        names.add(entry.stem)
        if entry.is_dir() and not (entry / "__init__.py").exists():
            names.update(child.stem for child in entry.iterdir())
    return names


def diff(static: list[dict[str, Any]], runtime: list[dict[str, Any]], tree: Path) -> Diff:
    """Compare the two inventories; group what the static side misses."""
    static_by = _by_pattern(static)
    runtime_by = _by_pattern(runtime)
    static_views = {str(r.get("view") or "") for r in static}
    static_shapes = {route_shape(p) for p in static_by}
    local = _local_modules(tree)
    missing: dict[str, list[str]] = defaultdict(list)
    for pattern in sorted(set(runtime_by) - set(static_by)):
        view = str(runtime_by[pattern].get("view") or "")
        top = _top_package(view)
        first = pattern.split("/", 1)[0] + "/"
        if route_shape(pattern) in static_shapes:
            cause = "same route seen statically with other parameter names"
        elif view in static_views:
            cause = "view seen statically, under another pattern"
        elif top not in local:
            cause = f"view from installed package {top!r}, under {first!r}"
        else:
            cause = f"project view not reached, under {first!r}"
        missing[cause].append(f"{pattern}  ->  {view}")
    views, methods = [], []
    both = sorted(set(runtime_by) & set(static_by))
    for pattern in both:
        a, b = static_by[pattern], runtime_by[pattern]
        if a.get("view") != b.get("view"):
            views.append(f"{pattern}: static {a.get('view')}  runtime {b.get('view')}")
        if sorted(a.get("methods") or []) != sorted(b.get("methods") or []):
            methods.append(f"{pattern}: static {a.get('methods')} runtime {b.get('methods')}")
    return Diff(
        runtime=len(runtime_by),
        static=len(static_by),
        covered=len(both),
        same_view=len(both) - len(views),
        shape_covered=sum(1 for p in runtime_by if route_shape(p) in static_shapes),
        missing=dict(sorted(missing.items(), key=lambda kv: -len(kv[1]))),
        extra=[
            f"{p}  ->  {static_by[p].get('view')}" for p in sorted(set(static_by) - set(runtime_by))
        ],
        view_differences=views,
        method_mismatches=methods,
    )


# --- one project ----------------------------------------------------------------------------


@dataclass(slots=True)
class Side:
    """One front-end's view of one tree."""

    args: list[str] = field(default_factory=list)
    """Arguments after the subcommand (the tree, options)."""
    python: str = ""
    """The interpreter that ran mtlsguard (its environment is the active one)."""
    partial_refused: bool = False
    """The scanner exited 2 without a report (a partial scan) and was run with --allow-partial."""
    routes: int | None = None
    """Routes in the inventory (None: the command produced no report)."""
    settings: str | None = None
    """Settings module used."""
    urlconf: str | None = None
    """URLconf used."""
    errors: list[str] = field(default_factory=list)
    """Errors / unresolved items the report lists."""
    findings: dict[str, int] = field(default_factory=dict)
    """Findings by severity (scan)."""
    routes_run: Measured | None = None
    """The ``routes`` command."""
    scan_run: Measured | None = None
    """The ``scan`` command."""


def _unresolved(report: dict[str, Any]) -> list[str]:
    """Scan errors and unresolved items, one line each (``resolution`` on newer reports)."""
    items = [f"error {e.get('path')}: {e.get('message')}" for e in report.get("errors", [])]
    resolution = report.get("resolution") or {}
    for item in resolution.get("unresolved", []) or []:
        where = f" ({item.get('path')}:{item.get('line')})" if item.get("path") else ""
        items.append(f"{item.get('kind')} {item.get('item')}: {item.get('reason')}{where}")
    return items


def _used(report: dict[str, Any]) -> tuple[str | None, str | None]:
    """Settings module / URLconf, if the report states them (``resolution`` on newer reports)."""
    resolution = report.get("resolution") or {}
    return resolution.get("settings_module"), resolution.get("urlconf")


def _run_pair(
    command: list[str], side: Side, out_dir: Path, prefix: str, env: dict[str, str], cwd: Path
) -> list[dict[str, Any]]:
    """``routes`` then ``scan`` (``command`` + subcommand + options), both measured.

    A version that refuses a partial scan (exit 2) without a report is run again with
    ``--allow-partial`` so that the inventory can still be compared; the first exit code is
    what the projects table shows.
    """
    routes: list[dict[str, Any]] = []
    for subcommand in ("routes", "scan"):
        out = out_dir / f"{prefix}-{subcommand}.json"
        argv = [*command, subcommand, *side.args, "--format", "json"]
        measured = measure(argv, out, env, cwd)
        report = _read_json(out)
        if report is None and measured is not None and measured.returncode == 2:
            side.partial_refused = True
            measure([*argv, "--allow-partial"], out, env, cwd)
            report = _read_json(out)
        if subcommand == "routes":
            side.routes_run = measured
            routes = list((report or {}).get("routes", []))
            side.routes = len(routes) if report else None
            side.errors = _unresolved(report or {})
            side.settings, side.urlconf = _used(report or {})
            if report is None:
                tail = measured.stderr_tail if measured else ""
                side.errors.append("no report: " + tail.strip()[-600:])
        else:
            side.scan_run = measured
            side.findings = dict((report or {}).get("summary", {}).get("by_severity", {}))
    return routes


def static_side(
    tree: Path, src: Path, out_dir: Path, python: str, extra: tuple[str, ...] = ()
) -> tuple[Side, list[dict[str, Any]]]:
    """``mtlsguard routes``/``scan`` over ``tree`` with ``python`` (its environment is the
    active one: installed packages an ``include()`` names are found there)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    side = Side(args=[str(tree), *extra], python=python)
    routes = _run_pair([python, "-m", "mtlsguard"], side, out_dir, "static", env, REPO)
    if side.settings is None and side.urlconf is None:
        meta = subprocess.run(
            [python, "-c", _STATIC_META, str(tree)], env=env, capture_output=True, text=True
        )
        if meta.returncode == 0:
            used = json.loads(meta.stdout)
            side.settings, side.urlconf = used["settings"], used["urlconf"]
    return side, routes


def runtime_side(project: Project, src: Path, out_dir: Path) -> tuple[Side, list[dict[str, Any]]]:
    """``python manage.py mtlsguard routes``/``scan`` in the project's venv."""
    write_run_dir(project)
    run = project.run_dir
    meta = out_dir / "runtime-meta.json"
    env = {**project.environment(src), "MTLSGUARD_BENCH_META": str(meta)}
    python = str(project.venv / "bin" / "python")
    side = Side(args=[str(project.source)], python=python)
    routes = _run_pair([python, "manage.py", "mtlsguard"], side, out_dir, "runtime", env, run)
    used = _read_json(meta) or {}
    side.settings = side.settings or used.get("settings")
    side.urlconf = side.urlconf or used.get("urlconf")
    return side, routes


def _fmt_run(m: Measured | None) -> str:
    if m is None:
        return "-"
    return f"{m.wall:.2f} s wall, {m.cpu:.2f} s CPU, {m.peak_mb:.0f} MB peak, exit {m.returncode}"


def print_side(label: str, side: Side) -> None:
    """Human-readable lines for one front-end."""
    print(f"  {label}: routes {side.routes}; settings {side.settings}; URLconf {side.urlconf}")
    print(f"    python {side.python}; args {' '.join(side.args)}")
    if side.partial_refused:
        print("    exit 2 without a report (partial scan refused); rerun with --allow-partial")
    print(f"    routes run: {_fmt_run(side.routes_run)}")
    print(f"    scan run:   {_fmt_run(side.scan_run)}; findings {side.findings}")
    for error in side.errors[:20]:
        print(f"    unresolved/error: {error}")
    if len(side.errors) > 20:
        print(f"    ... {len(side.errors) - 20} more")


def print_diff(d: Diff, limit: int) -> None:
    """Coverage and the missing routes by cause."""
    print(
        f"  coverage: {d.covered}/{d.runtime} = {d.coverage:.1%} of runtime patterns "
        f"({d.same_view} with the same view name; {d.shape_covered} ignoring parameter names); "
        f"static-only patterns {len(d.extra)}; "
        f"view-name differences {len(d.view_differences)}; method mismatches "
        f"{len(d.method_mismatches)}"
    )
    for line in d.view_differences[:limit]:
        print(f"    view differs: {line}")
    for cause, routes in d.missing.items():
        print(f"    missing [{len(routes)}] {cause}")
        for line in routes[:limit]:
            print(f"      {line}")
        if len(routes) > limit:
            print(f"      ... {len(routes) - limit} more")


def run_project(
    project: Project, src: Path, out_root: Path, limit: int, static_env: str
) -> dict[str, Any]:
    """Static and runtime sides of one project, their diff, and the extra static trees."""
    installed = (project.venv / ".done").exists()
    python = sys.executable
    if static_env == "project" and installed:
        python = str(project.venv / "bin" / "python")
    out_dir = out_root / project.name
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"== {project.name} ({project.requirement}; tree {project.source.relative_to(REPO)})")
    static, static_routes = static_side(project.source, src, out_dir, python)
    print_side("static ", static)
    result: dict[str, Any] = {"name": project.name, "static": asdict(static)}
    if installed:
        runtime, runtime_routes = runtime_side(project, src, out_dir)
        print_side("runtime", runtime)
        result["runtime"] = asdict(runtime)
        if runtime.routes:
            d = diff(static_routes, runtime_routes, project.source)
            print_diff(d, limit)
            result["diff"] = {**asdict(d), "coverage": d.coverage}
    else:
        print("  runtime: venv not installed (run `install`)")
    for extra in project.extra_static:
        tree = CACHE / "src" / extra
        extra_dir = out_dir / f"extra-{extra}"
        extra_dir.mkdir(exist_ok=True)
        print(f"  -- static only: {extra} (tree {tree.relative_to(REPO)})")
        side, _routes = static_side(tree, src, extra_dir, python)
        print_side(f"static {extra}", side)
        result.setdefault("extra_static", {})[extra] = asdict(side)
    return result


def _cell(run: dict[str, Any] | None) -> str:
    if not run:
        return "-"
    return f"{run['wall']:.1f} s / {run['peak_mb']:.0f} MB / exit {run['returncode']}"


def print_summary(results: list[dict[str, Any]]) -> None:
    """One line per project: routes, coverage, unresolved items, static and runtime runs."""
    print("\nsummary (routes static/runtime, coverage of runtime patterns, unresolved items,")
    print("         static routes run, runtime routes run: wall / peak / exit)")
    reached = measured = 0
    for r in results:
        static, runtime, d = r["static"], r.get("runtime") or {}, r.get("diff")
        coverage = "-"
        if d:
            measured += 1
            reached += d["coverage"] >= 0.95
            coverage = f"{d['covered']}/{d['runtime']} = {d['coverage']:.1%}"
        print(
            f"  {r['name']:<13} {static['routes']}/{runtime.get('routes')}  {coverage:<22} "
            f"unresolved {len(static['errors']):<3} static {_cell(static['routes_run'])}; "
            f"runtime {_cell(runtime.get('routes_run'))}"
        )
    print(f"coverage >= 95%: {reached} of {measured} projects")


def main(argv: list[str] | None = None) -> int:
    """``install`` or ``run`` the benchmark projects."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("action", choices=("install", "run"))
    parser.add_argument("--only", action="append", help="project name (repeatable)")
    parser.add_argument(
        "--src", type=Path, default=REPO / "src", help="mtlsguard source to measure (PYTHONPATH)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--out", type=Path, default=CACHE / "reports", help="raw reports go here")
    parser.add_argument("--limit", type=int, default=8, help="missing routes listed per cause")
    parser.add_argument("--reuse", action="store_true", help="reuse reports already in --out")
    parser.add_argument(
        "--static-env",
        choices=("project", "dev"),
        default="project",
        help="run the static scan with the project's venv (its packages are installed) or the "
        "development venv (only the tree)",
    )
    args = parser.parse_args(argv)
    global REUSE
    REUSE = args.reuse
    projects = load_projects(args.only)
    if args.action == "install":
        for project in projects:  # one at a time: the machine is shared
            print(f"== install {project.name}", flush=True)
            install(project)
        return 0
    src = args.src.resolve()
    args.out = args.out.resolve()  # manage.py runs in the project's run directory
    load = os.getloadavg()
    print(f"mtlsguard from {src}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    results = [run_project(p, src, args.out, args.limit, args.static_env) for p in projects]
    print_summary(results)
    if args.json:
        args.json.write_text(json.dumps({"src": str(src), "load": load, "projects": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
