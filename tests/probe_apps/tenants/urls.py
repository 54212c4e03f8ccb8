"""Routes of the tenants API."""

from django.urls import path

from . import views

urlpatterns = [
    path("schema/", views.Schema.as_view()),
    path("me/", views.Me.as_view()),
    path("health/", views.health),
    path("pricing/", views.Pricing.as_view()),
    path("tenants/", views.TenantList.as_view()),
    path("tenants/<slug:slug>/", views.TenantDetail.as_view()),
    path("tenants/<slug:tenant_slug>/invoices/", views.TenantInvoices.as_view()),
    path("tenants/<slug:tenant_slug>/invoices/<str:number>/", views.TenantInvoiceDetail.as_view()),
    path("invoices/", views.AllInvoices.as_view()),
    path("invoices/<int:invoice_pk>/", views.InvoiceDetail.as_view()),
    path("documents/", views.DocumentList.as_view()),
    path("documents/<uuid:pk>/", views.DocumentDetail.as_view()),
    path("todos/", views.TodoList.as_view()),
    path("todos/<int:pk>/", views.TodoDetail.as_view()),
    path("memos/", views.MemoList.as_view()),
    path("memos/<int:pk>/", views.MemoDetail.as_view()),
]
