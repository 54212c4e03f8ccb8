"""Real DRF views for the tests: each authentication and permission class, and compositions."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from rest_framework import generics, serializers, viewsets
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from mtlsguard.certs import VerifiedCertificate
from mtlsguard.drf.authentication import (
    CertificateBoundToken,
    CertificateBoundTokenAuthentication,
    ClientCertificateAuthentication,
)
from mtlsguard.drf.mixins import OwnerScopedQuerysetMixin
from mtlsguard.drf.permissions import HasVerifiedClientCertificate, IsOwner
from tests.drf.models import Account, Note, Statement, TeamDocument

CERT = (ClientCertificateAuthentication,)
TOKEN = (CertificateBoundTokenAuthentication,)


def describe(request: Request) -> dict[str, Any]:
    auth = request.auth
    kind = (
        "certificate"
        if isinstance(auth, VerifiedCertificate)
        else "bound-token"
        if isinstance(auth, CertificateBoundToken)
        else None
    )
    raw = request._request
    return {
        "user": request.user.get_username() if request.user.is_authenticated else None,
        "auth": kind,
        # the middleware's verification result is reused, not redone
        "reused": auth is not None and auth is getattr(raw, "client_cert", object()),
        "session_key": raw.session.session_key if hasattr(raw, "session") else None,
    }


class WhoAmI(APIView):
    authentication_classes = CERT
    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        return Response(describe(request))

    def post(self, request: Request) -> Response:
        return Response(describe(request))


class CsrfCertificateAuthentication(ClientCertificateAuthentication):
    enforce_csrf = True


class BrowserWhoAmI(WhoAmI):
    authentication_classes = (CsrfCertificateAuthentication,)


class AnyOriginCertificateAuthentication(ClientCertificateAuthentication):
    refuse_cross_site = False


class AnyOriginWhoAmI(WhoAmI):
    authentication_classes = (AnyOriginCertificateAuthentication,)


class TokenWhoAmI(APIView):
    authentication_classes = TOKEN
    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        body = describe(request)
        assert isinstance(request.auth, CertificateBoundToken)
        body["token_subject"] = request.auth.token.subject
        body["certificate_subject"] = request.auth.certificate.certificate.subject
        return Response(body)


class CertificateOnly(APIView):
    """HasVerifiedClientCertificate alone: any verified certificate, bound to a user or not."""

    authentication_classes = ()
    permission_classes = (HasVerifiedClientCertificate,)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class WithoutCertificate(APIView):
    """~HasVerifiedClientCertificate: only requests that did not present one."""

    authentication_classes = ()
    permission_classes = (~HasVerifiedClientCertificate,)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ("id", "iban")


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ("id", "text")


class StatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Statement
        fields = ("id", "period")


class AccountViewSet(OwnerScopedQuerysetMixin, viewsets.ModelViewSet):
    """Scoped and owner-checked: the hardened shape."""

    authentication_classes = CERT
    permission_classes = (IsAuthenticated & HasVerifiedClientCertificate & IsOwner,)
    queryset = Account.objects.all()
    serializer_class = AccountSerializer


class UnscopedAccountDetail(generics.RetrieveUpdateAPIView):
    """IsOwner without scoping: the object check alone refuses foreign objects with 403."""

    authentication_classes = CERT
    permission_classes = (IsOwner,)
    queryset = Account.objects.all()
    serializer_class = AccountSerializer


class UnscopedAccountList(generics.ListAPIView):
    """IsOwner never runs for lists: this endpoint leaks (the reason for the mixin)."""

    authentication_classes = CERT
    permission_classes = (IsOwner,)
    queryset = Account.objects.all()
    serializer_class = AccountSerializer


class AdminOrOwnerAccount(generics.RetrieveAPIView):
    authentication_classes = CERT
    permission_classes = (IsAdminUser | IsOwner,)
    queryset = Account.objects.all()
    serializer_class = AccountSerializer


class NoteViewSet(OwnerScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Default owner field fallback: ``user``."""

    authentication_classes = CERT
    permission_classes = (IsAuthenticated & IsOwner,)
    queryset = Note.objects.all()
    serializer_class = NoteSerializer


class StatementViewSet(OwnerScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    authentication_classes = CERT
    permission_classes = (IsAuthenticated & IsOwner,)
    queryset = Statement.objects.all()
    serializer_class = StatementSerializer
    owner_field = "account__owner"


class MisconfiguredStatements(OwnerScopedQuerysetMixin, generics.ListAPIView):
    """No owner/user field and no owner_field: must fail loudly, never return everything."""

    authentication_classes = CERT
    permission_classes = (IsAuthenticated,)
    queryset = Statement.objects.all()
    serializer_class = StatementSerializer


class TeamDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamDocument
        fields = ("id", "title")


class TeamDocumentViewSet(OwnerScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """``owner`` is a FK to Team: refused with 403 (and mtlsguard.E009), never a 500."""

    authentication_classes = CERT
    permission_classes = (IsAuthenticated & IsOwner,)
    queryset = TeamDocument.objects.all()
    serializer_class = TeamDocumentSerializer


class UnscopedTeamDocument(generics.RetrieveAPIView):
    """IsOwner alone on the Team-owned model: never compares a team's pk with a user's."""

    authentication_classes = CERT
    permission_classes = (IsOwner,)
    queryset = TeamDocument.objects.all()
    serializer_class = TeamDocumentSerializer


class OwnedAccountSerializer(serializers.ModelSerializer):
    """Exposes ``owner`` for writing: the mass-assignment shape."""

    class Meta:
        model = Account
        fields = ("id", "iban", "owner")
        extra_kwargs = {"owner": {"required": False}}  # noqa: RUF012  (DRF reads a dict)


class OwnedAccountViewSet(OwnerScopedQuerysetMixin, viewsets.ModelViewSet):
    authentication_classes = CERT
    permission_classes = (IsAuthenticated & IsOwner,)
    queryset = Account.objects.all()
    serializer_class = OwnedAccountSerializer


class UnscopedOwnedAccount(generics.RetrieveUpdateAPIView):
    """IsOwner only (no mixin) with a writable owner."""

    authentication_classes = CERT
    permission_classes = (IsOwner,)
    queryset = Account.objects.all()
    serializer_class = OwnedAccountSerializer


router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("notes", NoteViewSet, basename="note")
router.register("statements", StatementViewSet, basename="statement")
router.register("team-documents", TeamDocumentViewSet, basename="team-document")
router.register("owned-accounts", OwnedAccountViewSet, basename="owned-account")

urlpatterns = [
    path("drf/whoami", WhoAmI.as_view()),
    path("drf/browser-whoami", BrowserWhoAmI.as_view()),
    path("drf/any-origin-whoami", AnyOriginWhoAmI.as_view()),
    path("drf/token-whoami", TokenWhoAmI.as_view()),
    path("drf/certificate-only", CertificateOnly.as_view()),
    path("drf/without-certificate", WithoutCertificate.as_view()),
    path("drf/unscoped/accounts/", UnscopedAccountList.as_view()),
    path("drf/unscoped/accounts/<int:pk>/", UnscopedAccountDetail.as_view()),
    path("drf/admin-or-owner/accounts/<int:pk>/", AdminOrOwnerAccount.as_view()),
    path("drf/misconfigured/statements/", MisconfiguredStatements.as_view()),
    path("drf/unscoped/team-documents/<int:pk>/", UnscopedTeamDocument.as_view()),
    path("drf/unscoped/owned-accounts/<int:pk>/", UnscopedOwnedAccount.as_view()),
    path("drf/", include(router.urls)),
]
