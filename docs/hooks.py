"""MkDocs hooks of the documentation site (``hooks:`` in ``mkdocs.yml``).

* ``cli.md`` is generated at build time from :func:`mtlsguard.cli.main.build_parser`, so the CLI
  reference is the parser itself: an option added, renamed or removed there changes the page,
  and a link to a section that no longer exists fails ``mkdocs build --strict``.
* Files outside ``docs/`` that the site publishes (``OUTSIDE_PAGES``, e.g.
  ``benchmarks/RESULTS.md``) become generated pages, and links to them from the docs
  (``../benchmarks/RESULTS.md``, which is right when the Markdown is read on a code host) are
  pointed at those pages. Any other link that leaves ``docs/`` is a warning, i.e. a failed
  strict build, naming this file.
* The nav entry of the rule reference (``docs/rules/``, committed and kept in sync with the
  rules by ``tests/report/test_rulesdoc.py``) gets one child per rule page, so the navigation
  lists whatever rules exist; nav entries of ``OPTIONAL_PAGES`` are dropped while the page
  does not exist.
* Every file a page includes with ``--8<--`` must come out of Markdown byte for byte (the
  deployment pages promise the exact files the integration tests run).

This file is excluded from the site (``exclude_docs``); ``tests/docs/test_cli_reference.py``
loads it to check the generated reference against the parser.
"""

from __future__ import annotations

import argparse
import html as html_lib
import logging
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.mtlsguard")

CLI_PAGE = "cli.md"
"""Site path of the generated CLI reference."""

OUTSIDE_PAGES = {"benchmarks/RESULTS.md": "benchmarks.md"}
"""Repository files outside ``docs/`` published as site pages: repository path to site path."""

OPTIONAL_PAGES = {"ci.md"}
"""Nav entries of ``mkdocs.yml`` dropped while their page does not exist (written elsewhere)."""

_WIDTH = 78
"""Line width of the usage blocks (fixed, so the page does not depend on the terminal)."""

