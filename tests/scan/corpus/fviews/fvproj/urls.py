from django.contrib.auth.decorators import login_required, permission_required
from django.urls import include, path, re_path

from shop import views as shop_views

urlpatterns = [
    path("shop/", include("shop.urls")),
    path("wrapped/", login_required(shop_views.wrapped_in_urls)),
    path("wrapped-perm/", permission_required("shop.view_order")(shop_views.wrapped_perm_in_urls)),
    re_path(r"^legacy/(?P<pk>\d+)/$", shop_views.legacy_regex_view),
]
