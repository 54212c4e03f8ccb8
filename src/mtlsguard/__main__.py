"""Allow ``python -m mtlsguard``."""

from mtlsguard.cli import main

raise SystemExit(main())
