from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.app.config import (
    ConfigError,
    ProjectConfig,
    apply_config,
    load_config,
    parse_config,
)
from mtlsguard.findings.model import (
    Location,
    Route,
    ScanError,
    ScanResult,
    Severity,
)
from tests.budget import secondary
from tests.factories import finding


def write(root: Path, text: str) -> Path:
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


def test_full_table_is_parsed(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[project]
name = "shop"

[tool.mtlsguard]
fail-on = "Medium"
exclude = ["legacy/**", "*/migrations/*"]
disable = ["mg205"]
severity = { MG101 = "critical", MG301 = "low" }
""",
    )
    config = load_config(tmp_path)
    assert config.fail_on is Severity.MEDIUM
    assert config.exclude == ("legacy/**", "*/migrations/*")
    assert config.disabled_rules == frozenset({"MG205"})
    assert dict(config.severity_overrides) == {"MG101": Severity.CRITICAL, "MG301": Severity.LOW}
    assert config.source == str(tmp_path / "pyproject.toml")


def test_guards_and_public_are_parsed_and_handed_to_the_scan(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[tool.mtlsguard]
guards = ["acl.decorators.member_required", "acl.mixins.*Required*", "élan.décorateurs.membre"]
public = ["shop.views.pricing", "/api/status"]
object-guards = ["core.mixins.LoginPermissionRequiredMixin"]
""",
    )
    config = load_config(tmp_path)
    assert config.object_guards == ("core.mixins.LoginPermissionRequiredMixin",)
    assert config.guards == (
        "acl.decorators.member_required",
        "acl.mixins.*Required*",
        "élan.décorateurs.membre",
    )
    assert config.public == ("shop.views.pricing", "/api/status")
    declared = config.declared_access()
    assert declared.source == str(tmp_path / "pyproject.toml")
    assert declared.guard("acl.mixins.MemberRequiredMixin") == "acl.mixins.*Required*"
    assert declared.guard("acl.mixins.Member") == ""
    # one scan's record of what was used starts empty each time
    assert config.declared_access().used == set()


def test_missing_file_or_table_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == ProjectConfig()
    write(tmp_path, '[project]\nname = "x"\n')
    config = load_config(tmp_path)
    assert config.fail_on is None
    assert config.exclude == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.mtlsguard\nfail-on = 1", "not valid TOML"),
        ('[tool.mtlsguard]\nfail_on = "high"', "unknown key(s) 'fail_on'"),
        ('[tool.mtlsguard]\nfail-on = "severe"', "unknown severity 'severe'"),
        ("[tool.mtlsguard]\nfail-on = 3", "'fail-on' must be a severity name"),
        ('[tool.mtlsguard]\nexclude = "legacy"', "'exclude' must be a list of strings"),
        ("[tool.mtlsguard]\nexclude = [1]", "'exclude' must be a list of strings"),
        ('[tool.mtlsguard]\ndisable = ["not a rule"]', "not a rule id"),
        ('[tool.mtlsguard]\nseverity = "high"', "'severity' must be a table"),
        ('[tool.mtlsguard]\nseverity = { MG101 = "urgent" }', "severity.MG101"),
        ('[tool]\nmtlsguard = "on"', "'tool.mtlsguard' must be a table"),
        ('[tool.mtlsguard]\nguards = "acl.member_required"', "'guards' must be a list of strings"),
        ('[tool.mtlsguard]\nguards = ["acl member"]', "which is not a dotted name"),
        ('[tool.mtlsguard]\nguards = [""]', "which is not a dotted name"),
        ('[tool.mtlsguard]\nguards = ["*"]', "a glob must start with a package name"),
        ('[tool.mtlsguard]\nguards = ["*.mixins.Member"]', "a glob must start with a package"),
        ('[tool.mtlsguard]\npublic = [" "]', "would declare every view public"),
        ('[tool.mtlsguard]\npublic = ["/*"]', "would declare every view public"),
        ('[tool.mtlsguard]\nguards = ["member_required"]', "which is not a dotted name"),
        ('[tool.mtlsguard]\nguards = ["django.views.View"]', "are the scanner's knowledge"),
        ('[tool.mtlsguard]\nobject-guards = ["*.Mixin"]', "'object-guards' has '*.Mixin': a glob"),
        ('tool = "x"', "'tool' must be a table"),
    ],
)
def test_malformed_configuration_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path)
    assert message in str(exc.value)
    assert str(tmp_path / "pyproject.toml") in str(exc.value)


