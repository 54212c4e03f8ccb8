"""The GitHub Action's step: scan and/or probe, SARIF, job summary, outputs, exit code.

``action.yml`` passes its inputs as ``INPUT_*`` environment variables (``probe-url`` is
``INPUT_PROBE_URL``) and runs ``python -m mtlsguard.ci.github_action``. The step

- runs ``mtlsguard scan INPUT_PATH --format sarif`` (unless ``scan`` is ``false``) and, when
  ``probe-url`` is given, ``mtlsguard probe --format sarif`` with the certificate inputs;
- rewrites result paths in the scan's SARIF to be relative to the repository root
  (``GITHUB_WORKSPACE``), which is how code scanning matches them to files, and attaches
  results without a source location (the probe's) to :func:`code_scanning_anchor`;
- appends a Markdown summary to ``$GITHUB_STEP_SUMMARY`` and sets the outputs in
  ``$GITHUB_OUTPUT`` (``sarif-file``, ``probe-sarif-file``, ``findings``, ``failing``,
  ``grade``, ``exit-code``);
- exits 2 if a command could not run, else 1 if one found something at or above ``fail-on``
  (``none``: findings never fail the step), else 0.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mtlsguard.ci.summary import (
    SEVERITIES,
    Outcome,
    RunSummary,
    at_or_above,
    render_summary,
    result_rows,
)

__all__ = [
    "ActionInputs",
    "InputError",
    "anchor_unlocated",
    "code_scanning_anchor",
    "main",
    "rebase_sarif",
    "run_action",
]

_SOURCE_ROOT: Final = "SRCROOT"
_TRUE: Final = frozenset({"true", "yes", "1", "on"})
_FALSE: Final = frozenset({"false", "no", "0", "off", ""})


class InputError(Exception):
    """An action input is invalid; the message names it and says what is accepted."""


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(f"INPUT_{name}", "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise InputError(f"input {name.lower().replace('_', '-')}: {raw!r} is not true or false")


@dataclass(frozen=True, slots=True)
class ActionInputs:
    """The action's inputs, validated."""

    path: str
    """Root of the Django project to scan."""
    scan: bool
    """Run the static scan."""
    scan_args: tuple[str, ...]
    """Extra ``mtlsguard scan`` arguments (``--baseline FILE``...)."""
    probe_url: str
    """Base URL to probe; empty: no probe."""
    probe_args: tuple[str, ...]
    """``--cert``/``--key``/``--cacert``/``--peer-*`` from the inputs, then ``probe-args``."""
    fail_on: str
    """A severity, ``none`` (findings never fail) or empty (the project's configuration)."""
    sarif_file: Path
    """Where the scan's SARIF goes."""
    probe_sarif_file: Path
    """Where the probe's SARIF goes."""

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> ActionInputs:
        """Read the ``INPUT_*`` variables.

        :raises InputError: if an input is invalid or there is nothing to do.
        """

        def text(name: str, default: str = "") -> str:
            return env.get(f"INPUT_{name}", "").strip() or default

        fail_on = text("FAIL_ON").lower()
        if fail_on and fail_on != "none" and fail_on not in SEVERITIES:
            raise InputError(
                f"input fail-on: {fail_on!r} is not one of {', '.join(SEVERITIES)} or none"
            )
        probe_args: list[str] = []
        for option in ("cert", "key", "cacert", "peer-cert", "peer-key"):
            value = text(option.upper().replace("-", "_"))
            if value:
                probe_args += [f"--{option}", value]
        try:
            scan_args = shlex.split(text("SCAN_ARGS"))
            probe_args += shlex.split(text("PROBE_ARGS"))
        except ValueError as exc:
            raise InputError(f"input scan-args/probe-args: {exc}") from exc
        inputs = cls(
            path=text("PATH", "."),
            scan=_flag(env, "SCAN", default=True),
            scan_args=tuple(scan_args),
            probe_url=text("PROBE_URL"),
            probe_args=tuple(probe_args),
            fail_on=fail_on,
            sarif_file=Path(text("SARIF_FILE", "mtlsguard.sarif")),
            probe_sarif_file=Path(text("PROBE_SARIF_FILE", "mtlsguard-probe.sarif")),
        )
        if not inputs.scan and not inputs.probe_url:
            raise InputError("nothing to do: scan is false and no probe-url is given")
        if inputs.probe_url and not any(arg == "--cert" for arg in inputs.probe_args):
            raise InputError("input probe-url needs cert and key (the client certificate)")
        return inputs

    def threshold_args(self) -> list[str]:
        """The ``--fail-on`` to pass (``none`` still reports everything; exit 1 is ignored)."""
        if not self.fail_on:
            return []
        return ["--fail-on", "critical" if self.fail_on == "none" else self.fail_on]


