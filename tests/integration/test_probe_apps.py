"""The probe against two apps it was never written against, behind real nginx mTLS.

``tests/probe_apps`` holds a multi-tenant DRF API (nested routes, slug, string and UUID keys,
owner foreign keys as ids, an OpenAPI document, a listing that leaks every row) and a
Django-templates site (profile pages, ``?id=`` parameters, HTML links only), each seeded with
alice and bob (the session PKI's client certificates) and served by gunicorn behind nginx
with ``ssl_verify_client on`` (nginx answers 400 to a request without a certificate).

Every planted weakness (:data:`PLANTED`) must be found with a route file, at least 80% of
them from the bare URL, and nothing on the safe and public routes. A BOLA route may also
carry MG402: A's and B's certificates got the same data there, which is what it is.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from mtlsguard.app.probe import ProbeRun, assess_probe, run_probe_command
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.discovery import load_path_list, load_routes_json
from mtlsguard.probe.runner import ProbeResult, run_probe
from tests.example_apps import ROOT, Project
from tests.factories import presenting, render
from tests.integration.harness import (
    ServerProcess,
    free_port,
    nginx_main_config,
    public_dir,
    render_recipe,
    require_binary,
)
from tests.probe.test_spoofing import gunicorn

pytestmark = [pytest.mark.integration, pytest.mark.slow]

APPS = Path(__file__).resolve().parents[1] / "probe_apps"

PLANTED = {
    "tenants": {
        ("MG402", "/api/invoices/"),
        ("MG404", "/api/tenants/{slug}/"),
        ("MG404", "/api/tenants/{tenant_slug}/invoices/"),
        ("MG404", "/api/tenants/{tenant_slug}/invoices/{number}/"),
        ("MG404", "/api/documents/{pk}/"),
    },
    "pages": {
        ("MG402", "/directory/"),
        ("MG404", "/profile/view/?id={id}"),
        ("MG404", "/notes/{pk}/"),
    },
}
"""Rule and route of every planted weakness; every other route is safe or public."""

PAGES_PATHS = "/\n/help/\n/profile/\n/profile/view/?id={id}\n/notes/\n/notes/{pk}/\n/directory/\n"


class ProbeApp(Project):
    """One of the probe apps with its own database."""

    def __init__(self, app: str, database: Path) -> None:
        super().__init__("vulnerable", {"DJANGO_DB_PATH": str(database), "PROBE_APP": app})
        self.directory = APPS
        self.env["DJANGO_SETTINGS_MODULE"] = "probe_apps_site.settings"
        self.env["PYTHONPATH"] = os.pathsep.join([str(APPS), str(ROOT / "src")])


METHODS = {
    "ListCreateAPIView": ["GET", "POST"],
    "RetrieveUpdateDestroyAPIView": ["GET", "PUT", "PATCH", "DELETE"],
}
"""The methods of the API's write views (every other view answers GET)."""


def tenants_routes() -> str:
    """The API's routes as ``mtlsguard routes -f json`` gives them, views and lines included."""
    source = (APPS / "tenants" / "views.py").read_text().splitlines()
    urls = (APPS / "tenants" / "urls.py").read_text()
    routes = []
    for pattern, view in re.findall(r'path\("([^"]*)", views\.(\w+)', urls):
        line, text = next(
            (i, text)
            for i, text in enumerate(source, 1)
            if re.match(rf"(class|def) {view}\b", text)
        )
        base = re.search(r"generics\.(\w+)", text)
        routes.append(
            {
                "pattern": f"api/{pattern}",
                "view": f"tenants.views.{view}",
                "methods": METHODS.get(base.group(1) if base else "", ["GET"]),
                "location": {"path": "tenants/views.py", "line": line, "column": 1},
            }
        )
    return json.dumps({"schema": "mtlsguard-routes", "version": 1, "routes": routes})


