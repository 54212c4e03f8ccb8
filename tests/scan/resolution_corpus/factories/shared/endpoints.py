from django.urls import include, path, re_path
from django.views import View


def decorate_urlpatterns(urlpatterns, decorator):
    """Wraps each view in place and returns the list (Wagtail's helper)."""
    for pattern in urlpatterns:
        if hasattr(pattern, "url_patterns"):
            decorate_urlpatterns(pattern.url_patterns, decorator)
        if getattr(pattern, "callback", None):
            pattern.callback = decorator(pattern.callback)
    return urlpatterns


class EndpointRouter:
    """Wagtail-style API router: endpoints registered by name, URLs built on demand."""

    def __init__(self, namespace):
        self.namespace = namespace
        self._endpoints = {}

    def register_endpoint(self, name, class_):
        self._endpoints[name] = class_

    def wrap_view(self, func):
        return func

    def get_urlpatterns(self):
        urlpatterns = []
        for name, class_ in self._endpoints.items():
            urlpatterns.append(re_path(rf"^{name}/", include((class_.get_urlpatterns(), name))))
        decorate_urlpatterns(urlpatterns, self.wrap_view)
        return urlpatterns

    @property
    def urls(self):
        return self.get_urlpatterns(), "api", self.namespace


class Endpoint(View):
    @classmethod
    def get_urlpatterns(cls):
        return [
            path("", cls.as_view(), name="listing"),
            path("<int:pk>/", cls.as_view(), name="detail"),
        ]


class PageEndpoint(Endpoint):
    @classmethod
    def get_urlpatterns(cls):
        urlpatterns = super().get_urlpatterns()
        urlpatterns.extend([path("<int:pk>/action/", cls.as_view(), name="action")])
        return urlpatterns


class DocEndpoint(Endpoint):
    pass
