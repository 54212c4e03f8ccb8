from django.urls import path

from api import views

urlpatterns = [path("status/", views.Status.as_view())]
