"""Project configuration: the ``[tool.mtlsguard]`` table of the scanned project's pyproject.toml.

Keys (all optional)::

    [tool.mtlsguard]
    fail-on = "medium"                  # default threshold for the exit code (CLI wins)
    exclude = ["legacy/**", "*/tests/*"]  # globs over paths relative to the project root
    disable = ["MG205"]                 # rule ids (or prefixes) that never run
    severity = { MG101 = "critical" }   # per-rule severity overrides
    guards = ["accounts.decorators.member_required"]  # the project's own refusing code
    public = ["shop.views.pricing", "api/status"]       # views/routes open by design
    object-guards = ["acl.decorators.owner_required"]   # guards checking the URL's record too

    [tool.mtlsguard.options.MG202]      # per-rule options (``mtlsguard`` docs list them)
    max-age-seconds = 43200

The table is found as Ruff finds ``[tool.ruff]``: the nearest ``pyproject.toml`` that has one,
from the scanned directory up to the repository root (the first directory with ``.git``);
``--config FILE`` names the file instead. Paths in ``exclude`` stay relative to the scanned
root.

A malformed file or an unknown key is a :class:`ConfigError` that names the file and the key;
it is never silently ignored, because a typo in ``exclude`` or ``disable`` would otherwise
change what the scan reports. ``guards`` and ``public`` are what the project declares about its
own access model, with ``object-guards`` (:mod:`mtlsguard.scan.declared`); an entry that
matches nothing is reported (MG003).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from mtlsguard.findings.model import Finding, ScanResult, Severity
from mtlsguard.findings.registry import RuleSelection
from mtlsguard.scan.declared import DeclaredAccess

__all__ = [
    "ConfigError",
    "ProjectConfig",
    "apply_config",
    "find_config",
    "load_config",
    "load_config_file",
    "parse_config",
]

_KEYS = (
    "fail-on",
    "exclude",
    "disable",
    "severity",
    "options",
    "guards",
    "object-guards",
    "public",
)
_PART = r"[\w*?\[\]!-]+"
_DOTTED = re.compile(rf"^{_PART}(\.{_PART})+$")
"""A dotted name (two parts at least), ``fnmatch`` characters allowed; any identifier letters."""
_RULE_ID = re.compile(r"^[A-Z]+[0-9]+$")


class ConfigError(ValueError):
    """The project's ``[tool.mtlsguard]`` configuration is malformed; the message says where."""


def _empty_overrides() -> Mapping[str, Severity]:
    return MappingProxyType({})


