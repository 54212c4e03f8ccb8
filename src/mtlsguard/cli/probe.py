"""``mtlsguard probe``: argument parsing, discovery loading, rendering and exit codes.

:mod:`mtlsguard.cli` registers the subcommand with :func:`add_command` and dispatches to
:func:`run_command`. httpx and the probe modules load only when a probe runs.

Exit codes: 0 nothing at or above the threshold, 1 findings (at or above ``--fail-on``,
default high, or an overall grade worse than ``--fail-under``; with ``--fail-under`` alone
only the grade counts), 2 usage error or no response from the target at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

from mtlsguard.cli.signin_options import (
    add_login_arguments,
    login_settings,
    positive_float,
)

if TYPE_CHECKING:
    from mtlsguard.probe.config import ProbeConfig
    from mtlsguard.probe.discovery import Endpoint
    from mtlsguard.probe.runner import ProbeResult

__all__ = [
    "COMMAND",
    "FORMATS",
    "add_command",
    "add_target_arguments",
    "probe_config",
    "render",
    "run_command",
    "score_lines",
]

COMMAND: Final = "probe"
FORMATS: Final = ("text", "json", "sarif", "html")
EXIT_OK: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_ERROR: Final = 2
_SEVERITIES: Final = ("critical", "high", "medium", "low", "info")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_command(commands: Any) -> None:
    """Register ``probe`` on the top-level subparsers action."""
    probe = commands.add_parser(
        COMMAND,
        help="black-box probes over real mTLS (certificate only, forged headers, BOLA)",
        description="Probe a running application over mutual TLS: with no certificate, with "
        "a valid certificate and no application credentials, with forged forwarded-certificate "
        "headers, and as identity A against identity B's objects. Sends only GET, HEAD and "
        "OPTIONS unless --allow-unsafe-methods.",
    )
    probe.add_argument("base_url", metavar="BASE_URL", help="https://host:port/ of the app")
    found = probe.add_mutually_exclusive_group()
    found.add_argument("--openapi", metavar="FILE|URL", help="OpenAPI 3 document (JSON/YAML)")
    found.add_argument(
        "--routes", metavar="FILE", type=Path, help="`mtlsguard routes -f json` or a path list"
    )
    found.add_argument("--paths", metavar="FILE", type=Path, help="plain list, one path a line")
    add_target_arguments(probe, cert_required=True)
    probe.add_argument(
        "-f", "--format", choices=FORMATS, default="text", help="report format (default: text)"
    )
    probe.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write the report to FILE, not stdout"
    )
    probe.add_argument(
        "--fail-on",
        choices=_SEVERITIES,
        type=str.lower,
        metavar="SEVERITY",
        help=(
            "exit 1 when a finding is at or above SEVERITY: critical, high, medium, low, "
            "info (default: high, unless only --fail-under is given)"
        ),
    )
    probe.add_argument("--fail-under", metavar="GRADE", help="exit 1 below this grade (A-F)")
    probe.add_argument("--no-progress", action="store_true", help="never draw a progress bar")


def add_target_arguments(probe: Any, *, cert_required: bool) -> None:
    """Register who the probe is and its bounds (shared with ``scan --probe``)."""
    probe.add_argument(
        "--cert", type=Path, required=cert_required, help="client certificate of A (PEM)"
    )
    probe.add_argument("--key", type=Path, required=cert_required, help="private key of A (PEM)")
    probe.add_argument("--cacert", type=Path, help="CA that verifies the server (PEM)")
    probe.add_argument("--peer-cert", type=Path, help="client certificate of B (PEM), for BOLA")
    probe.add_argument("--peer-key", type=Path, help="private key of B (PEM)")
    probe.add_argument("--auth-header", metavar="H", help="A's credentials, 'Name: value'")
    probe.add_argument("--peer-auth-header", metavar="H", help="B's credentials, 'Name: value'")
    probe.add_argument(
        "--concurrency",
        type=_positive_int,
        default=8,
        metavar="N",
        help="requests in flight at most (default 8)",
    )
    probe.add_argument("--rate", type=positive_float, metavar="R", help="requests/s at most")
    probe.add_argument(
        "--max-requests",
        type=_positive_int,
        default=2000,
        metavar="N",
        help="stop after N requests in all (default 2000)",
    )
    probe.add_argument(
        "--max-time",
        type=positive_float,
        default=300.0,
        metavar="S",
        help="stop after S seconds in all (default 300)",
    )
    probe.add_argument(
        "--timeout",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="seconds to wait for one answer (default 10)",
    )
    probe.add_argument(
        "--allow-unsafe-methods",
        action="store_true",
        help="allow methods other than GET, HEAD and OPTIONS (the default probes never need it)",
    )
    probe.add_argument(
        "--credential-probes",
        action="store_true",
        help="also run the probes that use A's credentials: JWT tampering (MG408) and, with "
        "--login-url, sign-in (MG405-MG407; POSTs to the sign-in and sign-out URLs only)",
    )
    add_login_arguments(probe)


def _fail(message: str) -> NoReturn:
    print(f"mtlsguard: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read the {what} {path}: {exc}")


async def _fetch(config: ProbeConfig, url: str) -> str:
    from mtlsguard.probe.client import ProbeClient
    from mtlsguard.probe.discovery import DiscoveryError

    fetch_config = replace(config, max_body=16 << 20, max_requests=10)
    async with ProbeClient(fetch_config) as client:
        got = await client.send(config.identity, "GET", url)
    if got.status != 200 or got.truncated:
        raise DiscoveryError(f"cannot fetch {url}: {got.failure or got.status}")
    return got.body.decode("utf-8", "replace")


def _endpoints(args: argparse.Namespace, config: ProbeConfig) -> list[Endpoint]:
    from mtlsguard.probe.discovery import (
        DiscoveryError,
        load_openapi,
        load_path_list,
        load_routes_json,
    )

    try:
        if args.openapi:
            source = str(args.openapi)
            if source.startswith(("http://", "https://")):
                import asyncio

                text = asyncio.run(_fetch(config, source))
            else:
                text = _read(Path(source), "OpenAPI document")
            inventory = load_openapi(text)
        elif args.routes:
            text = _read(args.routes, "routes file")
            # `mtlsguard routes -f json` output, or a plain list of paths
            loader = load_routes_json if text.lstrip().startswith("{") else load_path_list
            inventory = loader(text)
        elif args.paths:
            inventory = load_path_list(_read(args.paths, "path list"))
        else:
            return []
    except DiscoveryError as exc:
        _fail(str(exc))
    for skipped in inventory.skipped[:10]:
        print(f"mtlsguard: skipped {skipped}", file=sys.stderr)
    if not inventory.endpoints:
        _fail("discovery found no route to probe")
    return list(inventory.endpoints)


def probe_config(args: argparse.Namespace, base_url: str) -> ProbeConfig:
    """The :class:`ProbeConfig` the target options describe (usage errors exit 2)."""
    from mtlsguard.probe.config import Identity, ProbeConfig

    if (args.peer_cert is None) != (args.peer_key is None):
        _fail("--peer-cert and --peer-key go together")
    if args.peer_auth_header and args.peer_cert is None:
        _fail("--peer-auth-header needs --peer-cert and --peer-key")
    peer = None
    if args.peer_cert is not None:
        peer = Identity("B", args.peer_cert, args.peer_key, args.peer_auth_header)
    return ProbeConfig(
        base_url=base_url,
        identity=Identity("A", args.cert, args.key, args.auth_header),
        peer=peer,
        cacert=args.cacert,
        allow_unsafe_methods=args.allow_unsafe_methods,
        concurrency=args.concurrency,
        rate=args.rate,
        max_requests=args.max_requests,
        max_time=args.max_time,
        timeout=args.timeout,
        credential_probes=args.credential_probes,
        login=login_settings(args, base_url, _fail),
    )


def score_lines(result: ProbeResult) -> list[str]:
    """The score, per category, and the run's notes, as text lines."""
    score = result.score
    lines = [
        "",
        f"Probe score: {score.score}/100, grade {score.grade}   "
        f"({result.routes} routes, {result.paths} paths, {result.requests_sent} requests, "
        f"{result.elapsed:.1f}s)",
    ]
    for category in score.categories:
        shown = "not tested" if category.score is None else f"{category.score}/100"
        lines.append(f"  {category.category.value:<15} {category.grade:<4} {shown}")
    lines += [f"  note: {note}" for note in result.notes]
    return lines


