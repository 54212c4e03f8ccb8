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

from mtlsguard.scan.probe.config import Identity, ProbeConfig
from mtlsguard.scan.probe.runner import ProbeResult, probe, run_probe

__all__ = ["Identity", "ProbeConfig", "ProbeResult", "probe", "run_probe"]
