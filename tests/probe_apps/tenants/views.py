"""The tenants API. Planted: the views marked BOLA and the invoice listing that leaks."""

from django.http import JsonResponse
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Document, Invoice, Tenant


class TenantSerializer(serializers.ModelSerializer):
    """A tenant; its owner as an id."""

    class Meta:
        model = Tenant
        fields = ("slug", "name", "owner")


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice; its tenant by slug, its creator as an id."""

    tenant = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Invoice
        fields = ("id", "number", "tenant", "amount", "created_by")


class DocumentSerializer(serializers.ModelSerializer):
    """A document; its owner as an id."""

    class Meta:
        model = Document
        fields = ("id", "title", "owner")


class Me(APIView):
    """Safe: who am I."""

    def get(self, request):
        """The caller."""
        user = request.user
        return Response({"id": user.id, "username": user.username, "client": user.username})


def health(request):
    """Safe and public: the same for everyone."""
    return JsonResponse({"status": "ok", "version": "1.4.2"})


class Pricing(APIView):
    """Safe and public: the price list."""

    permission_classes = (AllowAny,)

    def get(self, request):
        """The plans."""
        return Response({"plans": [{"name": "basic", "price": "10.00"}, {"name": "pro"}]})


class TenantList(generics.ListAPIView):
    """Safe: the caller's own tenants."""

    serializer_class = TenantSerializer

    def get_queryset(self):
        """Scoped to the caller."""
        return Tenant.objects.filter(owner=self.request.user)


class TenantDetail(generics.RetrieveAPIView):
    """BOLA: any tenant by slug."""

    serializer_class = TenantSerializer
    queryset = Tenant.objects.all()
    lookup_field = "slug"


class TenantInvoices(generics.ListAPIView):
    """BOLA: any tenant's invoices."""

    serializer_class = InvoiceSerializer

    def get_queryset(self):
        """Filtered by tenant only, not by caller."""
        return Invoice.objects.filter(tenant__slug=self.kwargs["tenant_slug"])


class TenantInvoiceDetail(generics.RetrieveAPIView):
    """BOLA: any tenant's invoice by number."""

    serializer_class = InvoiceSerializer
    lookup_field = "number"

    def get_queryset(self):
        """Filtered by tenant only, not by caller."""
        return Invoice.objects.filter(tenant__slug=self.kwargs["tenant_slug"])


class AllInvoices(generics.ListAPIView):
    """Certificate only: every invoice of every tenant, to any certificate holder."""

    serializer_class = InvoiceSerializer
    queryset = Invoice.objects.order_by("id")


class InvoiceDetail(generics.RetrieveAPIView):
    """Safe: the caller's own invoice by id (anyone else's is a 404)."""

    serializer_class = InvoiceSerializer
    lookup_url_kwarg = "invoice_pk"

    def get_queryset(self):
        """Scoped to the caller."""
        return Invoice.objects.filter(created_by=self.request.user)


class DocumentList(generics.ListAPIView):
    """Safe: the caller's own documents."""

    serializer_class = DocumentSerializer

    def get_queryset(self):
        """Scoped to the caller."""
        return Document.objects.filter(owner=self.request.user)


class DocumentDetail(generics.RetrieveAPIView):
    """BOLA: any document by UUID."""

    serializer_class = DocumentSerializer
    queryset = Document.objects.all()


class Schema(APIView):
    """Safe and public: the OpenAPI document."""

    permission_classes = (AllowAny,)

    def get(self, request):
        """The paths of this API."""
        paths = [
            "/api/me/",
            "/api/health/",
            "/api/pricing/",
            "/api/tenants/",
            "/api/tenants/{slug}/",
            "/api/tenants/{tenant_slug}/invoices/",
            "/api/tenants/{tenant_slug}/invoices/{number}/",
            "/api/invoices/",
            "/api/invoices/{invoice_pk}/",
            "/api/documents/",
            "/api/documents/{pk}/",
        ]
        return Response(
            {
                "openapi": "3.0.3",
                "info": {"title": "Tenants", "version": "1.4.2"},
                "paths": {p: {"get": {"responses": {"200": {}}}} for p in paths},
            }
        )
