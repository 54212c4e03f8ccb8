"""The one rule registry: static rules (MG1xx-MG3xx), probe rules (MG4xx) and tool rules (MG0xx).

A rule is registered once, by the module that defines it (Bandit's ``@test_id``, Schemathesis'
``@check``): static rules with the :func:`rule` decorator on their check function, probe rules
and tool rules with :func:`register` (their detection lives in a probe phase or in the tool).
The rule module's *docstring* is the rule's documentation, so the generated pages in
``docs/rules/`` and SARIF's ``help`` show the same text.

What a run may execute is a :class:`RuleSelection` applied *before* any rule runs: ``select`` and
``ignore`` (rule ids or id prefixes) and per-rule option values that replace the defaults the
rule declares (:class:`RuleOption`). A check receives its own :class:`Rule` — metadata and the
effective option values — next to what it analyses.

Third-party rules register through the ``mtlsguard.rules`` entry-point group: each entry point
names a module (or any object) whose import registers rules with this module's functions.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, TypeVar

from mtlsguard.findings.model import Confidence, Finding, Location, Severity
from mtlsguard.findings.plugin_index import group_may_have_entries

__all__ = [
    "DOCUMENTATION_URL",
    "ENTRY_POINT_GROUP",
    "EVERY_RULE",
    "RegistryError",
    "Rule",
    "RuleCheck",
    "RuleKind",
    "RuleOption",
    "RuleSelection",
    "all_rules",
    "get_rule",
    "register",
    "rule",
]

ENTRY_POINT_GROUP: Final = "mtlsguard.rules"
"""The entry-point group third-party rule packages register in."""

OptionValue = int | float | bool | str | tuple[str, ...]
"""What a rule option may hold (TOML gives lists, kept as tuples)."""

RuleCheck = Callable[[Any, "Rule"], Iterable[Finding]]
"""A static rule's check: ``check(context, rule) -> findings`` (``context`` is the scanner's
:class:`mtlsguard.scan.context.RuleContext`, typed ``Any`` as this package sits below it)."""

DOCUMENTATION_URL: Final = "https://mtlsguard.readthedocs.io/en/latest/"
"""Where mtlsguard's documentation is published; a built-in rule's page is ``rules/MG101/``."""

_PRECISION: Final = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}

_T = TypeVar("_T", int, float, bool, str, tuple[str, ...])

_BUILTIN_ID = re.compile(r"MG\d{3}")
_PLUGIN_ID = re.compile(r"[A-Z]{2,8}\d{3}")
_OPTION_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


class RegistryError(ValueError):
    """A rule cannot be registered, selected or configured; the message says which and why."""


class RuleKind(enum.StrEnum):
    """Where a rule's detection runs."""

    STATIC = "static"
    """A check over the source tree (:mod:`mtlsguard.scan`)."""
    PROBE = "probe"
    """A probe phase against a running application (:mod:`mtlsguard.probe`)."""
    TOOL = "tool"
    """The tool itself (a suppression comment without a reason)."""


_RANGES: Final = {
    RuleKind.TOOL: ("MG0",),
    RuleKind.STATIC: ("MG1", "MG2", "MG3"),
    RuleKind.PROBE: ("MG4",),
}


