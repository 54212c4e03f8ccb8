"""The GitHub Action's step: scan and/or probe, SARIF, job summary, outputs, exit code.

``action.yml`` passes its inputs as ``INPUT_*`` environment variables (``probe-url`` is
``INPUT_PROBE_URL``) and runs ``python -m mtlsguard.cli.github_action``. The step

- parses ``scan``'s and ``probe``'s arguments (``path``, ``scan-args``, ``probe-url``, the
  certificate inputs, ``probe-args``, ``fail-on``) with the command line's own parsers and runs
  them through the run layer (:mod:`mtlsguard.app`), in this process;
- writes each run's SARIF with paths relative to the repository root (``GITHUB_WORKSPACE``),
  which is how code scanning matches them to files, and with results that have no source
  location (the probe's) attached to :func:`code_scanning_anchor`;
- appends a Markdown summary to ``$GITHUB_STEP_SUMMARY`` (:mod:`mtlsguard.ci.summary`) and
  sets the outputs in ``$GITHUB_OUTPUT`` (``sarif-file``, ``probe-sarif-file``, ``findings``,
  ``failing``, ``grade``, ``exit-code``);
- exits 2 if a run could not do its work, else 1 if one found something at or above
  ``fail-on`` (``none``: findings never fail the step), else 0.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mtlsguard.app.errors import RunError
from mtlsguard.ci.summary import SEVERITIES, RunSummary, at_or_above, render_summary, result_rows
from mtlsguard.cli.exit_codes import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from mtlsguard.findings.assessment import Assessment
from mtlsguard.report.sarif import SarifFormat

__all__ = ["ActionInputs", "InputError", "code_scanning_anchor", "main", "run_action"]

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


@dataclass(frozen=True, slots=True)
class _Ran:
    """One run's outcome, as the step needs it."""

    exit_code: int
    message: str = ""
    assessment: Assessment | None = None


def _parse(argv: Sequence[str]) -> dict[str, Any] | str:
    """``argv`` parsed by the command line's own parser, or the usage error it reported."""
    from mtlsguard.cli.main import build_parser

    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            return vars(build_parser().parse_args(list(argv)))
    except SystemExit:
        lines = captured.getvalue().strip().splitlines()
        return lines[-1] if lines else f"invalid arguments: {shlex.join(argv)}"


def _guarded(run: Callable[[], _Ran]) -> _Ran:
    try:
        return run()
    except RunError as exc:
        return _Ran(EXIT_ERROR, f"mtlsguard: error: {exc}")
    except SystemExit as exc:  # a usage error the option checks reported on stderr
        return _Ran(exc.code if isinstance(exc.code, int) else EXIT_ERROR, "invalid arguments")
    except Exception as exc:  # a bug: one line, exit 2 and a summary, never a traceback
        if os.environ.get("MTLSGUARD_DEBUG"):
            raise
        return _Ran(
            EXIT_ERROR,
            f"mtlsguard: error: internal error: {type(exc).__name__}: {exc} (please report it; "
            "MTLSGUARD_DEBUG=1 shows the traceback)",
        )


def _own_options(options: Mapping[str, Any]) -> str | None:
    """Why ``options`` may not run in the step, or ``None``.

    ``-o``/``-f`` in ``scan-args``/``probe-args`` would send the SARIF log somewhere the step
    never reads (the action sets it: ``sarif-file``).
    """
    from mtlsguard.cli.report_options import EXTRA_OUTPUTS

    flag = None
    extra = [name for name in EXTRA_OUTPUTS if options.get(name) is not None]
    if extra:
        flag = f"--{extra[0].replace('_', '-')}"
    elif options.get("output") is not None:
        flag = "--output"
    elif options.get("format") not in (None, "text"):  # text is the parsers' default
        flag = "--format"
    if flag is None:
        return None
    return f"{flag} is set by the action (input sarif-file); remove it from the arguments"


def _scan(options: Mapping[str, Any]) -> _Ran:
    from mtlsguard.cli.scan import scan_outcome, shown_and_failing, write_baseline

    outcome, failing = scan_outcome(options)
    # scan-args --severity/--confidence/--exit-zero act as on the command line
    shown, failing = shown_and_failing(options, outcome.assessment, failing)
    if options.get("write_baseline") is not None:
        write_baseline(options["write_baseline"], outcome)  # as the command: recorded, exit 0
        failing = False
    return _Ran(EXIT_FINDINGS if failing else EXIT_OK, "", shown)


def _probe(options: Mapping[str, Any]) -> _Ran:
    from mtlsguard.cli.probe import probe_outcome

    outcome = probe_outcome(options)
    if outcome.incomplete is not None:
        return _Ran(EXIT_ERROR, f"mtlsguard: error: {outcome.incomplete}", outcome.assessment)
    return _Ran(EXIT_FINDINGS if outcome.failing else EXIT_OK, "", outcome.assessment)