@contextlib.contextmanager
def behind_nginx(
    project: Project, pki_files: dict[str, Path], run: Path, *, extra: str = ""
) -> Iterator[int]:
    """``project`` under gunicorn behind the nginx recipe with ``ssl_verify_client on``."""
    require_binary("nginx", "/usr/sbin/nginx")
    with contextlib.ExitStack() as stack:
        backend = stack.enter_context(contextlib.contextmanager(gunicorn)(project))
        certs = public_dir(run, "certs")
        for name, key in (("server.pem", "server"), ("server.key", "server_key"), ("ca.pem", "ca")):
            shutil.copyfile(pki_files[key], certs / name)
        (certs / "server.key").chmod(0o600)
        port = free_port()
        values = {
            "LISTEN_ADDR": "127.0.0.1",
            "LISTEN_PORT": str(port),
            "CERT_DIR": str(certs),
            "BACKEND_ADDR": "127.0.0.1",
            "BACKEND_PORT": str(backend),
        }
        site = render_recipe("nginx-site.conf", values)
        site = site.replace("ssl_verify_client      optional;", "ssl_verify_client      on;")
        assert "ssl_verify_client      on;" in site
        site = site.replace("    location / {", extra + "    location / {", 1)
        (run / "site.conf").write_text(site)
        argv = nginx_main_config(run)
        stack.enter_context(
            ServerProcess.running(
                "nginx", argv, port=port, run_dir=run, extra_logs=[run / "error.log"]
            )
        )
        yield port


def seeded(app: str, tmp: Path) -> ProbeApp:
    project = ProbeApp(app, tmp / "db.sqlite3")
    for command in (("migrate", "--run-syncdb", "--noinput"), ("seed_probe_apps",)):
        done = project.manage(*command)
        assert done.returncode == 0, done.stderr
    return project


LOOP = "    location /loop/ { return 302 $request_uri; }\n"


@pytest.fixture(scope="module")
def servers(
    pki_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, int]]:
    with contextlib.ExitStack() as stack:
        ports = {}
        for app in PLANTED:
            tmp = tmp_path_factory.mktemp(app)
            project = seeded(app, tmp)
            run = tmp / "nginx"
            run.mkdir()
            ports[app] = stack.enter_context(behind_nginx(project, pki_files, run, extra=LOOP))
        yield ports


def config(port: int, pki_files: dict[str, Path], prefix: str = "") -> ProbeConfig:
    return ProbeConfig(
        base_url=f"https://127.0.0.1:{port}/{prefix}",
        identity=Identity("A", pki_files["client"], pki_files["client_key"]),
        peer=Identity("B", pki_files["other_client"], pki_files["other_client_key"]),
        cacert=pki_files["ca"],
        timeout=15.0,
    )


def found(result: ProbeResult) -> set[tuple[str, str]]:
    """The findings as ``(rule, route)``, MG402 on a route that has MG404 set aside."""
    got = {(f.rule_id, f.route or "") for f in result.findings}
    bola = {route for rule, route in got if rule == "MG404"}
    return {(rule, route) for rule, route in got if not (rule == "MG402" and route in bola)}