def rebase_sarif(document: Mapping[str, Any], root: Path, workspace: Path) -> None:
    """Make ``SRCROOT``-relative URIs relative to ``workspace`` if ``root`` lies inside it.

    mtlsguard writes paths relative to the scanned root; GitHub code scanning matches paths
    relative to the repository, so a project in ``backend/`` needs ``backend/`` in front.
    """
    try:
        prefix = root.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return  # outside the repository: nothing code scanning could match anyway
    base = workspace.resolve().as_uri().rstrip("/") + "/"

    def visit(node: object) -> None:
        if isinstance(node, dict):
            relative = node.get("uriBaseId") == _SOURCE_ROOT and isinstance(node.get("uri"), str)
            if relative and prefix != ".":
                node["uri"] = f"{prefix}/{node['uri']}"
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for run in document.get("runs") or []:
        visit(run.get("results"))
        visit(run.get("invocations"))
        bases = run.get("originalUriBaseIds")
        if isinstance(bases, dict) and _SOURCE_ROOT in bases:
            bases[_SOURCE_ROOT] = {"uri": base}


def code_scanning_anchor(project: Path, workspace: Path, env: Mapping[str, str]) -> str | None:
    """The repository file that results without a source location are attached to.

    Code scanning rejects a whole upload if one result has no file location, and what the
    probe finds over HTTP has none. The anchor is the project's ``manage.py`` if it lies in the
    repository, else the workflow file that ran the action (``GITHUB_WORKFLOW_REF``), else none.
    """
    manage = project / "manage.py"
    if manage.is_file():
        try:
            return manage.resolve().relative_to(workspace.resolve()).as_posix()
        except ValueError:
            pass
    ref, repository = env.get("GITHUB_WORKFLOW_REF", ""), env.get("GITHUB_REPOSITORY", "")
    if repository and ref.startswith(f"{repository}/") and "@" in ref:
        return ref[len(repository) + 1 :].split("@", 1)[0]
    return None


def anchor_unlocated(document: Mapping[str, Any], anchor: str) -> int:
    """Give every result without a physical location one at ``anchor``, line 1; how many."""
    anchored = 0
    for run in document.get("runs") or []:
        for result in run.get("results") or []:
            locations = result.get("locations") or []
            if any("physicalLocation" in location for location in locations):
                continue
            physical = {"artifactLocation": {"uri": anchor}, "region": {"startLine": 1}}
            if locations:
                locations[0]["physicalLocation"] = physical
            else:
                result["locations"] = [{"physicalLocation": physical}]
            anchored += 1
    return anchored


