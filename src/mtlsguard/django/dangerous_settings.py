"""System checks for settings that are valid but defeat mtlsguard (issue 14, finding 6).

=================  ==========================================================================
``E006``           ``TRUSTED_PROXIES`` trusts the whole Internet: ``0.0.0.0/0``, ``::/0``,
                   ``::ffff:0:0/96``, or networks that together cover every public address
``E007``           ``CA_BUNDLE`` is the system (or certifi's) trust store: every public CA's
                   customers hold a "client certificate"
``E008``           a backend in ``AUTHENTICATION_BACKENDS`` is only *named* like
                   ``ClientCertificateBackend`` (not it, not a subclass)
``W005``           ``VERIFY.REVOCATION`` is ``"off"`` although CRLs are configured or fetched
``W006``           ``HOPS`` above :data:`MAX_SENSIBLE_HOPS`: elements far from the app are
                   believed, which one misconfigured hop lets a client forge
``W007``           a trusted network wider than a /8 (IPv4) or /32 (IPv6) holds public addresses
``W008``           the ``spiffe`` mapping without ``SPIFFE_TRUST_DOMAINS``: any CA of the bundle
                   may issue any trust domain's IDs
=================  ==========================================================================

All run with ``manage.py check`` (they are errors or warnings about the settings themselves,
so ``--deploy`` reports them too).
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from mtlsguard.django.conf import MtlsGuardSettings, build_settings

__all__ = [
    "MAX_SENSIBLE_HOPS",
    "check_backend_names",
    "check_ca_bundle_is_not_a_public_store",
    "check_hops",
    "check_revocation_off_with_crls",
    "check_spiffe_trust_domains",
    "check_trusted_proxies_breadth",
    "covers_the_internet",
    "is_public_trust_store",
]

#: More trusted hops than this is a configuration nobody runs on purpose.
MAX_SENSIBLE_HOPS: Final = 5
BACKEND: Final = "mtlsguard.django.backends.ClientCertificateBackend"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Address space that is not the public Internet; what is left must all be trusted for a list
# of networks to "cover the Internet".
_NOT_PUBLIC_V4: Final = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/3",  # multicast and reserved (224/4, 240/4)
    )
)
_GLOBAL_V6: Final = ipaddress.IPv6Network("2000::/3")
_V4_MAPPED: Final = ipaddress.IPv6Network("::ffff:0:0/96")
_V4_EMBEDDING: Final = (_V4_MAPPED, ipaddress.IPv6Network("64:ff9b::/96"))


def _settings() -> MtlsGuardSettings | None:
    if not hasattr(settings, "MTLSGUARD"):
        return None
    try:
        return build_settings(settings.MTLSGUARD)
    except ImproperlyConfigured:
        return None  # mtlsguard.E004 reports it


def _as_v4(network: IPNetwork) -> ipaddress.IPv4Network | None:
    """The IPv4 networks a v6 network embeds (``::ffff:a.b.c.d``, NAT64), else ``None``."""
    if isinstance(network, ipaddress.IPv4Network):
        return network
    for embedding in _V4_EMBEDDING:
        if network.subnet_of(embedding):
            host = ipaddress.IPv4Address(int(network.network_address) & 0xFFFFFFFF)
            return ipaddress.IPv4Network((host, network.prefixlen - 96))
        if network.supernet_of(embedding):
            return ipaddress.IPv4Network("0.0.0.0/0")
    return None


def covers_the_internet(networks: Iterable[IPNetwork]) -> bool:
    """Whether ``networks`` together hold every public IPv4 or every global IPv6 address.

    ``::ffff:0:0/96`` (IPv4-mapped) and ``64:ff9b::/96`` (NAT64) count as the IPv4 space they
    embed, so ``["::ffff:0:0/96"]`` covers the IPv4 Internet.
    """
    v4: list[ipaddress.IPv4Network] = list(_NOT_PUBLIC_V4)
    v6: list[ipaddress.IPv6Network] = []
    for network in networks:
        embedded = _as_v4(network)
        if embedded is not None:
            v4.append(embedded)
        if isinstance(network, ipaddress.IPv6Network):
            v6.append(network)
    all_v4 = ipaddress.IPv4Network("0.0.0.0/0")
    if any(n == all_v4 for n in ipaddress.collapse_addresses(v4)):
        return True
    v6.append(ipaddress.IPv6Network("2001:db8::/32"))  # documentation prefix
    return any(n.supernet_of(_GLOBAL_V6) for n in ipaddress.collapse_addresses(v6))


def _wide_public(network: IPNetwork) -> bool:
    embedded = _as_v4(network)
    if embedded is not None:
        return embedded.prefixlen < 8 and not any(
            embedded.subnet_of(private) for private in _NOT_PUBLIC_V4
        )
    assert isinstance(network, ipaddress.IPv6Network)
    return network.prefixlen < 32 and network.overlaps(_GLOBAL_V6)


@register(Tags.security)
def check_trusted_proxies_breadth(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E006 (the Internet) / W007 (a very wide public network) in ``TRUSTED_PROXIES``."""
    conf = _settings()
    if conf is None:
        return []
    networks = conf.trusted_proxies.networks
    if covers_the_internet(networks):
        return [
            Error(
                "MTLSGUARD['TRUSTED_PROXIES'] covers the whole Internet "
                f"({', '.join(map(str, networks))}): any client can send forwarded-certificate "
                "headers and be believed, i.e. log in as anyone whose certificate is public.",
                hint="List only your proxies' addresses or private networks "
                "(e.g. ['10.0.0.0/8']); never 0.0.0.0/0, ::/0 or ::ffff:0:0/96.",
                obj="MTLSGUARD",
                id="mtlsguard.E006",
            )
        ]
    wide = [str(n) for n in networks if _wide_public(n)]
    if wide:
        return [
            Warning(
                f"MTLSGUARD['TRUSTED_PROXIES'] trusts very wide public networks {wide}: "
                "every host in them can forge client-certificate headers.",
                hint="Narrow TRUSTED_PROXIES to the proxies themselves.",
                obj="MTLSGUARD",
                id="mtlsguard.W007",
            )
        ]
    return []


