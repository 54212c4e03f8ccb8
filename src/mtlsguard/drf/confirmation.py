"""RFC 8705 §3 certificate-bound tokens: the ``x5t#S256`` thumbprint and JWT verification.

A certificate-bound access token carries a confirmation claim
``"cnf": {"x5t#S256": "<base64url SHA-256 of the client certificate's DER, no padding>"}``;
the resource server accepts it only over a connection that presented that very certificate.
This module holds the framework-free half: computing the thumbprint, reading the token
options (``settings.MTLSGUARD_TOKENS``) and verifying a JWT with PyJWT against an
allow-list of algorithms (never ``none``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import jwt
from jwt.algorithms import get_default_algorithms

from mtlsguard.certs import ClientCertificate, VerifiedCertificate

__all__ = [
    "CNF_CLAIM",
    "THUMBPRINT_MEMBER",
    "BoundToken",
    "TokenError",
    "TokenSettings",
    "confirmation_of",
    "decode_jwt",
    "thumbprint_matches",
    "x5t_s256",
]

#: The confirmation claim (RFC 7800) and its certificate-thumbprint member (RFC 8705 §3.1).
CNF_CLAIM: Final = "cnf"
THUMBPRINT_MEMBER: Final = "x5t#S256"

_HMAC_ALGORITHMS: Final = frozenset({"HS256", "HS384", "HS512"})
_MAX_TOKEN: Final = 8192
#: base64url of 32 bytes without padding: 42 free characters, then one whose low 2 bits are 0.
_THUMBPRINT: Final = re.compile(r"\A[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]\Z")


class TokenError(Exception):
    """A token was presented and refused; :attr:`reason` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        """``malformed_token``, ``invalid_token``, ``not_bound``, ``binding_mismatch``..."""


def x5t_s256(certificate: ClientCertificate | VerifiedCertificate | bytes) -> str:
    """The RFC 8705 thumbprint of a certificate: base64url(SHA-256(DER)) without padding.

    :raises ValueError: for a field-only identity, which has no DER to hash.
    """
    if isinstance(certificate, VerifiedCertificate):
        certificate = certificate.certificate
    if isinstance(certificate, bytes):
        digest = hashlib.sha256(certificate).digest()
    else:
        if certificate.sha256 is None:
            raise ValueError("a field-only identity has no certificate thumbprint")
        digest = bytes.fromhex(certificate.sha256)
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def confirmation_of(claims: Mapping[str, Any]) -> str:
    """The ``cnf["x5t#S256"]`` value of ``claims``.

    :raises TokenError: ``not_bound`` when the claim is missing or not a 43-character
        base64url SHA-256 thumbprint.
    """
    cnf = claims.get(CNF_CLAIM)
    value = cnf.get(THUMBPRINT_MEMBER) if isinstance(cnf, Mapping) else None
    if not isinstance(value, str):
        raise TokenError("not_bound", "the token has no cnf x5t#S256 certificate thumbprint")
    if not _THUMBPRINT.match(value):
        raise TokenError("not_bound", "cnf x5t#S256 is not a base64url SHA-256 thumbprint")
    return value


def thumbprint_matches(confirmation: str, certificate: ClientCertificate) -> bool:
    """Whether ``confirmation`` is the thumbprint of ``certificate`` (constant time)."""
    try:
        expected = x5t_s256(certificate)
    except ValueError:
        return False
    return hmac.compare_digest(confirmation.encode("ascii", "replace"), expected.encode("ascii"))


@dataclass(frozen=True, slots=True)
class BoundToken:
    """An access token whose signature (or issuer lookup) checked out, and what it binds."""

    subject: str
    """Who the token was issued to (the username claim)."""
    confirmation: str
    """The ``cnf["x5t#S256"]`` thumbprint the token is bound to."""
    claims: Mapping[str, Any] = field(default_factory=dict)
    """All claims (JWT) or the introspection result (opaque tokens)."""


