"""mtlsguard: find and fix Django/DRF endpoints whose only gate is mutual TLS."""

__version__ = "0.1.0"

__all__ = ["__version__"]
