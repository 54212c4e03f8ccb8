from django.urls import path
from rest_framework import routers

from groups import api, views

router = routers.SimpleRouter()
router.register(r"api/groups", api.DeviceGroupViewSet, basename="group")

urlpatterns = [
    path("groups/<int:pk>/devices/", views.GroupDevicesView.as_view()),
    path("groups/<int:pk>/devices/restricted/", views.GroupDevicesRestrictedView.as_view()),
    path("<slug:event>/speakers/<int:pk>/", views.SpeakerDetail.as_view()),
    path("<slug:event>/speakers/<int:pk>/fixed/", views.SpeakerDetailFixed.as_view()),
    *router.urls,
]
