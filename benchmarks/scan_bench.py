"""Benchmark: ``mtlsguard scan`` vs Bandit vs route-detect (Semgrep) on three real Django projects.

Run from the repository root with the development virtualenv::

    .venv/bin/python benchmarks/scan_bench.py            # everything (~5-10 min)
    .venv/bin/python benchmarks/scan_bench.py --json     # machine-readable too
    .venv/bin/python benchmarks/scan_bench.py --only pretix --tools mtlsguard,ast

What it does, in one run:

1. Source trees: ``pip download --no-deps`` of pinned wheels of pretix, Weblate and
   label-studio into ``benchmarks/.cache/dist`` (reused when present) and unpacks each wheel
   into ``benchmarks/.cache/src/<project>``. The scanned tree is the unpacked wheel: the
   project's packages plus whatever else the wheel ships.
2. Peers: Bandit and route-detect go into ``benchmarks/.venv-peers`` (created on first run;
   see ``_peers.PEERS`` for the pins). route-detect is a set of Semgrep rules:
   ``semgrep --config $(routes which django) --config $(routes which django-rest-framework)``.
3. Each tool runs over each tree in its own process, started by a fresh measuring parent:
   wall time, CPU time (user + system of the tool and its descendants) and peak RSS
   (``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the largest single process). Tools:

   * ``ast floor``: ``ast.parse`` of every ``.py`` file of the tree (read + parse, nothing else);
   * ``mtlsguard``: ``mtlsguard scan --format json`` (the real CLI, report written);
   * ``bandit``: ``bandit -r -q -f json`` over the tree;
   * ``route-detect``: Semgrep with route-detect's Django and DRF rules, ``--json``,
     ``--metrics=off``, Semgrep's default job count (it uses both cores; mtlsguard uses one).

Bytecode: each tool runs as installed. pip compiles the peers' ``.pyc`` files at install time;
mtlsguard runs from the ``src/`` checkout, where ``PYTHONDONTWRITEBYTECODE`` (set in this
environment) would make every run recompile all its modules (~0.1-0.3 s CPU per run). So the
script first runs ``python -m compileall -q src/mtlsguard`` (what ``pip install`` does;
``__pycache__`` is git-ignored, and removed again afterwards if there was none before).

"lines" are all lines of all ``.py`` files of the tree, for every tool alike; lines/s is that
number over wall time. mtlsguard's own ``lines_scanned`` (the lines of the files it actually
parsed: the ones settings and URLconfs reach) is printed beside it.

Targets (issue 4): mtlsguard faster than Bandit and route-detect; >= 100k lines/s on one core;
<= 300 MB peak on the largest tree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Semgrep: no version check and no metrics over the network (they stall runs without them).
os.environ.setdefault("SEMGREP_ENABLE_VERSION_CHECK", "0")
os.environ.setdefault("SEMGREP_SEND_METRICS", "off")

from _peers import CACHE, Measured, ensure_peers, measure, peer_bin, peer_versions

PROJECTS = {
    "pretix": "pretix==2026.8.0",
    "weblate": "weblate==5.14.3",
    "label-studio": "label-studio==1.23.2",
}
"""Project name -> pinned requirement (the versions the scanner was first tried on)."""

TOOLS = ("ast", "mtlsguard", "bandit", "route-detect")

_AST_FLOOR = """
import ast, os, sys, warnings
warnings.simplefilter('ignore')
n = 0
for d, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for f in sorted(files):
        if f.endswith('.py'):
            try:
                ast.parse(open(os.path.join(d, f), 'rb').read())
                n += 1
            except (SyntaxError, ValueError):
                pass
