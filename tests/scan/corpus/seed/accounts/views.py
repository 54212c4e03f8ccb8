from rest_framework import generics
from rest_framework.permissions import AllowAny

from .models import Account
from .serializers import AccountSerializer


class AccountDetail(generics.RetrieveAPIView):  # expect: MG101
    """The seed's second view: any certificate holder reads any account."""

    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    permission_classes = [AllowAny]
