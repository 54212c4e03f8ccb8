"""Safe, lazy loading of the scanned project's modules and name resolution across them.

Each file is read and parsed at most once, and only when the settings or URLconf reach it. A
file that cannot be read or parsed becomes a :class:`~mtlsguard.findings.model.ScanError` and the
scan goes on without it. Nothing here imports the scanned project.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from mtlsguard.findings.model import Location, ScanError
from mtlsguard.scan.project_model import (
    BinOp,
    Call,
    Const,
    Expr,
    IfExpr,
    Lambda,
    Mapping,
    Ref,
    Seq,
    Unary,
    Unknown,
)

__all__ = ["HINT_WORDS", "MAX_FILE_BYTES", "ParsedModule", "SourceTree"]

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Files larger than this are skipped with a scan error."""

_BINOPS: dict[type[ast.operator], str] = {
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_UNARY: dict[type[ast.unaryop], str] = {ast.Invert: "~", ast.USub: "-", ast.Not: "not"}
_MAX_DEPTH = 12
HINT_WORDS = (
    "jwt",
    "session",
    "login",
    "authenticate",
    "check_password",
    "SSL",
    "CERT",
    "Cert",
    "cert",
)
"""Words recorded per module so module-wide rules can skip functions cheaply."""
_MODULE_WIDE_TOKENS = (
    b"jwt",
    b"session[",
    b"SSL_CLIENT",
    b"SSL-Client",
    b"CLIENT_CERT",
    b"Client-Cert",
    b"CLIENT_VERIFY",
    b"Client-Verify",
    b"Middleware",
    b"Authentication",
    b"Backend",
    b"process_request",
)


@dataclass(slots=True)
class ParsedModule:
    """One parsed module and its top-level symbol table."""

    name: str
    """Dotted module name."""
    path: Path
    relpath: str
    """POSIX path relative to the scanned root."""
    tree: ast.Module
    is_package: bool
    imports: dict[str, str] = field(default_factory=dict)
    """Local name -> dotted target (``views`` -> ``billing.views``)."""
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = field(
        default_factory=dict
    )
    assigns: dict[str, ast.expr] = field(default_factory=dict)
    """Top-level ``NAME = value`` (last one wins)."""
    star_imports: list[str] = field(default_factory=list)
    """Targets of ``from X import *``."""
    module_wide: bool = False
    """The source mentions something module-wide rules look for (JWT, sessions, certificate
    headers, middleware), so every definition in it is modelled, not only reached ones."""
    hints: frozenset[str] = frozenset()
    """Which of :data:`HINT_WORDS` occur in the source."""

    def location(self, node: ast.AST) -> Location:
        """Location of ``node`` in this module."""
        return Location(
            self.relpath, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        )


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements at module level, descending into ``if``/``try``/``with`` blocks."""
    out: list[ast.stmt] = []
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        out.append(stmt)
        if isinstance(stmt, ast.If):
            stack.extend(reversed(stmt.body + stmt.orelse))
        elif isinstance(stmt, ast.Try):
            stack.extend(reversed(stmt.body + stmt.orelse + stmt.finalbody))
            for handler in stmt.handlers:
                stack.extend(reversed(handler.body))
        elif isinstance(stmt, ast.With):
            stack.extend(reversed(stmt.body))
    return out


class SourceTree:
    """The scanned project's source: module lookup, parsing and name resolution."""

    def __init__(self, root: Path, search_roots: list[Path] | None = None) -> None:
        self.root = root.resolve()
        self.search_roots = search_roots or [self.root]
        self._search_strs = [str(base) for base in self.search_roots]
        self.modules: dict[str, ParsedModule | None] = {}
        self.errors: list[ScanError] = []
        self.files_scanned = 0
        self.lines_scanned = 0
        self._by_path: dict[Path, ParsedModule | None] = {}
        self._paths: dict[str, tuple[Path, bool] | None] = {}
        self._canonical: dict[str, str] = {}
        self._resolved: dict[tuple[str, str], str] = {}
        self._exprs: dict[str, Expr] = {}
        self._raw: dict[Path, bytes] = {}

    # --- files ---------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        """``path`` relative to the root, POSIX style."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def module_path(self, dotted: str) -> tuple[Path, bool] | None:
        """File of the project module ``dotted`` and whether it is a package (memoised)."""
        if dotted in self._paths:
            return self._paths[dotted]
        found = self._find(dotted)
        self._paths[dotted] = found
        return found

    def _find(self, dotted: str) -> tuple[Path, bool] | None:
        parts = dotted.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        # Plain strings, not Path objects: this runs for every dotted prefix the scan meets
        # (thousands on pretix), most of them misses.
        for base in self._search_strs:
            stem = os.path.join(base, *parts)
            init = os.path.join(stem, "__init__.py")
            if os.path.lexists(init):
                return Path(init), True
            file = stem + ".py"
            if os.path.lexists(file):
                return Path(file), False
            if os.path.isdir(stem) and not parts[-1].startswith("."):
                # Namespace package (no __init__.py): a directory of modules.
                return Path(init), True
        return None

    def is_local(self, dotted: str) -> bool:
        """True if ``dotted`` (or its module prefix) is part of the scanned project."""
        parts = dotted.split(".")
        return any(self.module_path(".".join(parts[:i])) for i in range(len(parts), 0, -1))

    def load(self, dotted: str) -> ParsedModule | None:
        """Parse the project module ``dotted`` once; None if external or unreadable."""
        if dotted in self.modules:
            return self.modules[dotted]
        found = self.module_path(dotted)
        module = None
        if found is not None:
            module = self.parse_file(found[0], dotted, is_package=found[1])
        self.modules[dotted] = module
        return module

    def parse_file(self, path: Path, dotted: str, *, is_package: bool) -> ParsedModule | None:
        """Read and parse ``path``; record a scan error and return None if that fails."""
        relpath = self.rel(path)
        if not os.path.lexists(path) and is_package:
            tree = ast.Module(body=[], type_ignores=[])
            return self._index(ParsedModule(dotted, path, relpath, tree, True))
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            self._error(relpath, f"cannot resolve file (symlink loop or dangling link): {exc}")
            return None
        if real in self._by_path:
            return self._by_path[real]
        module = self._read(real, relpath, dotted, is_package)
        self._by_path[real] = module
        return module

    def _read(self, real: Path, relpath: str, dotted: str, is_package: bool) -> ParsedModule | None:
        try:
            size = real.stat().st_size
            if size > MAX_FILE_BYTES:
                self._error(relpath, f"file too large ({size} bytes > {MAX_FILE_BYTES})")
                return None
            data = real.read_bytes()
        except OSError as exc:
            self._error(relpath, f"cannot read file: {exc.strerror or exc}")
            return None
        try:
            tree = ast.parse(data, filename=relpath)
        except SyntaxError as exc:
            self._error(relpath, f"syntax error at line {exc.lineno}: {exc.msg}")
            return None
        except (ValueError, UnicodeDecodeError) as exc:
            self._error(relpath, f"cannot decode or parse file: {exc}")
            return None
        self.files_scanned += 1
        self.lines_scanned += data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        module = ParsedModule(dotted, real, relpath, tree, is_package)
        module.module_wide = any(token in data for token in _MODULE_WIDE_TOKENS)
        module.hints = frozenset(w for w in HINT_WORDS if w.encode() in data)
        return self._index(module)

    def _error(self, relpath: str, message: str) -> None:
        self.errors.append(ScanError(relpath, message))

    def _index(self, module: ParsedModule) -> ParsedModule:
        for stmt in _top_level(module.tree.body):
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        module.imports[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        module.imports[top] = top
            elif isinstance(stmt, ast.ImportFrom):
                base = self._absolute(module, stmt.module, stmt.level)
                for alias in stmt.names:
                    if alias.name == "*":
                        module.star_imports.append(base)
                    else:
                        target = f"{base}.{alias.name}" if base else alias.name
                        module.imports[alias.asname or alias.name] = target
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                module.defs[stmt.name] = stmt
                module.imports.pop(stmt.name, None)
            elif isinstance(stmt, ast.Assign):
                for tgt in stmt.targets:
                    if isinstance(tgt, ast.Name):
                        module.assigns[tgt.id] = stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and stmt.value is not None
                and isinstance(stmt.target, ast.Name)
            ):
                module.assigns[stmt.target.id] = stmt.value
        return module

    @staticmethod
    def _absolute(module: ParsedModule, name: str | None, level: int) -> str:
        if level == 0:
            return name or ""
        package = module.name.split(".")
        if not module.is_package:
            package = package[:-1]
        if level > 1:
            package = package[: len(package) - (level - 1)]
        base = ".".join(package)
        if name:
            return f"{base}.{name}" if base else name
        return base

    # --- names ---------------------------------------------------------------------------

    def canonical(self, dotted: str, depth: int = 0) -> str:
        """Follow imports and re-exports of a dotted name to where it is defined (memoised).

        External names (not in the project) are returned as written.
        """
        cached = self._canonical.get(dotted)
        if cached is None:
            cached = self._canonical_uncached(dotted, depth)
            if depth == 0:
                self._canonical[dotted] = cached
        return cached

    def _canonical_uncached(self, dotted: str, depth: int) -> str:
        if depth > _MAX_DEPTH:
            return dotted
        parts = dotted.split(".")
        for i in range(len(parts) - 1, 0, -1):
            modname = ".".join(parts[:i])
            found = self.module_path(modname)
            if found is None:
                continue
            if modname not in self.modules and self._defines_textually(found[0], parts[i]):
                # Defined right there at top level: no need to parse the file just to learn
                # that (pretix's 4,000-line base/settings.py was parsed for one class name).
                return dotted
            module = self.load(modname)
            if module is None:
                return dotted
            attr = parts[i]
            rest = parts[i + 1 :]
            if attr in module.defs or attr in module.assigns:
                return dotted
            target = module.imports.get(attr)
            if target is None:
                for star in module.star_imports:
                    star_mod = self.load(star)
                    if star_mod is not None and (
                        attr in star_mod.defs
                        or attr in star_mod.imports
                        or attr in star_mod.assigns
                    ):
                        target = f"{star}.{attr}"
                        break
            if target is None:
                return dotted
            return self.canonical(".".join([target, *rest]), depth + 1)
        return dotted

    def _defines_textually(self, path: Path, name: str) -> bool:
        """``def name``/``class name``/``name =`` starts a line of the (unparsed) file.

        A line starting in column 0 is a top-level statement, which parsing would record in
        ``defs``/``assigns`` too, so the answer of :meth:`canonical` is the same. Anything
        else (re-exports, definitions inside ``if``/``try``) falls back to parsing.
        """
        data = self._raw.get(path)
        if data is None:
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    return False
                data = path.read_bytes()
            except OSError:
                return False
            self._raw[path] = data
        if not name.isidentifier():
            return False
        pattern = rb"^(?:(?:async[ \t]+)?def|class)[ \t]+%s\b|^%s[ \t]*(?::[^=\n]*)?=[^=]"
        word = name.encode()
        return re.search(pattern % (word, word), data, re.MULTILINE) is not None

    def resolve_name(self, module: ParsedModule, name: str) -> str:
        """Dotted path of the bare ``name`` as seen from ``module`` (memoised)."""
        key = (module.name, name)
        cached = self._resolved.get(key)
        if cached is None:
            cached = self._resolve_uncached(module, name)
            self._resolved[key] = cached
        return cached

    def _resolve_uncached(self, module: ParsedModule, name: str) -> str:
        if name in module.defs or name in module.assigns:
            return f"{module.name}.{name}"
        target = module.imports.get(name)
        if target is not None:
            return self.canonical(target)
        for star in module.star_imports:
            star_mod = self.load(star)
            if star_mod is not None and (
                name in star_mod.defs or name in star_mod.imports or name in star_mod.assigns
            ):
                return self.resolve_name(star_mod, name)
        return name  # builtin or unknown

    def _shallow_name(
        self, module: ParsedModule, node: ast.Name | ast.Attribute, depth: int
    ) -> Expr:
        """Resolve through ``module``'s own import table only: never parses another file.

        Function bodies use this: most names they call are never asked about again, and the
        ones that are (decorators, models) are resolved fully on demand by the project model.
        """
        attrs: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            attrs.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name):
            return Unknown("attribute")
        name = base.id
        if not attrs and name in module.assigns and name not in module.defs:
            return self._expr(module, module.assigns[name], depth + 1, True)
        if name in module.defs or name in module.assigns:
            root = f"{module.name}.{name}"
        else:
            root = module.imports.get(name, name)
        return Ref(".".join([root, *reversed(attrs)]))

    def dotted_of(self, module: ParsedModule, node: ast.expr) -> str | None:
        """Resolved dotted path of a ``Name`` or ``a.b.c`` attribute chain, else None."""
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.resolve_name(module, node.id)
        if not attrs:
            return base
        joined = ".".join([base, *reversed(attrs)])
        if base == node.id and node.id not in module.imports:
            # A local variable, parameter or builtin (``request.POST.get``): nothing to follow.
            return joined
        return self.canonical(joined)

    def lookup(self, dotted: str) -> tuple[ParsedModule, ast.AST] | None:
        """The module and top-level node (def, class or assigned value) named ``dotted``."""
        dotted = self.canonical(dotted)
        modname, _, attr = dotted.rpartition(".")
        if not modname:
            return None
        module = self.load(modname) if self.module_path(modname) else None
        if module is None:
            return None
        node: ast.AST | None = module.defs.get(attr) or module.assigns.get(attr)
        return (module, node) if node is not None else None

    # --- expressions ---------------------------------------------------------------------

    def expr(
        self, module: ParsedModule, node: ast.expr | None, depth: int = 0, *, shallow: bool = False
    ) -> Expr:
        """Convert ``node`` into a resolved :data:`~mtlsguard.scan.project_model.Expr`.

        Names bound to module-level values (``PERMS = [IsAuthenticated]``) are inlined. With
        ``shallow`` only ``module``'s own imports are consulted (no other file is parsed).
        """
        return self._expr(module, node, depth, shallow)

    def _expr(self, module: ParsedModule, node: ast.expr | None, depth: int, shallow: bool) -> Expr:
        if node is None:
            return Const(None)
        if depth > _MAX_DEPTH:
            return Unknown("...")
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, str | int | float | bool) or value is None:
                return Const(value)
            return Unknown(type(value).__name__)
        if isinstance(node, ast.Name | ast.Attribute):
            return self._name_expr(module, node, depth, shallow)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return Seq(tuple(self._expr(module, e, depth + 1, shallow) for e in node.elts))
        if isinstance(node, ast.Dict):
            return Mapping(
                tuple(
                    (
                        self._expr(module, k, depth + 1, shallow)
                        if k is not None
                        else Unknown("**"),
                        self._expr(module, v, depth + 1, shallow),
                    )
                    for k, v in zip(node.keys, node.values, strict=True)
                )
            )
        if isinstance(node, ast.Call):
            return Call(
                self._expr(module, node.func, depth + 1, shallow),
                tuple(self._expr(module, a, depth + 1, shallow) for a in node.args),
                tuple(
                    (kw.arg, self._expr(module, kw.value, depth + 1, shallow))
                    for kw in node.keywords
                    if kw.arg is not None
                ),
            )
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                return Unknown("binop")
            return BinOp(
                op,
                self._expr(module, node.left, depth + 1, shallow),
                self._expr(module, node.right, depth + 1, shallow),
            )
        if isinstance(node, ast.UnaryOp):
            return Unary(
                _UNARY.get(type(node.op), "+"), self._expr(module, node.operand, depth + 1, shallow)
            )
        if isinstance(node, ast.IfExp):
            return IfExpr(
                self._expr(module, node.body, depth + 1, shallow),
                self._expr(module, node.orelse, depth + 1, shallow),
            )
        if isinstance(node, ast.Lambda):
            body = node.body
            if isinstance(body, ast.Constant) and isinstance(body.value, bool | int | str):
                return Lambda(Const(body.value))
            return Lambda()
        if isinstance(node, ast.BoolOp):
            # ``A or B`` for settings is a run-time choice between alternatives.
            options = [self._expr(module, v, depth + 1, shallow) for v in node.values]
            result = options[-1]
            for option in reversed(options[:-1]):
                result = IfExpr(option, result)
            return result
        return Unknown(type(node).__name__)

    def _name_expr(
        self, module: ParsedModule, node: ast.Name | ast.Attribute, depth: int, shallow: bool
    ) -> Expr:
        if shallow:
            return self._shallow_name(module, node, depth)
        dotted = self.dotted_of(module, node)
        if dotted is None:
            return Unknown("attribute")
        cached = self._exprs.get(dotted)
        if cached is not None:
            return cached
        result: Expr = Ref(dotted)
        root = dotted.split(".", 1)[0]
        local = (
            isinstance(node, ast.Attribute)
            and root not in module.imports
            and (self.module_path(root) is None)
        )
        found = self.lookup(dotted) if "." in dotted and not local else None
        if found is not None:
            owner, value = found
            if isinstance(value, ast.expr):
                result = self.expr(owner, value, depth + 1)
        if depth == 0 or isinstance(result, Ref):
            self._exprs[dotted] = result
        return result
