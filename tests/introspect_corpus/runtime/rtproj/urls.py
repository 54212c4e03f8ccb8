from django.contrib.auth.decorators import login_required, permission_required
from django.urls import include, path, re_path
from rest_framework import routers
from rest_framework.permissions import AllowAny, IsAuthenticated

from casebook import api, views

router = routers.SimpleRouter()
router.register(r"ledgers", api.LedgerViewSet, basename="ledger")
router.register(r"my-ledgers", api.MyLedgerViewSet, basename="my-ledger")
router.register(r"currencies", api.CurrencyViewSet, basename="currency")

pages = [
    path("open/", views.open_page),
    path("home/", views.home),
    path("ledgers/", views.ledgers),
    path("staff/", views.staff_page),
    path("members/", views.members),
    path("audited/", views.audited_page),
    path("wrapped/", login_required(views.wrapped_in_urls)),
    path("wrapped-twice/", permission_required("x.y")(login_required(views.wrapped_twice_in_urls))),
    path("inline/", views.inline_guard),
    path("billing/", views.BillingView.as_view()),
    path("billing-login/", views.BillingWithLogin.as_view()),
    path("mixin-first/", views.MixinFirst.as_view()),
    path("mixin-last/", views.MixinLast.as_view()),
    path("inherits/", views.InheritsProtection.as_view()),
    path("needs-perm/", views.NeedsPermission.as_view()),
    path("trivial/", views.TrivialTest.as_view()),
    path("dispatch/", views.DecoratedDispatch.as_view()),
    path("decorated-in-urls/", login_required(views.DecoratedInUrls.as_view())),
    path("plain/", views.PlainTemplate.as_view()),
]

apis = [
    path("implicit/", api.ImplicitDefault.as_view()),
    path("allow/", api.ExplicitAllowAny.as_view()),
    path("authenticated/", api.Authenticated.as_view()),
    path("or/", api.OrComposition.as_view()),
    path("and/", api.AndComposition.as_view()),
    path("not/", api.NegatedAdmin.as_view()),
    path("always/", api.CustomAlwaysTrue.as_view()),
    path("signed-in/", api.CustomSignedIn.as_view()),
    path("imported/", api.ImportedComposition.as_view()),
    path("cert-only/", api.CertificateOnly.as_view()),
    path("cert-and-user/", api.CertificateAndUser.as_view()),
    path("opened/", api.OpenedInUrls.as_view(permission_classes=[AllowAny])),
    path("closed/", api.ClosedInUrls.as_view(permission_classes=[IsAuthenticated])),
    path("currencies-ro/", api.ReadOnlyCurrencies.as_view()),
    path("open-fn/", api.open_function),
    path("protected-fn/", api.protected_function),
    path("report/", api.PublicReport.as_view()),
    path("", include(router.urls)),
]

urlpatterns = [
    path("pages/", include(pages)),
    path("api/", include(apis)),
]
# Routes built by code: only the running resolver sees every one of them.
urlpatterns += [re_path(rf"^slot-{n}/(?P<slot>\d+)/$", views.generated) for n in range(3)]
