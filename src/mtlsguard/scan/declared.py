"""What a project declares about its own access model (``[tool.mtlsguard]`` guards, public).

Static analysis cannot know every project's own way of refusing a caller: a decorator factory
that loads the object of the URL and raises ``Http403`` unless the user administers it, a
middleware that turns a gateway's identity header into ``request.user``, a base view whose
``dispatch()`` checks a membership three calls deep. Nor can it know which open pages are
meant to be open. A maintainer who has triaged one report says so once, in ``pyproject.toml``::

    [tool.mtlsguard]
    guards = ["helios.security.election_admin", "koku.middleware.IdentityHeaderMiddleware"]
    public = ["muckrock.core.views.homepage", "api/v1/instance"]

* ``guards``: dotted names (``fnmatch`` globs allowed) of decorators (or decorator factories),
  view base classes and mixins, DRF permission classes and middleware classes that refuse a
  caller who is not signed in. A view behind one counts as authenticated, as behind
  ``login_required``, ``LoginRequiredMixin``, ``IsAuthenticated`` or Django's
  ``LoginRequiredMiddleware``; its object-level findings (MG103, MG104...) stay, because a guard
  that signs the caller in says nothing about which records the caller may see.
* ``object-guards``: guards that also check the caller's right to the record the route names
  (``@election_admin`` loads the election of the URL and refuses unless the caller administers
  it; django-tutelary's ``PermissionRequiredMixin``). They authenticate as ``guards`` do, and the
  view's MG104 and MG107 findings are reported at info, saying so.
* ``public``: views (their dotted names, as findings spell them) or routes (URL patterns as
  findings spell them, with or without the leading ``/``), globs allowed, that are open to
  anonymous callers by design. MG101 reports them at info, saying the project declared them.

A declaration is a claim the scan cannot check: it is named in the evidence of every finding it
changes, and one that matches nothing (a typo, a guard since renamed) is reported as
:data:`UNUSED_DECLARATION`, because a declaration that silently stops applying would leave the
reader believing something the scan no longer does.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mtlsguard.findings.model import Confidence, Finding, Location, Route, Severity
from mtlsguard.scan.rules.mg003_unused_declaration import RULE as UNUSED_DECLARATION

__all__ = ["UNUSED_DECLARATION", "DeclaredAccess", "apply_declarations"]

_GLOB = frozenset("*?[")
_UNAUTHENTICATED = "MG101"
_OBJECT_RULES = frozenset({"MG104", "MG107"})
"""Lookups of the record a route names, and collections listed from it: what an object guard
checks. Lists of every record (MG103) and ids in a body (MG108) are other records."""
_FRAMEWORKS = ("django.", "rest_framework.")
"""A glob never makes a guard of Django's or DRF's own names (``rest_framework.permissions.*``
would turn ``AllowAny`` into one); the configuration refuses them named exactly."""


def _split(patterns: Sequence[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    exact = frozenset(p for p in patterns if not _GLOB.intersection(p))
    return exact, tuple(p for p in patterns if _GLOB.intersection(p))


def _matches(candidate: str, pattern: str) -> bool:
    # A route written as the URLconf writes it (``^notes/(?P<pk>[0-9]+)/$``) names itself even
    # where its brackets read as a glob's character class.
    return candidate == pattern or fnmatch.fnmatchcase(candidate, pattern)


@dataclass(frozen=True)
class DeclaredAccess:
    """The project's ``guards``, ``object-guards`` and ``public``, and which were used.

    A declaration fills a gap the scan could not decide; it never overrides what the scan read
    for certain in the code (a permission class answering ``True`` to readers, a middleware's
    allow-list): callers ask :meth:`guard` only where their own reading found no answer.
    """

    guards: tuple[str, ...] = ()
    """Dotted names or globs of the project's own refusing decorators, classes, middleware."""
    public: tuple[str, ...] = ()
    """Views or routes (or globs) open to anonymous callers by design."""
    object_guards: tuple[str, ...] = ()
    """Guards that also check the caller's right to the record the route names (a decorator
    factory loading the URL's object and refusing unless the caller may act on it)."""
    source: str = "[tool.mtlsguard]"
    """Where the declarations come from (the ``pyproject.toml``), for evidence and messages."""
    used: set[str] = field(default_factory=set, compare=False, repr=False)
    """The declarations that matched something during the scan."""
    _exact: frozenset[str] = field(init=False, compare=False, repr=False)
    _globs: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        exact, globs = _split(self.guards + self.object_guards)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_globs", globs)

    def guard(self, name: str, *, exact: bool = False) -> str:
        """The declaration naming ``name`` (a dotted path) as a guard, or ``""``.

        Every declaration that names it counts as used. With ``exact``, globs do not apply
        (middleware, which gates every route, is declared by its exact name).
        """
        if not self._exact and not self._globs:
            return ""
        found = ""
        if name in self._exact:
            self.used.add(name)
            found = name
        if exact or name.startswith(_FRAMEWORKS):
            return found
        for pattern in self._globs:
            if fnmatch.fnmatchcase(name, pattern):
                self.used.add(pattern)
                found = found or pattern
        return found

    def object_guard(self, names: Sequence[str]) -> str:
        """The ``object-guards`` entry naming one of ``names``, or ``""``.

        ``names`` are a view's decorators, bases and permission classes; every entry naming one
        counts as used.
        """
        found = ""
        for pattern in self.object_guards:
            glob = bool(_GLOB.intersection(pattern))
            for name in names:
                if name == pattern or (
                    glob and not name.startswith(_FRAMEWORKS) and fnmatch.fnmatchcase(name, pattern)
                ):
                    self.used.add(pattern)
                    found = found or pattern
        return found

    def public_entry(self, view: str | None, routes: Sequence[str]) -> str:
        """The declaration naming ``view``, or else every one of ``routes``, public, or ``""``.

        A route entry speaks for its route only: a view served at ``public/wipe/`` and at
        ``internal/wipe/`` is public when both are declared (or the view is). Every declaration
        that names the view or a route counts as used.
        """
        found = by_route = ""
        covered: set[str] = set()
        for pattern in self.public:
            forms = {pattern, pattern.removeprefix("/")}
            if view and _matches(view, pattern):
                self.used.add(pattern)
                found = found or pattern
            for route in routes:
                if any(_matches(c, p) for c in (route, route.removeprefix("/")) for p in forms):
                    self.used.add(pattern)
                    covered.add(route)
                    by_route = by_route or pattern
        if found:
            return found
        return by_route if routes and covered == set(routes) else ""

    def unused(self) -> list[tuple[str, str]]:
        """``(key, declaration)`` of every declaration that matched nothing, in file order."""
        unused = [("guards", g) for g in self.guards if g not in self.used]
        unused += [("object-guards", g) for g in self.object_guards if g not in self.used]
        unused += [("public", p) for p in self.public if p not in self.used]
        return list(dict.fromkeys(unused))


