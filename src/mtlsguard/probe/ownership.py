"""Whose object is it: what names a certificate's holder, and when an object is ``B``'s.

An object "names" an identity when one of its string values equals that identity's
certificate common name, e-mail address (or its local part) or URI SAN, compared
case-insensitively (:func:`identity_markers`, :func:`names_identity`). An object is ``B``'s
(:func:`owned_by_b`) when its ID was in ``B``'s listing and not in ``A``'s, or when it names
``B`` and not ``A``. MG404 (:mod:`mtlsguard.probe.phases.bola`) reports ``A`` reading such an
object.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = ["identity_markers", "names_identity", "owned_by_b", "string_values"]


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


def owned_by_b(
    object_id: str,
    body: object,
    *,
    b_ids: Iterable[str],
    a_ids: Iterable[str],
    b_markers: Iterable[str],
    a_markers: Iterable[str],
) -> str | None:
    """Why the object is ``B``'s (a sentence for the evidence), or ``None`` if it may not be."""
    b_set, a_set = set(b_ids), set(a_ids)
    if object_id in b_set and object_id not in a_set:
        return f"id {object_id} is in B's listing and not in A's"
    if names_identity(body, b_markers) and not names_identity(body, a_markers):
        return f"object {object_id} names B's certificate identity and not A's"
    return None
