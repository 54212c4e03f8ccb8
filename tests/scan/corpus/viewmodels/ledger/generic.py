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


class InspectView(ModelLookupMixin):
    """Fetches the object in setup(), as Django's detail views keep it in self.object."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = self.get_object()

    def get_object(self):
        return self.model_class._default_manager.get(pk=self.kwargs["pk"])  # expect: MG104

    def get(self, request, *args, **kwargs):
        return HttpResponse(str(self.object.pk))
