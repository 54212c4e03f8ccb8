"""Names across the scanned project: where a dotted name or a bare name is really defined.

Follows imports, re-exports and ``from x import *`` of the project's modules to the module
that defines a name; names outside the project are returned as written. A name defined at top
level of a file not parsed yet is recognised from the file's text, without parsing it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mtlsguard.scan.static.modules import MAX_FILE_BYTES, ModuleFiles, ParsedModule

__all__ = ["NameResolver"]

_MAX_REEXPORTS = 12
"""How many re-exports are followed before a name is taken as written."""


class NameResolver(ModuleFiles):
    """:class:`ModuleFiles` plus resolution of names (memoised)."""

    def __init__(self, root: Path, search_roots: list[Path] | None = None) -> None:
        super().__init__(root, search_roots)
        self._canonical: dict[str, str] = {}
        self._resolved: dict[tuple[str, str], str] = {}
        self._raw: dict[Path, bytes] = {}
        self._top_names: dict[Path, frozenset[bytes]] = {}

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
        if depth > _MAX_REEXPORTS:
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
        if name.isascii():
            # Every top-level name of the file, found once (a search per name was dear).
            names = self._top_names.get(path)
            if names is None:
                names = self._top_names[path] = _top_level_names(data)
            return name.encode() in names
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


_DEFINED = re.compile(rb"(?:(?:async[ \t]+)?def|class)[ \t]+(\w+)")
_ASSIGNED = re.compile(rb"(\w+)[ \t]*(?::[^=\n]*)?=(?=[^=])")
# The same after a newline: a pattern that starts with a literal is searched for that
# character first (``^`` with re.MULTILINE tries a match at every position, ~3x slower).
_DEFINED_LINE = re.compile(b"\n" + _DEFINED.pattern)
_ASSIGNED_LINE = re.compile(b"\n" + _ASSIGNED.pattern)


def _top_level_names(data: bytes) -> frozenset[bytes]:
    """ASCII names that ``def``/``class``/``name =`` binds at column 0 of ``data``.

    For an ASCII identifier, membership gives the answer of the search for ``^def NAME`` or
    ``^NAME =`` (the name whole) that :meth:`NameResolver._defines_textually` made per name:
    the first line, then every line after a newline (a match never spans a newline).
    """
    found = set(_DEFINED_LINE.findall(data))
    found.update(_ASSIGNED_LINE.findall(data))
    for first in (_DEFINED.match(data), _ASSIGNED.match(data)):
        if first is not None:
            found.add(first.group(1))
    return frozenset(found)
