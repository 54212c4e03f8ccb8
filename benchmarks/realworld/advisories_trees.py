"""Obtain the vulnerable and fixed source trees of the advisories in ``advisories.json``.

A tree is one git ref of a project's repository, written out as files under
``benchmarks/.cache/realworld/_trees/<owner>+<name>@<ref>/`` and linked from
``benchmarks/.cache/realworld/<id>/{vulnerable,fixed}`` (advisories that share a release share
one copy). Only what the static scanner reads is written: Python files and the configuration
files a project keeps beside them (``pyproject.toml``, ``setup.cfg``, ``tox.ini``,
``pytest.ini``). Templates, assets and files over 4 MiB are left out.

Where the git history comes from, first found wins:

1. a bare repository under ``/work/.mirror/<owner>+<name>/repo`` (what the ``fetch`` tool of the
   development sessions creates) or ``$MTLSGUARD_MIRRORS/<owner>+<name>/repo``;
2. ``benchmarks/.cache/realworld/_git/<owner>+<name>.git``, cloned earlier by this script;
3. a fresh ``git clone --bare`` from GitHub into (2), when the network allows it.

A tree written once is reused (a ``.complete`` stamp records the ref), so a second run works
offline. When none of the sources has the ref, the tree is *unobtainable* and the reason is
reported instead of a result.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent / ".cache" / "realworld"
TREES = CACHE / "_trees"
CLONES = CACHE / "_git"
MIRROR_ROOTS = tuple(
    Path(p) for p in (os.environ.get("MTLSGUARD_MIRRORS", ""), "/work/.mirror") if p
)
SUFFIXES = (".py", ".pyi")
CONFIG_NAMES = frozenset({"pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini"})
MAX_BLOB = 4 * 1024 * 1024
"""Larger files are skipped: no Python source of interest is that big, and mirrors lack them."""
CLONE_TIMEOUT = 900


class TreeUnavailable(Exception):
    """The tree cannot be obtained; the message says why."""


@dataclass(frozen=True)
class Tree:
    """A source tree written to the cache."""

    path: Path
    """Directory holding the files (the repository root at ``ref``)."""
    files: int
    """Files written."""
    source: str
    """Where the history came from (mirror path or clone URL)."""
    cached: bool
    """True when an earlier run had already written it."""


def _slug(repo: str) -> str:
    owner, name = repo.split("/", 1)
    return f"{owner}+{name}"


def _git(git_dir: Path, *args: str, data: bytes | None = None) -> bytes:
    done = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], input=data, capture_output=True, check=False
    )
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise TreeUnavailable(f"git {args[0]} failed in {git_dir}: {message[-1:] or ['?']}")
    return done.stdout


def _has_ref(git_dir: Path, ref: str) -> bool:
    done = subprocess.run(
        ["git", f"--git-dir={git_dir}", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def history(repo: str, ref: str, *, allow_network: bool = True) -> Path:
    """A bare git directory of ``repo`` that contains ``ref``.

    :raises TreeUnavailable: no mirror or clone has the ref and cloning failed or is not allowed.
    """
    slug = _slug(repo)
    candidates = [root / slug / "repo" for root in MIRROR_ROOTS] + [CLONES / f"{slug}.git"]
    for git_dir in candidates:
        if git_dir.is_dir() and _has_ref(git_dir, ref):
            return git_dir
    if not allow_network:
        raise TreeUnavailable(f"no local history of {repo} has {ref} (offline)")
    target = CLONES / f"{slug}.git"
    if target.exists():
        shutil.rmtree(target)
    CLONES.mkdir(parents=True, exist_ok=True)
    url = f"https://github.com/{repo}.git"
    try:
        done = subprocess.run(
            ["git", "clone", "--bare", "--quiet", url, str(target)],
            capture_output=True,
            timeout=CLONE_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except subprocess.TimeoutExpired as exc:
        raise TreeUnavailable(f"git clone {url} timed out") from exc
    if done.returncode != 0 or not _has_ref(target, ref):
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["ref missing"]
        raise TreeUnavailable(f"cannot clone {url}: {reason[0]}")
    return target


def _wanted(path: str) -> bool:
    pure = PurePosixPath(path)
    return pure.suffix in SUFFIXES or pure.name in CONFIG_NAMES


def _write_blobs(git_dir: Path, ref: str, dest: Path) -> int:
    """Write the wanted blobs of ``ref`` under ``dest``, skipping blobs the mirror lacks."""
    listing = _git(git_dir, "ls-tree", "-r", "-l", "-z", ref)
    entries: list[tuple[str, str]] = []
    for record in listing.decode(errors="surrogateescape").split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        _mode, kind, sha, size = meta.split()
        if kind == "blob" and _wanted(path) and size != "-" and int(size) <= MAX_BLOB:
            entries.append((sha, path))
    batch = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha, _ in entries).encode(),
        capture_output=True,
        check=True,
    ).stdout
    written = 0
    offset = 0
    for _sha, path in entries:
        newline = batch.index(b"\n", offset)
        header = batch[offset:newline].split()
        offset = newline + 1
        if header[-1] == b"missing":
            continue
        length = int(header[2])
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(batch[offset : offset + length])
        offset += length + 1
        written += 1
    return written


def obtain(repo: str, ref: str, *, allow_network: bool = True) -> Tree:
    """The tree of ``repo`` at ``ref``, from the cache or written now.

    :raises TreeUnavailable: the ref cannot be found in any source.
    """
    dest = TREES / f"{_slug(repo)}@{ref.replace('/', '_')}"
    stamp = dest / ".complete"
    if stamp.is_file():
        source, _, count = stamp.read_text().partition("\n")
        return Tree(dest, int(count or 0), source, cached=True)
    git_dir = history(repo, ref, allow_network=allow_network)
    if dest.exists():
        shutil.rmtree(dest)
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    files = _write_blobs(git_dir, ref, partial)
    partial.rename(dest)
    stamp.write_text(f"{git_dir}\n{files}")
    return Tree(dest, files, str(git_dir), cached=False)


def link(advisory_id: str, side: str, tree: Tree) -> Path:
    """``benchmarks/.cache/realworld/<id>/<side>``, a symlink to the shared tree."""
    where = CACHE / advisory_id / side
    where.parent.mkdir(parents=True, exist_ok=True)
    if where.is_symlink() or where.exists():
        if where.resolve() == tree.path.resolve():
            return where
        if where.is_symlink() or where.is_file():
            where.unlink()
        else:
            shutil.rmtree(where)
    where.symlink_to(os.path.relpath(tree.path, where.parent))
    return where
