"""Python 3.12-3.14 syntax parses on whatever interpreter runs the scanner, lines kept.

The oracle for 3.12/3.13 syntax is a newer interpreter's own :mod:`ast` (CI has Python 3.12
under pyenv); 3.14 syntax is checked against the lines it is written on.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.scan.engine import scan_project
from mtlsguard.scan.static.lowering import FSTRING_CALL
from mtlsguard.scan.static.parsing import parse_python
from tests.scan.projects import write_project

PEP_695 = """\
from typing import Any


def first[T](items: list[T]) -> T:
    return items[0]


class Box[T: (int, str), *Ts, **P]:
    def get(self) -> T:
        return self.value


class Child[T](Box[T], metaclass=type):
    pass


type Pair[K, V] = tuple[K, V]


def spread[
    A,
    B,
](a: A, b: B) -> None:
    pass


class Late[
    X,
]:
    pass


def after(request: Any) -> str:
    return "after"
"""

PEP_701 = '''\
names = ["a", "b"]
joined = f"{", ".join(names)}"
nested = f"{f"{f"{names[0]}"}"}"
multi = f"""{
    names[0]  # a comment inside the replacement field
}"""
spec = f"{names[0]:{"<"}{10}}"
concat = "x" f"{"y"}" "z"


def view(request):
    return f"{request.GET["q"]}"
'''

PY_314 = """\
try:
    pass
except ValueError, TypeError:
    pass
template = t"hello {name}"


def after():
    return 1
