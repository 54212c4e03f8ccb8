from django.conf import settings
from django.urls import path, re_path
from django.views.static import serve
from rest_framework import routers

from orgs import api, views

router = routers.SimpleRouter()
router.register(r"invoices", api.InvoiceEverything, basename="invoice")
router.register(r"invoices-filtered", api.InvoicesFiltered, basename="invoice-filtered")
router.register(r"invoice-admin", api.InvoiceAdminViewSet, basename="invoice-admin")

urlpatterns = [
    path("pricing/", views.pricing),
    path("pricing/eu/", views.pricing),
    path("pricing/us/", views.pricing),
    path("password-reset/done/", views.password_reset_done),
    path("public/invoices/<int:pk>/", views.invoice_public),
    path("documents/<int:pk>/", views.document_detail),
    path("documents/<int:pk>/checked/", views.document_checked),
    path("invoices/from-body/", views.invoice_from_body),
    path("invoices/by-kwargs/<int:pk>/", views.invoice_from_kwargs),
    path("invoices/<int:pk>/owner-checked/", views.invoice_owner_checked),
    path("invoices/<int:pk>/hidden/", views.invoice_hidden),
    path("users/<int:user_id>/bio/", views.change_bio),
    path("orgs/<slug:slug>/projects/<int:pk>/", views.project_detail),
    path("orgs/<slug:slug>/projects-by-slug/<int:pk>/", views.project_by_slug),
    path("projects/<int:project_pk>/documents/<int:pk>/", views.document_in_project),
    path("api/documents/", api.DocumentEverything.as_view()),
    path("api/my-documents/", api.DocumentsOfMyOrganizations.as_view()),
    path("api/org-documents/", api.DocumentsOfAnyOrganization.as_view()),
    path("api/invoices/<int:pk>/visible/", api.InvoiceVisibleToAll.as_view()),
    path("api/invoices/<int:pk>/access/", api.InvoiceAccessChecked.as_view()),
    path("api/invoices/<int:pk>/typo/", api.InvoiceTypo.as_view()),
    path("api/invoices-ro/", api.InvoicesReadOnlyOpen.as_view()),
    path("api/report/", api.ReportView.as_view()),
    path("graphql/", api.PrivateGraphQLView.as_view()),
    path("api/invoice/<int:pk>/", api.InvoiceDetail.as_view()),
    path("documents/<int:pk>/notes/delete/", views.note_delete),
    path("documents/<int:pk>/notes/delete-any/", views.note_delete_anywhere),
    path("invoices/search/", views.invoice_search),
    path("invoices/search/mine/", views.invoice_search_mine),
    path("projects/<int:pk>/", views.project_in_current_organization),
    path("projects/<int:pk>/documents/delete/", views.project_documents_delete),
    path("share/<int:pk>/<str:token>/", views.shared_invoice),
    path("private-media/<path:path>", views.MediaView.as_view()),
    path("invoices/bulk-delete/", views.invoices_bulk_delete),
    path("tasks/<int:pk>/", views.task_detail),
    path("invoices/<int:pk>/asserted/", views.invoice_access_asserted),
    path("invoices/signed/", views.invoice_by_signed_id),
    path("api/current-organization/projects/", api.CurrentOrganizationProjects.as_view()),
    path("orgs/<slug:slug>/settings/", views.organization_settings),
    path("orgs/<slug:slug>/its-projects/<int:pk>/", views.organization_project_in_it),
    path("orgs/<slug:slug>/any-project/<int:pk>/", views.organization_project),
    path("api/projects/<int:pk>/documents/", api.ProjectDocuments.as_view()),
    path("api/empty-documents/", api.EmptyDocuments.as_view()),
    path("api/my-invoices/", api.MyInvoicesByTotal.as_view()),
    path("api/invoices/<int:pk>/extended/", api.InvoiceExtendedDefaults.as_view()),
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),  # expect: MG101
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT}),  # expect: -
] + router.urls
