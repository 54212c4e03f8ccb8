"""Build neutral :class:`FunctionModel`/:class:`ClassModel` objects from the AST, on demand.

Only definitions reached from routes, settings and what those refer to (decorators, bases,
permission classes, models, callees) are modelled.
"""

from __future__ import annotations

import ast
from pathlib import Path

from mtlsguard.scan.facts import analyze_function
from mtlsguard.scan.facts.syntax import self_assigned
from mtlsguard.scan.linearisation import c3
from mtlsguard.scan.project_model import (
    ClassModel,
    Expr,
    FunctionFacts,
    FunctionModel,
    ProjectModel,
    Ref,
    string_constants,
)
from mtlsguard.scan.static.admin_site import app_package
from mtlsguard.scan.static.class_bases import TYPING_BASES, base_node
from mtlsguard.scan.static.definitions import DefinitionIndex
from mtlsguard.scan.static.local_imports import with_function_imports
from mtlsguard.scan.static.module_growth import changed_elsewhere, module_growth
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["DEEP_ATTRIBUTES", "ModelBuilder"]

_ASSIGNMENTS = (ast.Assign, ast.AnnAssign)
"""Checked with ``isinstance`` in a hot loop (a tuple: no union built per call)."""

DEEP_ATTRIBUTES = frozenset(
    {
        "permission_classes",
        "authentication_classes",
        "throttle_classes",
        "queryset",
        "model",
        "lookup_field",
        "permission_required",
        "login_url",
    }
)
"""Class attributes whose values are resolved through other modules (constants inlined)."""


