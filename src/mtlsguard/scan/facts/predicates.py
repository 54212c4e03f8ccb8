"""What a ``user_passes_test`` predicate demands, read from the logic of what it returns.

A predicate is read by the value it answers, taken apart at ``and``/``or``/``not``, not by the
attributes it mentions: ``lambda u: u.is_staff or True`` admits everybody, ``lambda u: not
u.is_superuser`` every non-superuser (anonymous users included), and a predicate that logs the
user and answers ``True`` is no gate at all.

* :func:`role_of`: the role every admitting answer requires (``and`` keeps the strongest of its
  operands, ``or`` the weakest, ``not`` gives none); ``"permission"`` for the user's groups or
  permissions, or for a call handed the user whose result is (a conjunct of) the answer.
* :func:`admits_anonymous`: the predicate certainly answers true for Django's
  ``AnonymousUser`` (``u.is_anonymous or ...``, ``not u.is_authenticated``, a constant): no
  authentication.

Syntax only; anything else answers "no role" / "not known to admit anonymous users".
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mtlsguard.scan.facts.role_guards import admin_role

__all__ = ["admits_anonymous", "role_of"]

_ROLES = ("", "permission", "staff", "superuser")
_NEVER = len(_ROLES)
"""Rank of an answer that is never true (``False``, ``None``): no user passes through it."""
_PERMISSION_READS = frozenset({"groups", "has_perm", "has_perms", "user_permissions"})
_EMPTY_FOR_ANONYMOUS = frozenset({"groups", "user_permissions"})
"""``AnonymousUser``'s related managers are empty (Django's ``EmptyManager``)."""
_NOT_A_CHECK = frozenset(
    {"bool", "getattr", "hasattr", "isinstance", "print", "str", "len", "repr", "format"}
)
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})
_ANONYMOUS_FLAGS = {
    "is_anonymous": True,
    "is_authenticated": False,
    "is_active": False,
    "is_staff": False,
    "is_superuser": False,
    "pk": False,
    "id": False,
}
"""What Django's ``AnonymousUser`` answers for these attributes (truthiness)."""
_MAX_DEPTH = 8


def role_of(args: ast.arguments, body: list[ast.stmt]) -> str:
    """The role every answer of a predicate of one user parameter that admits someone requires.

    ``""`` for none (an account-state test, a constant, a negated flag, an ``or`` with an
    operand asking nothing) or no user parameter.
    """
    reader = _reader(args, body)
    if reader is None or _rebinds(reader.user, body):
        return ""
    ranks = list(reader.answers(body, 0))
    best = min(ranks, default=_NEVER)
    return _ROLES[best] if best < _NEVER else ""


def admits_anonymous(args: ast.arguments, body: list[ast.stmt]) -> bool:
    """The predicate certainly answers true for an anonymous user on some path.

    Branch-aware: a ``return`` reached by ``AnonymousUser`` (``if not u.is_authenticated:
    return True`` before a groups check) that is certainly true lets anonymous users through.
    A predicate that rebinds its user parameter (``u = User(is_superuser=True)``) answers for
    another user: no authentication.
    """
    reader = _reader(args, body)
    if reader is None:
        return False
    if _rebinds(reader.user, body):
        return True
    answers, _through = reader.anonymous_answers(body)
    return True in answers


def _rebinds(user: str, body: list[ast.stmt]) -> bool:
    """``user = ...``, ``(user := ...)``, ``for user in ...``: the parameter is rebound."""
    return any(
        isinstance(node, ast.Name) and node.id == user and isinstance(node.ctx, ast.Store | ast.Del)
        for stmt in body
        for node in ast.walk(stmt)
    )


def _reader(args: ast.arguments, body: list[ast.stmt]) -> _Reader | None:
    params = [a.arg for a in args.posonlyargs + args.args]
    if not params:
        return None
    return _Reader(params[0], _single_assignments(body, set(params)))


