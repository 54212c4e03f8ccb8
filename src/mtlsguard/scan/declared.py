"""What a project declares about its own access model (``[tool.mtlsguard]`` ``guards``, ``public``).

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mtlsguard.findings.model import Confidence, Finding, Location, Route, Severity
from mtlsguard.scan.rules.mg003_unused_declaration import RULE as UNUSED_DECLARATION

__all__ = ["UNUSED_DECLARATION", "DeclaredAccess", "apply_declarations"]

_GLOB = frozenset("*?[")
_UNAUTHENTICATED = "MG101"
_FRAMEWORKS = ("django.", "rest_framework.")
"""A glob never makes a guard of Django's or DRF's own names (``rest_framework.permissions.*``
would turn ``AllowAny`` into one): those are named exactly or not at all."""


def _split(patterns: Sequence[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    exact = frozenset(p for p in patterns if not _GLOB.intersection(p))
    return exact, tuple(p for p in patterns if _GLOB.intersection(p))


@dataclass(frozen=True)
class DeclaredAccess:
    """The project's ``guards`` and ``public`` declarations, and which of them were used."""

    guards: tuple[str, ...] = ()
    """Dotted names or globs of the project's own refusing decorators, classes, middleware."""
    public: tuple[str, ...] = ()
    """Views or routes (or globs) open to anonymous callers by design."""
    source: str = "[tool.mtlsguard]"
    """Where the declarations come from (the ``pyproject.toml``), for evidence and messages."""
    used: set[str] = field(default_factory=set, compare=False, repr=False)
    """The declarations that matched something during the scan."""
    _exact: frozenset[str] = field(init=False, compare=False, repr=False)
    _globs: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        exact, globs = _split(self.guards)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_globs", globs)

    def guard(self, name: str) -> str:
        """The declaration naming ``name`` (a dotted path) as a guard, or ``""``."""
        if not self.guards:
            return ""
        if name in self._exact:
            self.used.add(name)
            return name
        if name.startswith(_FRAMEWORKS):
            return ""
        for pattern in self._globs:
            if fnmatch.fnmatchcase(name, pattern):
                self.used.add(pattern)
                return pattern
        return ""

    def public_entry(self, view: str | None, routes: Iterable[str]) -> str:
        """The declaration naming ``view`` or one of ``routes`` public, or ``""``."""
        candidates = [view] if view else []
        for route in routes:
            candidates += [route, route.removeprefix("/")]
        for pattern in self.public:
            bare = pattern.removeprefix("/")
            # A route written as the URLconf writes it (``^notes/(?P<pk>[0-9]+)/$``) names
            # itself even where its brackets read as a glob's character class.
            if any(
                c == p or fnmatch.fnmatchcase(c, p) for c in candidates for p in {pattern, bare}
            ):
                self.used.add(pattern)
                return pattern
        return ""

    def unused(self) -> list[tuple[str, str]]:
        """``(key, declaration)`` of every declaration that matched nothing, in file order."""
        return [("guards", g) for g in self.guards if g not in self.used] + [
            ("public", p) for p in self.public if p not in self.used
        ]


def _public(finding: Finding, declared: DeclaredAccess) -> Finding:
    if finding.rule_id != _UNAUTHENTICATED or finding.severity == Severity.INFO:
        return finding
    routes = (r for r in (finding.route, *finding.also_routes) if r)
    entry = declared.public_entry(finding.view, routes)
    if not entry:
        return finding
    return replace(
        finding,
        severity=Severity.INFO,
        evidence=f"declared public ({entry!r} in {declared.source} public); {finding.evidence}",
    )


def _config_file(declared: DeclaredAccess, root: Path) -> str | None:
    """The declaring file relative to ``root``, if it is a file inside it."""
    try:
        return Path(declared.source).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def apply_declarations(
    findings: Sequence[Finding], declared: DeclaredAccess, root: Path, routes: Sequence[Route]
) -> tuple[Finding, ...]:
    """``findings`` with the declarations applied: MG101 at info on declared-public views.

    Adds one :data:`UNUSED_DECLARATION` finding per declaration that matched nothing (located
    in the declaring file when it lies under the scanned ``root``). Call it once the rules have
    run: guards are used while routes are analysed; a public entry is used when it names one of
    ``routes`` (or their views), whether or not that route has a finding to lower.
    """
    if not declared.guards and not declared.public:
        return tuple(findings)
    kept = [_public(f, declared) for f in findings]
    for route in routes:
        declared.public_entry(route.view, (route.pattern,))
    config_file = _config_file(declared, root)
    rule = UNUSED_DECLARATION
    for key, entry in declared.unused():
        what = (
            "no decorator, view base class, permission class or middleware the scan read"
            if key == "guards"
            else "no view or route of the scan"
        )
        kept.append(
            Finding(
                rule_id=rule.rule_id,
                title=rule.title,
                cwe=rule.cwe,
                severity=rule.severity,
                confidence=Confidence.HIGH,
                location=Location(config_file, 1) if config_file else None,
                view=None,
                evidence=f"{key} = [{entry!r}] in {declared.source} matches {what}",
                remediation=(
                    f"Correct the name (a dotted path, e.g. 'app.decorators.member_required', "
                    f"or a glob) or remove the entry from '{key}'."
                ),
            )
        )
    return tuple(kept)