def test_undecodable_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.mtlsguard]\nexclude = ['\xff']\n")
    with pytest.raises(ConfigError, match=r"not valid TOML|cannot be read"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("legacy/**", "legacy/views.py", True),
        ("legacy/**", "legacy/deep/views.py", True),
        ("legacy", "legacy/views.py", True),
        ("legacy/", "legacy/views.py", True),
        ("legacy/**", "app/legacy.py", False),
        ("*/migrations/*", "shop/migrations/0001.py", True),
        ("**/tests/**", "tests/test_x.py", True),
        ("**/tests/**", "shop/tests/test_x.py", True),
        ("*.py", "anything/at/all.py", True),
        ("shop/views.py", "shop/views.py", True),
        ("shop/views.py", "shop/views.pyc", False),
        ("Shop/*", "shop/views.py", False),
    ],
)
def test_exclude_globs(pattern: str, path: str, excluded: bool) -> None:
    assert ProjectConfig(exclude=(pattern,)).is_excluded(path) is excluded


def test_apply_config_disables_excludes_and_overrides() -> None:
    result = ScanResult(
        root="/p",
        findings=(
            finding("MG101", location=Location("shop/views.py", 3)),
            finding("MG205", location=Location("shop/settings.py", 3)),
            finding("MG102", location=Location("legacy/views.py", 3)),
            finding("MG301", Severity.CRITICAL, location=Location("shop/mw.py", 3)),
            finding("MG401", location=None),
        ),
        routes=(
            Route("a/", "shop.views.a", Location("shop/views.py", 1)),
            Route("b/", "legacy.views.b", Location("legacy/views.py", 1)),
            Route("c/", None, None),
        ),
        errors=(ScanError("legacy/broken.py", "syntax"), ScanError("shop/bad.py", "encoding")),
        files_scanned=4,
    )
    config = parse_config(
        {"exclude": ["legacy/**"], "disable": ["MG205"], "severity": {"MG101": "medium"}}
    )
    out = apply_config(result, config)
    assert [(f.rule_id, f.severity) for f in out.findings] == [
        ("MG101", Severity.MEDIUM),
        ("MG301", Severity.CRITICAL),
        ("MG401", Severity.HIGH),
    ]
    assert [r.pattern for r in out.routes] == ["a/", "c/"]
    assert [e.path for e in out.errors] == ["shop/bad.py"]
    assert out.files_scanned == 4
    assert apply_config(result, ProjectConfig()) == result


# Flat, small strategies: the CI budget (1,000 examples) stays well inside the timeout, and
# deeper nesting meets the same type checks as one level does.
toml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=8),
    st.sampled_from(["high", "LOW", "mg101", "MG101", "critical", "legacy/**", ""]),
)
toml_values = st.one_of(
    toml_scalars,
    st.lists(toml_scalars, max_size=3),
    st.dictionaries(st.sampled_from(["MG101", "mg2", "x y", ""]), toml_scalars, max_size=2),
)
tables = st.dictionaries(
    st.sampled_from(
        [
            "fail-on",
            "exclude",
            "disable",
            "severity",
            "guards",
            "object-guards",
            "public",
            "other",
            "fail_on",
        ]
    ),
    toml_values,
    max_size=4,
)


@secondary()
@given(tables)
def test_parse_config_accepts_or_raises_config_error_only(table: dict[str, object]) -> None:
    try:
        config = parse_config(table)
    except ConfigError as exc:
        error = str(exc)
    else:
        error = None
    if error is not None:
        assert error.startswith("[tool.mtlsguard]: ")
        return
    keys = {"fail-on", "exclude", "disable", "severity", "guards", "object-guards", "public"}
    assert set(table) <= keys
    assert all(isinstance(pattern, str) for pattern in config.exclude)
    assert all(isinstance(name, str) and name for name in config.guards + config.public)
    assert all(isinstance(s, Severity) for s in config.severity_overrides.values())


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-config")


@secondary()
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda s: "[tool.mtlsguard]\n" + s))
def test_load_config_on_arbitrary_files_never_crashes(fuzz_root: Path, data: bytes | str) -> None:
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    (fuzz_root / "pyproject.toml").write_bytes(raw)
    try:
        config = load_config(fuzz_root)
    except ConfigError as exc:
        error = str(exc)
    else:
        error = None
    if error is not None:
        assert error.startswith(str(fuzz_root / "pyproject.toml"))
        return
    assert isinstance(config, ProjectConfig)
