"""The scanned project's files: find a module, read and parse it once, index its top level.

Each file is read and parsed at most once, and only when the settings or URLconf reach it. A
file that cannot be read or parsed becomes a :class:`~mtlsguard.findings.model.ScanError` and the
scan goes on without it. Nothing here imports the scanned project.
"""

from __future__ import annotations

import ast
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from mtlsguard.findings.model import Location, ScanError
from mtlsguard.scan.project_model import CREDENTIAL_CALL_HINT
from mtlsguard.scan.static.layout import importable
from mtlsguard.scan.static.parsing import parse_module

__all__ = ["HINT_WORDS", "MAX_FILE_BYTES", "ModuleFiles", "ParsedModule", "absolute_import"]

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Files larger than this are skipped with a scan error."""

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
_HINT_BYTES = tuple((word, word.encode()) for word in HINT_WORDS)
_MODULE_WIDE_TOKENS = (
    b"CLIENT_VERIFY",
    b"Client-Verify",
    b"Middleware",
    b"Authentication",
    b"Backend",
    b"process_request",
)
_MODULE_WIDE_HINTED = (
    ("jwt", b"jwt"),
    ("session", b"session["),
    ("SSL", b"SSL_CLIENT"),
    ("SSL", b"SSL-Client"),
    ("CERT", b"CLIENT_CERT"),
    ("Cert", b"Client-Cert"),
)
"""Further module-wide tokens, each searched for only when the hint word it contains is there."""
_CREDENTIAL_NAMES = (
    ("authenticate", re.compile(rb"authenticate(?![0-9A-Za-z_])")),
    ("check_password", re.compile(rb"check_password(?![0-9A-Za-z_])")),
)
"""The names of :data:`CREDENTIAL_CALL_HINT`, as whole identifiers (not ``is_authenticated``)."""
_ASCII_BYTES = bytes(range(128))
_WORD_CHAR = re.compile("[0-9A-Za-z_]")


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
    lowered: bool = False
    """The tree is of the source rewritten for the running interpreter (a newer Python's)."""

    def location(self, node: ast.AST) -> Location:
        """Location of ``node`` in this module."""
        return Location(
            self.relpath, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        )


def _spells_ascii_otherwise(data: bytes) -> bool:
    """The source may write an ASCII identifier in other characters (then its text cannot tell).

    Python reads identifiers in NFKC, where fullwidth letters, the ligature "fi" or the
    feminine ordinal indicator are ASCII letters: true when a non-ASCII character of the UTF-8
    source normalises to an ASCII letter, digit or ``_``, or when the source may be in another
    encoding (a cookie in its first two lines).
    """
    if b"coding" in b"\n".join(data.split(b"\n", 2)[:2]):
        return True
    try:
        others = set(data.translate(None, _ASCII_BYTES).decode("utf-8"))
    except UnicodeDecodeError:
        return True
    return any(_WORD_CHAR.search(unicodedata.normalize("NFKC", char)) for char in others)


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


class ModuleFiles:
    """Module lookup, reading and parsing under the search roots (the bottom layer)."""

    def __init__(self, root: Path, search_roots: list[Path] | None = None) -> None:
        self.root = root.resolve()
        self.search_roots = search_roots or [self.root]
        self._search_strs = [str(base) for base in self.search_roots]
        self.modules: dict[str, ParsedModule | None] = {}
        """Modules parsed (or found unreadable), by dotted name."""
        self.errors: list[ScanError] = []
        self.files_scanned = 0
        self.lines_scanned = 0
        self._by_path: dict[Path, ParsedModule | None] = {}
        self._paths: dict[str, tuple[Path, bool] | None] = {}
        self._local: dict[str, bool] = {}
        self._dirs: dict[tuple[str, tuple[str, ...]], bool] = {}
        self._real_dirs: dict[str, str] = {}

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
        if not importable(parts):
            return None
        # Plain strings, not Path objects: this runs for every dotted prefix the scan meets
        # (thousands on pretix), most of them misses.
        for base in self._search_strs:
            if not self._is_dir(base, tuple(parts[:-1])):
                continue  # no such directory: none of the three paths below exists
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

    def _is_dir(self, base: str, parts: tuple[str, ...]) -> bool:
        """``os.path.isdir`` of ``base/parts...``, memoised (a directory's parent is one too)."""
        key = (base, parts)
        known = self._dirs.get(key)
        if known is None:
            known = self._dirs[key] = (not parts or self._is_dir(base, parts[:-1])) and (
                os.path.isdir(os.path.join(base, *parts))
            )
        return known

    def is_local(self, dotted: str) -> bool:
        """True if ``dotted`` (or its module prefix) is part of the scanned project (memoised)."""
        known = self._local.get(dotted)
        if known is None:
            parts = dotted.split(".")
            known = self._local[dotted] = any(
                self.module_path(".".join(parts[:i])) for i in range(len(parts), 0, -1)
            )
        return known

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
            real = self._real(path)
        except (OSError, RuntimeError) as exc:
            self._error(relpath, f"cannot resolve file (symlink loop or dangling link): {exc}")
            return None
        if real in self._by_path:
            return self._by_path[real]
        module = self._read(real, relpath, dotted, is_package)
        self._by_path[real] = module
        return module

    def _real(self, path: Path) -> Path:
        """``path.resolve(strict=True)``, its directory resolved once per directory.

        A file that is no symbolic link resolves to its resolved directory plus its name;
        anything else (a link, a missing file or directory) takes ``Path.resolve`` itself, so
        the answer and the error are the same.
        """
        folder = str(path.parent)
        real_folder = self._real_dirs.get(folder)
        if real_folder is None:
            try:
                real_folder = self._real_dirs[folder] = os.path.realpath(folder, strict=True)
            except OSError:
                return path.resolve(strict=True)
        try:
            link = stat.S_ISLNK(os.lstat(path).st_mode)
        except OSError:
            link = True
        if link:
            return path.resolve(strict=True)
        return Path(real_folder, path.name)

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
            tree, lowered = parse_module(data, relpath)
        except SyntaxError as exc:
            self._error(relpath, f"syntax error at line {exc.lineno}: {exc.msg}")
            return None
        except (ValueError, UnicodeDecodeError) as exc:
            self._error(relpath, f"cannot decode or parse file: {exc}")
            return None
        self.files_scanned += 1
        self.lines_scanned += data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        module = ParsedModule(dotted, real, relpath, tree, is_package, lowered=lowered)
        hints = frozenset(word for word, token in _HINT_BYTES if token in data)
        if any(word in hints and name.search(data) for word, name in _CREDENTIAL_NAMES) or (
            not data.isascii() and _spells_ascii_otherwise(data)
        ):
            hints |= {CREDENTIAL_CALL_HINT}
        module.hints = hints
        module.module_wide = any(
            word in hints and token in data for word, token in _MODULE_WIDE_HINTED
        ) or any(token in data for token in _MODULE_WIDE_TOKENS)
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
                base = absolute_import(module, stmt.module, stmt.level)
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


def absolute_import(module: ParsedModule, name: str | None, level: int) -> str:
    """The dotted module a ``from <level dots><name> import ...`` in ``module`` names."""
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