print(n)
"""


def fetch(project: str, requirement: str) -> Path:
    """Download (once) and unpack the pinned wheel; return the unpacked tree."""
    dist = CACHE / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(dist),
            requirement,
        ],
        check=True,
    )
    name, version = requirement.split("==")
    stem = name.replace("-", "_").lower()
    wheels = [w for w in dist.glob("*.whl") if w.name.lower().startswith(f"{stem}-{version}-")]
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel for {requirement} in {dist}, found {wheels}")
    tree = CACHE / "src" / project
    stamp = tree / ".unpacked-from"
    if not (stamp.is_file() and stamp.read_text() == wheels[0].name):
        with zipfile.ZipFile(wheels[0]) as archive:
            archive.extractall(tree)
        stamp.write_text(wheels[0].name)
    print(f"  {project}: {wheels[0].name} -> {tree.relative_to(CACHE.parent.parent)}")
    return tree


def count_lines(tree: Path) -> tuple[int, int]:
    """(``.py`` files, lines in them) under ``tree``."""
    files = lines = 0
    for dirpath, _dirs, names in os.walk(tree):
        for name in names:
            if name.endswith(".py"):
                files += 1
                with open(os.path.join(dirpath, name), "rb") as fh:
                    lines += len(fh.read().splitlines())
    return files, lines


def command(tool: str, tree: Path, out: Path) -> list[str]:
    """The command line of ``tool`` over ``tree``; its report goes to stdout (``out``)."""
    if tool == "ast":
        return [sys.executable, "-c", _AST_FLOOR, str(tree)]
    if tool == "mtlsguard":
        return [
            sys.executable,
            "-m",
            "mtlsguard",
            "scan",
            "--no-progress",
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--allow-partial",  # wheels without their dependencies: includes stay unresolved
            str(tree),
        ]
    if tool == "bandit":
        return [peer_bin("bandit"), "-r", "-q", "-f", "json", str(tree)]
    if tool == "route-detect":
        rules = [
            subprocess.run(
                [peer_bin("routes"), "which", framework], capture_output=True, text=True, check=True
            ).stdout.strip()
            for framework in ("django", "django-rest-framework")
        ]
        configs = [arg for rule in rules for arg in ("--config", rule)]
        # An empty .semgrepignore replaces Semgrep's default one (which skips tests/ and more)
        # and --no-git-ignore stops it from skipping the (git-ignored) cache: same files as
        # the other tools. Run from the tree (cwd) so the .semgrepignore is found.
        (tree / ".semgrepignore").write_text("")
        flags = ["--json", "--metrics=off", "--disable-version-check", "--no-git-ignore"]
        return [peer_bin("semgrep"), *configs, *flags, "--quiet", "."]
    raise ValueError(tool)


@dataclass(frozen=True)
class Row:
    """One tool over one tree."""

    project: str
    tool: str
    files: int
    lines: int
    wall: float
    cpu: float
    max_rss_mb: float
    returncode: int
    lines_per_s: float
    """All .py lines over wall time."""
    lines_per_cpu_s: float
    """All .py lines over the tool's CPU time (robust against a busy machine)."""
    detail: dict[str, Any]


def summarize(tool: str, report: Path) -> dict[str, Any]:
    """What the tool reported: counts worth printing next to the timings."""
    text = report.read_text(encoding="utf-8", errors="replace")
    if tool == "ast":
        return {"parsed_files": int(text.strip() or 0)}
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {"unreadable_report": text[:200]}
    if tool == "mtlsguard":
        summary = data["summary"]
        by_rule = Counter(f["rule_id"] for f in data["findings"])
        return {
            "files_scanned": summary["files_scanned"],
            "lines_scanned": summary["lines_scanned"],
            "routes": summary["routes"],
            "findings": summary["findings"],
            "errors": summary["errors"],
            "by_rule": dict(sorted(by_rule.items())),
        }
    if tool == "bandit":
        return {"issues": len(data.get("results", [])), "errors": len(data.get("errors", []))}
    by_check = Counter(r["check_id"].rsplit(".", 1)[-1] for r in data.get("results", []))
    return {
        "results": len(data.get("results", [])),
        "errors": len(data.get("errors", [])),
        "by_check": dict(sorted(by_check.items())),
    }


def run(projects: list[str], tools: list[str], repeat: int) -> list[Row]:
    """Measure every tool over every tree (median wall of ``repeat`` runs)."""
    print("source trees (pip download --no-deps, unpacked wheels):")
    trees = {p: fetch(p, PROJECTS[p]) for p in projects}
    if {"bandit", "route-detect"} & set(tools):
        ensure_peers()
        print("peers:", json.dumps(peer_versions()))
    package = Path(__file__).resolve().parent.parent / "src" / "mtlsguard"
    had_bytecode = any(package.rglob("__pycache__"))
    if "mtlsguard" in tools:
        # As installed: bytecode present (see the module docstring).
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    try:
        return _measure_all(trees, tools, repeat)
    finally:
        if not had_bytecode:
            # Leave the shared checkout as found: other benchmarks time imports from source.
            for cache in list(package.rglob("__pycache__")):
                shutil.rmtree(cache, ignore_errors=True)


