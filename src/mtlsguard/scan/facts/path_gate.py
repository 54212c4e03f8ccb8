"""Which paths a middleware's request hook refuses to anonymous users (an allow-list gate).

A site-wide login middleware often refuses every anonymous request except for an allow-list::

    if not request.user.is_authenticated:
        if request.path not in IGNORE_URL and re.match(IGNORE_URL_RE, request.path) is None:
            return HttpResponseRedirect("/login/")

The hook is read as if the caller were anonymous (``is_authenticated`` false, ``is_anonymous``
true, no staff flag): each ``if`` splits on its test and the result is the condition, over
tests of the request path, under which the hook refuses (returns a refusal or raises). A test
of anything else (a session key, a header, a helper's answer) is ``unknown``: the routes it
decides stay undecided. ``hasattr(request, "user")`` is true (the anonymous caller has Django's
``AnonymousUser``; the check only asserts that the authentication middleware is installed).
Literal strings, module constants, ``re.compile()`` of them and lists of them are resolved
here; ``settings.NAME`` (a list, or a string such as ``settings.LOGIN_URL.lstrip("/")``) is kept
by name for the analysis to look up. A module-level list that the module grows later
(``EXEMPT += [re.compile(e) for e in settings.LOGIN_EXEMPT_URLS]``, maybe under an ``if``) is
read with every item it may hold: more exemptions can only make fewer routes protected.
A regex given flags (``re.compile(p, re.I)``, ``re.match(p, path, flags)``) is unknown, and
so is a test of ``request.get_full_path()`` other than ``startswith`` (the query string the
caller picks follows the path).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence

from mtlsguard.scan.body_records import PathCond, PathTest
from mtlsguard.scan.facts.guards import denies
from mtlsguard.scan.facts.syntax import (
    FunctionNode,
    bound_names,
    is_request,
    is_request_user,
    own_nodes,
)
from mtlsguard.scan.facts.walk import Resolver
from mtlsguard.scan.project_model import Call, Const, Expr, Ref, Seq

__all__ = ["Growth", "login_paths"]

Growth = Callable[[str], tuple[ast.expr, ...] | None]
"""What the module may add to its list ``name`` after assigning it (None: unknown)."""

TRUE = PathCond("const", value=True)
FALSE = PathCond("const", value=False)
UNKNOWN = PathCond("unknown")
_PATH_ATTRS = frozenset({"path", "path_info"})
_PATH_CALLS = frozenset({"get_full_path", "get_full_path_info"})
_ANON_TRUE = frozenset({"is_anonymous"})
_ANON_FALSE = frozenset(
    {"is_authenticated", "is_staff", "is_superuser", "is_active", "has_perm", "has_perms"}
)
_REGEX = frozenset({"match", "search", "fullmatch"})
_PASS_THROUGH = frozenset({"get_response", "process_request", "process_view", "dispatch"})
_BUDGET = 400
_STEPS = 4000
"""Statements read (an ``if`` reads the rest of its body once per branch): past it, unknown."""


def _not(cond: PathCond) -> PathCond:
    if cond.kind == "const":
        return FALSE if cond.value else TRUE
    if cond.kind == "unknown":
        return UNKNOWN
    if cond.kind == "not":
        return cond.parts[0]
    return PathCond("not", (cond,))


def _join(kind: str, parts: list[PathCond]) -> PathCond:
    """``and``/``or`` with constants folded away."""
    absorbing = kind == "or"
    kept: list[PathCond] = []
    for part in parts:
        if part.kind == "const":
            if part.value is absorbing:
                return part
            continue
        kept.append(part)
    if not kept:
        return PathCond("const", value=not absorbing)
    if len(kept) == 1:
        return kept[0]
    return PathCond(kind, tuple(kept))


class _Reader:
    """Reads one hook; ``aliases`` maps local names to the path (and the stripped chars)."""

    def __init__(self, resolve: Resolver, growth: Growth) -> None:
        self.resolve = resolve
        self.growth = growth
        self.aliases: dict[str, str | None] = {}
        self.full: set[str] = set()
        """Aliases of ``request.get_full_path()`` (the query string follows the path)."""
        self.passed: set[str] = set()
        self.visited: set[int] = set()
        """The ``return``/``raise`` statements (and refusing calls) the reading reached."""
        """Local names holding the response of the view (``self.get_response(request)``)."""
        self.budget = _BUDGET
        self.steps = _STEPS
        self.saw_path = False

    def path_of(self, node: ast.expr) -> tuple[bool, str | None]:
        """Whether ``node`` is the request path, and what is stripped from its left."""
        if isinstance(node, ast.Name) and node.id in self.aliases:
            return True, self.aliases[node.id]
        if isinstance(node, ast.Attribute) and node.attr in _PATH_ATTRS:
            return is_request(node.value), None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, owner = node.func.attr, node.func.value
            if attr in _PATH_CALLS:
                return is_request(owner), None
            if attr == "lstrip" and len(node.args) == 1:
                inner, _ = self.path_of(owner)
                arg = node.args[0]
                if inner and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    return True, arg.value
        return False, None

    def is_full(self, node: ast.expr) -> bool:
        """``node`` is ``request.get_full_path()`` (maybe stripped) or an alias of it."""
        if isinstance(node, ast.Name):
            return node.id in self.full
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _PATH_CALLS:
                return True
            return node.func.attr == "lstrip" and self.is_full(node.func.value)
        return False

    def values(self, node: ast.expr, listed: bool) -> PathTest | None:
        """The strings (or the settings) a path is compared with (``listed``: in a container)."""
        resolved = self.resolve(node)
        if listed and not isinstance(resolved, Seq) and not _setting(resolved):
            return None  # ``path in "/login/ /open/"`` tests a substring
        found = _values(resolved)
        if found is None or not isinstance(node, ast.Name):
            return found
        grown = self.growth(node.id)
        if grown is None:
            return None
        for added in grown:
            more = self.added(added)
            if more is None:
                return None
            found = _merged(found, more)
        return found

    def added(self, node: ast.expr) -> PathTest | None:
        """``[re.compile(e) for e in settings.NAME]`` (or a plain list) added to a list."""
        if isinstance(node, ast.ListComp | ast.GeneratorExp) and len(node.generators) == 1:
            loop = node.generators[0]
            elt = node.elt
            if isinstance(elt, ast.Call) and len(elt.args) == 1 and not elt.keywords:
                if not (isinstance(elt.func, ast.Attribute) and elt.func.attr == "compile"):
                    return None
                elt = elt.args[0]
            if loop.ifs or not (_named([elt], 0, getattr(loop.target, "id", ""))):
                return None
            return _values(self.resolve(loop.iter))
        return _values(self.resolve(node))

    def test(self, op: str, values: ast.expr, path: ast.expr, listed: bool = True) -> PathCond:
        is_path, strip = self.path_of(path)
        found = self.values(values, listed) if is_path else None
        if found is None:
            return UNKNOWN
        self.saw_path = True
        full = self.is_full(path)
        if full and op != "startswith":
            # ``get_full_path()`` ends with the query string the caller picks: only its start
            # is the path's.
            return UNKNOWN
        return PathCond(
            "test",
            test=PathTest(op, found.values, found.settings, strip, found.strings, full, listed),
        )

    def cond(self, node: ast.expr) -> PathCond:
        """``node`` as a condition, for an anonymous caller."""
        self.budget -= 1
        if self.budget < 0:
            return UNKNOWN
        if isinstance(node, ast.BoolOp):
            kind = "and" if isinstance(node.op, ast.And) else "or"
            return _join(kind, [self.cond(v) for v in node.values])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return _not(self.cond(node.operand))
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return self.compare(node.left, node.ops[0], node.comparators[0])
        if isinstance(node, ast.Attribute) and is_request_user(node.value):
            if node.attr in _ANON_TRUE:
                return TRUE
            if node.attr in _ANON_FALSE:
                return FALSE
        if isinstance(node, ast.Call):
            return self.call(node)
        return UNKNOWN

    def compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> PathCond:
        if isinstance(op, ast.In | ast.NotIn | ast.Eq | ast.NotEq) and self.path_of(left)[0]:
            values = right
            if isinstance(op, ast.Eq | ast.NotEq):
                values = ast.List(elts=[right], ctx=ast.Load())  # one value, a list of one
            found = self.test("in", values, left)
            return _not(found) if isinstance(op, ast.NotIn | ast.NotEq) else found
        if isinstance(right, ast.Constant) and right.value in (None, False, True):
            inner = self.cond(left)
            positive = isinstance(op, ast.Is | ast.Eq)
            wanted = right.value is True
            if not isinstance(op, ast.Is | ast.IsNot | ast.Eq | ast.NotEq):
                return UNKNOWN
            return inner if positive == wanted else _not(inner)
        return UNKNOWN

    def call(self, node: ast.Call) -> PathCond:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "any" and len(node.args) == 1:
            return self.any_of(node.args[0])
        if isinstance(func, ast.Name) and func.id == "hasattr" and len(node.args) == 2:
            owner, attr = node.args
            if is_request(owner) and isinstance(attr, ast.Constant) and attr.value == "user":
                return TRUE
            return UNKNOWN
        if not isinstance(func, ast.Attribute):
            return UNKNOWN
        if func.attr in ("startswith", "endswith") and len(node.args) == 1:
            return self.test(func.attr, node.args[0], func.value, listed=False)
        if node.keywords:
            return UNKNOWN  # ``flags=re.I``, ``pos=``: not the plain test
        if func.attr in _REGEX and len(node.args) == 2 and _is_re(func.value):
            return self.test(func.attr, node.args[0], node.args[1], listed=False)
        if func.attr in _REGEX and len(node.args) == 1:
            # ``COMPILED.match(path)``: a module-level ``re.compile(...)``.
            return self.test(func.attr, func.value, node.args[0], listed=False)
        if is_request_user(func.value) and func.attr in _ANON_FALSE | _ANON_TRUE:
            return TRUE if func.attr in _ANON_TRUE else FALSE
        return UNKNOWN

    def any_of(self, gen: ast.expr) -> PathCond:
        """``any(path.startswith(p) for p in EXEMPT)``, ``any(m.match(path) for m in URLS)``."""
        if not (isinstance(gen, ast.GeneratorExp) and len(gen.generators) == 1):
            return UNKNOWN
        loop = gen.generators[0]
        elt = gen.elt
        if loop.ifs or not isinstance(loop.target, ast.Name) or not isinstance(elt, ast.Call):
            return UNKNOWN
        var = loop.target.id
        func = elt.func
        if not isinstance(func, ast.Attribute):
            return UNKNOWN
        if elt.keywords:
            return UNKNOWN
        if func.attr in ("startswith", "endswith") and _named(elt.args, 0, var):
            return self.test(func.attr, loop.iter, func.value) if len(elt.args) == 1 else UNKNOWN
        if func.attr in _REGEX and _is_re(func.value) and _named(elt.args, 0, var):
            return self.test(func.attr, loop.iter, elt.args[1]) if len(elt.args) == 2 else UNKNOWN
        if func.attr in _REGEX and _named([func.value], 0, var) and len(elt.args) == 1:
            return self.test(func.attr, loop.iter, elt.args[0])
        return UNKNOWN

    def forget(self, nodes: Sequence[ast.AST]) -> None:
        """Names the nodes bind no longer hold the path (nor the view's response)."""
        for name in bound_names(nodes):
            self.aliases.pop(name, None)
            self.full.discard(name)
            self.passed.discard(name)

    def assign(self, target: ast.expr, value: ast.expr) -> None:
        """``target = value``: an alias of the path, the view's response, or neither."""
        is_path, strip = self.path_of(value)
        full = self.is_full(value)
        self.forget([target, value])  # ``path, _ = path.lower(), None``, ``(path := ...)``
        if not isinstance(target, ast.Name):
            return
        if _return(ast.Return(value=value)) == FALSE:
            self.passed.add(target.id)
        if is_path:
            self.aliases[target.id] = strip
            if full:
                self.full.add(target.id)

    def refuses(self, body: list[ast.stmt]) -> PathCond:
        """When running ``body`` (then falling off the end: the request goes on) refuses."""
        for index, stmt in enumerate(body):
            self.steps -= 1  # each ``if`` reads the rest of the body twice: bound the reading
            if self.steps < 0:
                self.budget = -1
                return UNKNOWN
            rest = body[index + 1 :]
            if isinstance(stmt, ast.Return):
                self.visited.add(id(stmt))
                value = stmt.value
                if isinstance(value, ast.Name) and value.id in self.passed:
                    return (
                        FALSE  # ``response = self.get_response(request)`` ... ``return response``
                    )
                return _return(stmt)
            if isinstance(stmt, ast.Raise) or (denies(stmt) and isinstance(stmt, ast.Expr)):
                self.visited.add(id(stmt))
                return TRUE
            if isinstance(stmt, ast.If):
                self.forget([stmt.test])
                test = self.cond(stmt.test)
                state = dict(self.aliases), set(self.full), set(self.passed)
                then = self.refuses(stmt.body + rest)
                self.aliases, self.full, self.passed = state
                return _branch(test, then, self.refuses(stmt.orelse + rest))
            if isinstance(stmt, ast.Try | ast.With):
                self.forget(stmt.items if isinstance(stmt, ast.With) else [stmt])
                return self.refuses(stmt.body + rest)
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                self.assign(stmt.targets[0], stmt.value)
            else:
                self.forget([stmt])  # ``path: str = path.lower()``, ``for path in ...``
        return FALSE


def _branch(test: PathCond, then: PathCond, other: PathCond) -> PathCond:
    """``(test and then) or (not test and other)``, simplified where one side is constant.

    ``T or (not T and O)`` is ``T or O``: the two ``T`` are the same test, which three-valued
    logic over an ``unknown`` test would otherwise lose (``if not hasattr(...): raise``).
    """
    if then == TRUE:
        return _join("or", [test, other])
    if other == TRUE:
        return _join("or", [_not(test), then])
    if then == FALSE:
        return _join("and", [_not(test), other])
    if other == FALSE:
        return _join("and", [test, then])
    return _join("or", [_join("and", [test, then]), _join("and", [_not(test), other])])


def _merged(first: PathTest, second: PathTest) -> PathTest:
    return PathTest(
        "",
        first.values + second.values,
        first.settings + second.settings,
        strings=first.strings + second.strings,
    )


def _return(stmt: ast.Return) -> PathCond:
    value = stmt.value
    if value is None or (isinstance(value, ast.Constant) and value.value is None):
        return FALSE
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _PASS_THROUGH:
            return FALSE
    return TRUE if denies(stmt) else UNKNOWN


def _is_re(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "re"


def _named(args: list[ast.expr], index: int, name: str) -> bool:
    arg = args[index] if len(args) > index else None
    return isinstance(arg, ast.Name) and arg.id == name


def _setting(expr: Expr) -> str:
    """``settings.NAME`` -> ``NAME``, else ``""``."""
    if isinstance(expr, Ref):
        head, _, name = expr.name.rpartition(".")
        if head.endswith("settings") and name.isupper():
            return name
    return ""


def _values(expr: Expr) -> PathTest | None:
    """Literal strings (lists, tuples, ``re.compile()`` of them) or ``settings`` names."""
    if name := _setting(expr):
        return PathTest("", settings=(name,))
    items = expr.items if isinstance(expr, Seq) else (expr,)
    found: list[str] = []
    strings: list[tuple[str, str | None]] = []
    for item in items:
        if (
            isinstance(item, Call)
            and isinstance(item.func, Ref)
            and item.func.name.endswith("compile")
            and len(item.args) == 1
            and not item.kwargs
        ):
            item = item.args[0]
        if string := _string_setting(item):
            strings.append(string)
            continue
        if not (isinstance(item, Const) and isinstance(item.value, str)):
            return None
        found.append(item.value)
    return PathTest("", tuple(found), strings=tuple(strings))


def _string_setting(item: Expr) -> tuple[str, str | None] | None:
    """``settings.LOGIN_URL`` or ``settings.LOGIN_URL.lstrip("/")``: (name, stripped chars)."""
    if name := _setting(item):
        return name, None
    if isinstance(item, Call) and isinstance(item.func, Ref) and len(item.args) == 1:
        owner, _, method = item.func.name.rpartition(".")
        arg = item.args[0]
        name = _setting(Ref(owner))
        if name and method == "lstrip" and isinstance(arg, Const) and isinstance(arg.value, str):
            return name, arg.value
    return None


def login_paths(
    func: FunctionNode, resolve: Resolver, growth: Growth = lambda _name: ()
) -> PathCond | None:
    """When the hook ``func`` refuses an anonymous request, if that depends on its path.

    A constant false: no way through the hook refuses an anonymous caller (every exit read).
    """
    reader = _Reader(resolve, growth)
    found = reader.refuses(func.body)
    if reader.budget < 0:
        return None
    if found == FALSE and _all_exits_read(func, reader.visited):
        # Read as anonymous, no way through the hook refuses (``if not user.is_authenticated:
        # return response`` before a redirect meant for signed-in users): no login wall.
        return FALSE
    if not reader.saw_path or found.kind in ("const", "unknown"):
        return None
    return found


def _all_exits_read(func: FunctionNode, visited: set[int]) -> bool:
    """Every ``return``, ``raise`` and refusing call of ``func`` was reached by the reading."""
    return all(
        id(node) in visited
        for node in own_nodes(func)
        if isinstance(node, ast.Return | ast.Raise) or (isinstance(node, ast.Expr) and denies(node))
    )