@dataclass(frozen=True, slots=True)
class RuleOption:
    """A setting a rule declares, with its default (``[tool.mtlsguard.options.MG202]``)."""

    name: str
    """Kebab-case name as written in the configuration (``max-age-seconds``)."""
    default: OptionValue
    """The value when the project sets none; its type is the option's type."""
    doc: str
    """One line: what the option changes."""

    def coerce(self, value: object, rule_id: str) -> OptionValue:
        """``value`` (from TOML) checked against the default's type.

        :raises RegistryError: when the type does not match.
        """
        expected = type(self.default)
        if isinstance(self.default, tuple):
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                return tuple(value)
        elif expected is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        elif type(value) is expected:
            return value
        kind = "a list of strings" if isinstance(self.default, tuple) else expected.__name__
        raise RegistryError(f"option {self.name!r} of {rule_id} must be {kind}, got {value!r}")


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule: identity, defaults, documentation, options and (static) check."""

    rule_id: str
    """``MG101``."""
    title: str
    """One-line title (also the default finding title)."""
    cwe: str
    """Primary CWE (``CWE-306``); empty for a tool rule that is about no weakness."""
    severity: Severity
    """Default severity."""
    confidence: Confidence
    """Default confidence."""
    kind: RuleKind
    """Where the detection runs."""
    doc: str
    """The rule module's docstring: what, why (with the CWE), a vulnerable example, the fix."""
    module: str
    """The module that registered the rule."""
    cwes: tuple[str, ...] = ()
    """Related CWEs beyond :attr:`cwe`."""
    category: str | None = None
    """Probe rules: the score category (``Authentication``, ``BOLA``, ...)."""
    options: tuple[RuleOption, ...] = ()
    """Declared options and their defaults."""
    values: Mapping[str, OptionValue] = field(default_factory=lambda: MappingProxyType({}))
    """Effective option values (defaults unless a :class:`RuleSelection` set them)."""
    check: RuleCheck | None = field(default=None, compare=False, repr=False)
    """Static rules: the check function."""

    @property
    def name(self) -> str:
        """A stable PascalCase name for the rule (SARIF ``name``): ``ViewWithoutAuthentication``."""
        words = re.findall(r"[A-Za-z0-9]+", self.title.replace("'", ""))
        return "".join(word[:1].upper() + word[1:] for word in words) or self.rule_id

    @property
    def help_uri(self) -> str | None:
        """The rule's documentation page (built-in rules); ``None`` for a third-party rule."""
        builtin = self.module == "mtlsguard" or self.module.startswith("mtlsguard.")
        return f"{DOCUMENTATION_URL}rules/{self.rule_id}/" if builtin else None

    @property
    def precision(self) -> str:
        """SARIF's ``precision`` of the rule's findings, from its default confidence."""
        return _PRECISION[self.confidence]

    def option(self, name: str, kind: type[_T]) -> _T:
        """The effective value of option ``name``, which must be of type ``kind``.

        :raises KeyError: if the rule declares no such option.
        :raises TypeError: if the option is of another type (a bug in the rule).
        """
        declared = {o.name: o for o in self.options}
        if name not in declared:
            raise KeyError(f"{self.rule_id} has no option {name!r}")
        value = self.values.get(name, declared[name].default)
        if not isinstance(value, kind):
            raise TypeError(f"option {name!r} of {self.rule_id} is not a {kind.__name__}")
        return value

    def configured(self, values: Mapping[str, object]) -> Rule:
        """A copy of this rule with option ``values`` (TOML names) in place of the defaults.

        :raises RegistryError: for an option the rule does not declare or a value of the
            wrong type.
        """
        declared = {o.name: o for o in self.options}
        effective: dict[str, OptionValue] = {}
        for name, value in values.items():
            option = declared.get(name)
            if option is None:
                known = ", ".join(sorted(declared)) or "none"
                raise RegistryError(f"{self.rule_id} has no option {name!r} (options: {known})")
            effective[name] = option.coerce(value, self.rule_id)
        return replace(self, values=MappingProxyType(effective))

    def finding(
        self,
        *,
        evidence: str,
        remediation: str,
        location: Location | None = None,
        route: str | None = None,
        view: str | None = None,
        view_kind: str | None = None,
        methods: tuple[str, ...] = (),
        title: str | None = None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
        web_request: dict[str, object] | None = None,
        web_response: dict[str, object] | None = None,
    ) -> Finding:
        """A :class:`Finding` carrying this rule's id, CWEs and defaults."""
        return Finding(
            rule_id=self.rule_id,
            title=title or self.title,
            cwe=self.cwe,
            severity=self.severity if severity is None else severity,
            confidence=self.confidence if confidence is None else confidence,
            location=location,
            route=route,
            view=view,
            view_kind=view_kind,
            evidence=evidence,
            remediation=remediation,
            methods=methods,
            cwes=self.cwes,
            web_request=web_request,
            web_response=web_response,
        )