def render(result: ProbeResult, fmt: str, *, color: bool = False) -> str:
    """The report in ``fmt`` (text, json, sarif, html) with the score added."""
    from mtlsguard.probe.rules import probe_rules
    from mtlsguard.report.html_report import HtmlFormat
    from mtlsguard.report.interface import ScanReport
    from mtlsguard.report.json_report import JsonFormat
    from mtlsguard.report.sarif import SarifFormat
    from mtlsguard.report.text import TextFormat

    report = ScanReport(result=result.scan_result(), rules=probe_rules())
    if fmt == "json":
        document = json.loads(JsonFormat().render(report))
        document["probe"] = result.summary()
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "sarif":
        document = json.loads(SarifFormat().render(report))
        run = document["runs"][0]
        run["properties"]["probe"] = result.summary()
        run["invocations"][0]["executionSuccessful"] = result.reached > 0
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        traffic = (
            f"{result.routes} routes, {result.paths} paths, {result.requests_sent} requests "
            f"in {result.elapsed:.1f}s"
        )
        notes = (traffic, *result.notes)
        return HtmlFormat().render(
            replace(report, grade=result.score, notes=notes, title="Probe report")
        )
    text = TextFormat(color=color, width=100).render(report)
    # The scan format's header speaks of files scanned; a probe has URLs and requests.
    text = text.replace("mtlsguard scan ", "mtlsguard probe ", 1)
    text = text.replace("0 files, 0 lines scanned; ", "", 1)
    return text.rstrip("\n") + "\n" + "\n".join(score_lines(result)) + "\n"


