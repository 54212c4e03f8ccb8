"""CI integration: the GitHub Action's step and its job summary.

``action.yml`` at the repository root installs mtlsguard and runs
``python -m mtlsguard.ci.github_action``; :mod:`mtlsguard.ci.summary` turns the SARIF logs
that step writes into the Markdown of the job summary.
"""
