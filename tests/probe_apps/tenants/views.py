"""The tenants API. Planted: the views marked BOLA and the invoice listing that leaks."""

from django.http import JsonResponse
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Document, Invoice, Memo, Tenant, Todo


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


class TodoSerializer(serializers.ModelSerializer):
    """A to-do; its owner as an id, set from the caller."""

    class Meta:
        model = Todo
        fields = ("id", "title", "done", "owner")
        read_only_fields = ("owner",)


class MemoSerializer(serializers.ModelSerializer):
    """A memo; its owner as an id, set from the caller."""

    class Meta:
        model = Memo
        fields = ("id", "title", "owner")
        read_only_fields = ("owner",)


class TodoList(generics.ListCreateAPIView):
    """Safe: the caller's own to-dos; new ones are the caller's."""

    serializer_class = TodoSerializer

    def get_queryset(self):
        """Scoped to the caller."""
        return Todo.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        """Owned by the caller."""
        serializer.save(owner=self.request.user)


class TodoDetail(generics.RetrieveUpdateDestroyAPIView):
    """BOLA on writes: reading is scoped, changing and deleting are not."""

    serializer_class = TodoSerializer

    def get_queryset(self):
        """Scoped for GET only (the bug)."""
        if self.request.method == "GET":
            return Todo.objects.filter(owner=self.request.user)
        return Todo.objects.all()


class MemoList(generics.ListCreateAPIView):
    """Safe: the caller's own memos."""

    serializer_class = MemoSerializer

    def get_queryset(self):
        """Scoped to the caller."""
        return Memo.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        """Owned by the caller."""
        serializer.save(owner=self.request.user)


class MemoDetail(generics.RetrieveUpdateDestroyAPIView):
    """Safe: every method scoped to the caller."""

    serializer_class = MemoSerializer

    def get_queryset(self):
        """Scoped to the caller."""
        return Memo.objects.filter(owner=self.request.user)


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
        writes = {
            "/api/todos/": ("get", "post"),
            "/api/todos/{pk}/": ("get", "put", "patch", "delete"),
            "/api/memos/": ("get", "post"),
            "/api/memos/{pk}/": ("get", "put", "patch", "delete"),
        }
        every = dict.fromkeys(paths, ("get",)) | writes
        return Response(
            {
                "openapi": "3.0.3",
                "info": {"title": "Tenants", "version": "1.4.2"},
                "paths": {
                    p: {m: {"responses": {"200": {}}} for m in methods}
                    for p, methods in every.items()
                },
            }
        )
