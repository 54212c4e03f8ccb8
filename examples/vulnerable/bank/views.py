"""The seed's views, as they were shipped: mutual TLS is the only gate."""

from django.http import HttpResponseForbidden, JsonResponse
from django.views import View
from rest_framework import generics
from rest_framework.permissions import AllowAny

from .models import Account, Invoice
from .serializers import AccountSerializer


class BillingView(View):
    """Billing data. The only check: "a client certificate was presented".

    Under mod_wsgi or the dev server the verdict is in the environ (``SSL_CLIENT_VERIFY``);
    behind nginx it arrives as the ``X-SSL-Client-Verify`` header -- which any client can send
    itself when the app is reachable without the proxy, or when the proxy does not strip it.
    """

    def get(self, request):
        """The billing data."""
        verdict = request.META.get("SSL_CLIENT_VERIFY") or request.META.get(
            "HTTP_X_SSL_CLIENT_VERIFY"
        )
        if verdict != "SUCCESS":
            return HttpResponseForbidden("client certificate required")
        invoices = Invoice.objects.select_related("owner")
        return JsonResponse(
            {
                "invoices": [
                    {"number": i.number, "owner": i.owner.username, "amount": str(i.amount)}
                    for i in invoices
                ]
            }
        )


class AccountList(generics.ListAPIView):
    """Every account, to any certificate holder."""

    queryset = Account.objects.select_related("owner")
    serializer_class = AccountSerializer
    permission_classes = (AllowAny,)


class AccountDetail(generics.RetrieveAPIView):
    """Any account by id, to any certificate holder (BOLA, CWE-639)."""

    queryset = Account.objects.select_related("owner")
    serializer_class = AccountSerializer
    permission_classes = (AllowAny,)
