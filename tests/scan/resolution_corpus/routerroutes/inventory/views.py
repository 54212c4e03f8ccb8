from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.views import APIView


class ApiRoot(APIView):
    pass


class DeviceUIViewSet(viewsets.ModelViewSet):
    def bulk_destroy(self, request):
        pass

    @action(detail=True, methods=["get"], url_path="changelog")
    def changelog(self, request, pk=None):
        pass


class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    def export(self, request):
        pass
