from django.urls import path
from rest_framework import routers

from groups import api, sharing, views

router = routers.SimpleRouter()
router.register(r"api/groups", api.DeviceGroupViewSet, basename="group")
router.register(r"api/share-links", sharing.ShareLinkViewSet, basename="share-link")
router.register(r"api/checked-links", sharing.CheckedShareLinkViewSet, basename="checked-link")
router.register(r"api/scoped-links", sharing.ScopedShareLinkViewSet, basename="scoped-link")
router.register(
    r"api/restricted-links", sharing.RestrictedShareLinkViewSet, basename="restricted-link"
)
router.register(r"api/plain-links", sharing.PlainShareLinkViewSet, basename="plain-link")

urlpatterns = [
    path("groups/<int:pk>/devices/", views.GroupDevicesView.as_view()),
    path("groups/<int:pk>/devices/restricted/", views.GroupDevicesRestrictedView.as_view()),
    path("<slug:event>/speakers/<int:pk>/", views.SpeakerDetail.as_view()),
    path("<slug:event>/speakers/<int:pk>/fixed/", views.SpeakerDetailFixed.as_view()),
    path("api/selection/", sharing.SelectionDataView.as_view()),
    path("api/selection/checked/", sharing.CheckedSelectionDataView.as_view()),
    *router.urls,
]
