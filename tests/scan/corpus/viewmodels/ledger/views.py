"""Views naming their model on ``self`` (patterns of CVE-2026-54259) or importing it locally."""

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View

from ledger import get_invoice_model
from ledger.generic import ChosenViewMixin, InspectView
from ledger.models import Currency, Invoice
from ledger.permissions import permission_policy
from ledger.utils import resolve_model_string


# The inherited get_object() looks up self.model_class, derived from self.model, which get()
# sets from a swappable-model getter: an Invoice chosen by the caller's id.
class InvoiceChosenView(LoginRequiredMixin, ChosenViewMixin, View):
    def get(self, request, pk):
        self.model = get_invoice_model()
        return super().get(request, pk)


# The same base given an "app_label.Model" string.
class InvoiceChosenByLabelView(LoginRequiredMixin, ChosenViewMixin, View):
    model = "ledger.Invoice"


# A model nobody owns: choosing any currency is fine.
class CurrencyChosenView(LoginRequiredMixin, ChosenViewMixin, View):
    model = Currency


# The fix of CVE-2026-54259: get_object() asks the permission policy about the instance.
class InvoiceChosenCheckedView(LoginRequiredMixin, ChosenViewMixin, View):
    model = Invoice

    def get_object(self, pk):
        item = super().get_object(pk)
        if not permission_policy.user_has_permission_for_instance(
            self.request.user, "choose", item
        ):
            raise PermissionDenied
        return item


# The same check around a lookup of its own.
class InvoiceChosenOwnLookupView(LoginRequiredMixin, ChosenViewMixin, View):
    model = Invoice

    def get_object(self, pk):
        item = self.model_class._default_manager.get(pk=pk)  # expect: -
        if not permission_policy.user_has_permission_for_instance(
            self.request.user, "choose", item
        ):
            raise PermissionDenied
        return item


# The model set in setup(), looked up through the default manager.
class InvoiceSetupView(LoginRequiredMixin, View):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.model = Invoice

    def get(self, request, *args, **kwargs):
        invoice = self.model._default_manager.get(pk=self.kwargs["pk"])  # expect: MG104
        return HttpResponse(str(invoice.total))


# A class derived in __init__ from the class attribute.
class InvoiceInitView(LoginRequiredMixin, View):
    model = "ledger.Invoice"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.model_class = resolve_model_string(self.model)

    def get(self, request, pk):
        invoice = get_object_or_404(self.model_class, pk=pk)  # expect: MG104
        return HttpResponse(str(invoice.total))

    def post(self, request, pk):
        invoice = get_object_or_404(self.model_class, pk=pk, owner=request.user)  # expect: -
        return HttpResponse(str(invoice.total))


# A property returning apps.get_model() of the app's label and name.
class InvoicePropertyView(LoginRequiredMixin, View):
    @property
    def invoice_model(self):
        return apps.get_model("ledger", "Invoice")

    def get(self, request, pk):
        invoice = self.invoice_model.objects.get(pk=pk)  # expect: MG104
        return HttpResponse(str(invoice.total))


# The object kept on the view (self.object), then checked against the user, refusing.
class InvoiceAttributeCheckedView(LoginRequiredMixin, View):
    model = Invoice

    def get(self, request, pk):
        self.object = get_object_or_404(self.model, id=pk)  # expect: -
        if not permission_policy.user_has_permission_for_instance(
            request.user, "change", self.object
        ):
            raise PermissionDenied
        return HttpResponse(str(self.object.total))


class InvoiceAttributeUncheckedView(LoginRequiredMixin, View):
    model = Invoice

    def get(self, request, pk):
        self.object = get_object_or_404(self.model, id=pk)  # expect: MG104
        return HttpResponse(str(self.object.total))


# Inherits the unchecked get_object() of InspectView.
class InvoiceInspectView(LoginRequiredMixin, InspectView, View):
    model = Invoice


# Fetches the object again in get() and checks it before use: setup()'s fetch is replaced.
class InvoiceRefetchView(LoginRequiredMixin, InspectView, View):
    model = Invoice

    def get(self, request, *args, **kwargs):
        self.object = get_object_or_404(self.model, id=kwargs["pk"])  # expect: -
        if not permission_policy.user_has_permission_for_instance(
            request.user, "change", self.object
        ):
            raise PermissionDenied
        return HttpResponse(str(self.object.total))


# dispatch() checks the object setup() kept from get_object() (Wagtail's workflow history).
class InvoiceDispatchCheckedView(LoginRequiredMixin, InspectView, View):
    model = Invoice

    def dispatch(self, request, *args, **kwargs):
        if not self.object.can_view(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