def _measure_all(trees: dict[str, Path], tools: list[str], repeat: int) -> list[Row]:
    """The measuring loop of :func:`run`."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        for project, tree in trees.items():
            files, lines = count_lines(tree)
            print(f"\n{project}: {files} .py files, {lines:,} lines")
            for tool in tools:
                out = Path(tmp) / f"{project}-{tool}.out"
                runs: list[Measured] = []
                for _ in range(repeat):
                    runs.append(measure(command(tool, tree, out), out, cwd=tree))
                walls = [m.wall for m in runs]
                best = sorted(runs, key=lambda m: m.wall)[len(runs) // 2]
                wall = statistics.median(walls)
                detail = summarize(tool, out)
                if best.returncode not in (0, 1):
                    detail["stderr"] = best.stderr_tail
                row = Row(
                    project,
                    tool,
                    files,
                    lines,
                    wall,
                    best.cpu,
                    best.max_rss_mb,
                    best.returncode,
                    lines / wall,
                    lines / best.cpu if best.cpu else 0.0,
                    detail,
                )
                rows.append(row)
                print(
                    f"  {tool:13} {wall:8.2f} s wall {row.cpu:8.2f} s cpu "
                    f"{row.lines_per_s:10,.0f} lines/s {row.lines_per_cpu_s:10,.0f} lines/cpu-s "
                    f"{row.max_rss_mb:7.1f} MB peak "
                    f"rc={row.returncode} {json.dumps(detail)[:300]}"
                )
    return rows


def report(rows: list[Row]) -> None:
    """Ratios and the issue's targets."""
    by = {(r.project, r.tool): r for r in rows}
    projects = list(dict.fromkeys(r.project for r in rows))
    print("\nratios (mtlsguard lines/s over the tool's; > 1 = mtlsguard faster):")
    for project in projects:
        mine = by.get((project, "mtlsguard"))
        if mine is None:
            continue
        parts = [
            f"{tool} x{mine.lines_per_s / by[(project, tool)].lines_per_s:.1f} wall, "
            f"x{mine.lines_per_cpu_s / by[(project, tool)].lines_per_cpu_s:.1f} cpu"
            for tool in TOOLS
            if tool != "mtlsguard" and (project, tool) in by
        ]
        print(f"  {project}: " + ", ".join(parts))
    mine_rows = [r for r in rows if r.tool == "mtlsguard"]
    if not mine_rows:
        return
    largest = max(mine_rows, key=lambda r: r.lines)
    faster = all(
        r.lines_per_s > by[(r.project, t)].lines_per_s
        and r.lines_per_cpu_s > by[(r.project, t)].lines_per_cpu_s
        for r in mine_rows
        for t in ("bandit", "route-detect")
        if (r.project, t) in by
    )
    have_peers = any(r.tool in ("bandit", "route-detect") for r in rows)
    # One core: lines per CPU-second (mtlsguard is single-threaded, and wall time on a shared
    # machine includes time spent waiting for a core).
    fast = min(r.lines_per_cpu_s for r in mine_rows)
    print("\ntargets:")
    verdict = ("met" if faster else "MISSED") if have_peers else "not measured (no peer run)"
    print(f"  faster than Bandit and route-detect on every tree: {verdict}")
    print(
        f"  >= 100k lines per CPU-second on one core (slowest tree {fast:,.0f}): "
        f"{'met' if fast >= 100_000 else 'MISSED'}"
    )
    print(
        f"  <= 300 MB peak on the largest tree ({largest.project}, "
        f"{largest.max_rss_mb:.0f} MB): {'met' if largest.max_rss_mb <= 300 else 'MISSED'}"
    )


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(PROJECTS), help="comma-separated projects")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated tools")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool (median)")
    parser.add_argument("--json", metavar="FILE", help="also write all rows as JSON to FILE")
    args = parser.parse_args()
    rows = run(args.only.split(","), args.tools.split(","), args.repeat)
    report(rows)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=2))


if __name__ == "__main__":
    main()