class _Bar:
    """A transient rich progress bar over concrete paths (only on a TTY)."""

    def __init__(self, enabled: bool) -> None:
        self._progress: Any = None
        self._task: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("mtlsguard probe"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )

    def __enter__(self) -> _Bar:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("probe", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)


def run_command(args: argparse.Namespace) -> int:
    """Run ``mtlsguard probe`` and return its exit code."""
    from mtlsguard.findings.model import Severity
    from mtlsguard.probe.client import ProbeSetupError
    from mtlsguard.probe.runner import run_probe
    from mtlsguard.probe.scoring import grade_rank

    try:
        fail_under = grade_rank(args.fail_under) if args.fail_under else None
    except ValueError as exc:
        _fail(str(exc))
    config = probe_config(args, args.base_url)
    try:
        endpoints = _endpoints(args, config)
        enabled = not args.no_progress and sys.stderr.isatty()
        with _Bar(enabled) as bar:
            result = run_probe(config, endpoints, progress=bar)
    except ProbeSetupError as exc:
        _fail(str(exc))
    color = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    text = render(result, args.format, color=color)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write the report to {args.output}: {exc.strerror or exc}")
    for error in result.errors[:20]:
        print(f"mtlsguard: probe: {error.path}: {error.message}", file=sys.stderr)
    if result.paths == 0:
        print(
            "mtlsguard: error: nothing was probed (no route answers GET, or no ID could fill "
            "a route's parameters)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if result.reached == 0:
        print("mtlsguard: error: no response from the target with A's certificate", file=sys.stderr)
        return EXIT_ERROR
    failing = False
    if fail_under is not None:
        failing = grade_rank(result.score.grade) > fail_under
    if args.fail_on is not None or fail_under is None:
        threshold = Severity.parse(args.fail_on or "high")
        failing = failing or any(f.severity >= threshold for f in result.findings)
    return EXIT_FINDINGS if failing else EXIT_OK
