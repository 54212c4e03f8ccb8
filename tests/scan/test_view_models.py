"""MG104 on models a view keeps on ``self`` or imports inside a function (``viewmodels`` corpus).

CVE-2026-54259 (Wagtail's chooser "chosen" views): the lookup
``self.model_class.objects.get(pk=pk)`` sits in a shared mixin, ``model_class`` is derived
from ``self.model`` and each concrete view sets ``self.model`` from a swappable-model getter.
The corpus labels say which lines are reported; these tests pin for which views and why.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, ScanResult, Severity
from mtlsguard.scan.engine import scan_project
from mtlsguard.scan.static.local_imports import function_imports
from mtlsguard.scan.static.modules import ParsedModule

CORPUS = Path(__file__).parent / "corpus" / "viewmodels"


@pytest.fixture(scope="module")
def ledger() -> ScanResult:
    return scan_project(CORPUS)


def _lookups(result: ScanResult) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == "MG104"]


def _routes(findings: list[Finding]) -> set[str]:
    return {r for f in findings for r in (f.route or "", *f.also_routes)}


def test_inherited_lookup_is_judged_for_each_concrete_view(ledger: ScanResult) -> None:
    line = _line("ledger/generic.py", "return self.model_class.objects.get(pk=pk)")
    shared = [
        f
        for f in _lookups(ledger)
        if f.location and (f.location.path, f.location.line) == ("ledger/generic.py", line)
    ]
    assert _routes(shared) == {
        "chooser/invoices/<str:pk>/",  # self.model = get_invoice_model() in get()
        "chooser/invoices-by-label/<str:pk>/",  # model = "ledger.Invoice"
    }
    assert all("on ledger.models.Invoice (owned via owner) by pk" in f.evidence for f in shared)
    # model = Currency (nobody owns it) and the fixed get_object() are not reported.
    views = {f.view for f in _lookups(ledger)}
    assert "ledger.views.CurrencyChosenView" not in views
    assert "ledger.views.InvoiceChosenCheckedView" not in views
    assert "ledger.views.InvoiceChosenOwnLookupView" not in views


@pytest.mark.parametrize(
    ("view", "kind"),
    [
        ("ledger.views.InvoiceSetupView", "get"),  # self.model = Invoice in setup()
        ("ledger.views.InvoiceInitView", "get_object_or_404"),  # resolve_model_string in __init__
        ("ledger.views.InvoicePropertyView", "get"),  # @property: apps.get_model("ledger", ...)
        ("ledger.local_views.invoice_local", "get"),
        ("ledger.local_views.invoice_local_relative", "get_object_or_404"),
    ],
)
def test_model_on_self_or_imported_locally_is_resolved(
    ledger: ScanResult, view: str, kind: str
) -> None:
    (finding,) = [f for f in _lookups(ledger) if f.view == view]
    assert f"{kind} on ledger.models.Invoice (owned via owner)" in finding.evidence


def test_scoped_and_checked_shapes_are_not_reported(ledger: ScanResult) -> None:
    views = {f.view for f in _lookups(ledger)}
    assert "ledger.local_views.invoice_local_scoped" not in views
    assert "ledger.local_views.invoice_local_checked" not in views
    init = [f for f in _lookups(ledger) if f.view == "ledger.views.InvoiceInitView"]
    assert [f.location.line for f in init if f.location] == [
        _line("ledger/views.py", "get_object_or_404(self.model_class, pk=pk)  # expect: MG104")
    ]


def _line(path: str, text: str) -> int:
    lines = (CORPUS / path).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_function_imports_absolute_relative_and_aliased() -> None:
    source = (
        "def view(request):\n"
        "    import billing.models\n"
        "    import billing.forms as forms\n"
        "    from .models import Invoice as Bill\n"
        "    from ..core import helpers\n"
        "    if request:\n"
        "        from billing.models import Receipt\n"
        "    class Inner:\n"
        "        from billing.models import Hidden\n"
    )
    tree = ast.parse(source)
    module = ParsedModule("shop.billing.views", Path("views.py"), "views.py", tree, False)
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    assert function_imports(module, func) == {
        "billing": "billing",
        "forms": "billing.forms",
        "Bill": "shop.billing.models.Invoice",
        "helpers": "shop.core.helpers",
        "Receipt": "billing.models.Receipt",
    }


def test_object_kept_on_the_view_and_checked_is_not_reported(ledger: ScanResult) -> None:
    views = {f.view for f in _lookups(ledger)}
    # self.object = get_object_or_404(...) then a refusing permission check of self.object
    assert "ledger.views.InvoiceAttributeCheckedView" not in views
    (finding,) = [
        f for f in _lookups(ledger) if f.view == "ledger.views.InvoiceAttributeUncheckedView"
    ]
    assert "get_object_or_404 on ledger.models.Invoice" in finding.evidence


def test_get_object_replaced_by_a_checked_fetch_in_the_handler(ledger: ScanResult) -> None:
    inspect_line = _line("ledger/generic.py", 'get(pk=self.kwargs["pk"])  # expect: MG104')
    at_base = [
        f
        for f in _lookups(ledger)
        if f.location and (f.location.path, f.location.line) == ("ledger/generic.py", inspect_line)
    ]
    # setup() keeps get_object()'s result in self.object; InvoiceRefetchView.get() fetches
    # it again and checks it, InvoiceInspectView uses it unchecked.
    assert _routes(at_base) == {"invoices/<int:pk>/inspect/"}
    assert "ledger.views.InvoiceRefetchView" not in {f.view for f in _lookups(ledger)}
    # dispatch() checks self.object (kept from get_object() by setup()) and refuses.
    assert "ledger.views.InvoiceDispatchCheckedView" not in {f.view for f in _lookups(ledger)}


_VIEWSET = """
from django.shortcuts import get_object_or_404
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from ledger.models import Invoice


