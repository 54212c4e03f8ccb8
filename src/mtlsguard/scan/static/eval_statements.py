"""Statements of the URL-factory evaluator: a function body run with bound parameters.

Assignments (names, tuple unpacking, ``+=``), ``if`` on a decided test, ``for`` over a known
list (bounded iterations, ``break``/``continue``/``else``), ``return``, ``with`` and ``try``
bodies, and calls for their effect on the evaluator's own lists. Anything else raises
:class:`~mtlsguard.scan.static.eval_values.NotStatic`.
"""

from __future__ import annotations

import ast
import dataclasses
from abc import ABC, abstractmethod
from typing import Any

from mtlsguard.scan import walking
from mtlsguard.scan.static.eval_builtins import truth
from mtlsguard.scan.static.eval_values import Code, Frame, Instance, NotStatic, Splice, Unknown

__all__ = ["MAX_ITERATIONS", "ImportFailed", "StatementRunner"]

MAX_ITERATIONS = 500
"""Iterations of one loop or comprehension."""
MAX_CALL_DEPTH = 6
_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse"})


_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


class ImportFailed(Exception):
    """``import_module(name)`` of a module neither the project nor the environment has.

    Raised only inside a ``try`` whose handler catches it (a loop over the installed apps that
    includes the ``urls`` of those that have one): the handler runs, as it would at run time.
    """


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class StatementRunner(ABC):
    """Run statements; the expression half is the subclass's."""

    max_depth = MAX_CALL_DEPTH
    """Nested calls (and module constants read through one another) before it stops."""
    import_guards = 0
    """How many ``try`` bodies with a handler catching ``ImportError`` are running."""

    @abstractmethod
    def eval(self, frame: Frame, node: ast.expr) -> Any:
        """The value of ``node`` in ``frame``."""

    def import_names(self, frame: Frame, stmt: ast.Import | ast.ImportFrom) -> None:
        """An import inside a function: its names bound in the frame."""
        raise NotStatic("import")

    def truth(self, value: Any) -> bool:
        """Python truth of a known value (raises for the rest)."""
        return truth(value)

    def discarded(self, frame: Frame, node: ast.expr, stopped: NotStatic) -> None:
        """A call whose result is discarded could not be run: stop (raise ``stopped``).

        A subclass may go on when its effects provably cannot reach the value being evaluated.
        """
        raise stopped

    def unknown(self, frame: Frame, node: ast.expr, stopped: NotStatic) -> Any:
        """The value of an assignment whose right side could not be evaluated: stop.

        A subclass may bind an :class:`~.eval_values.Unknown` instead when evaluating ``node``
        provably cannot change what is being evaluated.
        """
        raise stopped

    def invoke(
        self, frame: Frame, func: ast.FunctionDef, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        """``func``'s return value with ``args``/``kwargs`` bound (``frame``: its module)."""
        if frame.depth >= self.max_depth:
            raise NotStatic("call depth")
        frame.depth += 1
        self._bind_parameters(frame, func.args, args, kwargs)
        passed = _returned_parameter(func)
        argument = frame.local.get(passed) if passed is not None else None
        try:
            self.run(frame, func.body)
        except _Return as returned:
            return returned.value
        except NotStatic:
            if passed is not None:
                # ``def wrap(urllist): ...; return urllist``: its patterns are the argument's
                # (whatever it did to their callbacks in between)
                return argument
            raise
        return None

    def _bind_parameters(
        self, frame: Frame, spec: ast.arguments, args: list[Any], kwargs: dict[str, Any]
    ) -> None:
        positional = [*spec.posonlyargs, *spec.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(spec.defaults))
        defaults += spec.defaults
        if len(args) > len(positional) and spec.vararg is None:
            raise NotStatic("too many arguments")
        for index, param in enumerate(positional):
            if index < len(args):
                frame.local[param.arg] = args[index]
            elif param.arg in kwargs:
                frame.local[param.arg] = kwargs.pop(param.arg)
            elif defaults[index] is not None:
                default = defaults[index]
                assert default is not None
                frame.local[param.arg] = self.eval(frame, default)
            else:
                raise NotStatic(f"missing argument {param.arg}")
        for param, kw_default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
            if param.arg in kwargs:
                frame.local[param.arg] = kwargs.pop(param.arg)
            elif kw_default is not None:
                frame.local[param.arg] = self.eval(frame, kw_default)
            else:
                raise NotStatic(f"missing argument {param.arg}")
        if spec.vararg is not None:
            frame.local[spec.vararg.arg] = tuple(args[len(positional) :])
        if spec.kwarg is not None:
            frame.local[spec.kwarg.arg] = dict(kwargs)
        elif kwargs:
            raise NotStatic("unexpected keyword argument")

    def run(self, frame: Frame, body: list[ast.stmt]) -> None:
        """Execute ``body`` in ``frame``."""
        for index, stmt in enumerate(body):
            if isinstance(stmt, ast.If):
                self._if(frame, stmt, body[index + 1 :])
            else:
                self._statement(frame, stmt)

    def _statement(self, frame: Frame, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant):
                return
            try:
                value = self.eval(frame, stmt.value)
            except NotStatic as stopped:
                self.discarded(frame, stmt.value, stopped)
                return
            if isinstance(value, Code):
                # a call run for its effect that the evaluator does not run (``register(x)``)
                self.discarded(frame, stmt.value, NotStatic("a call with unknown effects"))
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            try:
                value = self.eval(frame, stmt.value)
            except NotStatic as stopped:
                value = self.unknown(frame, stmt.value, stopped)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                self.bind(frame, target, value)
        elif isinstance(stmt, ast.AugAssign):
            self._augmented(frame, stmt)
        elif isinstance(stmt, ast.If):
            self._if(frame, stmt, [])
        elif isinstance(stmt, ast.For):
            self._loop(frame, stmt)
        elif isinstance(stmt, ast.Return):
            raise _Return(None if stmt.value is None else self.eval(frame, stmt.value))
        elif isinstance(stmt, ast.With):
            self.run(frame, stmt.body)  # ``with suppress(ImportError):`` and the like
        elif isinstance(stmt, ast.Try):
            self._try(frame, stmt)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            self.import_names(frame, stmt)
        elif isinstance(stmt, ast.Break):
            raise _Break
        elif isinstance(stmt, ast.Continue):
            raise _Continue
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and _inert(stmt):
            # a closure is not run: calling (or reading) it stops the evaluation
            frame.local[stmt.name] = Unknown(f"{stmt.name} defined in a function")
        elif not isinstance(stmt, ast.Pass):
            raise NotStatic(type(stmt).__name__)

    def _if(self, frame: Frame, stmt: ast.If, rest: list[ast.stmt]) -> None:
        """The branch Python would take; both, when the test is unknown and both return lists.

        ``if app_settings.RADIUS_API: return [path(...)] else: return []``, or ``if not
        app_settings.SOCIAL_LOGIN: return []`` then ``return [path(...)]`` (``rest``: the
        statements after the ``if`` in its block), with a flag read from the settings at run
        time: as the URLconf walker does with a branch decided at deploy time, every route
        either branch may serve is walked (never fewer than Django's).
        """
        try:
            taken = self.truth(self.eval(frame, stmt.test))
        except NotStatic:
            otherwise = stmt.orelse or rest
            if not (_returns(stmt.body) and _returns(otherwise)):
                raise
            patterns: list[Any] = []
            for branch in (stmt.body, otherwise):
                try:
                    self.run(dataclasses.replace(frame, local=dict(frame.local)), branch)
                except _Return as returned:
                    if not isinstance(returned.value, list | tuple):
                        raise NotStatic("a branch decided at run time") from None
                    patterns.extend(returned.value)
            raise _Return(patterns) from None
        self.run(frame, stmt.body if taken else stmt.orelse)

    def _try(self, frame: Frame, stmt: ast.Try) -> None:
        """The body, then ``else``; a handler only for a failed import it catches."""
        handler = next((h for h in stmt.handlers if _catches_import(h.type)), None)
        self.import_guards += handler is not None
        try:
            self.run(frame, stmt.body)
        except ImportFailed:
            if handler is None:
                raise
            self.run(frame, handler.body)
        else:
            self.run(frame, stmt.orelse)
        finally:
            self.import_guards -= handler is not None
        self.run(frame, stmt.finalbody)

    def _augmented(self, frame: Frame, stmt: ast.AugAssign) -> None:
        if not (isinstance(stmt.target, ast.Name) and isinstance(stmt.op, ast.Add)):
            raise NotStatic("augmented assignment")
        current = self.eval(frame, stmt.target)
        value = self.eval(frame, stmt.value)
        if isinstance(current, list):
            current.extend(value if isinstance(value, list | tuple) else [Splice(value)])
        elif type(current) is type(value) and isinstance(current, str | int | tuple):
            frame.local[stmt.target.id] = current + value
        else:
            raise NotStatic("augmented assignment")

    def _loop(self, frame: Frame, loop: ast.For) -> None:
        for item in self.iterate(self.eval(frame, loop.iter)):
            self.bind(frame, loop.target, item)
            try:
                self.run(frame, loop.body)
            except _Break:
                return
            except _Continue:
                continue
        self.run(frame, loop.orelse)

    def bind(self, frame: Frame, target: ast.expr, value: Any) -> None:
        """Assign ``value`` to ``target`` (a name or a tuple of names)."""
        if isinstance(target, ast.Name):
            frame.local[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            items = self.iterate(value)
            if len(items) != len(target.elts):
                raise NotStatic("unpacking")
            for elt, item in zip(target.elts, items, strict=True):
                self.bind(frame, elt, item)
        elif isinstance(target, ast.Attribute):
            owner = self.eval(frame, target.value)
            if not isinstance(owner, Instance):
                raise NotStatic("attribute assignment")
            owner.attrs[target.attr] = value
        elif isinstance(target, ast.Subscript):
            container, key = self.eval(frame, target.value), self.eval(frame, target.slice)
            if isinstance(container, dict) and isinstance(key, str | int):
                container[key] = value
            else:
                raise NotStatic("item assignment")
        else:
            raise NotStatic("assignment target")

    def iterate(self, value: Any) -> list[Any]:
        """The items of a known list, tuple, dict (keys) or string (bounded)."""
        if isinstance(value, dict):
            value = list(value)
        if not isinstance(value, list | tuple | str) or len(value) > MAX_ITERATIONS:
            raise NotStatic("not a known iterable")
        if any(isinstance(v, Splice) for v in value):
            raise NotStatic("items not known")
        return list(value)


def _catches_import(kind: ast.expr | None) -> bool:
    """``except:``, ``except ImportError``, ``except (ImportError, X)``, ``except Exception``."""
    if kind is None:
        return True
    kinds = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(
        (k.id if isinstance(k, ast.Name) else getattr(k, "attr", "")) in _IMPORT_ERRORS
        for k in kinds
    )


def _inert(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Defining ``func`` runs no code: no decorator, no call among its defaults."""
    spec = func.args
    defaults = [*spec.defaults, *(d for d in spec.kw_defaults if d is not None)]
    return not func.decorator_list and not any(
        isinstance(node, ast.Call) for d in defaults for node in walking.walk(d)
    )


def _returned_parameter(func: ast.FunctionDef) -> str | None:
    """The parameter every ``return`` of ``func`` returns unchanged, if any."""
    returns = [n for n in walking.walk(func) if isinstance(n, ast.Return)]
    names = {r.value.id if isinstance(r.value, ast.Name) else None for r in returns}
    params = {a.arg for a in [*func.args.posonlyargs, *func.args.args]}
    if len(names) != 1 or (name := next(iter(names))) not in params:
        return None
    for node in walking.walk(func):
        # items added to (or the name rebound) part-way would be lost silently: not this rule
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return None
        if isinstance(node, ast.AugAssign | ast.Subscript) and _names(node, name):
            return None
        if (
            isinstance(node, ast.Attribute)
            and node.attr in _MUTATORS
            and isinstance(node.value, ast.Name)
            and node.value.id == name
        ):
            return None
    return name


def _names(node: ast.AugAssign | ast.Subscript, name: str) -> bool:
    target = node.target if isinstance(node, ast.AugAssign) else node.value
    return isinstance(target, ast.Name) and target.id == name


def _returns(body: list[ast.stmt]) -> bool:
    """``body`` ends in ``return <value>`` (as the branches of a URL factory's ``if`` do)."""
    return bool(body) and isinstance(body[-1], ast.Return) and body[-1].value is not None
