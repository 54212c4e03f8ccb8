"""``mtlsguard demo``: both example projects scanned and probed over real mTLS, side by side.

Modules: :mod:`.stage` (the examples, a throwaway PKI, server processes), :mod:`.serve` (one
example project's server process), :mod:`.run` (one demo run), :mod:`.summary` (the summary
and the reports) and :mod:`.command` (the CLI subcommand).
"""
