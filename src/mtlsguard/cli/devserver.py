"""``mtlsguard pki ...`` and ``mtlsguard devserver``: argument parsing and exit codes only.

:mod:`mtlsguard.cli.main` registers these subcommands with :func:`add_commands` and dispatches
to :func:`run_command`; ``manage.py runmtlsserver`` shares :func:`add_tls_arguments`,
:func:`add_limit_arguments`, :func:`parse_addrport` and :func:`limits_from`.
What the commands do lives in :mod:`mtlsguard.devserver` (:class:`~mtlsguard.devserver.localca.
LocalCA`, :mod:`mtlsguard.devserver.launch`), called with typed values.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mtlsguard.cli.exit_codes import EXIT_OK
from mtlsguard.cli.output import fatal
from mtlsguard.devserver import DEFAULT_SERVER_HOSTS, UsageError

if TYPE_CHECKING:
    from mtlsguard.devserver.server import Limits

# The PKI, TLS and server modules (and cryptography behind them) are imported by the functions
# that run a command: building the parser for `mtlsguard scan` must not pay for them.

__all__ = [
    "COMMANDS",
    "DEFAULT_PORT",
    "UsageError",
    "add_commands",
    "add_limit_arguments",
    "add_tls_arguments",
    "limits_from",
    "parse_addrport",
    "run_command",
]

#: The top-level subcommands this module handles.
COMMANDS: Final = frozenset({"pki", "devserver"})

DEFAULT_PORT: Final = 8443


def add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    """``--pki DIR`` or ``--cert/--key/--cacert [--crl]`` (shared with ``runmtlsserver``)."""
    group = parser.add_argument_group("TLS (either --pki, or --cert, --key and --cacert)")
    group.add_argument(
        "--pki", metavar="DIR", type=Path, help="directory made by `mtlsguard pki init`"
    )
    group.add_argument("--cert", type=Path, help="server certificate (PEM, leaf first)")
    group.add_argument("--key", type=Path, help="server private key (PEM)")
    group.add_argument("--cacert", type=Path, help="CA(s) that client certificates must chain to")
    group.add_argument("--crl", type=Path, help="CRL of the client certificates' issuer (PEM)")


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """``--max-connections`` and ``--timeout`` (shared with ``runmtlsserver``)."""
    parser.add_argument(
        "--max-connections",
        type=int,
        default=64,
        metavar="N",
        help="connections handled at once (default: 64)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds for the TLS handshake and for the request head (default: 10)",
    )


def _add_pki(commands: Any) -> None:
    pki = commands.add_parser(
        "pki",
        help="throwaway local CA for mTLS: init, issue, revoke, crl",
        description="A local CA for development: root + intermediate, a server certificate "
        "for localhost/127.0.0.1/::1, client certificates, revocation and a signed CRL. "
        "Keys are unencrypted (mode 0600): never use it for production trust.",
    )
    actions = pki.add_subparsers(dest="pki_action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="create the CA, server certificate and CRL in DIR")
    init.add_argument("dir", metavar="DIR", type=Path)
    init.add_argument("--force", action="store_true", help="replace an existing CA in DIR")
    init.add_argument(
        "--server-host",
        action="append",
        metavar="HOST",
        help="name or address for the server certificate (repeatable; default: "
        f"{', '.join(DEFAULT_SERVER_HOSTS)})",
    )
    init.add_argument("--key-type", choices=("ec", "rsa"), default="ec")
    issue = actions.add_parser("issue", help="issue the client certificate DIR/clients/NAME.pem")
    issue.add_argument("dir", metavar="DIR", type=Path)
    issue.add_argument("name", metavar="NAME", help="commonName and file name of the client")
    issue.add_argument("--email", action="append", default=[], help="rfc822Name SAN (repeatable)")
    issue.add_argument("--uri", action="append", default=[], help="URI SAN, e.g. a SPIFFE ID")
    issue.add_argument("--dns", action="append", default=[], help="dNSName SAN (repeatable)")
    issue.add_argument("--days", type=int, default=90, help="validity in days (default: 90)")
    issue.add_argument("--key-type", choices=("ec", "rsa"), default="ec")
    issue.add_argument(
        "--force", action="store_true", help="re-issue an existing NAME (revokes the old one)"
    )
    revoke = actions.add_parser("revoke", help="revoke NAME's certificate and re-sign the CRL")
    revoke.add_argument("dir", metavar="DIR", type=Path)
    revoke.add_argument("name", metavar="NAME")
    crl = actions.add_parser("crl", help="re-sign DIR/crl.pem (valid 30 days)")
    crl.add_argument("dir", metavar="DIR", type=Path)


def _add_devserver(commands: Any) -> None:
    devserver = commands.add_parser(
        "devserver",
        help="serve a WSGI app or Django project over mTLS on loopback",
        description="Serve a WSGI application over TLS, requiring a client certificate "
        "verified against the CA (and CRL). The certificate reaches the application in the "
        "WSGI environ like Apache mod_ssl (SSL_CLIENT_CERT, SSL_CLIENT_VERIFY, ...), never in "
        "headers: configure mtlsguard with SOURCE 'wsgi-ssl'. For development only.",
    )
    target = devserver.add_mutually_exclusive_group(required=True)
    target.add_argument("--app", metavar="MODULE:CALLABLE", help="the WSGI application")
    target.add_argument(
        "--django-settings", metavar="MODULE", help="serve this Django project's WSGI app"
    )
    devserver.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    devserver.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port, 0 for any (default: {DEFAULT_PORT})"
    )
    add_tls_arguments(devserver)
    add_limit_arguments(devserver)


def add_commands(commands: Any) -> None:
    """Register ``pki`` and ``devserver`` on the top-level subparsers action."""
    _add_pki(commands)
    _add_devserver(commands)


def parse_addrport(value: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``PORT``, ``HOST:PORT`` or ``[IPv6]:PORT`` as ``runserver`` takes them.

    :raises UsageError: if ``value`` is none of these.
    """
    host, port_text = default_host, value
    if value.startswith("["):
        inner, sep, rest = value[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise UsageError(f"{value!r} is not [IPv6]:PORT")
        host, port_text = inner, rest[1:]
    elif ":" in value:
        host, _, port_text = value.rpartition(":")
    if not host or not port_text.isdigit() or not port_text.isascii() or int(port_text) > 65535:
        raise UsageError(f"{value!r} is not PORT, HOST:PORT or [IPv6]:PORT")
    return host, int(port_text)


def limits_from(max_connections: int, timeout: float) -> Limits:
    """The connection limits ``--max-connections`` and ``--timeout`` describe.

    :raises UsageError: for values that are not positive.
    """
    from mtlsguard.devserver.server import Limits

    if max_connections < 1 or timeout <= 0:
        raise UsageError("--max-connections and --timeout must be positive")
    return Limits(
        handshake_timeout=timeout, header_timeout=timeout, max_connections=max_connections
    )


def run_command(args: argparse.Namespace) -> int:
    """Run a ``pki`` or ``devserver`` command; errors print one line and return 2."""
    from mtlsguard.devserver.localca import PKIError

    try:
        if args.command == "pki":
            return _run_pki(args)
        if args.command == "devserver":
            return _run_devserver(args)
    except (PKIError, UsageError) as exc:
        fatal(str(exc))
    raise AssertionError(f"not a devserver command: {args.command!r}")  # pragma: no cover


def _run_pki(args: argparse.Namespace) -> int:
    from mtlsguard.devserver.localca import LocalCA

    action = args.pki_action
    if action == "init":
        ca = LocalCA.init(
            args.dir,
            force=args.force,
            server_hosts=args.server_host or DEFAULT_SERVER_HOSTS,
            key_type=args.key_type,
        )
        print(f"created a local CA in {ca.directory}")
        print(f"  trust for the server (clients, curl --cacert): {ca.ca_cert}")
        print(f"  trust for clients (servers, proxies):          {ca.ca_bundle}")
        print(f"  server certificate / key:                      {ca.server_cert} {ca.server_key}")
        print(f"  CRL:                                           {ca.crl_path}")
        print(f"next: mtlsguard pki issue {ca.directory} alice --email alice@example.com")
        return EXIT_OK
    ca = LocalCA.open(args.dir)
    if action == "issue":
        issued = ca.issue(
            args.name,
            emails=args.email,
            uris=args.uri,
            dns_names=args.dns,
            days=args.days,
            key_type=args.key_type,
            force=args.force,
        )
        print(
            f"issued {issued.name} (serial {issued.certificate.serial_number:x}, "
            f"valid until {issued.certificate.not_valid_after_utc:%Y-%m-%d})"
        )
        print(f"  certificate: {issued.cert_path}")
        print(f"  key:         {issued.key_path}")
        print(
            f"  try: curl --cacert {ca.ca_cert} --cert {issued.cert_path} "
            f"--key {issued.key_path} https://localhost:{DEFAULT_PORT}/"
        )
        return EXIT_OK
    if action == "revoke":
        when = ca.revoke(args.name)
        print(f"revoked {args.name} at {when:%Y-%m-%d %H:%M:%S}Z; CRL #{ca.crl_number} written")
        return EXIT_OK
    if action == "crl":
        crl = ca.write_crl()
        print(
            f"wrote {ca.crl_path} (CRL #{ca.crl_number}, {len(list(crl))} revoked, "
            f"next update {crl.next_update_utc:%Y-%m-%d})"
        )
        return EXIT_OK
    raise UsageError(f"unknown pki action {action!r}")  # pragma: no cover - argparse refuses


def _run_devserver(args: argparse.Namespace) -> int:
    from mtlsguard.devserver.launch import load_app, load_django, serve_until_stopped, server_tls

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {args.port}")
    limits = limits_from(args.max_connections, args.timeout)
    # Report TLS usage errors before importing the application.
    tls = server_tls(pki=args.pki, cert=args.cert, key=args.key, cacert=args.cacert, crl=args.crl)
    app = load_django(args.django_settings) if args.django_settings else load_app(args.app)

    def announce(line: str) -> None:
        print(f"mtlsguard devserver: {line}", flush=True)

    serve_until_stopped(
        app, tls=tls, host=args.host, port=args.port, limits=limits, announce=announce
    )
    return EXIT_OK
