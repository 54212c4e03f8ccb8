from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    label = "staffing"
    viewset_class = "cms.viewsets.ModelViewSet"
