from django.urls import include, path
from rest_framework import routers
from rest_framework.permissions import IsAuthenticated

from . import views

router = routers.DefaultRouter()
router.register(r"accounts", views.AccountViewSet, basename="account")
router.register(r"my-accounts", views.MyAccountViewSet, basename="my-account")
router.register(r"transfers", views.PublicReadsViewSet, basename="transfer")
router.register(r"admin-transfers", views.AdminDestroyViewSet, basename="admin-transfer")
router.register(r"frozen", views.OpenActionViewSet, basename="frozen")
router.register(r"tenant", views.TenantScopedViewSet, basename="tenant")
router.register(r"vouchers", views.VoucherViewSet, basename="voucher")
router.register(r"by-prefix/(?P<prefix>[A-Z]+)", views.UrlKwargScopedViewSet, basename="prefix")

urlpatterns = [
    path("account-list/", views.AccountList.as_view()),
    path("implicit/", views.ImplicitDefault.as_view()),
    path("or/", views.OrComposition.as_view()),
    path("and/", views.AndComposition.as_view()),
    path("not/", views.NegatedAdmin.as_view()),
    path("always/", views.CustomAlwaysTrue.as_view()),
    path("signed-in/", views.CustomSignedIn.as_view()),
    path("object-only/<int:pk>/", views.ObjectOnlyPermission.as_view()),
    path("accounts-ro/", views.AccountsReadOnlyOpen.as_view()),
    path("articles/", views.ArticlesReadOnlyOpen.as_view()),
    path("open-fn/", views.open_function),
    path("protected-fn/", views.protected_function),
    path("allow-fn/", views.explicit_allow_function),
    path("no-auth/", views.NoAuthAtAll.as_view()),
    path("cert-only/", views.CertPermissionOnly.as_view()),
    path("cert-and-user/", views.CertAndUser.as_view()),
    path("owner-ro/<int:pk>/", views.OwnerOrReadOnlyDetail.as_view()),
    path("owner/<int:pk>/", views.OwnerDetail.as_view()),
    path("currencies/", views.CurrencyList.as_view()),
    path("list-only/", views.ListOnlyViewSet.as_view({"get": "list"})),
    path("initkwargs/", views.InitkwargsProtected.as_view(permission_classes=[IsAuthenticated])),
    path("lookup/<int:account_id>/", views.AccountLookup.as_view()),
    path("staff/", views.StaffSubclassPermission.as_view()),
    path("alias/", views.PermissionsModuleAlias.as_view()),
    path("inline/", views.InlineGuardAPI.as_view()),
    path("webhook/", views.webhook),
    path("", include(router.urls)),
]
