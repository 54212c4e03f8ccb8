"""The HTML report rendered in a real headless Chromium (Debian ``chromium`` + ``chromium-driver``).

Two real reports: ``mtlsguard scan --format html`` of the vulnerable example, and the same
scan with probe findings and their grade (as ``mtlsguard demo`` writes it, without starting
servers). Each must load from ``file://`` with no console error or warning (a CSP violation is
one), show its main sections, apply its stylesheet under its own hash-based CSP, and hide the
navigation when printed. The graded report's full-page screenshot is written to the test's
tmp dir, and to ``docs/assets/html-report.png`` (README) with ``MTLSGUARD_UPDATE_SCREENSHOT=1``.

Without Chromium, chromedriver or selenium the tests skip and say why; under ``CI=true`` or
``MTLSGUARD_REQUIRE_SERVICES=1`` they fail instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import base64
import os
import shutil
import struct
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import pytest

from mtlsguard.cli.main import main
from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.registry import get_rule
from mtlsguard.probe.rules import category_of, probe_rules
from mtlsguard.probe.scoring import score_findings
from mtlsguard.report.html_report import HtmlFormat
from mtlsguard.scan.engine import scan_project
from mtlsguard.scan.excerpt import read_excerpts
from mtlsguard.scan.rules import static_rules

pytestmark = pytest.mark.timeout(90)

REPO = Path(__file__).resolve().parents[2]
VULNERABLE = REPO / "examples" / "vulnerable"
SCREENSHOT = REPO / "docs" / "assets" / "html-report.png"
WIDTH = 1200


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail under CI / ``MTLSGUARD_REQUIRE_SERVICES=1``."""
    if os.environ.get("CI") == "true" or os.environ.get("MTLSGUARD_REQUIRE_SERVICES") == "1":
        pytest.fail(
            f"{reason} (CI=true or MTLSGUARD_REQUIRE_SERVICES=1: the browser test must run)"
        )
    pytest.skip(reason)


