from django.http import HttpResponseForbidden, JsonResponse
from django.views import View

from .models import Invoice


class BillingView(View):  # expect: MG102
    """The seed's vulnerability: the proxy's verification header is the only check."""

    def get(self, request):
        if request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS":
            return HttpResponseForbidden("client certificate required")
        return JsonResponse({"invoices": list(Invoice.objects.values())})
