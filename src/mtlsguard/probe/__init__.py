"""``mtlsguard probe``: black-box probes over real mutual TLS (rules ``MG4xx``).

The probe presents a real client certificate and no application credentials -- the attacker
the seed describes -- and a second identity's certificate for BOLA; it forges the headers
TLS-terminating proxies forward, and scores what it confirmed. The map of the package:

One run
    :mod:`.runner` (``probe()``/``run_probe()`` and :class:`ProbeResult`: a loop over the
    phases, then the score), :mod:`.state` (what the run knows so far, shared by the phases).
The phases (:mod:`.phases`: the ``Phase`` API -- rules, prerequisites, ``run(state)`` -- and
planning by rule selection), in the order they run
    :mod:`.phases.collection_routes` (observe listings, harvest IDs),
    :mod:`.phases.detail_routes` (fill detail routes with those IDs, observe them),
    :mod:`.phases.authentication` (MG401, MG402), :mod:`.phases.bola` (MG404; with
    :mod:`.phases.writes`, the opt-in write probes),
    :mod:`.phases.spoofing` (MG403), :mod:`.phases.tokens` (MG408, opt-in),
    :mod:`.phases.signin` (MG405-MG407, opt-in; the sign-in flow and the probes).
The toolbox the phases use
    :mod:`.config` (what a run is told, the rule selection included), :mod:`.client` (httpx
    with every safety bound) over :mod:`.transport` (the HTTP/1.1 pool), :mod:`.bounds`
    (budget, deadline, rate, concurrency), :mod:`.exchange` (one request and its answer),
    :mod:`.observation` (one path as every caller), :mod:`.discovery` (route templates from
    OpenAPI, ``mtlsguard routes`` or a list), :mod:`.crawl` (discovery from a bare URL),
    :mod:`.ids` (objects harvested from answers, parameters filled by name),
    :mod:`.ownership` (whose object it is, who each identity is), :mod:`.compare` (same
    content, caller echoes, public answers), :mod:`.coverage` (routes reached, run failures:
    no grade without them), :mod:`.forged` (proxy header sets),
    :mod:`.redact` (evidence without secrets), :mod:`.scoring` (score and grade) and
    :mod:`.rules` (one module per MG4xx rule, its documentation).

A new probe is a rule module in :mod:`.rules` and a phase module in :mod:`.phases`, added to
:data:`.runner.PHASES`; the command line lives in :mod:`mtlsguard.cli`, not here.
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
