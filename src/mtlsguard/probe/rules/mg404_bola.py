"""MG404 — Broken object-level authorization: one identity reads another's objects (CWE-639).

**What.** The probe learned object IDs from the second identity's (``B``) own responses, then
requested those objects as the first identity (``A``). The finding is confirmed by the bodies,
not the status codes: ``A`` received the same object ``B`` receives, and the object belongs to
``B`` — it was in ``B``'s listing and not in ``A``'s, or it names ``B``'s certificate identity
(common name, e-mail) and not ``A``'s.

**Why.** Authorization through a user-controlled key (CWE-639): any authenticated caller
enumerates IDs and reads everyone's records. mTLS does not help — ``A``'s certificate is valid.

**Vulnerable**::

    class AccountDetail(generics.RetrieveAPIView):
        queryset = Account.objects.all()
        permission_classes = (AllowAny,)

**Fix.** Scope the queryset to the caller (``OwnerScopedQuerysetMixin`` or
``get_queryset()`` filtering on ``request.user``) so someone else's object is a 404, and add
an object permission (``IsOwner``).
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.probe.rules import Category, probe_rule

RULE = probe_rule(
    __name__,
    "MG404",
    title="Broken object-level authorization: one identity reads another identity's objects",
    cwe="CWE-639",
    severity=Severity.HIGH,
    category=Category.BOLA,
    cwes=("CWE-284", "CWE-285"),
)
