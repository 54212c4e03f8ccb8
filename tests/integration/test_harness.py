"""The recipe harness itself: placeholders, the recipe inventory, skip-or-fail on CI."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.integration.conftest import RECIPES
from tests.integration.harness import (
    PLACEHOLDERS,
    RECIPE_DIR,
    render_recipe,
    require_binary,
)

RECIPE_FILES = sorted(p.name for p in RECIPE_DIR.iterdir() if p.is_file() and p.suffix != ".md")


def test_every_recipe_file_is_run_by_the_integration_tests() -> None:
    assert sorted(r.file for r in RECIPES.values()) == RECIPE_FILES


def test_readme_documents_exactly_the_placeholders() -> None:
    readme = (RECIPE_DIR / "README.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `\{\{([A-Z_]+)\}\}` \|", readme, flags=re.MULTILINE))
    assert table == PLACEHOLDERS


@pytest.mark.parametrize("name", RECIPE_FILES)
def test_recipe_renders_with_every_placeholder_replaced(name: str) -> None:
    text = render_recipe(name, {key: f"<{key.lower()}>" for key in PLACEHOLDERS})
    assert "{{" not in text
    assert "}}" not in text


@pytest.mark.parametrize("name", RECIPE_FILES)
def test_recipe_has_its_own_documentation(name: str) -> None:
    readme = (RECIPE_DIR / "README.md").read_text(encoding="utf-8")
    assert f"[`{name}`]({name})" in readme
    source = next(r.source for r in RECIPES.values() if r.file == name)
    pages = [p for p in RECIPE_DIR.glob("*.md") if p.name != "README.md"]
    assert any(name in p.read_text() and f'"{source}"' in p.read_text() for p in pages)


def test_render_refuses_a_missing_value() -> None:
    with pytest.raises(AssertionError, match="CERT_DIR"):
        render_recipe("haproxy.cfg", dict.fromkeys(PLACEHOLDERS - {"CERT_DIR"}, "x"))


def test_missing_binary_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require_binary("mtlsguard-no-such-proxy")


def test_missing_binary_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_binary("mtlsguard-no-such-proxy")


def test_present_binary_is_found() -> None:
    assert require_binary("python3") == shutil.which("python3")
