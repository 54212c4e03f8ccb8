"""DRF serializers."""

from rest_framework import serializers

from .models import Account


class AccountSerializer(serializers.ModelSerializer):
    """An account as the API shows it."""

    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Account
        fields = ("id", "owner", "iban", "balance")
