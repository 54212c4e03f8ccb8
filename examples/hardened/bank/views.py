"""The seed's views, fixed: a user behind every certificate, and only their own objects."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.views import View
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from mtlsguard.drf.mixins import OwnerScopedQuerysetMixin
from mtlsguard.drf.permissions import HasVerifiedClientCertificate, IsOwner

from .models import Account, Invoice
from .serializers import AccountSerializer


class BillingView(LoginRequiredMixin, View):
    """The caller's own invoices.

    ``ClientCertificateMiddleware`` has already refused requests without a verified
    certificate (401) and set ``request.user`` from the certificate's binding; a certificate
    bound to nobody leaves the user anonymous, which ``LoginRequiredMixin`` refuses (403).
    """

    raise_exception = True

    def get(self, request):
        """The billing data."""
        invoices = Invoice.objects.filter(owner=request.user)
        return JsonResponse(
            {
                "invoices": [
                    {"number": i.number, "owner": request.user.username, "amount": str(i.amount)}
                    for i in invoices
                ]
            }
        )


class AccountList(OwnerScopedQuerysetMixin, generics.ListAPIView):
    """The caller's accounts (the queryset is scoped: nobody else's rows can leak)."""

    queryset = Account.objects.select_related("owner")
    serializer_class = AccountSerializer
    permission_classes = (IsAuthenticated & HasVerifiedClientCertificate,)


class AccountDetail(OwnerScopedQuerysetMixin, generics.RetrieveAPIView):
    """One of the caller's accounts; anyone else's is a 404."""

    queryset = Account.objects.select_related("owner")
    serializer_class = AccountSerializer
    permission_classes = (IsAuthenticated & HasVerifiedClientCertificate, IsOwner)
