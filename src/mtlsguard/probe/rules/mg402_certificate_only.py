"""MG402 — Endpoint relies solely on mTLS: a certificate without credentials gets data (CWE-306).

**What.** The probe presented a valid client certificate and *no* application credentials
and the endpoint answered 2xx with data. Confirmed when ``--auth-header`` was given (the
application has credentials, yet this endpoint did not need them), or when two different
certificates received the same data (the endpoint does not know who is calling). With a
single certificate and no credentials the finding has low confidence.

**Why.** A certificate from the trusted CA says the caller holds *a* certificate, not who the
user is or what they may read (CWE-306 missing authentication, CWE-287, CWE-308 single
factor). Any certificate holder — a partner, a service, a stolen laptop — reads everything.

**Vulnerable**::

    class BillingView(View):
        def get(self, request):
            if request.META.get("SSL_CLIENT_VERIFY") != "SUCCESS":
                return HttpResponseForbidden()
            return JsonResponse({"invoices": list(Invoice.objects.values())})

**Fix.** Map the certificate to a user (``ClientCertificateMiddleware`` and
``ClientCertificateBackend``), require authentication (``LoginRequiredMixin``, DRF
``IsAuthenticated``) and scope the data to ``request.user``.
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.probe.rules import Category, probe_rule

RULE = probe_rule(
    __name__,
    "MG402",
    title="Endpoint relies solely on mTLS: a certificate without app credentials gets the data",
    cwe="CWE-306",
    severity=Severity.CRITICAL,
    category=Category.AUTHENTICATION,
    cwes=("CWE-287", "CWE-308"),
)