_REGISTRY: dict[str, Rule] = {}
_plugins_loaded = False


def _module_doc(module: str, rule_id: str) -> str:
    loaded = sys.modules.get(module)
    doc = (loaded.__doc__ or "").strip() if loaded is not None else ""
    if not doc:
        raise RegistryError(f"rule {rule_id}: module {module} needs a docstring (its docs)")
    return doc


def _check_id(rule_id: str, kind: RuleKind, module: str) -> None:
    builtin = module == "mtlsguard" or module.startswith("mtlsguard.")
    if builtin:
        if not _BUILTIN_ID.fullmatch(rule_id) or not rule_id.startswith(_RANGES[kind]):
            ranges = ", ".join(f"{r}xx" for r in _RANGES[kind])
            raise RegistryError(f"rule id {rule_id!r} of a {kind} rule must look like {ranges}")
    elif not _PLUGIN_ID.fullmatch(rule_id) or rule_id.startswith("MG"):
        raise RegistryError(
            f"third-party rule id {rule_id!r} (from {module}) must be a prefix of 2-8 capital "
            "letters other than MG followed by three digits (ACME101)"
        )


def _check_options(rule_id: str, options: tuple[RuleOption, ...]) -> None:
    names = [o.name for o in options]
    if len(set(names)) != len(names):
        raise RegistryError(f"rule {rule_id} declares an option twice: {names}")
    for name in names:
        if not _OPTION_NAME.fullmatch(name):
            raise RegistryError(f"rule {rule_id}: option name {name!r} must be kebab-case")


def _add(meta: Rule) -> Rule:
    existing = _REGISTRY.get(meta.rule_id)
    if existing is not None and existing.module != meta.module:
        raise RegistryError(
            f"rule id {meta.rule_id} registered twice ({existing.module} and {meta.module})"
        )
    _REGISTRY[meta.rule_id] = meta
    return meta


def register(
    module: str,
    rule_id: str,
    *,
    title: str,
    cwe: str,
    severity: Severity,
    kind: RuleKind,
    confidence: Confidence = Confidence.HIGH,
    cwes: tuple[str, ...] = (),
    category: str | None = None,
    options: tuple[RuleOption, ...] = (),
    check: RuleCheck | None = None,
) -> Rule:
    """Register and return a rule (probe and tool rules; static rules use :func:`rule`).

    ``module`` is the defining module's ``__name__``; its docstring is the documentation.

    :raises RegistryError: for a malformed or duplicate id, a module without a docstring, a
        probe rule without a category, a static rule without a check, or malformed options.
    """
    _check_id(rule_id, kind, module)
    _check_options(rule_id, options)
    if kind is RuleKind.PROBE and not category:
        raise RegistryError(f"probe rule {rule_id} needs a score category")
    if (kind is RuleKind.STATIC) != (check is not None):
        raise RegistryError(f"rule {rule_id}: a check function goes with static rules only")
    return _add(
        Rule(
            rule_id=rule_id,
            title=title,
            cwe=cwe,
            severity=severity,
            confidence=confidence,
            kind=kind,
            doc=_module_doc(module, rule_id),
            module=module,
            cwes=cwes,
            category=category,
            options=options,
            check=check,
        )
    )


