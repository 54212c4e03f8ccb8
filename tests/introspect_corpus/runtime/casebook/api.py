from rest_framework import generics, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import (
    AllowAny,
    IsAdminUser,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
)
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Currency, Ledger
from .permissions import OPEN_OR_SIGNED_IN, AlwaysTrue, HasClientCertificate, SignedIn


class ImplicitDefault(APIView):  # expect: MG101
    def get(self, request):
        return Response({})


class ExplicitAllowAny(APIView):  # expect: MG101
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({})


class Authenticated(APIView):  # expect: -
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({})


class OrComposition(APIView):  # expect: MG101
    permission_classes = [IsAuthenticated | AllowAny]

    def get(self, request):
        return Response({})


class AndComposition(APIView):  # expect: -
    permission_classes = [IsAuthenticated & IsAdminUser]

    def get(self, request):
        return Response({})


class NegatedAdmin(APIView):  # expect: MG101
    permission_classes = [~IsAdminUser]

    def get(self, request):
        return Response({})


class CustomAlwaysTrue(APIView):  # expect: MG101
    permission_classes = [AlwaysTrue]

    def get(self, request):
        return Response({})


class CustomSignedIn(APIView):  # expect: -
    permission_classes = [SignedIn]

    def get(self, request):
        return Response({})


class ImportedComposition(APIView):  # expect: MG101
    permission_classes = OPEN_OR_SIGNED_IN

    def get(self, request):
        return Response({})


class CertificateOnly(APIView):  # expect: MG102
    permission_classes = [HasClientCertificate]

    def get(self, request):
        return Response({})


class CertificateAndUser(APIView):  # expect: -
    permission_classes = [HasClientCertificate & IsAuthenticated]

    def get(self, request):
        return Response({})


class OpenedInUrls(APIView):  # expect: MG101
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({})


class ClosedInUrls(APIView):  # expect: -
    def get(self, request):
        return Response({})


class ReadOnlyCurrencies(generics.ListCreateAPIView):  # expect: -
    queryset = Currency.objects.all()
    permission_classes = [IsAuthenticatedOrReadOnly]


class LedgerViewSet(viewsets.ModelViewSet):  # expect: MG103
    queryset = Ledger.objects.all()
    permission_classes = [IsAuthenticated]


class MyLedgerViewSet(viewsets.ModelViewSet):  # expect: -
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Ledger.objects.filter(owner=self.request.user)


class CurrencyViewSet(viewsets.ReadOnlyModelViewSet):  # expect: MG101
    queryset = Currency.objects.all()
    permission_classes = [IsAuthenticated]

    @action(detail=False, methods=["post"], permission_classes=[AllowAny])
    def refresh(self, request):  # an open action: reported on the class
        return Response({})


@api_view(["GET"])
def open_function(request):  # expect: MG101
    return Response({})


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def protected_function(request):  # expect: -
    return Response({})


def make_report_view(permission):
    """A view class made by a factory: no module attribute names it."""

    class Report(APIView):  # expect: MG101
        permission_classes = [permission]

        def get(self, request):
            return Response({})

    return Report


PublicReport = make_report_view(AllowAny)