class ModelBuilder:
    """Fill a :class:`ProjectModel` with the definitions the scan reaches."""

    def __init__(self, tree: SourceTree, project: ProjectModel) -> None:
        self.tree = tree
        self.project = project
        self._pending: list[str] = []
        self._done: set[str] = set()
        self._constants: dict[tuple[str, str], str | None] = {}
        self._defined: dict[str, FunctionModel | ClassModel | None] = {}
        self._changed: dict[str, frozenset[Path]] = {}
        self._app_models_read = False
        project.loader = self.define
        project.peek = self.define_parsed
        project.method_finder = self.methods_named
        project.relating_classes = self.classes_naming
        project.parsed_definition = DefinitionIndex(tree)

    def want(self, dotted: str) -> None:
        """Queue ``dotted`` (and, for ``X.objects.all``, its owner ``X``) for modelling."""
        if dotted not in self._done:
            self._pending.append(dotted)

    def drain(self) -> None:
        """Model everything queued and, transitively, the project names it refers to.

        Every top-level function and class of each module parsed along the way is modelled
        too (the file is parsed already, so module-wide rules such as JWT checks see it).
        """
        seen_keys: set[str] = set()
        modelled: set[int] = set()
        while True:
            while self._pending:
                dotted = self._pending.pop()
                if dotted in self._done:
                    continue
                self._done.add(dotted)
                self.define(dotted)
            # Keys, not module names: one file reached under two dotted names (a symlink, a
            # src/ layout) is one module object listed under both keys.
            fresh_keys = [k for k in list(self.tree.modules) if k not in seen_keys]
            if not fresh_keys:
                return
            seen_keys.update(fresh_keys)
            for key in fresh_keys:
                module = self.tree.modules[key]
                if module is None or id(module) in modelled:
                    continue
                modelled.add(id(module))
                if not module.module_wide:
                    continue
                for name, node in module.defs.items():
                    qual = f"{module.name}.{name}"
                    if isinstance(node, ast.ClassDef):
                        self.klass(module, node, qual)
                    else:
                        self.function(module, node, qual)

    def define(self, dotted: str) -> FunctionModel | ClassModel | None:
        """Model the project definition ``dotted`` (trying shorter prefixes), if any (memoised)."""
        if dotted in self._defined:
            return self._defined[dotted]
        found = self._define(dotted)
        self._defined[dotted] = found
        return found

    def methods_named(self, name: str) -> tuple[str, ...]:
        """Dotted paths of the methods ``name`` of the top-level classes of parsed modules."""
        found: list[str] = []
        for module in list(self.tree.modules.values()):
            if module is None:
                continue
            for cls_name, node in module.defs.items():
                if isinstance(node, ast.ClassDef) and any(
                    isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == name
                    for item in node.body
                ):
                    found.append(f"{module.name}.{cls_name}.{name}")
        return tuple(dict.fromkeys(found))

    def classes_naming(self, name: str) -> tuple[str, ...]:
        """Top-level classes of parsed modules with a class-level call naming ``name``.

        ``ForeignKey(Event, ...)``, ``ManyToManyField("events.Event")``, ``to=models.Event``:
        the candidates for a relation to the model ``name`` (a short class name). The
        ``models`` modules of the installed apps are read first (:meth:`_read_app_models`): a
        membership model may live in an app no route reaches.
        """
        self._read_app_models()
        found: list[str] = []
        for module in list(self.tree.modules.values()):
            if module is None:
                continue
            for cls_name, node in module.defs.items():
                if isinstance(node, ast.ClassDef) and any(
                    _names_class(item, name) for item in node.body
                ):
                    found.append(f"{module.name}.{cls_name}")
        return tuple(dict.fromkeys(found))

    def _read_app_models(self) -> None:
        """Parse (once) each installed app's ``models`` module, and a package's submodules.

        Whether a model named like a tenant (``Organization``) has members may only show in a
        ``Membership`` of another app (``members/models.py``) that no view imports: without it
        the tenant, and every cross-tenant finding under it, would go unseen.
        """
        if self._app_models_read:
            return
        self._app_models_read = True
        settings = self.project.settings
        installed = settings.get("INSTALLED_APPS") if settings is not None else None
        for entry in string_constants(installed.value) if installed is not None else ():
            dotted = f"{app_package(entry)}.models"
            module = self.tree.load(dotted)
            if module is None or not module.is_package:
                continue
            for path in sorted(module.path.parent.glob("*.py")):
                if path.stem != "__init__":
                    self.tree.load(f"{dotted}.{path.stem}")

    def define_parsed(self, dotted: str) -> FunctionModel | ClassModel | None:
        """:meth:`define`, but only for a top-level definition of a module already parsed."""
        modname, _, attr = dotted.rpartition(".")
        module = self.tree.modules.get(modname)
        if module is None or attr not in module.defs:
            return None
        return self.define(dotted)

    def _define(self, dotted: str) -> FunctionModel | ClassModel | None:
        if dotted in self.project.functions:
            return self.project.functions[dotted]
        if dotted in self.project.classes:
            return self.project.classes[dotted]
        parts = dotted.split(".")
        for cut in range(len(parts), 1, -1):
            name = ".".join(parts[:cut])
            if not self.tree.is_local(name):
                return None
            found = self.tree.lookup(name)
            if found is None:
                continue
            module, node = found
            canonical = f"{module.name}.{name.rsplit('.', 1)[-1]}"
            if isinstance(node, ast.ClassDef):
                return self.klass(module, node, canonical)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return self.function(module, node, canonical)
            return None
        return None

    def _growth(self, module: ParsedModule, name: str) -> tuple[ast.expr, ...] | None:
        """What the module that assigns ``name`` (this one, or one it imports it from) adds."""
        if name in module.assigns:
            owner, short = module, name
        else:
            target = module.imports.get(name)
            found = self.tree.lookup(target) if target else None
            if found is None or not isinstance(found[1], ast.expr) or not target:
                return None
            owner, short = found[0], target.rpartition(".")[2]
        if changed_elsewhere(self.tree.root, owner.path, short, self._changed):
            return None
        return module_growth(owner, short)

    def function(
        self, module: ParsedModule, node: ast.FunctionDef | ast.AsyncFunctionDef, qual: str
    ) -> FunctionModel:
        """Model one function or method."""
        existing = self.project.functions.get(qual)
        if existing is not None:
            return existing

        def load() -> FunctionFacts:
            # ``from billing.models import Invoice`` inside the body binds like a module import.
            scope = with_function_imports(module, node)
            return analyze_function(
                node,
                self.tree.shallow_resolver(scope),
                lambda name: self._constant(module, name),
                lambda name: self._growth(module, name),
            )

        decorators = tuple(self.tree.expr(module, d) for d in node.decorator_list)
        args = node.args
        model = FunctionModel(
            qualname=qual,
            location=module.location(node),
            decorators=decorators,
            params=tuple(a.arg for a in args.posonlyargs + args.args + args.kwonlyargs),
            loader=load,
            hints=module.hints,
            self_assigned=lambda: self_assigned(node),
        )
        self.project.functions[qual] = model
        return model

    def klass(self, module: ParsedModule, node: ast.ClassDef, qual: str) -> ClassModel:
        """Model one class (its project bases first, for the MRO)."""
        existing = self.project.classes.get(qual)
        if existing is not None:
            return existing
        resolved = (self.tree.expr(module, base_node(b)) for b in node.bases)
        bases = tuple(b for b in resolved if not (isinstance(b, Ref) and b.name in TYPING_BASES))
        # Placeholder breaks cycles (class A(B) / class B(A)) before recursing into bases.
        placeholder = ClassModel(qualname=qual, location=module.location(node), mro=(qual,))
        self.project.classes[qual] = placeholder
        base_mros: list[list[str]] = []
        names: list[str] = []
        for base in bases:
            if not isinstance(base, Ref):
                continue
            built = self.define(base.name)
            if isinstance(built, ClassModel):
                base_mros.append(list(built.mro))
                names.append(built.qualname)
            else:
                base_mros.append([base.name])
                names.append(base.name)
        mro = c3([*base_mros, names]) or [n for m in base_mros for n in m]
        attributes: dict[str, Expr] = {}
        lines: dict[str, int] = {}
        methods: dict[str, FunctionModel] = {}
        for stmt in node.body:
            if isinstance(stmt, _ASSIGNMENTS) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        # Only attributes the semantics reads are resolved across modules;
                        # the rest (form_class, template_name...) never parse another file.
                        deep = target.id in DEEP_ATTRIBUTES
                        attributes[target.id] = self.tree.expr(module, stmt.value, shallow=not deep)
                        lines[target.id] = stmt.lineno
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                methods[stmt.name] = self.function(module, stmt, f"{qual}.{stmt.name}")
        model = ClassModel(
            qualname=qual,
            location=module.location(node),
            bases=bases,
            mro=(qual, *mro),
            attributes=attributes,
            attribute_lines=lines,
            methods=methods,
            decorators=tuple(self.tree.expr(module, d) for d in node.decorator_list),
        )
        self.project.classes[qual] = model
        return model

    def _constant(self, module: ParsedModule, name: str) -> str | None:
        key = (module.name, name)
        if key in self._constants:
            return self._constants[key]
        value = self._constant_uncached(module, name)
        self._constants[key] = value
        return value

    def _constant_uncached(self, module: ParsedModule, name: str) -> str | None:
        node = module.assigns.get(name)
        if node is None and name in module.imports:
            # A constant imported from a module the scan parsed anyway (settings, a config
            # module); never parse a file just to learn whether a name is a header string.
            modname, _, attr = module.imports[name].rpartition(".")
            other = self.tree.modules.get(modname)
            if other is not None:
                node = other.assigns.get(attr)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return None


def _names_class(statement: ast.stmt, name: str) -> bool:
    """``statement`` assigns a call with an argument naming the class ``name``."""
    value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
    if not isinstance(value, ast.Call):
        return False
    for arg in (*value.args, *(k.value for k in value.keywords)):
        if isinstance(arg, ast.Name) and arg.id == name:
            return True
        if isinstance(arg, ast.Attribute) and arg.attr == name:
            return True
        if (
            isinstance(arg, ast.Constant)
            and isinstance(arg.value, str)
            and arg.value.rsplit(".", 1)[-1] == name
        ):
            return True
    return False
