"""What a body reads of the caller's own account (``request.user.email``, ``user.profile``).

A read-only view that only hands ``request.user`` to a visibility filter
(``Document.objects.visible(request.user)``) or tests a flag (``request.user.is_staff``) adapts
public content to the caller. One that reads the account's data (``request.user.email``,
``request.user.orders``) or calls its methods (``request.user.set_password(...)``) is made for a
signed-in caller: without a login wall it is what MG101 reports. So does one that prints the
account (``f"orders of {request.user}"``, ``__str__`` among the attributes). What it reads only
for a signed-in caller (``if request.user.is_authenticated: ... request.user.member``) or
writes to a log shows an anonymous caller nothing and is left out.
:func:`account_attributes` names what is read, through ``request.user``, ``self.request.user``
and plain aliases of them (``user = request.user``).
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode, is_request_user, own_nodes

__all__ = ["ACCOUNT_FLAGS", "account_attributes", "idle_user_tests"]

ACCOUNT_FLAGS = frozenset(
    {"is_authenticated", "is_anonymous", "is_active", "is_staff", "is_superuser"}
)
"""What the caller's account says of itself (signed in, active, staff): nothing about any
object a view or a permission class is asked about."""


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
    spared = _signed_in_only(nodes, aliases)
    found: set[str] = set()
    for node in nodes:
        if id(node) in spared:
            continue
        if isinstance(node, ast.FormattedValue) and _the_user(node.value, aliases):
            found.add("__str__")  # f"orders of {request.user}": the account shown as text
        if not isinstance(node, ast.Attribute):
            continue
        if _the_user(node.value, aliases):
            found.add(node.attr)
    return frozenset(found)


def _signed_in_only(nodes: list[ast.AST], aliases: set[str]) -> set[int]:
    """Nodes an anonymous caller never reaches, or that show it nothing (by ``id()``).

    The branch of ``if request.user.is_authenticated:`` (``if not ...is_anonymous:``; the
    ``else`` of the negated tests): Open Humans' project catalogue hides the projects the
    signed-in member joined (``member=self.request.user.member``) and shows the rest to
    everyone. A log line (``logger.info(f"... {request.user}")``) shows the caller nothing.
    """
    spared: set[int] = set()
    for node in nodes:
        branch: list[ast.stmt] = []
        if isinstance(node, ast.If):
            signed_in = _signed_in_test(node.test, aliases)
            branch = node.body if signed_in else node.orelse if signed_in is False else []
        elif isinstance(node, ast.Call) and _logs(node.func):
            spared.update(id(n) for n in ast.walk(node))
        for stmt in branch:
            spared.update(id(n) for n in ast.walk(stmt))
    return spared


def _signed_in_test(test: ast.expr, aliases: set[str]) -> bool | None:
    """True: ``test`` holds only for a signed-in caller; False: only for an anonymous one."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return True if any(_signed_in_test(v, aliases) for v in test.values) else None
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    if negated:
        assert isinstance(test, ast.UnaryOp)
        test = test.operand
    if not (isinstance(test, ast.Attribute) and _the_user(test.value, aliases)):
        return None
    if test.attr == "is_authenticated":
        return not negated
    if test.attr == "is_anonymous":
        return negated
    return None


_LOG_LEVELS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)


def _logs(func: ast.expr) -> bool:
    """``logger.info`` / ``logging.warning`` / ``log.debug``: a call writing a log line.

    Not ``catalog.append(...)``: the receiver must be named as a logger, the method a level.
    """
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return False
    receiver = func.value.id.lower().lstrip("_")
    named = receiver in ("log", "logging") or receiver.endswith("logger")
    return named and func.attr in _LOG_LEVELS


def _the_user(node: ast.expr, aliases: set[str]) -> bool:
    return is_request_user(node) or (isinstance(node, ast.Name) and node.id in aliases)


def idle_user_tests(func: FunctionNode) -> tuple[int, ...]:
    """Lines of ``if`` tests of the caller's account with a branch that refuses and changes nothing.

    ``if not request.user.is_staff: messages.error(request, "staff only")`` and then the data:
    a check that was meant to refuse and does not. A branch that returns, raises or assigns
    (``qs = qs.filter(public=True)``: what a caller sees depends on it) is not idle.
    """
    found: list[int] = []
    local: set[str] | None = None
    for node in own_nodes(func):
        if not isinstance(node, ast.If) or not _tests_user(node.test):
            continue
        if local is None:
            local = _bound_names(func)
        for branch in (node.body, node.orelse):
            if branch and all(_idle(stmt, local) for stmt in branch):
                found.append(node.lineno)
                break
    return tuple(found)


def _tests_user(test: ast.expr) -> bool:
    return any(isinstance(n, ast.Attribute) and is_request_user(n.value) for n in ast.walk(test))


def _bound_names(func: FunctionNode) -> set[str]:
    """Names ``func`` binds by plain assignment (its locals holding values it builds)."""
    return {
        target.id
        for node in own_nodes(func)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _idle(stmt: ast.stmt, local: set[str]) -> bool:
    """A statement that neither ends the request nor binds anything (a message, a log line).

    Not a method call on a local the body built (OpenCVE's ``if tag and
    request.user.is_authenticated: parts.append(f"userTag:{tag}")`` adds to the search it
    runs): it changes what the view does next.
    """
    if isinstance(stmt, ast.Pass):
        return True
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and isinstance(stmt.value.func.value, ast.Name)
        and stmt.value.func.value.id in local
    ):
        return False
    return isinstance(stmt, ast.Expr) and not any(
        isinstance(n, ast.Yield | ast.YieldFrom | ast.Await | ast.NamedExpr) for n in ast.walk(stmt)
    )
