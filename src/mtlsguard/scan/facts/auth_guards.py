"""Login guards of a body: a user test that refuses, in the body or in a nested wrapper.

Split from :mod:`.guards` (which decides what a refusing ``if`` looks like); this module adds
the tests computed into a local first (``redirect = redirect_func(request.user)``).
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.facts.collectors import AUTH_ATTRS
from mtlsguard.scan.facts.guards import guard_blocks, user_test
from mtlsguard.scan.facts.syntax import FunctionNode, mentions_attr, mentions_user, own_nodes

__all__ = ["auth_guard"]


def auth_guard(func: FunctionNode, *, nested: bool) -> bool:
    """A user check that refuses, in the body or (``nested``) in a nested wrapper."""
    if _guards(func):
        return True
    if not nested:
        return False
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _guards(node)
        for node in own_nodes(func, nested=True)
    )


def _guards(func: FunctionNode) -> bool:
    """``func``'s own body refuses on a user test, or on a local computed from the user.

    Kitsune's ``user_access_decorator`` wrapper: ``redirect = redirect_func(request.user)``
    then ``if redirect and ...: return HttpResponseRedirect(login)``: which way the local
    points is the predicate's business, so a refusal in either branch counts.
    """
    if guard_blocks(func.body, user_test):
        return True
    derived = {
        target.id
        for node in own_nodes(func)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(target := node.targets[0], ast.Name)
        and isinstance(node.value, ast.Call)
        and _predicate_of_user(node.value)
    }
    if not derived:
        return False
    return guard_blocks(
        func.body,
        lambda test: any(isinstance(n, ast.Name) and n.id in derived for n in walking.walk(test)),
        either=True,
    )


def _predicate_of_user(call: ast.Call) -> bool:
    """``redirect_func(request.user)``: a function asked about the user alone.

    Not a class built with it (``VoteForm(review, request.user, request.POST)``: a form whose
    validity is about its data) nor a call handed more than the user and one more value.
    """
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if not name or name[0].isupper() or len(call.args) + len(call.keywords) > 2:
        return False
    return mentions_user(call) or mentions_attr(call, AUTH_ATTRS)
