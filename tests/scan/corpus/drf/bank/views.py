from django.shortcuts import get_object_or_404
from rest_framework import generics, permissions, viewsets
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Account, Article, Currency, Transfer, Voucher
from .permissions import AlwaysAllow, HasVerifiedClientCert, IsOwner, IsOwnerOrReadOnly, IsSignedIn, StaffOnly
from .serializers import AccountSerializer

PRIVATE = [IsAuthenticated]


class AccountList(APIView):  # expect: -
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response(AccountSerializer(request.user.account_set.all(), many=True).data)


class ImplicitDefault(APIView):  # expect: MG101
    def get(self, request):
        return Response({"count": Account.objects.count()})


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
    permission_classes = [AlwaysAllow]

    def get(self, request):
        return Response({})


class CustomSignedIn(APIView):  # expect: -
    permission_classes = (IsSignedIn,)

    def get(self, request):
        return Response({})


class ObjectOnlyPermission(generics.RetrieveAPIView):  # expect: MG101
    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    permission_classes = [IsOwner]


class AccountsReadOnlyOpen(generics.ListCreateAPIView):  # expect: MG101
    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]


class ArticlesReadOnlyOpen(generics.ListCreateAPIView):  # expect: -
    queryset = Article.objects.all()
    permission_classes = [IsAuthenticatedOrReadOnly]


@api_view(["GET"])
def open_function(request):  # expect: MG101
    return Response({"accounts": Account.objects.count()})


@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def protected_function(request):  # expect: -
    return Response({})


@api_view(["GET"])
@permission_classes([AllowAny])
def explicit_allow_function(request):  # expect: MG101
    return Response({})


class AccountViewSet(viewsets.ModelViewSet):  # expect: MG103
    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    permission_classes = [IsAuthenticated]


class MyAccountViewSet(viewsets.ModelViewSet):  # expect: -
    serializer_class = AccountSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Account.objects.filter(owner=self.request.user)


class PublicReadsViewSet(viewsets.ModelViewSet):  # expect: MG101
    queryset = Transfer.objects.all()

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            permission_classes = [AllowAny]
        else:
            permission_classes = [IsAuthenticated]
        return [permission() for permission in permission_classes]

    def get_queryset(self):
        return Transfer.objects.filter(created_by=self.request.user)


class AdminDestroyViewSet(viewsets.ModelViewSet):  # expect: -
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Transfer.objects.filter(created_by=self.request.user)

    def get_permissions(self):
        if self.action == "destroy":
            return [IsAdminUser()]
        return super().get_permissions()


class OpenActionViewSet(viewsets.ReadOnlyModelViewSet):  # expect: MG101
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Account.objects.filter(owner=self.request.user)

    @action(detail=True, methods=["post"], permission_classes=[AllowAny])
    def freeze(self, request, pk=None):
        return Response({"frozen": pk})

    @action(detail=False, methods=["get"])
    def summary(self, request):
        return Response({})


class NoAuthAtAll(APIView):  # expect: MG101
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        return Response({"accounts": Account.objects.count()})


class CertPermissionOnly(APIView):  # expect: MG102
    permission_classes = [HasVerifiedClientCert]

    def get(self, request):
        return Response({"accounts": list(Account.objects.values())})


class CertAndUser(APIView):  # expect: -
    permission_classes = [HasVerifiedClientCert, IsAuthenticated]

    def get(self, request):
        return Response({})


class OwnerOrReadOnlyDetail(generics.RetrieveUpdateAPIView):  # expect: MG105
    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    permission_classes = [IsAuthenticated, IsOwnerOrReadOnly]


class OwnerDetail(generics.RetrieveUpdateAPIView):  # expect: -
    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    permission_classes = [IsAuthenticated, IsOwner]


class CurrencyList(generics.ListAPIView):  # expect: -
    queryset = Currency.objects.all()
    permission_classes = PRIVATE


class ListOnlyViewSet(viewsets.ViewSet):  # expect: MG101
    def list(self, request):
        return Response([])


class InitkwargsProtected(APIView):  # expect: -
    def get(self, request):
        return Response({})


class AccountLookup(APIView):  # expect: -
    permission_classes = [IsAuthenticated]

    def get(self, request, account_id):
        account = get_object_or_404(Account, pk=account_id)  # expect: MG104
        return Response(AccountSerializer(account).data)


class StaffSubclassPermission(APIView):  # expect: -
    permission_classes = [StaffOnly]

    def get(self, request):
        return Response({})


class PermissionsModuleAlias(APIView):  # expect: -
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request):
        return Response({})


class InlineGuardAPI(APIView):  # expect: -
    def get(self, request):
        if not request.user.is_authenticated:
            return Response(status=401)
        return Response({})


@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def webhook(request):  # expect: MG101
    return Response({})


class TenantScopedViewSet(viewsets.ModelViewSet):  # expect: -
    queryset = Account.objects.all()
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return self.request.organization.accounts.all()


class VoucherViewSet(viewsets.ReadOnlyModelViewSet):  # expect: -
    queryset = Voucher.objects.all()
    permission_classes = [IsAuthenticated]


class UrlKwargScopedViewSet(viewsets.ReadOnlyModelViewSet):  # expect: MG103
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Account.objects.filter(iban__startswith=self.kwargs["prefix"])
