"""Run in a subprocess: introspect one Django project and print its findings/routes as JSON.

``python -m tests.django.scanner.runner PROJECT_DIR SETTINGS_MODULE`` (from the repo root).
Each project gets its own interpreter so its settings never meet another project's.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    project, settings_module = Path(sys.argv[1]).resolve(), sys.argv[2]
    sys.path.insert(0, str(project))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()
    from mtlsguard.django.scanner.project import introspect_project

    result = introspect_project(project)
    json.dump(
        {
            "findings": [
                {
                    "rule": f.rule_id,
                    "path": f.location.path if f.location else None,
                    "line": f.location.line if f.location else None,
                    "route": f.route,
                    "also_routes": list(f.also_routes),
                    "view": f.view,
                }
                for f in result.findings
            ],
            "routes": [
                {
                    "pattern": r.pattern,
                    "view": r.view,
                    "protections": [
                        [p.method, p.authenticated, p.decided_by] for p in r.protections
                    ],
                }
                for r in result.routes
            ],
            "errors": [e.path for e in result.errors],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
