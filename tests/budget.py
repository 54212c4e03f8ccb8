"""Hypothesis budgets.

The parsers of forwarded certificates (``tests/certs``) run with the loaded profile's full
budget: 10,000 examples per test under ``CI=true``. Every other property test (settings,
configs, baselines, scanner input, HTTP heads, tokens) uses :func:`secondary`: the same
profile, capped at :data:`SECONDARY_MAX_EXAMPLES`, so CI stays well under half an hour on
two cores while still covering far more than the 300-example development profile.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings

SECONDARY_MAX_EXAMPLES = 1_000


def secondary(**overrides: Any) -> settings:
    """Settings for a property test outside the certificate parsers (see module docstring)."""
    cap = min(settings.default.max_examples, SECONDARY_MAX_EXAMPLES)
    return settings(max_examples=cap, **overrides)