def _binary(variable: str, *names: str) -> str:
    configured = os.environ.get(variable)
    if configured:
        return configured
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    unavailable(
        f"{names[0]} not found: apt-get install chromium chromium-driver (or set {variable})"
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed: pip install -e '.[dev]'")
    chromium = _binary("MTLSGUARD_CHROMIUM", "chromium", "chromium-browser", "google-chrome")
    driver_path = _binary("MTLSGUARD_CHROMEDRIVER", "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={WIDTH},900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def load(browser: Any, path: Path) -> list[dict[str, Any]]:
    """Open ``path`` and return the console entries it logged (draining the log first)."""
    browser.get_log("browser")
    browser.get(path.as_uri())
    assert browser.title.startswith("mtlsguard: "), browser.title  # not Chromium's error page
    return [e for e in browser.get_log("browser") if e["level"] in {"SEVERE", "WARNING"}]


def static_report(tmp_path: Path) -> Path:
    """``mtlsguard scan --format html`` of the vulnerable example, through the real CLI."""
    output = tmp_path / "scan.html"
    code = main(["scan", str(VULNERABLE), "--format", "html", "-o", str(output), "--no-progress"])
    assert code == 1
    return output


def graded_report(tmp_path: Path) -> Path:
    """The static scan plus the probe findings the demo reports on the vulnerable example."""
    static = scan_project(VULNERABLE)
    # Worded as the probes word them (probe/phases/authentication.py, spoofing.py, bola.py).
    cert_only = get_rule("MG402").finding(
        route="billing/",
        view="bank.views.BillingView",
        evidence="GET /billing/ with only a client certificate: 200 with 196 bytes of data; "
        "without the certificate: no response (TLS handshake refused); two different "
        "certificates received the same data: the endpoint does not know who is calling",
        remediation="Map the certificate to an application user and require authentication "
        "(LoginRequiredMixin, DRF IsAuthenticated); scope data to request.user.",
    )
    forged = get_rule("MG403").finding(
        route="billing/",
        view="bank.views.BillingView",
        evidence="GET /billing/ with forged headers built from the certificate "
        "sha256=3f9a4c1e0b7d2a65…: nginx headers without a certificate: 403 → 200 with "
        "data (new access)",
        remediation="Believe certificate headers only from the proxy's address (MTLSGUARD "
        "TRUSTED_PROXIES, UNTRUSTED_HEADERS 'reject'); make the proxy overwrite them; never "
        "expose the app server directly.",
    )
    bola = get_rule("MG404").finding(
        route="api/accounts/<int:pk>/",
        view="bank.views.AccountDetail",
        evidence="GET /api/accounts/2/: the object carries B's owner; B gets 200, and A "
        "(another valid identity) gets 200 with the same body",
        remediation="Scope the queryset to request.user (OwnerScopedQuerysetMixin or "
        "get_queryset) so another user's object is a 404, and add an object permission.",
    )
    probes = (cert_only, forged, bola)
    tested = {category_of(f.rule_id) for f in probes}
    # Shown relative to the checkout, so the README's screenshot names no local directory.
    result = replace(static, root="examples/vulnerable", findings=(*static.findings, *probes))
    report = Assessment(
        result=result,
        rules=[*static_rules(), *probe_rules()],
        grade=score_findings(probes, tested),
        notes=(
            "Probe findings as mtlsguard demo reports them on this example; the page is built "
            "by tests/report/test_html_browser.py without starting servers.",
        ),
        title="mtlsguard demo: vulnerable example",
        excerpts=read_excerpts(VULNERABLE, result.findings),
    )
    output = tmp_path / "graded.html"
    output.write_text(HtmlFormat().render(report), encoding="utf-8")
    return output


def full_page_png(browser: Any) -> bytes:
    metrics = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": WIDTH, "height": size["height"], "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    return base64.b64decode(shot["data"])


def test_static_scan_report_renders(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    console = load(browser, static_report(tmp_path))
    assert console == []
    for section in ("summary", "findings", "fixes", "routes"):
        assert browser.find_element(By.ID, section).is_displayed(), section
    assert browser.find_elements(By.ID, "categories") == []
    summary = browser.find_element(By.ID, "summary").text
    # a static report leads with its counts, not with a "No probe grade" card (before)
    assert "No probe grade" not in summary
    assert summary.splitlines()[1] == "Findings by severity"
    assert "has no A" in summary
    # view names break at their dots, never mid-word
    view = browser.find_element(By.CSS_SELECTOR, "#routes code.view")
    assert view.value_of_css_property("word-break") == "normal"
    assert view.value_of_css_property("overflow-wrap") == "normal"
    routes = browser.find_elements(By.CSS_SELECTOR, "#findings section.route")
    titles = [r.find_element(By.TAG_NAME, "h3").text for r in routes]
    assert "/billing/ (1)" in titles
    assert any(t.startswith("/api/accounts/<int:pk>/") for t in titles)
    findings = browser.find_elements(By.CSS_SELECTOR, "article.finding")
    assert findings
    assert all(f.find_elements(By.CSS_SELECTOR, ".fix") for f in findings)
    billing = next(r for r in routes if r.text.startswith("/billing/"))
    focus = billing.find_element(By.CSS_SELECTOR, "pre.source .focus").text
    assert "class BillingView(View):" in focus
    cwe = billing.find_element(By.LINK_TEXT, "CWE-306")
    assert cwe.get_attribute("href") == "https://cwe.mitre.org/data/definitions/306.html"


def test_graded_report_renders_styled_and_prints(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    console = load(browser, graded_report(tmp_path))
    assert console == []
    letter = browser.find_element(By.CSS_SELECTOR, "#summary .letter")
    assert letter.text == "F"
    # The stylesheet applied, so the CSP's hash matches it.
    assert letter.value_of_css_property("background-color") == "rgba(164, 14, 38, 1)"
    categories = browser.find_element(By.ID, "categories").text
    assert "Authentication" in categories
    assert "BOLA" in categories
    assert "not tested" in categories
    fixes = browser.find_elements(By.CSS_SELECTOR, "#fixes li")
    assert len(fixes) == len(browser.find_elements(By.CSS_SELECTOR, "article.finding"))

    png = full_page_png(browser)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == WIDTH
    assert height > 1500
    (tmp_path / "html-report.png").write_bytes(png)
    if os.environ.get("MTLSGUARD_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(png)

    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, "nav.toc").is_displayed()
        assert browser.find_element(By.ID, "findings").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_the_harness_sees_csp_violations(browser: Any, tmp_path: Path) -> None:
    # The clean runs above mean something only if a violation would have been reported: an
    # injected style attribute and image are blocked and logged as errors.
    page = static_report(tmp_path)
    html = page.read_text(encoding="utf-8")
    hostile = html.replace(
        "<main", '<img src="https://example.invalid/x.png"><p style="color:red">x</p><main', 1
    )
    page.write_text(hostile, encoding="utf-8")
    console = load(browser, page)
    messages = " ".join(e["message"] for e in console if e["level"] == "SEVERE")
    assert "Content Security Policy" in messages
    assert "img-src" in messages or "default-src" in messages
    assert "style-src" in messages
