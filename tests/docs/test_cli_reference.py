"""The docs site's generators (docs/hooks.py): the CLI reference covers the whole parser.

``.ci/docs`` builds the site with ``mkdocs build --strict``, which checks links, anchors and
the verbatim recipes; these tests check what a build cannot see: that the generated
reference leaves out no command, option or help text of the parser, that links out of
docs/ are recognised, and that every option the README and docs/ give an ``mtlsguard``
command exists on that command.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from mtlsguard.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mtlsguard_docs_hooks", ROOT / "docs/hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def _section(page: str, prog: str) -> str:
    """The text of ``prog``'s section, up to the next heading of any command."""
    start = page.index(f"# `{prog}`\n")
    rest = page[start + len(prog) + 4 :]
    ends = [rest.find(marker) for marker in ("\n## `", "\n### `", "\n#### `")]
    return rest[: min((e for e in ends if e >= 0), default=len(rest))]


def test_every_command_option_and_help_text_is_in_the_reference(hooks: ModuleType) -> None:
    parser = build_parser()
    page = hooks.render_cli_reference(parser)
    commands = [p for p in _parsers(parser) if p is not parser]
    assert {p.prog for p in commands} >= {
        "mtlsguard scan",
        "mtlsguard routes",
        "mtlsguard probe",
        "mtlsguard demo",
        "mtlsguard pki init",
        "mtlsguard devserver",
    }
    for command in commands:
        section = _section(page, command.prog)
        flat = " ".join(section.split())
        for action in command._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            for option in action.option_strings:
                assert f"`{option}`" in section, (command.prog, option)
            if action.help:
                expanded = argparse.HelpFormatter(command.prog)._expand_help(action)
                assert " ".join(expanded.split()).replace("|", "\\|") in flat, expanded
        if command.description:
            assert " ".join(command.description.split()) in flat


def test_usage_and_defaults_do_not_depend_on_the_terminal(
    hooks: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    wide = hooks.render_cli_reference(build_parser())
    monkeypatch.setenv("COLUMNS", "40")
    assert hooks.render_cli_reference(build_parser()) == wide
    probe = _section(wide, "mtlsguard probe")
    # a default the help text states is not repeated; one it omits gets the column
    assert "| `--max-requests` | `N` |  | stop after N requests in all (default 2000) |" in probe
    assert "| `--key-type` | `ec` \\| `rsa` | `ec` |" in wide
    assert "Exactly one of `--app`, `--django-settings`." in _section(wide, "mtlsguard devserver")


def test_a_command_table_links_each_subcommand_section(hooks: ModuleType) -> None:
    page = hooks.render_cli_reference(build_parser())
    assert "| [`scan`](#mtlsguard-scan) |" in page
    assert "| [`init`](#mtlsguard-pki-init) |" in page
    assert "### `mtlsguard scan`" in page
    assert "#### `mtlsguard pki init`" in page


@pytest.mark.parametrize(
    ("page", "target", "outside"),
    [
        ("certs.md", "../benchmarks/RESULTS.md", "benchmarks/RESULTS.md"),
        ("deploy/scaling.md", "../django.md", None),
        ("deploy/nginx.md", "../../src/mtlsguard/cli.py#L1", "src/mtlsguard/cli.py"),
        ("index.md", "https://example.com/x.md", None),
        ("index.md", "#quick-start", None),
        ("deploy/README.md", "nginx-site.conf", None),
    ],
)
def test_links_out_of_docs_are_recognised(
    hooks: ModuleType, page: str, target: str, outside: str | None
) -> None:
    assert hooks._outside_target(page, target) == outside


def test_every_published_outside_file_exists(hooks: ModuleType) -> None:
    for source in hooks.OUTSIDE_PAGES:
        assert (ROOT / source).is_file(), source


_INVOCATION = re.compile(r"\bmtlsguard ((?:pki )?[a-z]+)\b(.*)")


def _invocations(text: str) -> Iterator[tuple[str, str]]:
    """``(command, arguments)`` of each ``mtlsguard COMMAND ...`` in ``text``: the rest of the
    logical line (``\\`` continuations joined), up to a comment or the end of a code span."""
    logical = re.sub(r"\\\n\s*", " ", text)
    for line in logical.splitlines():
        for match in _INVOCATION.finditer(line.split("  #", 1)[0]):
            yield match.group(1), match.group(2).split("`", 1)[0]  # a code span ends there


def test_options_the_docs_give_a_command_exist_on_that_command() -> None:
    parser = build_parser()
    commands = {p.prog.removeprefix("mtlsguard "): p for p in _parsers(parser) if p is not parser}
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    checked = 0
    for document in documents:
        for command, rest in _invocations(document.read_text(encoding="utf-8")):
            if command not in commands:
                continue
            known = {o for a in commands[command]._actions for o in a.option_strings}
            for option in re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", rest):
                checked += 1
                where = document.relative_to(ROOT)
                assert option in known, f"{where}: mtlsguard {command} {option}"
    assert checked > 20  # the README, probe.md and index.md give many
