"""Evaluate a project's settings module statically, the way Django would where it can.

Assignments in order, ``from .base import *`` chains, django-split-settings'
``include()``/``optional()``, item assignment (``REST_FRAMEWORK["X"] = ...``), ``.update()``,
``.setdefault()``, ``+=``/``.append``/``.extend`` and strings built by concatenation or
formatting. Finding the settings module is :mod:`.layout`'s job (re-exported here).
"""

from __future__ import annotations

import ast
from functools import partial
from pathlib import Path

from mtlsguard.findings.model import Location, Unresolved
from mtlsguard.scan import walking
from mtlsguard.scan.project_model import (
    BinOp,
    Const,
    Expr,
    Mapping,
    Seq,
    SettingsModel,
    SettingValue,
    Unknown,
)
from mtlsguard.scan.static.configurations import configuration_bodies
from mtlsguard.scan.static.folding import fold_string, static_string
from mtlsguard.scan.static.layout import (
    SKIP_DIRS,
    ProjectLayout,
    discover,
    dotted_for,
    settings_candidates,
)
from mtlsguard.scan.static.modules import ParsedModule, absolute_import
from mtlsguard.scan.static.settings_escapes import declares_global, escapes, own_expressions
from mtlsguard.scan.static.settings_handoffs import (
    HANDOFF_STATEMENTS,
    KNOWN_HELPERS,
    SPLIT_SETTINGS,
    namespace_handoffs,
)
from mtlsguard.scan.static.settings_values import (
    ENV_SCHEMAS,
    LOCAL_MUTATIONS,
    comprehension,
    copied,
    env_schema,
    is_conditional,
    mutated_local,
    path_value,
    removed,
    spliced,
    with_schema_default,
)
from mtlsguard.scan.static.source import SourceTree

__all__ = [
    "SKIP_DIRS",
    "ProjectLayout",
    "discover",
    "dotted_for",
    "evaluate_settings",
    "settings_candidates",
]


def _append(current: Expr | None, items: tuple[Expr, ...]) -> Expr:
    if isinstance(current, Seq):
        return Seq(current.items + items)
    return BinOp("+", current or Seq(()), Seq(items))


def evaluate_settings(
    tree: SourceTree, module_name: str, notes: list[Unresolved] | None = None
) -> SettingsModel | None:
    """Evaluate the settings module ``module_name``; None if it is not in the project.

    What cannot be followed (a split-settings file that does not exist) is added to ``notes``.
    """
    module = tree.load(module_name)
    if module is None:
        return None
    evaluator = _Evaluator(tree, notes if notes is not None else [])
    evaluator.module(module, conditional=False)
    configuration, bodies = configuration_bodies(tree, module) or ("", [])
    for body in bodies:
        evaluator.statements(module, body, conditional=False)
    return SettingsModel(
        module=module_name,
        values=evaluator.values,
        injected_by=tuple(dict.fromkeys(evaluator.injections)),
        configuration=configuration,
    )


