"""Views importing their model inside the function (no module-level import of it)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404


# A model imported inside the view function (to break an import cycle).
@login_required
def invoice_local(request, pk):
    from ledger.models import Invoice

    invoice = Invoice.objects.get(pk=pk)  # expect: MG104
    return HttpResponse(str(invoice.total))


@login_required
def invoice_local_relative(request, pk):
    from .models import Invoice as Bill

    bill = get_object_or_404(Bill, pk=pk)  # expect: MG104
    return HttpResponse(str(bill.total))


@login_required
def invoice_local_scoped(request, pk):
    from ledger.models import Invoice

    invoice = Invoice.objects.get(pk=pk, owner=request.user)  # expect: -
    return HttpResponse(str(invoice.total))


@login_required
def invoice_local_checked(request, pk):
    from ledger.models import Invoice

    invoice = Invoice.objects.get(pk=pk)  # expect: -
    if not invoice.can_view(request.user):
        raise PermissionDenied
    return HttpResponse(str(invoice.total))