@dataclass(frozen=True, slots=True)
class TokenSettings:
    """``settings.MTLSGUARD_TOKENS``: how certificate-bound JWTs are verified.

    ::

        MTLSGUARD_TOKENS = {
            "ALGORITHMS": ["ES256"],       # allow-list; "none" is refused, HS* not mixed
            "KEY": "/etc/app/issuer.pem",  # public key PEM (text or path), or the HS* secret
            "ISSUER": "https://issuer.example.com",  # checked when set
            "AUDIENCE": "billing-api",     # checked when set
            "LEEWAY": 30,                  # seconds of clock skew for exp/nbf/iat
            "USER_CLAIM": "sub",           # claim holding the username
        }
    """

    algorithms: tuple[str, ...]
    """Accepted ``alg`` header values."""
    key: str | bytes
    """Verification key (PEM public key or HMAC secret)."""
    issuer: str | None = None
    """Required ``iss``, if set."""
    audience: str | None = None
    """Required ``aud``, if set."""
    leeway: int = 0
    """Seconds of tolerance on time claims."""
    user_claim: str = "sub"
    """Claim naming the user (matched against the user model's ``USERNAME_FIELD``)."""

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> TokenSettings:
        """Validate a ``MTLSGUARD_TOKENS`` dict.

        :raises ValueError: naming the key at fault and how to fix it.
        """
        known = {"ALGORITHMS", "KEY", "ISSUER", "AUDIENCE", "LEEWAY", "USER_CLAIM"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"MTLSGUARD_TOKENS has unknown key(s) {unknown}; use {sorted(known)}")
        algorithms = _algorithms(options.get("ALGORITHMS"))
        key = _key(options.get("KEY"), hmac_key=algorithms[0] in _HMAC_ALGORITHMS)
        leeway = options.get("LEEWAY", 0)
        if isinstance(leeway, bool) or not isinstance(leeway, int) or leeway < 0:
            raise ValueError(f"MTLSGUARD_TOKENS['LEEWAY'] must be seconds >= 0, not {leeway!r}")
        issuer, audience = options.get("ISSUER"), options.get("AUDIENCE")
        user_claim = options.get("USER_CLAIM", "sub")
        for name, value in (("ISSUER", issuer), ("AUDIENCE", audience)):
            if value is not None and not (isinstance(value, str) and value):
                raise ValueError(f"MTLSGUARD_TOKENS[{name!r}] must be a non-empty string or None")
        if not isinstance(user_claim, str) or not user_claim:
            raise ValueError("MTLSGUARD_TOKENS['USER_CLAIM'] must be a claim name")
        return cls(algorithms, key, issuer, audience, leeway, user_claim)


def _algorithms(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ValueError(
            "MTLSGUARD_TOKENS['ALGORITHMS'] must be a non-empty list, e.g. ['ES256'] "
            "(the algorithms your token issuer signs with)"
        )
    names = tuple(value)
    supported = set(get_default_algorithms()) - {"none"}
    bad = sorted(str(a) for a in names if a not in supported)
    if bad:
        raise ValueError(
            f"MTLSGUARD_TOKENS['ALGORITHMS'] holds {bad}: unsigned ('none') and unknown "
            f"algorithms are refused; choose from {sorted(supported)}"
        )
    if {a in _HMAC_ALGORITHMS for a in names} == {True, False}:
        # One key cannot be both an HMAC secret and a public key; allowing both invites
        # algorithm confusion (a public key used as an HMAC secret).
        raise ValueError("MTLSGUARD_TOKENS['ALGORITHMS'] must not mix HS* with RS/ES/PS/EdDSA")
    return names


def _key(value: Any, *, hmac_key: bool) -> str | bytes:
    if isinstance(value, Path) or (
        isinstance(value, str) and not value.lstrip().startswith("-----") and Path(value).is_file()
    ):
        value = Path(value).read_bytes()
    if not isinstance(value, str | bytes) or not value:
        raise ValueError(
            "MTLSGUARD_TOKENS['KEY'] is not set: give the issuer's public key (PEM text or a "
            "file path), or the shared secret for HS* algorithms"
        )
    if hmac_key and len(value) < 32:
        raise ValueError("MTLSGUARD_TOKENS['KEY'] is too short for HMAC: use at least 32 bytes")
    return value


def decode_jwt(token: str, options: TokenSettings) -> BoundToken:
    """Verify a JWT's signature and claims and return what it binds.

    ``exp``, the user claim and ``cnf["x5t#S256"]`` are required.

    :raises TokenError: ``malformed_token`` (not a JWT), ``invalid_token`` (signature,
        algorithm, expiry, issuer, audience...) or ``not_bound`` (no thumbprint).
    """
    if len(token) > _MAX_TOKEN or token.count(".") != 2:
        raise TokenError("malformed_token", "the bearer token is not a JWT")
    try:
        claims = jwt.decode(
            token,
            options.key,
            algorithms=list(options.algorithms),
            issuer=options.issuer,
            audience=options.audience,
            leeway=options.leeway,
            # Without AUDIENCE, PyJWT refuses tokens that name one: a token minted for another
            # API is not for this one.
            options={"require": ["exp", options.user_claim, CNF_CLAIM]},
        )
    except jwt.PyJWTError as exc:
        raise TokenError("invalid_token", f"token refused: {type(exc).__name__}") from None
    except (ValueError, TypeError) as exc:  # a key PyJWT cannot use; never a 500
        raise TokenError("invalid_token", f"token refused: {type(exc).__name__}") from None
    subject = claims.get(options.user_claim)
    if not isinstance(subject, str) or not subject:
        raise TokenError("invalid_token", f"claim {options.user_claim!r} is not a username")
    return BoundToken(subject=subject, confirmation=confirmation_of(claims), claims=claims)
