"""Values a URLconf computes from its own constants and the project's settings.

``re_path(r"^data/" + settings.AVATAR_PATH + "/(?P<path>.*)$", ...)``, ``path(URL_PREFIX, ...)``
with ``URL_PREFIX = settings.URL_PREFIX``, ``if "weblate.gitexport" in settings.INSTALLED_APPS:``,
``if not URL_PREFIX:``: with the settings evaluated statically, the route and the branch Django
would take are known. A setting decided at deploy time (read from the environment, assigned
under an ``if``) is unknown, and then both branches are walked.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.project_model import Const, Seq, SettingsModel, string_constants
from mtlsguard.scan.static.folding import fold_string, static_string
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["StaticValues", "first_assignment"]

_SETTINGS = "django.conf.settings"
_MAX_DEPTH = 6


def first_assignment(module: ParsedModule, name: str) -> ast.expr | None:
    """The first module-level value of ``name`` (the ``if`` branch of an ``if``/``else``)."""
    pending: list[ast.stmt] = list(module.tree.body)
    while pending:
        stmt = pending.pop(0)
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in stmt.targets
        ):
            return stmt.value
        if isinstance(stmt, ast.If):
            pending[:0] = [*stmt.body, *stmt.orelse]
        elif isinstance(stmt, ast.Try):
            pending[:0] = [*stmt.body, *(s for h in stmt.handlers for s in h.body)]
    return None


class StaticValues:
    """Strings and truth values of a URLconf's expressions, settings included."""

    def __init__(self, tree: SourceTree, settings: SettingsModel | None) -> None:
        self.tree = tree
        self.settings = settings

    def string(self, module: ParsedModule, node: ast.expr, depth: int = 0) -> str | None:
        """The string ``node`` evaluates to, or None."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            value = first_assignment(module, node.id)
            return self.string(module, value, depth + 1) if value is not None else None
        if isinstance(node, ast.Attribute):
            setting = self._setting(module, node)
            return static_string(setting) if isinstance(setting, Const | Seq) else None
        return fold_string(node, lambda name: self._named(module, name, depth + 1))

    def _named(self, module: ParsedModule, name: str, depth: int) -> str | None:
        """A bare or dotted name inside a larger expression (``PREFIX``, ``settings.X``)."""
        try:
            node = ast.parse(name, mode="eval").body
        except SyntaxError:
            return None
        return (
            self.string(module, node, depth) if isinstance(node, ast.Name | ast.Attribute) else None
        )

    def truth(self, module: ParsedModule, test: ast.expr, depth: int = 0) -> bool | None:
        """Whether ``test`` holds with these settings; None when it cannot be known."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(test, ast.Constant):
            return bool(test.value)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self.truth(module, test.operand, depth + 1)
            return None if inner is None else not inner
        if isinstance(test, ast.BoolOp):
            values = [self.truth(module, v, depth + 1) for v in test.values]
            if isinstance(test.op, ast.And):
                return False if False in values else (None if None in values else True)
            return True if True in values else (None if None in values else False)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            return self._membership(module, test, depth)
        if isinstance(test, ast.Name):
            value = first_assignment(module, test.id)
            return self.truth(module, value, depth + 1) if value is not None else None
        if isinstance(test, ast.Attribute):
            setting = self._setting(module, test)
            if isinstance(setting, Const):
                return bool(setting.value)
            return bool(setting.items) if isinstance(setting, Seq) else None
        return None

    def _membership(self, module: ParsedModule, test: ast.Compare, depth: int) -> bool | None:
        """``"app" in settings.INSTALLED_APPS`` (or ``not in``)."""
        op, right = test.ops[0], test.comparators[0]
        if not isinstance(op, ast.In | ast.NotIn) or not isinstance(right, ast.Attribute):
            return None
        needle = self.string(module, test.left, depth + 1)
        setting = self._setting(module, right)
        if needle is None or not isinstance(setting, Seq):
            return None
        found = needle in list(string_constants(setting))
        return found if isinstance(op, ast.In) else not found

    def _setting(self, module: ParsedModule, node: ast.Attribute) -> Const | Seq | None:
        """``settings.X`` as evaluated, when it is a plain (unconditional) value."""
        if self.settings is None or self.tree.dotted_of(module, node.value) != _SETTINGS:
            return None
        value = self.settings.get(node.attr)
        if value is None or value.conditional or not isinstance(value.value, Const | Seq):
            return None
        return value.value