class AcceptMixin:
    @property
    def accept_model_class(self):
        return Invoice

    @action(detail=True, methods=["post"], permission_classes=[{perms}])
    def accept(self, request, pk=None):
        invoice = get_object_or_404(self.accept_model_class, pk=pk)
        return Response({{"total": invoice.total}})


class InvoiceViewSet(AcceptMixin, viewsets.GenericViewSet):
    queryset = Invoice.objects.none()
    permission_classes = [IsAuthenticated]
"""

_ROUTER = """
from rest_framework.routers import DefaultRouter

from ledger.api import InvoiceViewSet

router = DefaultRouter()
router.register("api/invoices", InvoiceViewSet)
urlpatterns = router.urls
"""


@pytest.mark.parametrize(("perms", "reported"), [("IsAuthenticated", True), ("IsAdminUser", False)])
def test_action_model_property_and_staff_only_action(
    tmp_path: Path, perms: str, reported: bool
) -> None:
    project = tmp_path / "viewmodels"
    shutil.copytree(CORPUS, project)
    (project / "ledger" / "api.py").write_text(_VIEWSET.format(perms=perms), encoding="utf-8")
    (project / "ledgerproj" / "urls.py").write_text(_ROUTER, encoding="utf-8")
    settings = project / "ledgerproj" / "settings.py"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            '"ledger.apps.LedgerConfig",', '"rest_framework",\n    "ledger.apps.LedgerConfig",'
        ),
        encoding="utf-8",
    )
    found = [f for f in _lookups(scan_project(project)) if "accept" in (f.route or "")]
    if reported:
        (finding,) = found
        assert "get_object_or_404 on ledger.models.Invoice (owned via owner)" in finding.evidence
    else:
        # DRF's @action(permission_classes=[IsAdminUser]): a staff-only action. is_staff grants
        # no permission on the invoice: kept, at low severity, with the reason.
        assert [f.severity for f in found] == [Severity.LOW]
        assert "is_staff grants no permission" in found[0].evidence
