from rest_framework.routers import DefaultRouter, DynamicRoute, Route, SimpleRouter

from inventory.views import ApiRoot


class UIRouter(SimpleRouter):
    """Nautobot-style UI router: its own routes, with a bulk action and @action routes."""

    routes = [
        Route(
            url=r"^{prefix}/$",
            mapping={"get": "list"},
            name="{basename}_list",
            detail=False,
            initkwargs={"suffix": "List"},
        ),
        Route(
            url=r"^{prefix}/add/$",
            mapping={"get": "create", "post": "create"},
            name="{basename}_add",
            detail=False,
            initkwargs={},
        ),
        Route(
            url=r"^{prefix}/delete/$",
            mapping={"post": "bulk_destroy"},
            name="{basename}_bulk_delete",
            detail=False,
            initkwargs={},
        ),
        Route(
            url=r"^{prefix}/{lookup}/edit/$",
            mapping={"get": "update", "post": "update"},
            name="{basename}_edit",
            detail=True,
            initkwargs={},
        ),
        DynamicRoute(
            url=r"^{prefix}/{lookup}/{url_path}{trailing_slash}$",
            name="{basename}_{url_name}",
            detail=True,
            initkwargs={},
        ),
    ]


class ChildUIRouter(UIRouter):
    """Inherits UIRouter's routes."""


class ExtendedRouter(SimpleRouter):
    """DRF's routes plus one more."""

    routes = SimpleRouter.routes + [
        Route(
            url=r"^{prefix}/export{trailing_slash}$",
            mapping={"get": "export"},
            name="{basename}-export",
            detail=False,
            initkwargs={},
        )
    ]


class CustomRootRouter(DefaultRouter):
    """A DefaultRouter with its own API root view; __init__ adds a method to the list route."""

    APIRootView = ApiRoot

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.routes[0].mapping.update({"delete": "bulk_destroy"})


class TrimmingRouter(SimpleRouter):
    """An __init__ that changes self.routes in a way the scan does not evaluate."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.routes = self.routes[:1]


class ComputedRouter(SimpleRouter):
    """Routes the scan cannot read."""

    routes = build_routes()  # noqa: F821


class OverridingRouter(SimpleRouter):
    """A router that builds its URLs itself."""

    def get_urls(self):
        return super().get_urls() + make_more_urls()  # noqa: F821