def test_tenants_with_the_route_file(servers: dict[str, int], pki_files: dict[str, Path]) -> None:
    endpoints = load_routes_json(tenants_routes()).endpoints
    result = run_probe(config(servers["tenants"], pki_files), endpoints)
    assert found(result) == PLANTED["tenants"], [f.evidence for f in result.findings]
    # the findings carry the view's file and line from the route file
    for finding in result.findings:
        assert finding.location is not None
        assert finding.location.path == "tenants/views.py"
        assert finding.location.line > 1
        assert (finding.view or "").startswith("tenants.views.")
    # ... and SARIF puts every result at that file and line
    assessment = assess_probe(result, fail_on=None, fail_under=None)
    sarif = json.loads(render(assessment, "sarif"))["runs"][0]
    for item in sarif["results"]:
        physical = item["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "tenants/views.py"
        assert physical["region"]["startLine"] > 1
    bola = next(
        f for f in result.findings if f.route == "/api/tenants/{slug}/" and f.rule_id == "MG404"
    )
    assert "bobco" in bola.evidence
    assert "owner field names B" in bola.evidence
    # nginx refuses certificate-less requests with 400: no forged set was sent without one
    assert any("enforced by the proxy" in n and "400" in n for n in result.notes)
    assert any(
        n.startswith("public or informational") and "/api/health/" in n for n in result.notes
    )
    assert result.failure is None
    assert not result.coverage.low
    assert result.graded


def test_writes_only_to_objects_the_probe_created(
    servers: dict[str, int], pki_files: dict[str, Path]
) -> None:
    endpoints = load_routes_json(tenants_routes()).endpoints
    probe = replace(config(servers["tenants"], pki_files), allow_unsafe_methods=True)
    result = run_probe(probe, endpoints)
    writes = [f for f in result.findings if f.methods != ("GET",)]
    assert [(f.rule_id, f.route) for f in writes] == [("MG404", "/api/todos/{pk}/")]
    assert writes[0].methods == ("PATCH", "DELETE")
    assert "an object B created" in writes[0].evidence
    assert found(result) == PLANTED["tenants"] | {("MG404", "/api/todos/{pk}/")}
    assert result.errors == ()
    # A deleted the todo B made through the bug; B cleaned up its memo; the seeds are intact
    for name in ("client", "other_client"):
        conn = http.client.HTTPSConnection(
            "127.0.0.1", servers["tenants"], context=presenting(pki_files, name), timeout=15
        )
        for listing in ("/api/todos/", "/api/memos/"):
            conn.request("GET", listing)
            assert len(json.loads(conn.getresponse().read())) == 1, (name, listing)
        conn.close()


def test_pages_with_the_route_file(servers: dict[str, int], pki_files: dict[str, Path]) -> None:
    endpoints = load_path_list(PAGES_PATHS).endpoints
    result = run_probe(config(servers["pages"], pki_files), endpoints)
    assert found(result) == PLANTED["pages"], [f.evidence for f in result.findings]
    assert result.graded


@pytest.mark.parametrize("app", sorted(PLANTED))
def test_from_the_bare_url(app: str, servers: dict[str, int], pki_files: dict[str, Path]) -> None:
    result = run_probe(config(servers[app], pki_files), [])
    got = found(result)
    assert got <= PLANTED[app], got - PLANTED[app]  # nothing on safe or public routes
    assert len(got) >= 0.8 * len(PLANTED[app]), PLANTED[app] - got
    assert 0 < result.discovery_requests <= 80
    assert result.graded, result.coverage


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("prefix", "answered 404"),
        ("wrong CA", "TLS handshake"),
        ("unreachable", "unreachable"),
        ("loop", "redirects in circles"),
    ],
)
def test_a_run_with_nothing_to_grade_has_no_grade_in_any_format(
    case: str, message: str, servers: dict[str, int], pki_files: dict[str, Path]
) -> None:
    port = free_port() if case == "unreachable" else servers["tenants"]
    prefix = {"prefix": "nope/", "loop": "loop/"}.get(case, "")
    cacert = pki_files["client"] if case == "wrong CA" else pki_files["ca"]
    probe = ProbeRun(replace(config(port, pki_files, prefix), cacert=cacert), fail_under="B")
    outcome = run_probe_command(probe)
    assert message in (outcome.incomplete or "")
    assessment = outcome.assessment
    assert assessment.grade is None
    assert not assessment.successful
    for fmt in ("text", "json", "sarif", "html"):
        text = render(assessment, fmt)
        assert message in text, fmt
        assert not re.search(r"grade [A-F]\b|\"grade\": \"[A-F]\"|Probe grade", text), fmt


def test_the_command_line_prints_the_error_and_exits_2(
    servers: dict[str, int], pki_files: dict[str, Path]
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mtlsguard",
            "probe",
            f"https://127.0.0.1:{servers['tenants']}/nope/",
            "--cert",
            str(pki_files["client"]),
            "--key",
            str(pki_files["client_key"]),
            "--cacert",
            str(pki_files["ca"]),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    assert report["probe"]["grade"] is None
    assert "answered 404" in report["probe"]["error"]
    assert "answered 404" in done.stderr
