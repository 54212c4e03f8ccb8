"""Can an entry-point group have members? Answered from the files, without importlib.metadata.

:func:`mtlsguard.findings.registry.load_plugins` asks ``importlib.metadata.entry_points`` for
the ``mtlsguard.rules`` group on every run; importing ``importlib.metadata`` (email, zipfile,
csv...) costs more than a small scan's rules. Entry points live in the ``entry_points.txt`` of
the ``*.dist-info``/``*.egg-info`` directories that ``importlib.metadata``'s path finder lists
on ``sys.path`` (and in an ``.egg``'s ``EGG-INFO``). If none of those files contains the
group's name, the group is empty and the import can be skipped. Anything this reading does not
cover exactly (a zip file on ``sys.path``, another meta-path finder that lists distributions,
an unreadable directory) answers "maybe", and the caller asks ``importlib.metadata``.
"""

from __future__ import annotations

import os
import sys

__all__ = ["group_may_have_entries"]


def group_may_have_entries(group: str) -> bool:
    """False only when no distribution on ``sys.path`` can declare an entry point in ``group``."""
    path_finder = _path_finder()
    for finder in sys.meta_path:
        if finder is not path_finder and hasattr(finder, "find_distributions"):
            return True
    needle = group.encode()
    for entry in sys.path:
        if not isinstance(entry, str):
            return True
        if _mentions(entry or ".", needle):
            return True
    return False


def _path_finder() -> object:
    import importlib.machinery

    return importlib.machinery.PathFinder


def _mentions(root: str, needle: bytes) -> bool:
    """Some distribution found under ``root`` may declare ``needle`` (or ``root`` is unsure)."""
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        return True  # a zip archive: importlib.metadata reads it
    except OSError:
        return True
    egg = root.lower().endswith(".egg")
    for name in names:
        low = name.lower()
        if low.endswith((".dist-info", ".egg-info")) or (egg and low == "egg-info"):
            try:
                with open(os.path.join(root, name, "entry_points.txt"), "rb") as fh:
                    data = fh.read()
                data.decode("utf-8")  # importlib.metadata would fail on it: let it
            except (FileNotFoundError, NotADirectoryError):
                continue
            except (OSError, UnicodeDecodeError):
                return True
            if needle in data:
                return True
    return False
