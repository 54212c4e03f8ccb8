"""Whose object is it: what names a certificate's holder, and when an object is ``B``'s.

An object "names" an identity when one of its string values equals that identity's
certificate common name, e-mail address (or its local part) or URI SAN, compared
case-insensitively (:func:`identity_markers`, :func:`names_identity`). Each identity's user
id is learned from "who am I" answers (:func:`learn_user_ids`). An object is ``B``'s
(:func:`owned_by_b`) when an owner-like field names B (``"owner": 2`` with B's id 2), when it
names ``B`` and not ``A``, or when the run chose it as B's (only in B's answers). MG404
(:mod:`mtlsguard.probe.phases.bola`) reports ``A`` reading such an object.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from cryptography import x509
from cryptography.x509.oid import NameOID

from mtlsguard.probe.compare import OWNER_KEY

__all__ = [
    "WHOAMI",
    "identity_markers",
    "learn_user_ids",
    "names_identity",
    "owned_by_b",
    "owner_named",
    "self_description",
    "string_values",
]


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


WHOAMI: Final = re.compile(
    r"/(me|self|whoami|user|current[-_]?user|profile|my[-_]?profile|account)/?$", re.IGNORECASE
)
"""Listing templates that answer "who am I" (``/api/me/``, ``/api/user/``, ``/profile/``)."""
_SELF_KEYS: Final = ("id", "pk", "user_id", "uuid", "username", "email", "name")


def self_description(data: object) -> set[str]:
    """The ids and names a "who am I" answer gives its caller (top level or under ``user``)."""
    found: set[str] = set()
    for node in (data, data.get("user") if isinstance(data, dict) else None):
        if not isinstance(node, dict):
            continue
        for key in _SELF_KEYS:
            value = node.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                found.add(str(value).strip().lower())
    return found


def learn_user_ids(template: str, a_data: object, b_data: object) -> tuple[set[str], set[str]]:
    """A's and B's own ids and names from their answers to a "who am I" ``template``.

    Only what differs between the two answers describes the caller (a constant page does not).
    """
    if not WHOAMI.search(template.split("?", 1)[0]):
        return set(), set()
    mine, theirs = self_description(a_data), self_description(b_data)
    return mine - theirs, theirs - mine


def owner_named(data: object, wanted: Iterable[str]) -> bool:
    """An owner-like field (``owner``, ``user_id``, ``created_by`` ...) has a ``wanted`` value."""
    targets = {w.lower() for w in wanted}
    if not targets:
        return False
    stack: list[object] = [data]
    budget = 10_000
    while stack and budget > 0:
        budget -= 1
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and OWNER_KEY.match(key):
                    if isinstance(value, str | int) and str(value).strip().lower() in targets:
                        return True
                    if isinstance(value, dict) and not targets.isdisjoint(
                        str(v).strip().lower() for v in value.values()
                    ):
                        return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def owned_by_b(
    body: object,
    *,
    planned: str | None,
    b_names: Iterable[str],
    a_names: Iterable[str],
) -> str | None:
    """Why the object in B's answer ``body`` is ``B``'s (for the evidence), or ``None``.

    ``planned``: whose the run believed it was when it chose the path (``B`` from an
    owner-like field, or an object only B's answers listed). ``b_names``/``a_names``: each
    identity's certificate markers and learned user ids.
    """
    b_set, a_set = set(b_names), set(a_names)
    if owner_named(body, b_set) and not owner_named(body, a_set):
        return "its owner field names B"
    if names_identity(body, b_set) and not names_identity(body, a_set):
        return "it names B's identity and not A's"
    if planned == "B":
        return "it was listed as B's (an owner field naming B, or only in B's answers)"
    return None