def _write_for_code_scanning(document: Mapping[str, Any], path: Path, anchor: str | None) -> None:
    if anchor is not None:
        anchor_unlocated(document, anchor)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _command(args: Sequence[str]) -> Outcome:
    print(f"$ mtlsguard {shlex.join(args)}", flush=True)
    done = subprocess.run(  # noqa: S603 - our own CLI, arguments from the workflow's inputs
        [sys.executable, "-m", "mtlsguard", *args],
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.stderr:
        sys.stderr.write(done.stderr)
        sys.stderr.flush()
    lines = done.stderr.strip().splitlines()
    errors = [line for line in lines if "error" in line.lower()]
    return Outcome(done.returncode, (errors or lines or [""])[-1])


def _read_sarif(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _sarif_command(
    command: str, target: str, sarif_file: Path, inputs: ActionInputs, extra: Sequence[str]
) -> RunSummary:
    """Run ``mtlsguard COMMAND TARGET`` writing SARIF to ``sarif_file``; its summary section."""
    # A stale log from an earlier run must not pass for this run's; a new directory is made.
    sarif_file.unlink(missing_ok=True)
    sarif_file.parent.mkdir(parents=True, exist_ok=True)
    args = [command, target, "--format", "sarif", "--output", str(sarif_file), "--no-progress"]
    outcome = _command([*args, *inputs.threshold_args(), *extra])
    return RunSummary(
        f"mtlsguard {command} {target}", outcome, _read_sarif(sarif_file), str(sarif_file)
    )


def _append(path: str | None, text: str) -> None:
    if not path:
        sys.stdout.write(text)
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def run_action(inputs: ActionInputs, env: Mapping[str, str]) -> int:
    """Run the commands the inputs ask for; write summary and outputs. Exit code."""
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    sections: list[RunSummary] = []
    outputs: dict[str, str] = {"sarif-file": "", "probe-sarif-file": "", "grade": ""}
    anchor = code_scanning_anchor(Path(inputs.path), workspace, env)
    if inputs.scan:
        scan = _sarif_command("scan", inputs.path, inputs.sarif_file, inputs, inputs.scan_args)
        if scan.sarif is not None:
            rebase_sarif(scan.sarif, Path(inputs.path), workspace)
            _write_for_code_scanning(scan.sarif, inputs.sarif_file, anchor)
            outputs["sarif-file"] = scan.sarif_file
        sections.append(scan)
    if inputs.probe_url:
        probe = _sarif_command(
            "probe", inputs.probe_url, inputs.probe_sarif_file, inputs, inputs.probe_args
        )
        if probe.sarif is not None:
            _write_for_code_scanning(probe.sarif, inputs.probe_sarif_file, anchor)
            outputs["probe-sarif-file"] = probe.sarif_file
            for run in probe.sarif.get("runs") or []:
                properties = (run.get("properties") or {}).get("probe") or {}
                outputs["grade"] = str(properties.get("grade", ""))
        sections.append(probe)

    rows = [row for s in sections if s.sarif is not None for row in result_rows(s.sarif)]
    codes = [s.outcome.exit_code for s in sections]
    if 2 in codes or any(code not in {0, 1} for code in codes):
        exit_code = 2
    elif 1 in codes and inputs.fail_on != "none":
        exit_code = 1
    else:
        exit_code = 0
    outputs["findings"] = str(len(rows))
    outputs["failing"] = (
        str(at_or_above(rows, inputs.fail_on)) if inputs.fail_on in SEVERITIES else ""
    )
    outputs["exit-code"] = str(exit_code)
    _append(env.get("GITHUB_STEP_SUMMARY"), render_summary(sections, inputs.fail_on))
    if env.get("GITHUB_OUTPUT"):
        _append(env["GITHUB_OUTPUT"], "".join(f"{k}={v}\n" for k, v in outputs.items()))
    if exit_code == 1:
        print(f"::error::mtlsguard: findings at or above {inputs.fail_on or 'the threshold'}")
    elif exit_code == 2:
        print("::error::mtlsguard could not complete; see the log above")
    return exit_code


def main(env: Mapping[str, str] | None = None) -> int:
    """Entry point of ``python -m mtlsguard.ci.github_action``."""
    environ = os.environ if env is None else env
    try:
        inputs = ActionInputs.from_environ(environ)
    except InputError as exc:
        print(f"::error::mtlsguard action: {exc}")
        return 2
    return run_action(inputs, environ)


if __name__ == "__main__":
    raise SystemExit(main())
