from django.urls import re_path

from cms import views
from cms.apphook_pool import apphook_pool
from cms.appresolver import get_app_patterns

if apphook_pool.get_apphooks():
    urlpatterns = get_app_patterns()
else:
    urlpatterns = []

urlpatterns.extend(
    [
        re_path(r"^(?P<slug>[0-9A-Za-z-_.//]+)/$", views.details, name="pages-details-by-slug"),
    ]
)