class _Evaluator:
    """One settings evaluation: the values so far, the modules entered, what went unresolved."""

    def __init__(self, tree: SourceTree, notes: list[Unresolved]) -> None:
        self.tree = tree
        self.notes = notes
        self.values: dict[str, SettingValue] = {}
        self.seen: set[str] = set()
        self.guarded = 0
        """Depth of ``try`` bodies around the statement (a failed import is expected there)."""
        self.injections: list[str] = []
        """Calls handed the module namespace (:attr:`SettingsModel.injected_by`)."""
        self.locals: dict[str, Expr] = {}
        """Lower-case module names (``middleware_list = list(MIDDLEWARE)``), as evaluated."""
        self.env_defaults: dict[str, dict[str, Expr]] = {}
        """django-environ readers by local name: the schema default of each variable."""

    def module(self, module: ParsedModule, *, conditional: bool) -> None:
        if module.name in self.seen:
            return
        self.seen.add(module.name)
        self.statements(module, module.tree.body, conditional)

    def statements(self, module: ParsedModule, body: list[ast.stmt], conditional: bool) -> None:
        for stmt in body:
            self.statement(module, stmt, conditional)

    def statement(self, module: ParsedModule, stmt: ast.stmt, conditional: bool) -> None:
        self.evaluate(module, stmt, conditional)
        handled = (
            stmt.value if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) else None
        )
        for root in own_expressions(stmt):
            for name, how in escapes(root, self.mutable, handled):
                self.unknown(module, stmt, name, how)

    def mutable(self, name: str) -> bool:
        """A setting holding a list or dict other code could change in place."""
        setting = self.values.get(name)
        return setting is not None and isinstance(setting.value, Seq | Mapping | BinOp)

    def evaluate(self, module: ParsedModule, stmt: ast.stmt, conditional: bool) -> None:
        if isinstance(stmt, HANDOFF_STATEMENTS):
            self.injections.extend(
                f"{module.relpath}:{line} {what}"
                for line, what, func in namespace_handoffs(stmt)
                if func is None or self.tree.dotted_of(module, func) not in KNOWN_HELPERS
            )
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            name = absolute_import(module, stmt.module, stmt.level)
            star = self.tree.load(name)
            if star is not None:
                self.module(star, conditional=conditional)
            elif stmt.level and not self.guarded and self.tree.module_path(name) is None:
                # ``from .base import *`` outside try/except ImportError: Django would fail
                self.notes.append(
                    Unresolved(
                        "settings",
                        name,
                        f"{module.name} star-imports a settings module that is not in the project",
                        module.location(stmt),
                    )
                )
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                self.assign(module, stmt, target, stmt.value, conditional)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            self.augment(module, stmt, stmt.target.id, conditional)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            if not self.split_include(module, stmt.value, conditional):
                self.mutation(module, stmt, stmt.value, conditional)
        elif isinstance(stmt, ast.If | ast.For | ast.AsyncFor | ast.While):
            # a loop body may run any number of times, or not at all
            self.statements(module, stmt.body, True)
            self.statements(module, stmt.orelse, True)
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    self.unknown(module, stmt, target.value.id, "[...] deleted")
        elif isinstance(stmt, ast.Try):
            self.guarded += 1  # try: from .local import * / except ImportError: pass
            try:
                self.statements(module, stmt.body, conditional)
            finally:
                self.guarded -= 1
            for handler in stmt.handlers:
                self.statements(module, handler.body, True)
            self.statements(module, stmt.orelse + stmt.finalbody, conditional)
        elif isinstance(stmt, ast.FunctionDef) and declares_global(stmt):
            # ``def _parse(): global MIDDLEWARE; MIDDLEWARE.append(...)``: may run, later
            self.statements(module, stmt.body, True)
        elif isinstance(stmt, ast.With):
            # ``with suppress(ImportError): from .override_settings import *``
            guard = any(
                isinstance(item.context_expr, ast.Call)
                and isinstance(item.context_expr.func, ast.Name | ast.Attribute)
                and ast.unparse(item.context_expr.func).endswith("suppress")
                for item in stmt.items
            )
            self.guarded += guard
            try:
                self.statements(module, stmt.body, conditional)
            finally:
                self.guarded -= guard

    def assign(
        self,
        module: ParsedModule,
        stmt: ast.stmt,
        target: ast.expr,
        node: ast.expr,
        conditional: bool,
    ) -> None:
        if isinstance(target, ast.Name) and target.id.isupper():
            value = self.value(module, node)
            self.values[target.id] = SettingValue(
                value, module.location(stmt), conditional or is_conditional(value)
            )
        elif isinstance(target, ast.Name):
            if isinstance(node, ast.Call) and self.tree.dotted_of(module, node.func) in ENV_SCHEMAS:
                schema = env_schema(node)
                self.env_defaults[target.id] = {k: self.value(module, v) for k, v in schema.items()}
            self.locals[target.id] = self.value(module, node)
        elif (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and isinstance(target.slice, ast.Constant)
            and isinstance(target.slice.value, str)
        ):
            # REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] = (...)
            item = ((Const(target.slice.value), self.value(module, node)),)
            self.merge(module, stmt, target.value.id, item, conditional, replace=True)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            self.unknown(module, stmt, target.value.id, "[...] =")  # MIDDLEWARE[2] = ...

    def unknown(self, module: ParsedModule, stmt: ast.stmt, name: str, how: str) -> None:
        """A setting changed in a way not modelled (``MIDDLEWARE.remove(x)``, ``del X[2]``).

        Its value is unknown from here on: nothing read from it (a login middleware, an
        allow-list) may be believed.
        """
        if name in self.values:
            where = module.location(stmt)
            self.values[name] = SettingValue(Unknown(f"{name}{how}"), where, True)

    def augment(self, module: ParsedModule, stmt: ast.AugAssign, name: str, cond: bool) -> None:
        if not name.isupper() or not isinstance(stmt.op, ast.Add):
            return
        old = self.values.get(name)
        added = self.value(module, stmt.value)
        if old is not None and isinstance(old.value, Const) and isinstance(added, Const):
            folded = static_string(BinOp("+", old.value, added))
            new: Expr = Const(folded) if folded is not None else BinOp("+", old.value, added)
        else:
            items = added.items if isinstance(added, Seq) else (added,)
            new = _append(old.value if old else None, items)
        self.values[name] = _grown(new, module.location(stmt), old, cond)

    def merge(
        self,
        module: ParsedModule,
        stmt: ast.stmt,
        name: str,
        items: tuple[tuple[Expr, Expr], ...],
        conditional: bool,
        *,
        replace: bool,
    ) -> None:
        """``name[key] = value``, ``name.update(...)`` (replace) or ``name.setdefault``."""
        old = self.values.get(name)
        if old is None or not isinstance(old.value, Mapping):
            return
        merged = list(old.value.items)
        for key, value in items:
            index = next((i for i, (k, _v) in enumerate(merged) if k == key), None)
            if index is None:
                merged.append((key, value))
            elif replace:
                merged[index] = (key, value)
        self.values[name] = SettingValue(
            Mapping(tuple(merged)), module.location(stmt), conditional or old.conditional
        )

    def mutation(
        self, module: ParsedModule, stmt: ast.Expr, call: ast.Call, conditional: bool
    ) -> None:
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return
        name = func.value.id
        if name in self.locals and func.attr in LOCAL_MUTATIONS:
            args = [self.value(module, arg) for arg in call.args]
            self.locals[name] = mutated_local(self.locals[name], func.attr, args)
            return
        old = self.values.get(name)
        if old is None:
            return
        if func.attr in ("update", "setdefault"):
            self.mapping_mutation(module, stmt, call, name, conditional)
            return
        if func.attr in ("remove", "pop", "clear", "discard", "popitem"):
            kept = None
            if func.attr in ("remove", "discard") and len(call.args) == 1:
                gone = self.value(module, call.args[0])
                kept = removed(old, gone, module.location(stmt), conditional)
            if kept is None:
                self.unknown(module, stmt, name, f".{func.attr}()")
            else:
                self.values[name] = kept
            return
        if not call.args:
            return
        if func.attr in ("append", "insert"):
            item = self.value(module, call.args[-1])
            if func.attr == "insert" and isinstance(old.value, Seq):
                new: Expr = Seq((item, *old.value.items))
            else:
                new = _append(old.value, (item,))
        elif func.attr == "extend":
            added = self.value(module, call.args[0])
            new = _append(old.value, added.items if isinstance(added, Seq) else (added,))
        else:
            return
        self.values[name] = _grown(new, module.location(stmt), old, conditional)

    def mapping_mutation(
        self, module: ParsedModule, stmt: ast.Expr, call: ast.Call, name: str, cond: bool
    ) -> None:
        items: list[tuple[Expr, Expr]] = []
        if call.func.attr == "setdefault":  # type: ignore[attr-defined]
            if len(call.args) == 2:
                items.append((self.value(module, call.args[0]), self.value(module, call.args[1])))
            self.merge(module, stmt, name, tuple(items), cond, replace=False)
            return
        for arg in call.args:
            value = self.value(module, arg)
            if isinstance(value, Mapping):
                items.extend(value.items)
        items.extend(
            (Const(kw.arg), self.value(module, kw.value)) for kw in call.keywords if kw.arg
        )
        self.merge(module, stmt, name, tuple(items), cond, replace=True)

    def split_include(self, module: ParsedModule, call: ast.Call, conditional: bool) -> bool:
        """django-split-settings' ``include("base.py", optional("local.py"), scope=...)``."""
        if self.tree.dotted_of(module, call.func) not in SPLIT_SETTINGS:
            return False
        base = module.path.parent
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        for arg in call.args:
            optional = False
            if isinstance(arg, ast.Call) and arg.args:
                optional = self.tree.dotted_of(module, arg.func) == SPLIT_SETTINGS[1]
                arg = arg.args[0]
            pattern = fold_string(arg, module.assigns)
            if pattern is None:
                self.notes.append(
                    Unresolved(
                        "settings",
                        ast.unparse(arg),
                        "split-settings include() of a file name computed at run time",
                        module.location(call),
                    )
                )
                continue
            try:
                matches = sorted(base.glob(pattern)) if pattern else []
            except (NotImplementedError, ValueError, OSError):  # absolute or malformed pattern
                matches = []
            if not matches and not optional:
                self.notes.append(
                    Unresolved(
                        "settings",
                        pattern,
                        f"split-settings include() names no file next to {module.relpath}",
                        module.location(call),
                    )
                )
            for path in matches:
                self.split_file(path, base, package, conditional or optional)
        return True

    def split_file(self, path: Path, base: Path, package: str, conditional: bool) -> None:
        parts = [*path.relative_to(base).with_suffix("").parts]
        dotted = ".".join([package, *parts]) if package else ".".join(parts)
        parsed = self.tree.parse_file(path, dotted, is_package=False)
        if parsed is not None:
            self.module(parsed, conditional=conditional)

    def value(self, module: ParsedModule, node: ast.expr) -> Expr:
        # Names of settings assigned earlier (possibly in a star-imported base) take the value
        # they had at this point, not the module's last assignment.
        if isinstance(node, ast.Name) and node.id in self.values:
            return self.values[node.id].value
        if isinstance(node, ast.Name) and node.id in self.locals:
            return self.locals[node.id]
        if isinstance(node, ast.List | ast.Tuple):
            return spliced(node, lambda elt: self.value(module, elt))
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return comprehension(node, lambda elt: self.value(module, elt))
        read, resolve = partial(self.value, module), partial(self.tree.dotted_of, module)
        if (path := path_value(node, module.path, read, resolve)) is not None:
            return path
        if isinstance(node, ast.Call):
            found = copied(node, lambda elt: self.value(module, elt))
            if found is not None:
                return found
            reader = node.func.value if isinstance(node.func, ast.Attribute) else node.func
            if isinstance(reader, ast.Name) and reader.id in self.env_defaults:
                expr = self.tree.expr(module, node)
                return with_schema_default(expr, node, self.env_defaults[reader.id])
        if isinstance(node, ast.BinOp | ast.JoinedStr) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
        ):
            folded = fold_string(node, lambda name: self.string(module, name))
            if folded is not None and not _reads_environment(node):
                return Const(folded)
        if isinstance(node, ast.BinOp):
            left = self.value(module, node.left)
            right = self.value(module, node.right)
            full = self.tree.expr(module, node)
            if isinstance(full, BinOp):
                return BinOp(full.op, left, right)
            return full
        return self.tree.expr(module, node)

    def string(self, module: ParsedModule, name: str) -> str | None:
        setting = self.values.get(name)
        if setting is not None:
            return static_string(setting.value)
        node = module.assigns.get(name)
        return fold_string(node, module.assigns) if node is not None else None


def _grown(new: Expr, location: Location, old: SettingValue | None, cond: bool) -> SettingValue:
    """``NAME += [...]``/``.append()``: conditional only by what an ``if`` may add."""
    conditional = cond or bool(old and old.conditional)
    additive = conditional and old is not None and (not old.conditional or old.additive)
    return SettingValue(new, location, conditional, additive=additive)


def _reads_environment(node: ast.expr) -> bool:
    """A value that depends on the environment stays a call: it is decided at deploy time."""
    return any(
        isinstance(n, ast.Call)
        and not (isinstance(n.func, ast.Attribute) and n.func.attr == "format")
        for n in walking.walk(node)
    )