def rule(
    rule_id: str,
    *,
    title: str,
    cwe: str,
    severity: Severity,
    confidence: Confidence = Confidence.HIGH,
    cwes: tuple[str, ...] = (),
    options: tuple[RuleOption, ...] = (),
) -> Callable[[RuleCheck], RuleCheck]:
    """Register the decorated ``check(context, rule)`` function as static rule ``rule_id``.

    :raises RegistryError: for a malformed or duplicate id, a rule module without a docstring
        or malformed options.
    """

    def decorate(check: RuleCheck) -> RuleCheck:
        register(
            check.__module__,
            rule_id,
            title=title,
            cwe=cwe,
            severity=severity,
            kind=RuleKind.STATIC,
            confidence=confidence,
            cwes=cwes,
            options=options,
            check=check,
        )
        return check

    return decorate


def load_plugins() -> None:
    """Import every ``mtlsguard.rules`` entry point once, so plugin rules register.

    :raises RegistryError: when a plugin cannot be imported (naming the entry point).
    """
    global _plugins_loaded
    if _plugins_loaded or not group_may_have_entries(ENTRY_POINT_GROUP):
        _plugins_loaded = True  # no distribution declares the group: nothing to import
        return
    import importlib.metadata  # only when rules are listed: `mtlsguard --help` stays quick

    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as exc:
            # Not marked loaded: every later call says so again instead of going on without it.
            raise RegistryError(
                f"the rule plugin {entry.name!r} ({entry.value}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    _plugins_loaded = True


def all_rules(kind: RuleKind | None = None) -> tuple[Rule, ...]:
    """Every registered rule (of ``kind``), plugins included, sorted by id.

    Built-in rules register when their package is imported: :func:`mtlsguard.scan.rules.load`
    and :func:`mtlsguard.probe.rules.load` do it.

    :raises RegistryError: when a plugin fails to load.
    """
    load_plugins()
    return tuple(
        _REGISTRY[k] for k in sorted(_REGISTRY) if kind is None or _REGISTRY[k].kind is kind
    )


def get_rule(rule_id: str) -> Rule:
    """The registered rule ``rule_id``.

    :raises KeyError: if there is no such rule.
    """
    load_plugins()
    return _REGISTRY[rule_id]


def _matches(rule_id: str, patterns: Iterable[str]) -> bool:
    return any(rule_id.startswith(p) for p in patterns)


@dataclass(frozen=True, slots=True)
class RuleSelection:
    """Which rules may run, and with which option values; applied before any rule runs."""

    select: frozenset[str] = frozenset()
    """Rule ids or prefixes (``MG1``, ``MG10``) to run; empty means every rule."""
    ignore: frozenset[str] = frozenset()
    """Rule ids or prefixes never to run; wins over :attr:`select`."""
    options: Mapping[str, Mapping[str, object]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Rule id to option values (TOML names), validated by :meth:`apply`."""

    def allows(self, rule_id: str) -> bool:
        """True if ``rule_id`` is selected and not ignored."""
        if _matches(rule_id, self.ignore):
            return False
        return not self.select or _matches(rule_id, self.select)

    def unknown(self, known: Iterable[str]) -> list[str]:
        """Entries of ``select``/``ignore``/``options`` that match no rule in ``known``."""
        ids = list(known)
        entries = [*self.select, *self.ignore]
        missing = [e for e in entries if not any(i.startswith(e) for i in ids)]
        missing += [i for i in self.options if i not in ids]
        return sorted(set(missing))

    def apply(self, rules: Iterable[Rule]) -> tuple[Rule, ...]:
        """The allowed ``rules``, each configured with its option values.

        :raises RegistryError: for an option a rule does not declare or a value of the wrong
            type (options of a rule that is not allowed are still checked: a typo must not
            wait until the rule is enabled).
        """
        chosen = []
        for meta in rules:
            values = self.options.get(meta.rule_id)
            configured = meta.configured(values) if values else meta
            if self.allows(meta.rule_id):
                chosen.append(configured)
        return tuple(chosen)


EVERY_RULE: Final = RuleSelection()
"""The selection that runs every rule with its defaults."""