def _section(
    command: str, argv: Sequence[str], sarif_file: Path, workspace: Path, anchor: str | None
) -> RunSummary:
    """Run ``mtlsguard COMMAND ...`` in this process; write its SARIF; its summary section."""
    heading = f"mtlsguard {command} {argv[1]}"
    print(f"$ mtlsguard {shlex.join(argv)}", flush=True)
    # A stale log from an earlier run must not pass for this run's.
    sarif_file.unlink(missing_ok=True)
    options = _parse(argv)
    if isinstance(options, str):
        ran = _Ran(EXIT_ERROR, options)
    elif (refused := _own_options(options)) is not None:
        ran = _Ran(EXIT_ERROR, f"mtlsguard: error: {command}-args: {refused}")
    else:
        ran = _guarded(lambda: (_scan if command == "scan" else _probe)(options))
    if ran.message:
        print(ran.message, file=sys.stderr, flush=True)
    if ran.assessment is None:
        return RunSummary(heading, ran.exit_code, ran.message)
    sarif = SarifFormat(repository=workspace, anchor=anchor).render(ran.assessment)
    sarif_file.parent.mkdir(parents=True, exist_ok=True)
    sarif_file.write_text(sarif, encoding="utf-8")
    prefix = ""
    if command == "scan":
        with contextlib.suppress(ValueError):
            inside = Path(argv[1]).resolve().relative_to(workspace.resolve()).as_posix()
            prefix = "" if inside == "." else inside + "/"
    return RunSummary(heading, ran.exit_code, ran.message, ran.assessment, str(sarif_file), prefix)


def _append(path: str | None, text: str) -> None:
    if not path:
        sys.stdout.write(text)
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def run_action(inputs: ActionInputs, env: Mapping[str, str]) -> int:
    """Run what the inputs ask for; write SARIF, summary and outputs. Exit code."""
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    sections: list[RunSummary] = []
    outputs: dict[str, str] = {"sarif-file": "", "probe-sarif-file": "", "grade": ""}
    anchor = code_scanning_anchor(Path(inputs.path), workspace, env)
    threshold = inputs.threshold_args()
    if inputs.scan:
        argv = ["scan", inputs.path, *inputs.scan_args, *threshold, "--no-progress"]
        scan = _section("scan", argv, inputs.sarif_file, workspace, anchor)
        outputs["sarif-file"] = scan.sarif_file
        sections.append(scan)
    if inputs.probe_url:
        argv = ["probe", inputs.probe_url, *inputs.probe_args, *threshold, "--no-progress"]
        probe = _section("probe", argv, inputs.probe_sarif_file, workspace, anchor)
        outputs["probe-sarif-file"] = probe.sarif_file
        if probe.assessment is not None and probe.assessment.grade is not None:
            outputs["grade"] = probe.assessment.grade.grade
        sections.append(probe)

    rows = [
        row
        for s in sections
        if s.assessment is not None
        for row in result_rows(s.assessment, s.path_prefix)
    ]
    codes = [s.exit_code for s in sections]
    if EXIT_ERROR in codes or any(code not in {EXIT_OK, EXIT_FINDINGS} for code in codes):
        exit_code = EXIT_ERROR
    elif EXIT_FINDINGS in codes and inputs.fail_on != "none":
        exit_code = EXIT_FINDINGS
    else:
        exit_code = EXIT_OK
    outputs["findings"] = str(len(rows))
    outputs["failing"] = (
        str(at_or_above(rows, inputs.fail_on)) if inputs.fail_on in SEVERITIES else ""
    )
    outputs["exit-code"] = str(exit_code)
    _append(env.get("GITHUB_STEP_SUMMARY"), render_summary(sections, inputs.fail_on))
    if env.get("GITHUB_OUTPUT"):
        _append(env["GITHUB_OUTPUT"], "".join(f"{k}={v}\n" for k, v in outputs.items()))
    if exit_code == EXIT_FINDINGS:
        print(f"::error::mtlsguard: findings at or above {inputs.fail_on or 'the threshold'}")
    elif exit_code == EXIT_ERROR:
        print("::error::mtlsguard could not complete; see the log above")
    return exit_code


def main(env: Mapping[str, str] | None = None) -> int:
    """Entry point of ``python -m mtlsguard.cli.github_action``."""
    environ = os.environ if env is None else env
    try:
        inputs = ActionInputs.from_environ(environ)
    except InputError as exc:
        print(f"::error::mtlsguard action: {exc}")
        return EXIT_ERROR
    try:
        return run_action(inputs, environ)
    except Exception as exc:  # writing the summary or outputs failed: say so, exit 2
        if environ.get("MTLSGUARD_DEBUG"):
            raise
        print(f"::error::mtlsguard action: internal error: {type(exc).__name__}: {exc}")
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
