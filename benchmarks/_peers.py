"""Shared set-up of the scanner benchmarks: pinned peer tools in their own virtualenv.

The peers (Bandit, route-detect with its Semgrep, django-access-inspector with its Django) go
into ``benchmarks/.venv-peers`` so that they never touch the development virtualenv.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"
PEERS_VENV = HERE / ".venv-peers"
PEERS = ("bandit==1.9.4", "route-detect==0.8.0", "django-access-inspector==0.5.0")
"""Pinned peer versions (the newest on PyPI when measured)."""


def peer_bin(name: str) -> str:
    """Path of an executable installed in the peers' virtualenv."""
    return str(PEERS_VENV / "bin" / name)


def ensure_peers() -> None:
    """Create the peers' virtualenv and install the pinned peers into it (once)."""
    stamp = PEERS_VENV / ".mtlsguard-peers"
    if stamp.is_file() and stamp.read_text() == "\n".join(PEERS):
        return
    if not (PEERS_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    subprocess.run([peer_bin("pip"), "install", "-q", *PEERS], check=True)
    stamp.write_text("\n".join(PEERS))


def peer_versions() -> dict[str, str]:
    """Installed versions of the peers and their engines, as the peers' venv reports them."""
    code = (
        "import importlib.metadata as m, json\n"
        "names = ['bandit', 'route-detect', 'semgrep', 'django-access-inspector', 'Django']\n"
        "out = {}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = 'not installed'\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([peer_bin("python"), "-c", code], capture_output=True, text=True)
    return dict(json.loads(done.stdout)) if done.returncode == 0 else {}


@dataclass(frozen=True)
class Measured:
    """One command run in its own process, measured from a fresh parent."""

    wall: float
    """Wall-clock seconds."""
    cpu: float
    """User + system CPU seconds of the command and its descendants."""
    max_rss_mb: float
    """Largest resident set of any one process of the command (MiB)."""
    returncode: int
    """The command's exit status."""
    stderr_tail: str
    """Last lines of the command's standard error (for failures)."""


_MEASURE = """
import json, resource, subprocess, sys, time
cmd = json.loads(sys.argv[1])
out = open(sys.argv[2], 'wb')
t = time.perf_counter()
done = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({'wall': wall, 'cpu': ru.ru_utime + ru.ru_stime, 'rss_kb': ru.ru_maxrss,
                  'rc': done.returncode,
                  'err': done.stderr.decode('utf-8', 'replace')[-1500:]}))
"""


def measure(cmd: list[str], stdout_path: Path, cwd: Path | None = None) -> Measured:
    """Run ``cmd`` under a fresh measuring parent, so RUSAGE_CHILDREN covers only it.

    ``ru_maxrss`` of RUSAGE_CHILDREN is the peak of the largest single descendant (Linux), so
    for a tool made of two concurrent processes (Semgrep's Python CLI + semgrep-core) it is
    the larger of the two, not their sum.
    """
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, json.dumps(cmd), str(stdout_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    data = json.loads(done.stdout)
    return Measured(
        wall=float(data["wall"]),
        cpu=float(data["cpu"]),
        max_rss_mb=float(data["rss_kb"]) / 1024,
        returncode=int(data["rc"]),
        stderr_tail=str(data["err"]),
    )


def now() -> float:
    """Wall clock for progress lines."""
    return time.monotonic()
