from django.urls import path

from invoicing import views

urlpatterns = [path("invoices/<int:pk>/", views.invoice)]
