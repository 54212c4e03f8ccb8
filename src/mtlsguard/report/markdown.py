"""Rule docstrings (reStructuredText-flavoured) to Markdown for docs/rules/ and SARIF help.

Rule docstrings use ``literal`` spans, ``**bold**`` and ``::`` literal blocks. Double backticks
are already valid CommonMark code spans; only literal blocks need converting into fenced Python
code blocks.
"""

from __future__ import annotations

__all__ = ["docstring_to_markdown"]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def docstring_to_markdown(doc: str) -> str:
    """Convert a rule docstring to Markdown (``::`` literal blocks become fenced code)."""
    lines = doc.strip("\n").splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.rstrip().endswith("::"):
            out.append(line.rstrip())
            index += 1
            continue
        stripped = line.rstrip()[:-2].rstrip()
        if stripped:
            out.append(stripped + ":")
        base = _indent(line)
        index += 1
        block: list[str] = []
        while index < len(lines):
            current = lines[index]
            if current.strip() and _indent(current) <= base:
                break
            block.append(current)
            index += 1
        while block and not block[-1].strip():
            block.pop()
        while block and not block[0].strip():
            block.pop(0)
        if not block:
            continue
        cut = min(_indent(b) for b in block if b.strip())
        out.append("")
        out.append("```python")
        out.extend(b[cut:].rstrip() if b.strip() else "" for b in block)
        out.append("```")
        out.append("")
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"