def _empty_options() -> Mapping[str, Mapping[str, object]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """The scanned project's own settings for mtlsguard."""

    fail_on: Severity | None = None
    """Threshold for exit code 1 when the command line gives none."""
    exclude: tuple[str, ...] = ()
    """Glob patterns (POSIX, relative to the root); ``*`` also matches ``/``."""
    disabled_rules: frozenset[str] = frozenset()
    """Rule ids whose findings are dropped."""
    severity_overrides: Mapping[str, Severity] = field(default_factory=_empty_overrides)
    """Rule id to the severity the project wants instead of the rule's own."""
    rule_options: Mapping[str, Mapping[str, object]] = field(default_factory=_empty_options)
    """Rule id to option values (``[tool.mtlsguard.options.MG202]``), checked by the rule."""
    guards: tuple[str, ...] = ()
    """Dotted names (or globs) of the project's own refusing decorators, classes, middleware."""
    public: tuple[str, ...] = ()
    """Views or routes (or globs) open to anonymous callers by design."""
    object_guards: tuple[str, ...] = ()
    """Guards that also check the caller's right to the record the route names."""
    source: str | None = None
    """The file this came from, for messages; ``None`` when there was none."""

    def declared_access(self) -> DeclaredAccess:
        """The ``guards`` and ``public`` declarations, for one scan (it records their use)."""
        return DeclaredAccess(
            self.guards,
            self.public,
            self.object_guards,
            source=self.source or "[tool.mtlsguard]",
        )

    def selection(self) -> RuleSelection:
        """The rules this configuration lets run (``disable``) and their options."""
        return RuleSelection(ignore=self.disabled_rules, options=self.rule_options)

    def is_excluded(self, path: str) -> bool:
        """True if ``path`` (relative, POSIX) or one of its parent directories matches."""
        return bool(self.exclude) and _excluded(self.exclude, path)


@functools.lru_cache(maxsize=4096)
def _excluded(patterns: tuple[str, ...], path: str) -> bool:
    """:meth:`ProjectConfig.is_excluded` (asked per route and finding: many share a file)."""
    pure = PurePosixPath(path)
    candidates = [str(pure), *(str(parent) for parent in pure.parents if str(parent) != ".")]
    for pattern in patterns:
        bare = pattern.rstrip("/")
        variants = {bare, bare.removeprefix("**/"), bare.removesuffix("/**")}
        for candidate in candidates:
            if any(fnmatch.fnmatchcase(candidate, v) for v in variants if v):
                return True
    return False


def _string_list(value: object, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings, got {value!r}")
    return tuple(value)


def _rule_id(value: str, key: str, where: str) -> str:
    rule_id = value.strip().upper()
    if not _RULE_ID.match(rule_id):
        raise ConfigError(f"{where}: '{key}' has {value!r}, which is not a rule id like 'MG101'")
    return rule_id


def _severity(value: object, key: str, where: str) -> Severity:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a severity name, got {value!r}")
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: '{key}': {exc}") from None


def _guard_names(table: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    """``guards`` or ``object-guards``: dotted names or globs of the project's own code."""
    names = _string_list(table[key], key, where) if key in table else ()
    for name in names:
        if set("*?[") & set(name.split(".", 1)[0]):
            raise ConfigError(
                f"{where}: '{key}' has {name!r}: a glob must start with a package name "
                "('acl.mixins.*'), so that it cannot make a guard of every name"
            )
        if not _DOTTED.match(name):
            raise ConfigError(
                f"{where}: '{key}' has {name!r}, which is not a dotted name like "
                "'accounts.decorators.member_required' (two parts at least; globs allowed)"
            )
        if name.startswith(("django.", "rest_framework.")):
            raise ConfigError(
                f"{where}: '{key}' has {name!r}: Django's and DRF's own classes and decorators "
                "are the scanner's knowledge, not a project's declaration"
            )
    return names


def parse_config(table: Mapping[str, object], source: str = "[tool.mtlsguard]") -> ProjectConfig:
    """Validate a ``[tool.mtlsguard]`` table already loaded from TOML.

    :raises ConfigError: for an unknown key or a value of the wrong type or range.
    """
    where = source
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))} in [tool.mtlsguard]; "
            f"valid keys are {', '.join(_KEYS)}"
        )
    fail_on = None
    if "fail-on" in table:
        fail_on = _severity(table["fail-on"], "fail-on", where)
    exclude = _string_list(table["exclude"], "exclude", where) if "exclude" in table else ()
    disabled: frozenset[str] = frozenset()
    if "disable" in table:
        names = _string_list(table["disable"], "disable", where)
        disabled = frozenset(_rule_id(name, "disable", where) for name in names)
    overrides: dict[str, Severity] = {}
    if "severity" in table:
        raw = table["severity"]
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where}: 'severity' must be a table like {{ MG101 = \"high\" }}")
        for name, value in raw.items():
            rule_id = _rule_id(str(name), "severity", where)
            overrides[rule_id] = _severity(value, f"severity.{name}", where)
    guards = _guard_names(table, "guards", where)
    object_guards = _guard_names(table, "object-guards", where)
    public = _string_list(table["public"], "public", where) if "public" in table else ()
    for entry in public:
        if not entry.strip("*?/[]!. "):
            raise ConfigError(
                f"{where}: 'public' has {entry!r}, which would declare every view public; "
                "name views ('shop.views.pricing') or routes ('api/status/', 'docs/*')"
            )
    options: dict[str, Mapping[str, object]] = {}
    if "options" in table:
        raw = table["options"]
        if not isinstance(raw, Mapping) or not all(isinstance(v, Mapping) for v in raw.values()):
            raise ConfigError(
                f"{where}: 'options' must hold one table per rule, like "
                "[tool.mtlsguard.options.MG202] max-age-seconds = 43200"
            )
        for name, values in raw.items():
            options[_rule_id(str(name), "options", where)] = MappingProxyType(dict(values))
    return ProjectConfig(
        fail_on=fail_on,
        exclude=exclude,
        disabled_rules=disabled,
        severity_overrides=MappingProxyType(overrides),
        rule_options=MappingProxyType(options),
        guards=guards,
        public=public,
        object_guards=object_guards,
        source=source,
    )


def _read_toml(path: Path) -> dict[str, object]:
    import tomllib  # loads only when there is a configuration file to read

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None


def _table(path: Path, document: Mapping[str, object]) -> dict[str, object] | None:
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table")
    table = tool.get("mtlsguard")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: 'tool.mtlsguard' must be a table")
    return table


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.mtlsguard]`` table, from ``start`` up.

    The search stops at the repository root (a directory holding ``.git``) or the filesystem
    root. A ``pyproject.toml`` without the table is passed over, as Ruff does.

    :raises ConfigError: when a ``pyproject.toml`` on the way cannot be read or parsed.
    """
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _table(candidate, _read_toml(candidate)) is not None:
            return candidate
        if (directory / ".git").exists():
            return None
    return None


def load_config_file(path: Path) -> ProjectConfig:
    """Read ``[tool.mtlsguard]`` from the TOML file ``path`` (``--config``).

    :raises ConfigError: the file is missing, unreadable, not TOML, has no
        ``[tool.mtlsguard]`` table, or the table is malformed.
    """
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    table = _table(path, _read_toml(path))
    if table is None:
        raise ConfigError(f"{path}: has no [tool.mtlsguard] table")
    return parse_config(table, str(path))


def load_config(root: Path) -> ProjectConfig:
    """The ``[tool.mtlsguard]`` that applies to ``root`` (:func:`find_config`), or defaults.

    :raises ConfigError: a file cannot be read, is not valid TOML, or the table is malformed.
    """
    path = find_config(root)
    if path is None:
        return ProjectConfig()
    return load_config_file(path)


def _keep(finding: Finding, config: ProjectConfig) -> bool:
    if finding.rule_id in config.disabled_rules:
        return False
    return finding.location is None or not config.is_excluded(finding.location.path)


def apply_config(result: ScanResult, config: ProjectConfig) -> ScanResult:
    """Drop disabled rules and excluded paths, and apply severity overrides.

    Routes and scan errors under excluded paths are dropped too.
    """
    findings = []
    for finding in result.findings:
        if not _keep(finding, config):
            continue
        override = config.severity_overrides.get(finding.rule_id)
        if override is not None and override != finding.severity:
            finding = replace(finding, severity=override)
        findings.append(finding)
    routes = tuple(
        route
        for route in result.routes
        if route.location is None or not config.is_excluded(route.location.path)
    )
    errors = tuple(error for error in result.errors if not config.is_excluded(error.path))
    return replace(result, findings=tuple(findings), routes=routes, errors=errors)
