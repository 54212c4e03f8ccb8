from django.db import models
from django.urls import include, path
from django.utils.functional import cached_property

from cms import hooks
from cms.permissions import register_permission
from cms.views import EditView, IndexView


class ViewSet:
    name = None
    menu_hook = None
    index_view_class = IndexView
    edit_view_class = EditView
    pk_path_converter = "int"

    def __init__(self, name=None, **kwargs):
        if name:
            self.__dict__["name"] = name
        for key, value in kwargs.items():
            self.__dict__[key] = value

    @cached_property
    def url_prefix(self):
        return self.name

    @cached_property
    def index_view(self):
        return self.index_view_class.as_view()

    @cached_property
    def edit_view(self):
        return self.edit_view_class.as_view()

    def on_register(self):
        # its effects (a menu hook, a permission) are not part of the URLs
        self.register_menu_item()
        register_permission(self.name)

    def register_menu_item(self):
        if self.menu_hook:
            hooks.register(self.menu_hook, self.get_menu_item)

    def get_menu_item(self):
        return self.name

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path(f"edit/<{self.pk_path_converter}:pk>/", self.edit_view, name="edit"),
        ]


class ViewSetGroup:
    items = ()

    def __init__(self):
        self.registerables = [item() for item in self.items]

    def on_register(self):
        pass


class ViewSetRegistry:
    def __init__(self):
        self.viewsets = []

    def populate(self):
        for fn in hooks.get_hooks("register_admin_viewset"):
            viewset = fn()
            if isinstance(viewset, (list, tuple)):
                for vs in viewset:
                    self.register(vs)
            else:
                self.register(viewset)

    def register(self, viewset):
        if isinstance(viewset, ViewSetGroup):
            for vs in viewset.registerables:
                self.register(vs)
            viewset.on_register()
            return
        self.viewsets.append(viewset)
        viewset.on_register()
        return viewset

    def get_urlpatterns(self):
        urlpatterns = []
        for viewset in self.viewsets:
            vs_urlpatterns = viewset.get_urlpatterns()
            if vs_urlpatterns:
                urlpatterns.append(
                    path(
                        f"{viewset.url_prefix}/",
                        include((vs_urlpatterns, viewset.name), namespace=viewset.name),
                    )
                )
        return urlpatterns


viewsets = ViewSetRegistry()


class ModelViewSet(ViewSet):
    model = None

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not self.model:
            raise ValueError("a model is required")
        self.model_opts = self.model._meta

    @cached_property
    def pk_path_converter(self):
        if isinstance(self.model_opts.pk, models.UUIDField):
            return "uuid"
        if isinstance(self.model_opts.pk, models.IntegerField):
            return "int"
        return "str"
