"""Comparing responses: same content, who an object belongs to, what identity a body names.

Decisions are made on bodies, never on status codes alone: two responses carry "the same
content" when their JSON values are equal (or their bytes, for non-JSON bodies); an object
"names" an identity when one of its string values equals that identity's certificate common
name, e-mail address (or its local part) or URI SAN, compared case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID

from mtlsguard.probe.client import Exchange

__all__ = ["identity_markers", "names_identity", "same_content", "string_values"]


def same_content(a: Exchange, b: Exchange) -> bool:
    """Both are 2xx with data and carry equal bodies (JSON compared as values)."""
    if not (a.has_data and b.has_data):
        return False
    left, right = a.json(), b.json()
    if left is not None or right is not None:
        return left == right
    return a.body == b.body


def identity_markers(certificate: x509.Certificate) -> frozenset[str]:
    """Lower-case strings that name the certificate's holder (CN, e-mails, local parts, URIs)."""
    markers: set[str] = set()
    for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        value = attribute.value
        if isinstance(value, str) and value.strip():
            markers.add(value.strip().lower())
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
        return frozenset(markers)
    for email in sans.get_values_for_type(x509.RFC822Name):
        markers.add(email.lower())
        local = email.split("@", 1)[0].lower()
        if local:
            markers.add(local)
    for uri in sans.get_values_for_type(x509.UniformResourceIdentifier):
        markers.add(uri.lower())
    return frozenset(markers)


def string_values(data: object, *, budget: int = 10_000) -> set[str]:
    """Lower-cased string leaves of a JSON value (bounded walk)."""
    found: set[str] = set()
    stack: list[object] = [data]
    while stack and budget > 0:
        budget -= 1
        node = stack.pop()
        if isinstance(node, str):
            found.add(node.strip().lower())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def names_identity(data: object, markers: Iterable[str]) -> bool:
    """Some string value of ``data`` equals one of ``markers``."""
    wanted = set(markers)
    return bool(wanted) and not wanted.isdisjoint(string_values(data))
