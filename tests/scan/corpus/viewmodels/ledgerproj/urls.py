from django.urls import path

from ledger import local_views, views

urlpatterns = [
    path("chooser/invoices/<str:pk>/", views.InvoiceChosenView.as_view()),
    path("chooser/invoices-by-label/<str:pk>/", views.InvoiceChosenByLabelView.as_view()),
    path("chooser/currencies/<str:pk>/", views.CurrencyChosenView.as_view()),
    path("chooser/invoices-checked/<str:pk>/", views.InvoiceChosenCheckedView.as_view()),
    path("chooser/invoices-own/<str:pk>/", views.InvoiceChosenOwnLookupView.as_view()),
    path("invoices/<int:pk>/setup/", views.InvoiceSetupView.as_view()),
    path("invoices/<int:pk>/init/", views.InvoiceInitView.as_view()),
    path("invoices/<int:pk>/property/", views.InvoicePropertyView.as_view()),
    path("invoices/<int:pk>/attribute/", views.InvoiceAttributeCheckedView.as_view()),
    path("invoices/<int:pk>/attribute-open/", views.InvoiceAttributeUncheckedView.as_view()),
    path("invoices/<int:pk>/inspect/", views.InvoiceInspectView.as_view()),
    path("invoices/<int:pk>/refetch/", views.InvoiceRefetchView.as_view()),
    path("invoices/<int:pk>/dispatch-checked/", views.InvoiceDispatchCheckedView.as_view()),
    path("invoices/<int:pk>/local/", local_views.invoice_local),
    path("invoices/<int:pk>/local-relative/", local_views.invoice_local_relative),
    path("invoices/<int:pk>/local-scoped/", local_views.invoice_local_scoped),
    path("invoices/<int:pk>/local-checked/", local_views.invoice_local_checked),
]
