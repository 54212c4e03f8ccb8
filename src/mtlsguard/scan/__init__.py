"""Static analysis of a Django/DRF source tree: project model, front-ends, analyses, rules.

The scanned project is never imported. This package never imports Django, DRF, argparse or
the report, app and CLI layers; its results are :mod:`mtlsguard.findings` values.
"""