def _public(finding: Finding, declared: DeclaredAccess) -> Finding:
    if finding.rule_id != _UNAUTHENTICATED or finding.severity == Severity.INFO:
        return finding
    routes = [r for r in (finding.route, *finding.also_routes) if r is not None]
    entry = declared.public_entry(finding.view, routes)
    if not entry:
        return finding
    evidence = finding.evidence.split("; high because ", 1)[0]
    return replace(
        finding,
        severity=Severity.INFO,
        evidence=f"declared public ({entry!r} in {declared.source} public); {evidence}",
        remediation=(
            "Declared public by the project: keep it serving only what anonymous callers may "
            "see, and remove the declaration if that changes."
        ),
    )


def _config_file(declared: DeclaredAccess, root: Path) -> str | None:
    """The declaring file relative to ``root``, if it is a file inside it."""
    try:
        return Path(declared.source).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _entry_line(source: str, entry: str) -> int:
    """The line of ``entry`` (as a TOML string) in the file ``source``, else 1."""
    try:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    for number, line in enumerate(lines, 1):
        if f'"{entry}"' in line or f"'{entry}'" in line:
            return number
    return 1


def _object_checked(finding: Finding, guarded: Mapping[str, str], source: str) -> Finding:
    if finding.rule_id not in _OBJECT_RULES or finding.severity == Severity.INFO:
        return finding
    entry = guarded.get(finding.view or "")
    if not entry:
        return finding
    return replace(
        finding,
        severity=Severity.INFO,
        evidence=(
            f"checked by a declared object guard ({entry!r} in {source} object-guards); "
            f"{finding.evidence}"
        ),
        remediation=(
            f"The project declares that {entry} checks the caller's right to the record this "
            "route names: keep the lookup behind it, and remove the declaration if that changes."
        ),
    )


def apply_declarations(
    findings: Sequence[Finding],
    declared: DeclaredAccess,
    root: Path,
    routes: Sequence[Route],
    guarded: Mapping[str, str] | None = None,
) -> tuple[Finding, ...]:
    """``findings`` with the declarations applied: MG101 at info on declared-public views.

    Adds one :data:`UNUSED_DECLARATION` finding per declaration that matched nothing (located
    in the declaring file when it lies under the scanned ``root``). Call it once the rules have
    run: guards are used while routes are analysed; a public entry is used when it names one of
    ``routes`` (or their views), whether or not that route has a finding to lower.
    ``guarded`` maps a view to the ``object-guards`` entry naming one of its guards: its MG104
    and MG107 findings are reported at info, saying so.
    """
    if not declared.guards and not declared.public and not declared.object_guards:
        return tuple(findings)
    kept = [_object_checked(_public(f, declared), guarded or {}, declared.source) for f in findings]
    for route in routes:
        declared.public_entry(route.view, (route.pattern,))
    config_file = _config_file(declared, root)
    rule = UNUSED_DECLARATION
    for key, entry in declared.unused():
        what = (
            "changes nothing: it names no decorator, view base class, DRF permission class or "
            "(exactly) middleware of the scanned views whose code the scan could not judge "
            "itself (a declaration never overrides what the code shows)"
            if key == "guards"
            else "names no view or route of the scan"
        )
        line = _entry_line(declared.source, entry) if config_file else 1
        kept.append(
            Finding(
                rule_id=rule.rule_id,
                title=rule.title,
                cwe=rule.cwe,
                severity=rule.severity,
                confidence=Confidence.HIGH,
                location=Location(config_file, line) if config_file else None,
                # One finding per entry, each its own baseline key ("MG003:guards acl.x:").
                view=f"{key} {entry}",
                evidence=f"{key} = [{entry!r}] in {declared.source} {what}",
                remediation=(
                    f"Correct the name (a dotted path, e.g. 'app.decorators.member_required', "
                    f"or a glob) or remove the entry from '{key}'."
                ),
            )
        )
    return tuple(kept)