"""


def _definitions(tree: ast.AST) -> list[tuple[str, str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found.append((type(node).__name__, node.name, node.lineno))
        elif type(node).__name__ == "TypeAlias":  # Python >= 3.12 reads `type X = ...` itself
            found.append(("Assign", node.name.id, node.lineno))  # type: ignore[attr-defined]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.append(("Assign", target.id, node.lineno))
    return sorted(found, key=lambda item: (item[2], item[1]))


def _newer_python() -> str | None:
    """A Python >= 3.12 that runs (pyenv shims of inactive versions exit 127)."""
    candidates = [shutil.which(name) for name in ("python3.13", "python3.12")]
    if pyenv := shutil.which("pyenv"):
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        found = Path(root).glob("versions/3.1[2-9]*/bin/python3")
        candidates = sorted((str(p) for p in found), reverse=True) + candidates
    for candidate in filter(None, candidates):
        probe = [candidate, "-c", "import sys; assert sys.version_info >= (3, 12)"]
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return candidate
    return None


@pytest.mark.parametrize("source", [PEP_695, PEP_701], ids=["pep695", "pep701"])
def test_definitions_and_lines_match_a_newer_interpreter(source: str) -> None:
    newer = _newer_python()
    if sys.version_info >= (3, 12):
        oracle = _definitions(ast.parse(source))
    else:
        assert newer, "Python 3.12+ is needed as the oracle (pyenv's python3.12 in CI)"
        script = (
            "import ast, json, sys\n"
            "tree = ast.parse(sys.stdin.read())\n"
            "out = []\n"
            "for n in ast.walk(tree):\n"
            "    if isinstance(n, (ast.FunctionDef, ast.ClassDef)):\n"
            "        out.append((type(n).__name__, n.name, n.lineno))\n"
            "    elif type(n).__name__ == 'TypeAlias':\n"
            "        out.append(('Assign', n.name.id, n.lineno))\n"
            "    elif isinstance(n, ast.Assign):\n"
            "        out += [('Assign', t.id, n.lineno) for t in n.targets"
            " if isinstance(t, ast.Name)]\n"
            "print(json.dumps(out))\n"
        )
        done = subprocess.run(
            [newer, "-c", script], input=source, capture_output=True, text=True, check=True
        )
        oracle = sorted(
            (tuple(item) for item in json.loads(done.stdout)), key=lambda i: (i[2], i[1])
        )
    assert _definitions(parse_python(source)) == oracle
    # The type alias is an assignment for the analysis, on the line it is written on.
    assert ("Assign", "Pair", 17) in oracle or "type Pair" not in source


def test_python_314_syntax_keeps_its_lines() -> None:
    tree = parse_python(PY_314)
    assert _definitions(tree) == [("Assign", "template", 5), ("FunctionDef", "after", 8)]
    handler = next(n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler))
    assert isinstance(handler.type, ast.Tuple)
    assert [e.id for e in handler.type.elts if isinstance(e, ast.Name)] == [
        "ValueError",
        "TypeError",
    ]


def test_python_313_type_parameter_defaults() -> None:
    tree = parse_python("class A[T = int]:\n    pass\n\n\ndef f[U = str]() -> None:\n    pass\n")
    assert _definitions(tree) == [("ClassDef", "A", 1), ("FunctionDef", "f", 5)]


def test_interpolated_expressions_stay_visible() -> None:
    tree = parse_python(PEP_701)
    if sys.version_info >= (3, 12):
        pytest.skip("the running interpreter parses PEP 701 itself: nothing is lowered")
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == FSTRING_CALL
    ]
    assert calls, "the PEP 701 strings are lowered to calls"
    subscripts = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
    assert "request.GET['q']" in subscripts


def test_not_python_of_any_version_is_the_interpreters_error() -> None:
    with pytest.raises(SyntaxError) as caught:
        parse_python("def broken(:\n    pass\n", "app/broken.py")
    assert caught.value.lineno == 1
    assert caught.value.filename == "app/broken.py"


def test_invalid_escape_warnings_do_not_reach_the_output(recwarn: pytest.WarningsRecorder) -> None:
    parse_python('pattern = "\\d+"\n')
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]


def test_a_project_on_new_syntax_is_scanned_in_full(tmp_path: Path) -> None:
    views = textwrap.dedent(
        """\
        from django.http import JsonResponse


        type Payload = dict[str, object]


        def open_view[T](request):
            return JsonResponse({"q": f"{request.GET["q"]}"})


        class Helper[T]:
            pass
        """
    )
    root = write_project(
        tmp_path,
        {
            "proj/urls.py": (
                "from django.urls import path\nfrom app import views\n"
                'urlpatterns = [path("open/", views.open_view)]\n'
            ),
            "app/views.py": views,
        },
    )
    result = scan_project(root)
    assert not result.errors
    assert [(r.pattern, r.view) for r in result.routes] == [("open/", "app.views.open_view")]
    finding = next(f for f in result.findings if f.rule_id == "MG101")
    assert finding.location is not None
    assert (finding.location.path, finding.location.line) == ("app/views.py", 7)


def test_a_project_on_old_syntax_is_scanned_in_full(tmp_path: Path) -> None:
    """Cadasta (Python 3.5) names a list of URL patterns ``async``: a keyword since 3.7."""
    urls = (
        "from django.urls import include, path\nfrom app import views\n"
        'async = [path("open/", views.open_view)]\n'
        'urlpatterns = [path("", include(async))]\n'
    )
    views = (
        "from django.http import JsonResponse\n\n"
        "def open_view(request):\n    return JsonResponse({})\n"
    )
    root = write_project(tmp_path, {"proj/urls.py": urls, "app/views.py": views})
    result = scan_project(root)
    assert not result.errors
    assert [(r.pattern, r.view) for r in result.routes] == [("open/", "app.views.open_view")]


_TOKENS = st.sampled_from(
    [
        "def",
        "class",
        "type",
        "f'",
        'f"',
        "t'",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        ":",
        "=",
        ",",
        "except",
        "try",
        "x",
        "T",
        " ",
        "\n",
        "    ",
        '"',
        "'",
        "#",
        "\\",
        "lambda",
        "*",
        "**",
    ]
)


@given(st.lists(_TOKENS, max_size=40).map("".join))
def test_any_text_parses_or_is_a_syntax_error(text: str) -> None:
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError):
        return
    assert isinstance(tree, ast.Module)
