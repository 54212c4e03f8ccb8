"""CI integration: what the GitHub Action shows of its runs.

``action.yml`` at the repository root installs mtlsguard and runs
``python -m mtlsguard.cli.github_action`` (its inputs are parsed in :mod:`mtlsguard.cli`, its
runs are :mod:`mtlsguard.app`'s); :mod:`mtlsguard.ci.summary` renders their assessments as the
Markdown of the job summary.
"""
