from django.urls import path

from . import views

app_name = "shop"

urlpatterns = [
    path("", views.catalogue),
    path("dashboard/", views.dashboard),
    path("profile/", views.profile),
    path("report/", views.order_report),
    path("tools/", views.superuser_tools),
    path("pretend/", views.pretend_check),
    path("staff/", views.staff_page),
    path("inline-return/", views.inline_return),
    path("inline-raise/", views.inline_raise),
    path("inline-positive/", views.inline_positive),
    path("home/", views.personalised_home),
    path("members/", views.members_area),
    path("staff2/", views.staff_via_local_factory),
    path("role/", views.role_protected),
    path("audited/", views.audited_but_open),
    path("create/", views.open_post),
    path("aliased/", views.aliased_decorator),
    path("module-alias/", views.module_alias_decorator),
    path("cert/", views.cert_only_decorated),
    path("cert-inline/", views.cert_only_inline),
    path("both/", views.cert_and_login),
    path("orders/<int:pk>/", views.order_detail),
    path("orders/<int:pk>/mine/", views.order_detail_scoped),
    path("orders/by-id/<int:order_id>/", views.order_by_get),
    path("orders/<int:pk>/related/", views.order_via_related),
    path("products/<int:pk>/", views.product_detail),
    path("login/", views.login_view),
    path("legacy-login/", views.legacy_login),
    path("alias/", views.protected_alias),
]
