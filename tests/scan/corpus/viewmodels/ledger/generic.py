"""A reusable chooser base: the model is named by each view, the lookup is made here."""

from django.http import HttpResponse
from django.utils.functional import cached_property

from ledger.utils import resolve_model_string


class ModelLookupMixin:
    model = None

    @cached_property
    def model_class(self):
        if self.model:
            return resolve_model_string(self.model)
        return None


class ChosenViewMixin(ModelLookupMixin):
    def get_object(self, pk):
        return self.model_class.objects.get(pk=pk)  # expect: MG104

    def get(self, request, pk):
        item = self.get_object(pk)
        return HttpResponse(str(item.pk))
