"""What a body reads of the caller's own account (``request.user.email``, ``user.profile``).

A read-only view that only hands ``request.user`` to a visibility filter
(``Document.objects.visible(request.user)``) or tests a flag (``request.user.is_staff``) adapts
public content to the caller. One that reads the account's data (``request.user.email``,
``request.user.orders``) or calls its methods (``request.user.set_password(...)``) is made for a
signed-in caller: without a login wall it is what MG101 reports.
:func:`account_attributes` names what is read, through ``request.user``, ``self.request.user``
and plain aliases of them (``user = request.user``).
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode, is_request_user, own_nodes

__all__ = ["account_attributes"]


def account_attributes(func: FunctionNode) -> frozenset[str]:
    """Attribute names ``func`` reads (or calls) on the requesting user's object."""
    aliases: set[str] = set()
    nodes = list(own_nodes(func))
    for node in nodes:
        if (
            isinstance(node, ast.Assign)
            and is_request_user(node.value)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            aliases.add(node.targets[0].id)
    found: set[str] = set()
    for node in nodes:
        if not isinstance(node, ast.Attribute):
            continue
        base = node.value
        if is_request_user(base) or (isinstance(base, ast.Name) and base.id in aliases):
            found.add(node.attr)
    return frozenset(found)