def _single_assignments(body: list[ast.stmt], params: set[str]) -> dict[str, ast.expr]:
    """Locals bound exactly once, by a plain ``name = value`` (``passed = check(u, ...)``)."""
    values: dict[str, ast.expr] = {}
    counts: dict[str, int] = {}
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                counts[node.id] = counts.get(node.id, 0) + 1
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                values[node.targets[0].id] = node.value
    return {n: v for n, v in values.items() if counts.get(n) == 1 and n not in params}


class _Reader:
    """Reads answers of one predicate whose user parameter is ``user``."""

    def __init__(self, user: str, local: dict[str, ast.expr]) -> None:
        self.user = user
        self.local = local

    def answers(self, body: list[ast.stmt], cond: int) -> Iterator[int]:
        """Ranks of the returns of ``body`` reached under a path requiring rank ``cond``."""
        for stmt in body:
            if isinstance(stmt, ast.Return):
                yield max(cond, self.rank(stmt.value or ast.Constant(None), True, 0))
                return
            if isinstance(stmt, ast.Raise):
                return
            if isinstance(stmt, ast.If):
                yes, no = self.rank(stmt.test, True, 0), self.rank(stmt.test, False, 0)
                yield from self.answers(stmt.body, max(cond, yes))
                yield from self.answers(stmt.orelse, max(cond, no))
                body_stops, else_stops = _stops(stmt.body), _stops(stmt.orelse)
                if body_stops and else_stops:
                    return
                if body_stops:
                    cond = max(cond, no)
                elif else_stops:
                    cond = max(cond, yes)
                continue
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for field in ("body", "orelse", "finalbody"):
                block = getattr(stmt, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    yield from self.answers(block, cond)
            for handler in getattr(stmt, "handlers", ()):
                yield from self.answers(handler.body, cond)
            for case in getattr(stmt, "cases", ()):
                yield from self.answers(case.body, cond)

    def anonymous_answers(self, body: list[ast.stmt]) -> tuple[list[bool | None], bool]:
        """What the returns ``AnonymousUser`` may reach answer, and whether the end is reached.

        A return behind a test not known for anonymous users (or in a loop, ``try``, ...)
        answers None: it may not be reached.
        """
        answers: list[bool | None] = []
        for stmt in body:
            if isinstance(stmt, ast.Return):
                answers.append(self.anonymous(stmt.value or ast.Constant(None), 0))
                return answers, False
            if isinstance(stmt, ast.Raise):
                return answers, False
            if isinstance(stmt, ast.If):
                test = self.anonymous(stmt.test, 0)
                through = False
                for block, taken in ((stmt.body, True), (stmt.orelse, False)):
                    if test not in (None, taken):
                        continue
                    found, reached = self.anonymous_answers(block)
                    answers.extend(found if test is not None else _unsure(found))
                    through = through or reached
                if not through:
                    return answers, False
                continue
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for block in _blocks(stmt):  # loops, try, with, match: any block may run
                answers.extend(_unsure(self.anonymous_answers(block)[0]))
        return answers, True

    def rank(self, node: ast.expr, positive: bool, depth: int) -> int:
        """The role rank ``node`` being true (``positive``) or false requires."""
        if depth > _MAX_DEPTH:
            return 0
        if isinstance(node, ast.BoolOp):
            ranks = [self.rank(v, positive, depth + 1) for v in node.values]
            conjunction = isinstance(node.op, ast.And) == positive
            return max(ranks) if conjunction else min(ranks)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.rank(node.operand, not positive, depth + 1)
        if isinstance(node, ast.Constant):
            return 0 if bool(node.value) == positive else _NEVER
        if isinstance(node, ast.Name):
            value = self.local.get(node.id)
            return self.rank(value, positive, depth + 1) if value is not None else 0
        if isinstance(node, ast.Call) and _callee(node) == "bool" and len(node.args) == 1:
            return self.rank(node.args[0], positive, depth + 1)
        if not positive:
            return 0
        if isinstance(node, ast.Attribute) and _is_name(node.value, self.user):
            return _ROLES.index(admin_role([node.attr]))
        if isinstance(node, ast.Call):
            return _ROLES.index("permission") if self._asks(node) else 0
        if isinstance(node, ast.Compare) and _positive_count(node):
            left = node.left
            if isinstance(left, ast.Call) and _callee(left) == "len" and len(left.args) == 1:
                left = left.args[0]
            return self.rank(left, True, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr | ast.BitAnd):
            ranks = [self.rank(node.left, True, depth + 1), self.rank(node.right, True, depth + 1)]
            return max(ranks) if isinstance(node.op, ast.BitAnd) else min(ranks)
        if isinstance(node, ast.IfExp):
            ranks = [self.rank(node.body, True, depth + 1), self.rank(node.orelse, True, depth + 1)]
            return min(ranks)
        return 0

    def _asks(self, call: ast.Call) -> bool:
        """``u.groups.filter(...).exists()``, ``u.has_perm(...)`` or ``check(u, ...)``."""
        if self._user_relation(call) in _PERMISSION_READS:
            return True
        name = _callee(call)
        if name in _NOT_A_CHECK or _is_log(call):
            return False
        given = [*call.args, *(kw.value for kw in call.keywords)]
        return any(_is_name(arg, self.user) for arg in given)

    def _user_relation(self, node: ast.expr) -> str:
        """``groups`` for ``u.groups.filter(...).exists()``: the user's attribute a chain reads."""
        while isinstance(node, ast.Call | ast.Attribute):
            if isinstance(node, ast.Attribute) and _is_name(node.value, self.user):
                return node.attr
            node = node.func if isinstance(node, ast.Call) else node.value
        return ""

    def anonymous(self, node: ast.expr, depth: int) -> bool | None:
        """``node``'s truth for Django's ``AnonymousUser``; None when not known."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            return bool(node.value)
        if isinstance(node, ast.BoolOp):
            values = [self.anonymous(v, depth + 1) for v in node.values]
            decisive = isinstance(node.op, ast.Or)
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.anonymous(node.operand, depth + 1)
            return None if inner is None else not inner
        if isinstance(node, ast.Name):
            value = self.local.get(node.id)
            return self.anonymous(value, depth + 1) if value is not None else None
        if isinstance(node, ast.Attribute) and _is_name(node.value, self.user):
            return _ANONYMOUS_FLAGS.get(node.attr)
        if isinstance(node, ast.Call):
            if _callee(node) == "bool" and len(node.args) == 1:
                return self.anonymous(node.args[0], depth + 1)
            if self._user_relation(node) in _EMPTY_FOR_ANONYMOUS:
                return False
        return None


def _unsure(answers: list[bool | None]) -> list[bool | None]:
    """Answers of returns that may not be reached: a false one stays false, the rest unknown."""
    return [False if answer is False else None for answer in answers]


def _blocks(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for field in ("body", "orelse", "finalbody"):
        block = getattr(stmt, field, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for inner in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
        yield inner.body


def _stops(block: list[ast.stmt]) -> bool:
    return bool(block) and isinstance(block[-1], ast.Return | ast.Raise)


def _positive_count(node: ast.Compare) -> bool:
    """``x > 0``, ``x != 0``, ``x >= 1``: a count asked to be positive."""
    if len(node.ops) != 1:
        return False
    op, right = node.ops[0], node.comparators[0]
    if not (isinstance(right, ast.Constant) and isinstance(right.value, int)):
        return False
    if isinstance(op, ast.Gt | ast.NotEq):
        return bool(right.value == 0)
    return isinstance(op, ast.GtE) and right.value >= 1


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_log(call: ast.Call) -> bool:
    """``logger.info(...)``, ``logging.warning(...)``: a log line decides nothing."""
    return isinstance(call.func, ast.Attribute) and call.func.attr in _LOG_METHODS


def _is_name(node: object, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
