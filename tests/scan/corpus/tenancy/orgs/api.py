from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from graphene_django.views import GraphQLView
from rest_framework import generics, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.decorators import action

from .filters import OwnedOrGrantedFilter
from .models import Document, Invoice, Project
from .permissions import CanViewInvoice, HasInvoiceAccess, IsInvoiceOwner


class InvoiceEverything(viewsets.ModelViewSet):  # expect: MG103
    def get_queryset(self):
        return Invoice.objects.all()


class DocumentEverything(generics.ListAPIView):  # expect: MG103
    def get_queryset(self):
        return Document.objects.all()


class DocumentsOfMyOrganizations(generics.ListAPIView):  # expect: -
    def get_queryset(self):
        return Document.objects.filter(project__organization__memberships__user=self.request.user)


class DocumentsOfAnyOrganization(generics.ListAPIView):  # expect: MG103
    def get_queryset(self):
        return Document.objects.filter(project__organization_id=self.request.query_params["org"])


class InvoicesFiltered(viewsets.ModelViewSet):  # expect: -
    queryset = Invoice.objects.all()
    filter_backends = [OwnedOrGrantedFilter]


class InvoiceVisibleToAll(generics.RetrieveUpdateAPIView):  # expect: MG103
    queryset = Invoice.objects.all()
    permission_classes = [IsAuthenticated, CanViewInvoice]


class InvoiceAccessChecked(generics.RetrieveUpdateAPIView):  # expect: -
    queryset = Invoice.objects.all()
    permission_classes = [IsAuthenticated, HasInvoiceAccess]


class InvoiceTypo(generics.RetrieveAPIView):  # expect: MG103
    queryset = Invoice.objects.all()
    permissions = [IsAuthenticated, IsInvoiceOwner]


class InvoicesReadOnlyOpen(generics.ListCreateAPIView):  # expect: MG101
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_queryset(self):
        return Invoice.objects.filter(total__gt=0)


class ReportView(APIView):  # expect: -
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.has_perm("orgs.view_report"):
            self.permission_denied(request)

    def get(self, request):
        return Response({"invoices": Invoice.objects.count()})


class PrivateGraphQLView(GraphQLView):  # expect: -
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            raise PermissionError("login required")
        return super().dispatch(request, *args, **kwargs)


class InvoiceDetail(APIView):  # expect: -
    def get(self, request, *args, **kwargs):
        invoice = Invoice.objects.get(pk=self.kwargs.get("pk"))  # expect: MG104
        return Response({"total": invoice.total})


class ProjectDocuments(generics.ListAPIView):  # expect: -
    @cached_property
    def project(self):
        return get_object_or_404(Project, pk=self.kwargs["pk"], organization=self.request.organization)

    def get_queryset(self):
        return self.project.document_set.all()


class EmptyDocuments(generics.ListCreateAPIView):  # expect: -
    queryset = Document.objects.none()


class MyInvoices(generics.ListAPIView):
    def get_queryset(self):
        return Invoice.objects.filter(owner=self.request.user)


class MyInvoicesByTotal(MyInvoices):  # expect: -
    def get_queryset(self):
        return super().get_queryset().order_by("-total")


class InvoiceExtendedDefaults(generics.RetrieveAPIView):  # expect: -
    queryset = Invoice.objects.all()
    permission_classes = api_settings.DEFAULT_PERMISSION_CLASSES + [IsInvoiceOwner]


class InvoiceAdminViewSet(viewsets.ViewSet):  # expect: -
    def perm_check(self, request):
        if not request.user.has_perm("orgs.change_invoice"):
            self.permission_denied(request)

    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        self.perm_check(request)
        invoice = Invoice.objects.get(pk=request.data["invoice_id"])  # expect: MG104
        return Response({"total": invoice.total})


class CurrentOrganizationProjects(generics.ListAPIView):  # expect: -
    @property
    def organization(self):
        return getattr(self.request, "organization", None)

    def get_queryset(self):
        return self.organization.project_set.all()
