from django.contrib.auth import views as auth_views
from django.urls import path

from desk import views

urlpatterns = [
    path("", views.home),
    path("tickets/", views.TicketList.as_view()),
    path("status/", views.status),
    path("api/tickets/", views.TicketAPI.as_view()),
    path("api/tickets-private/", views.PrivateTicketAPI.as_view()),
    path("accounts/login/", auth_views.LoginView.as_view()),  # expect: MG106
    path("api/login/", views.ApiLogin.as_view()),
]
