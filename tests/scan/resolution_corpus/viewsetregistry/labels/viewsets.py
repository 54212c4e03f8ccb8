from adapters_not_installed import AdapterRegistry
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from cms.viewsets import ModelViewSet, ViewSet, ViewSetGroup
from labels.models import Label
from labels.views import ChooseView, ChosenView


class LabelAdapterRegistry(AdapterRegistry):
    pass


adapters = LabelAdapterRegistry()


class ChooserViewSet(ViewSet):
    UNDEFINED = object()
    name = "label_chooser"
    choose_one_text = _("Choose")
    page_title = None
    choose_view_class = ChooseView
    chosen_view_class = ChosenView

    def __init__(self, *args, url_prefix=None, **kwargs):
        super().__init__(*args, **kwargs)
        if url_prefix:
            setattr(self, "url_prefix", url_prefix)
        if self.page_title is None:
            self.page_title = self.choose_one_text
        self.created_at = timezone.now()  # not part of the URLs (not computed: never read)

    def get_common_view_kwargs(self, **kwargs):
        return {
            "page_title": self.page_title,
            "template_name": self.UNDEFINED,
            "preserve_parameters": ["multiple"],
            **kwargs,
        }

    def inject_view_methods(self, view_class, method_names):
        overrides = {}

        def make_view_method(viewset_method):  # a closure: defined, not called here
            def view_method(view, *args):
                return viewset_method(*args)

            return view_method

        for method_name in method_names:
            viewset_method = getattr(self, method_name, None)
            if viewset_method:
                overrides[method_name] = make_view_method(viewset_method)
        if overrides:
            return type(view_class.__name__, (view_class,), overrides)
        return view_class

    def construct_view(self, view_class, **kwargs):
        merged = self.get_common_view_kwargs()
        merged.update(kwargs)
        accepted = {
            key: value
            for key, value in merged.items()
            if hasattr(view_class, key) and value is not self.UNDEFINED
        }
        return view_class.as_view(**accepted)

    @cached_property
    def choose_view(self):
        view_class = self.inject_view_methods(self.choose_view_class, ["get_object_list"])
        return self.construct_view(view_class, paginate_by=20)

    @cached_property
    def chosen_view(self):
        return self.construct_view(self.chosen_view_class)

    def on_register(self):
        super().on_register()
        # a method of a base the scanner cannot read, not given the viewset
        adapters.register(self.name)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("choose/", self.choose_view, name="choose"),
            path("chosen/<str:pk>/", self.chosen_view, name="chosen"),
        ]


class LabelViewSet(ModelViewSet):
    @cached_property
    def url_prefix(self):
        return self.model_opts.db_table.replace("_", "/")  # Django's default: labels_label


class LabelGroup(ViewSetGroup):
    # a class or an instance, as a viewset group may hold
    items = (
        ChooserViewSet,
        ChooserViewSet("tag_chooser", url_prefix="labels/tags"),
        LabelViewSet("labels", model=Label),
    )

    def __init__(self):
        self.registerables = [
            item() if callable(item) else item for item in self.items
        ]
