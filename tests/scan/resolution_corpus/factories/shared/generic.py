from django.urls import path
from django.views import View

ACTIONS = {"list": "get", "create": "post", "detail": "get", "update": "post", "delete": "post"}


class CrudView(View):
    """pretalx-style generic CRUD view: one class, a URL per action."""

    lookup_field = "pk"
    path_converter = "int"
    detail_is_update = True

    @classmethod
    def get_url_pattern(cls, url_base, action):
        if action == "list":
            return f"{url_base}/"
        if action == "create":
            return f"{url_base}/new/"
        url_base = f"{url_base}/<{cls.path_converter}:{cls.lookup_field}>"
        if action == "detail" or (action == "update" and cls.detail_is_update):
            return f"{url_base}/"
        return f"{url_base}/{action}/"

    @classmethod
    def get_urls(cls, url_base, url_name, namespace=None, actions=None):
        actions = actions or ACTIONS.keys()
        if cls.detail_is_update:
            actions = [action for action in actions if action != "detail"]
        return [
            path(
                cls.get_url_pattern(url_base, action),
                cls.as_view(action=action, url_name=url_name),
                name=f"{url_name}.{action}",
            )
            for action in actions
        ]
