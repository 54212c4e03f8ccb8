from django.urls import include, path

from cms import hooks
from pages import views


@hooks.register("register_admin_urls")
def register_admin_urls():
    page_patterns = ([path("", views.page_list, name="index")], "pages")
    return [path("pages/", include(page_patterns))]
