"""``mtlsguard probe``: black-box probes over real mutual TLS (rules ``MG4xx``).

The probe presents a real client certificate and no application credentials — the attacker
the seed describes — and a second identity's certificate for BOLA; it forges the headers
TLS-terminating proxies forward, and scores what it confirmed. Modules: :mod:`.config` (what a
run is told), :mod:`.client` (httpx with every safety bound), :mod:`.discovery` (routes and
IDs), :mod:`.forged` (proxy header sets), :mod:`.authentication`, :mod:`.spoofing`,
:mod:`.bola` (the probes), :mod:`.scoring`, :mod:`.runner` (one run) and :mod:`.command`
(the CLI subcommand).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mtlsguard.probe.config import Identity, ProbeConfig
    from mtlsguard.probe.runner import ProbeResult, probe, run_probe

__all__ = ["Identity", "ProbeConfig", "ProbeResult", "probe", "run_probe"]

# Loaded on first use: `mtlsguard --help` must not import httpx.
_HOMES = {
    "Identity": "config",
    "ProbeConfig": "config",
    "ProbeResult": "runner",
    "probe": "runner",
    "run_probe": "runner",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
