"""``mtlsguard probe``: its options, and the run they describe.

The probe's target options (who the probe is, its bounds, the sign-in) are shared with
``scan --probe``. The run itself is :func:`mtlsguard.app.probe.run_probe_command`; this module
turns options into its inputs and its outcome into a report and an exit code.

Exit codes: 0 nothing at or above the threshold, 1 findings (at or above ``--fail-on``,
default high, or an overall grade worse than ``--fail-under``; with ``--fail-under`` alone
only the grade counts), 2 usage error or no response from the target at all.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mtlsguard.cli.exit_codes import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from mtlsguard.cli.key_password import add_key_password_arguments, key_password
from mtlsguard.cli.output import fatal, warn
from mtlsguard.cli.report_options import add_report_arguments, report_targets, write_reports
from mtlsguard.cli.signin_options import add_login_arguments, login_settings, positive_float
from mtlsguard.findings.model import Severity

if TYPE_CHECKING:  # the probe's modules load only when a probe runs
    from mtlsguard.app.probe import ProbeOutcome, RouteSource
    from mtlsguard.probe.config import ProbeConfig

__all__ = [
    "COMMAND",
    "add_command",
    "add_target_arguments",
    "probe_config",
    "probe_outcome",
    "run_command",
]

COMMAND: Final = "probe"
_SEVERITIES: Final = tuple(s.label for s in sorted(Severity, reverse=True))


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
    add_report_arguments(probe)
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


def add_target_arguments(probe: Any, *, cert_required: bool, parser: Any = None) -> None:
    """Register who the probe is and its bounds (shared with ``scan --probe``).

    ``probe`` may be an argument group of ``parser``, which then gets the sign-in group.
    """
    probe.add_argument(
        "--cert", type=Path, required=cert_required, help="client certificate of A (PEM)"
    )
    probe.add_argument("--key", type=Path, required=cert_required, help="private key of A (PEM)")
    probe.add_argument("--cacert", type=Path, help="CA that verifies the server (PEM)")
    probe.add_argument("--peer-cert", type=Path, help="client certificate of B (PEM), for BOLA")
    probe.add_argument("--peer-key", type=Path, help="private key of B (PEM)")
    add_key_password_arguments(probe)
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
    add_login_arguments(probe if parser is None else parser)


def probe_config(options: Mapping[str, Any], base_url: str) -> ProbeConfig:
    """The :class:`~mtlsguard.probe.config.ProbeConfig` the target options describe.

    Usage errors exit 2.
    """
    from mtlsguard.probe.config import Identity, ProbeConfig

    if (options["peer_cert"] is None) != (options["peer_key"] is None):
        fatal("--peer-cert and --peer-key go together")
    if options["peer_auth_header"] and options["peer_cert"] is None:
        fatal("--peer-auth-header needs --peer-cert and --peer-key")
    peer = None
    if options["peer_cert"] is not None:
        peer = Identity(
            "B",
            options["peer_cert"],
            options["peer_key"],
            options["peer_auth_header"],
            key_password=key_password(options, "peer-key"),
        )
    return ProbeConfig(
        base_url=base_url,
        identity=Identity(
            "A",
            options["cert"],
            options["key"],
            options["auth_header"],
            key_password=key_password(options),
        ),
        peer=peer,
        cacert=options["cacert"],
        allow_unsafe_methods=options["allow_unsafe_methods"],
        concurrency=options["concurrency"],
        rate=options["rate"],
        max_requests=options["max_requests"],
        max_time=options["max_time"],
        timeout=options["timeout"],
        credential_probes=options["credential_probes"],
        login=login_settings(options, base_url, fatal),
    )


def _route_source(options: Mapping[str, Any]) -> RouteSource | None:
    from mtlsguard.app.probe import RouteSource, RouteSourceKind

    for kind in RouteSourceKind:
        location = options.get(kind.value)
        if location:
            return RouteSource(kind, str(location))
    return None


def probe_outcome(options: Mapping[str, Any]) -> ProbeOutcome:
    """The :class:`~mtlsguard.app.probe.ProbeOutcome` of the probe ``options`` describe.

    :raises RunError: when the run cannot start (unusable files, unreadable routes).
    """
    from mtlsguard.app.probe import ProbeRun, run_probe_command
    from mtlsguard.cli.progress import ProbeProgress

    config = probe_config(options, options["base_url"])
    enabled = not options.get("no_progress") and sys.stderr.isatty()
    with ProbeProgress(sys.stderr, enabled=enabled) as bar:
        run = ProbeRun(
            config=config,
            routes=_route_source(options),
            fail_on=Severity.parse(options["fail_on"]) if options.get("fail_on") else None,
            fail_under=options.get("fail_under"),
            progress=bar,
        )
        return run_probe_command(run)


def run_command(args: argparse.Namespace) -> int:
    """Run ``mtlsguard probe`` and return its exit code."""
    from mtlsguard.app.errors import RunError

    report_targets(vars(args))  # usage errors before the run
    try:
        outcome = probe_outcome(vars(args))
    except RunError as exc:
        fatal(str(exc))
    for skipped in outcome.skipped[:10]:
        warn(f"skipped {skipped}")
    write_reports(vars(args), outcome.assessment)
    for error in outcome.result.errors[:20]:
        warn(f"probe: {error.path}: {error.message}")
    if outcome.incomplete is not None:
        print(f"mtlsguard: error: {outcome.incomplete}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_FINDINGS if outcome.failing else EXIT_OK