_LINK = re.compile(r"(\]\()([^)\s]+)(\))")
_SNIPPET = re.compile(r'^--8<-- "([^"]+)"$', re.MULTILINE)
_CODE = re.compile(r"<code>(.*?)</code>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


# -- the CLI reference ------------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """``(name, parser)`` of each subcommand of ``parser``, in registration order."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _formatter(parser: argparse.ArgumentParser) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(parser.prog, width=_WIDTH, max_help_position=32)


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = _formatter(parser)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(action: argparse.Action, help_text: str) -> str:
    """The default worth stating: not None/False, and not already said by the help text."""
    default = action.default
    if default is None or default is False or default is argparse.SUPPRESS or default == []:
        return ""
    if isinstance(action, argparse._StoreTrueAction) or "default" in help_text.lower():
        return ""
    return f"`{default}`"


def _argument(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if action.choices is not None and action.metavar is None:
        return " \\| ".join(f"`{choice}`" for choice in action.choices)
    metavar = action.metavar or (action.dest if not action.option_strings else action.dest.upper())
    text = f"`{metavar}`"  # a pipe inside a code span does not split the cell
    if action.choices is not None:
        text += " (" + ", ".join(f"`{choice}`" for choice in action.choices) + ")"
    return text


def _options_table(parser: argparse.ArgumentParser, group: argparse._ArgumentGroup) -> list[str]:
    formatter = _formatter(parser)
    rows = []
    for action in group._group_actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        if action.help is argparse.SUPPRESS:
            continue
        help_text = formatter._expand_help(action) if action.help else ""
        name = ", ".join(f"`{o}`" for o in action.option_strings) or _argument(action)
        argument = _argument(action) if action.option_strings else ""
        if action.required and action.option_strings:
            help_text = f"Required. {help_text}"
        if action.nargs == "?" and not action.option_strings:
            help_text = f"Optional. {help_text}"
        rows.append(f"| {name} | {argument} | {_default(action, help_text)} | {_cell(help_text)} |")
    if not rows:
        return []
    return ["| Argument | Value | Default | Meaning |", "| --- | --- | --- | --- |", *rows]


def _section(parser: argparse.ArgumentParser, level: int) -> list[str]:
    lines = [f"{'#' * level} `{parser.prog}`", ""]
    if parser.description:
        lines += [parser.description, ""]
    lines += ["```text", _usage(parser), "```", ""]
    for group in parser._action_groups:
        table = _options_table(parser, group)
        if not table:
            continue
        title = group.title or "arguments"
        lines += [f"**{title[0].upper()}{title[1:]}**", ""]
        if group.description:
            lines += [group.description, ""]
        lines += [*table, ""]
    for exclusive in parser._mutually_exclusive_groups:
        names = ", ".join(f"`{a.option_strings[0]}`" for a in exclusive._group_actions)
        lines += [f"{'Exactly' if exclusive.required else 'At most'} one of {names}.", ""]
    if parser.epilog:
        lines += [parser.epilog, ""]
    commands = list(_subcommands(parser))
    if commands:
        lines += [_commands_table(parser), ""]
        for _name, sub in commands:
            lines += _section(sub, level + 1)
    return lines


def _anchor(prog: str) -> str:
    """The id Python-Markdown's ``toc`` gives the heading ``# `prog```."""
    return re.sub(r"[^\w\- ]", "", prog).strip().lower().replace(" ", "-")


def _commands_table(parser: argparse.ArgumentParser) -> str:
    helps: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
    rows = ["| Command | What it does |", "| --- | --- |"]
    for name, sub in _subcommands(parser):
        rows.append(f"| [`{name}`](#{_anchor(sub.prog)}) | {_cell(helps.get(name, ''))} |")
    return "\n".join(rows)


def render_cli_reference(parser: argparse.ArgumentParser) -> str:
    """The Markdown CLI reference of ``parser`` and all its subcommands, recursively."""
    lines = [
        "# CLI reference",
        "",
        "Generated from the argument parser (`mtlsguard.cli.main.build_parser`) each time the site",
        "is built, so it always matches `mtlsguard --help` and `mtlsguard COMMAND --help` of",
        "this version.",
        "",
        "`python manage.py mtlsguard scan|routes` (with `mtlsguard.django` in `INSTALLED_APPS`)",
        "registers the very same options as [`mtlsguard scan`](#mtlsguard-scan) and",
        "[`mtlsguard routes`](#mtlsguard-routes); only `PATH` is optional there (default: the",
        "settings' `BASE_DIR`, else the working directory) and the routes come from the running",
        "project's URL resolver instead of its source (see",
        "[Scanning with the real URL resolver](django.md#scanning-with-the-real-url-resolver)).",
        "",
        *_section(parser, 2),
    ]
    # The top-level section's heading is the page title's job.
    text = "\n".join(lines).replace(f"## `{parser.prog}`\n\n", "", 1)
    return text.rstrip() + "\n"


# -- MkDocs events ----------------------------------------------------------------------------


def _nav_entries(entries: list[Any], docs: Path, rules: list[str]) -> list[Any]:
    kept: list[Any] = []
    for entry in entries:
        target = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(target, list):
            kept.append({next(iter(entry)): _nav_entries(target, docs, rules)})
        elif target in OPTIONAL_PAGES and not (docs / target).is_file():
            continue
        elif target == "rules/README.md":
            title = next(iter(entry)) if isinstance(entry, dict) else "Rules"
            kept.append({title: [target, *(f"rules/{rule}" for rule in rules)]})
        else:
            kept.append(entry)
    return kept


def on_config(config: Any) -> Any:
    """Adjust the nav: one entry per rule page; optional pages only when they exist."""
    docs = Path(config["docs_dir"])
    rules = sorted(p.name for p in (docs / "rules").glob("MG*.md"))
    config["nav"] = _nav_entries(config.get("nav") or [], docs, rules)
    return config


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages: the CLI reference and the published outside files."""
    from mkdocs.structure.files import File

    from mtlsguard.cli.main import build_parser

    files.append(File.generated(config, CLI_PAGE, content=render_cli_reference(build_parser())))
    root = Path(config["config_file_path"]).parent
    for source, page in OUTSIDE_PAGES.items():
        files.append(File.generated(config, page, abs_src_path=str(root / source)))
    return files


def _outside_target(page_src: str, target: str) -> str | None:
    """The repository path ``target`` points to when it leaves ``docs/``, else ``None``."""
    if _SCHEME.match(target) or target.startswith(("#", "/")):
        return None
    path, _, _fragment = target.partition("#")
    joined = posixpath.normpath(posixpath.join("docs", posixpath.dirname(page_src), path))
    return None if joined == "docs" or joined.startswith("docs/") else joined


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Point links to published outside files at their pages; warn about other such links."""
    src = page.file.src_uri

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(2)
        outside = _outside_target(src, target)
        if outside is None:
            return match.group(0)
        fragment = target.partition("#")[2]
        if outside in OUTSIDE_PAGES:
            relative = posixpath.relpath(OUTSIDE_PAGES[outside], posixpath.dirname(src) or ".")
            return f"{match.group(1)}{relative}{'#' + fragment if fragment else ''}{match.group(3)}"
        log.warning(
            "%s links to %s, outside docs/ and not published by the site: link a page of the "
            "site, or add the file to OUTSIDE_PAGES in docs/hooks.py",
            src,
            outside,
        )
        return match.group(0)

    included = _SNIPPET.findall(markdown)
    if included:
        _INCLUDED[src] = included
    return _LINK.sub(rewrite, markdown)


_INCLUDED: dict[str, list[str]] = {}
"""Page source path to the files it includes with ``--8<--`` (filled by on_page_markdown)."""


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Warn unless every file a page includes appears in it byte for byte as a code block.

    The deployment pages promise the exact files the integration tests run; Markdown
    processing (tab expansion, a snippet marker inside an included file...) must not alter
    them.
    """
    root = Path(config["config_file_path"]).parent
    blocks = {html_lib.unescape(_TAG.sub("", code)) for code in _CODE.findall(html)}
    for included in _INCLUDED.pop(page.file.src_uri, []):
        if (root / included).read_text(encoding="utf-8") not in blocks:
            log.warning(
                "%s: the code block of %s is not the file verbatim",
                page.file.src_uri,
                included,
            )
    return html