def _store_paths() -> set[Path]:
    paths = ssl.get_default_verify_paths()
    found = {
        Path(p)
        for p in (paths.cafile, paths.openssl_cafile, paths.capath, paths.openssl_capath)
        if p
    }
    found |= {
        Path("/etc/ssl/certs/ca-certificates.crt"),
        Path("/etc/pki/tls/certs/ca-bundle.crt"),
        Path("/etc/ssl/cert.pem"),
        Path("/etc/ssl/certs"),
        Path("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"),
    }
    try:
        import certifi

        found.add(Path(certifi.where()))
    except ImportError:
        pass
    resolved = set()
    for path in found:
        try:
            resolved.add(path.resolve())
        except OSError:
            continue
    return resolved


#: A bundle with at least this many self-signed roots is a public trust store, wherever it is.
_PUBLIC_STORE_ROOTS: Final = 40


def is_public_trust_store(path: Path) -> bool:
    """Whether ``path`` is (a copy of) the system or certifi trust store, or lies in one."""
    try:
        resolved = path.resolve()
    except OSError:
        return False
    stores = _store_paths()
    if resolved in stores or any(store in resolved.parents for store in stores):
        return True
    try:
        return resolved.read_bytes().count(b"-----BEGIN CERTIFICATE-----") >= _PUBLIC_STORE_ROOTS
    except OSError:
        return False  # mtlsguard.E003 reports an unreadable bundle


@register(Tags.security)
def check_ca_bundle_is_not_a_public_store(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E007: ``CA_BUNDLE`` must be the CA(s) of *your* client certificates."""
    conf = _settings()
    if conf is None:
        return []
    public = [str(p) for p in conf.ca_bundle if is_public_trust_store(p)]
    if not public:
        return []
    return [
        Error(
            f"MTLSGUARD['CA_BUNDLE'] includes a public trust store ({', '.join(public)}): "
            "every customer of every public CA then holds a valid client certificate.",
            hint="Point CA_BUNDLE at the PEM of the private CA(s) that issue your client "
            "certificates only.",
            obj="MTLSGUARD",
            id="mtlsguard.E007",
        )
    ]


@register(Tags.security)
def check_revocation_off_with_crls(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W005: CRLs configured (or fetched) but ``REVOCATION`` is ``"off"``."""
    conf = _settings()
    if conf is None or conf.verify.revocation != "off":
        return []
    if not (conf.crl_files or conf.verify.fetch_crls):
        return []
    return [
        Warning(
            "MTLSGUARD['VERIFY']['REVOCATION'] is 'off' although CRL_FILES or FETCH_CRLS is "
            "set: revoked certificates are accepted.",
            hint="Remove REVOCATION (strict when CRLs are configured) or set it to 'strict'.",
            obj="MTLSGUARD",
            id="mtlsguard.W005",
        )
    ]


@register(Tags.security)
def check_hops(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """W006: an implausible number of trusted hops."""
    conf = _settings()
    if conf is None or conf.trusted_proxies.hops <= MAX_SENSIBLE_HOPS:
        return []
    return [
        Warning(
            f"MTLSGUARD['HOPS'] is {conf.trusted_proxies.hops}: the forwarded element read is "
            "that far from the application, where a client's own element can stand.",
            hint="Set HOPS to the number of proxies that append to the forwarded headers "
            "(usually 1).",
            obj="MTLSGUARD",
            id="mtlsguard.W006",
        )
    ]


def _real_backend(path: str) -> bool:
    from django.utils.module_loading import import_string

    from mtlsguard.django.backends import ClientCertificateBackend

    try:
        backend = import_string(path)
    except ImportError:
        return False
    return isinstance(backend, type) and issubclass(backend, ClientCertificateBackend)


@register(Tags.security)
def check_backend_names(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E008: a backend only named like ours (a typo, or a look-alike from another package)."""
    lookalikes = [
        path
        for path in getattr(settings, "AUTHENTICATION_BACKENDS", ())
        if isinstance(path, str)
        and ("ClientCertificateBackend" in path or path.startswith("mtlsguard."))
        and not _real_backend(path)
    ]
    return [
        Error(
            f"AUTHENTICATION_BACKENDS entry {path!r} is named like mtlsguard's backend but is "
            "not mtlsguard.django.backends.ClientCertificateBackend (or a subclass).",
            hint=f"Use {BACKEND!r}, or a subclass of it.",
            obj="AUTHENTICATION_BACKENDS",
            id="mtlsguard.E008",
        )
        for path in lookalikes
    ]


@register(Tags.security)
def check_spiffe_trust_domains(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W008: the ``spiffe`` mapping should bind trust domains to CAs."""
    conf = _settings()
    if conf is None or conf.identity.mapping != "spiffe" or conf.identity.spiffe_trust_domains:
        return []
    return [
        Warning(
            "MTLSGUARD['IDENTITY']['MAPPING'] is 'spiffe' without SPIFFE_TRUST_DOMAINS: any CA "
            "in CA_BUNDLE can issue IDs of any trust domain.",
            hint='Set IDENTITY["SPIFFE_TRUST_DOMAINS"] = {"example.org": "<CA name or SHA-256>"}.',
            obj="MTLSGUARD",
            id="mtlsguard.W008",
        )
    ]
