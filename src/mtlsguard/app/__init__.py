"""What a run is: static scan, probe, both combined, triage and the exit decision.

The command line (:mod:`mtlsguard.cli`), ``manage.py mtlsguard``, the demo and the GitHub
Action describe a run with plain values and call this package; it returns one
assessment that every report format renders in full. No argparse, no Django here.
"""
