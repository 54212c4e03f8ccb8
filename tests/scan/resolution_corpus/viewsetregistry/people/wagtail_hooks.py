from django.conf import settings
from django.utils.module_loading import import_string

from cms import hooks
from people.views import OrgGroup, PersonViewSet


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [PersonViewSet("people"), PersonViewSet("staff", url_prefix="people/staff"), OrgGroup()]


@hooks.register("register_admin_viewset")
def register_model_viewsets():
    from django.apps import apps
    from django.contrib.auth import get_user_model

    config = apps.get_app_config("staffing")
    viewset_class = import_string(config.viewset_class)
    prefix = getattr(settings, "DIRECTORY_PREFIX", "people")
    viewsets = [viewset_class("persons", model=apps.get_model("staffing.Person"))]
    if apps.is_installed("django.contrib.auth"):
        viewsets.append(
            viewset_class("users", url_prefix=f"{prefix}/users", model=get_user_model())
        )
    return viewsets
