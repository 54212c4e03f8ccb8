from rest_framework.response import Response
from rest_framework.views import APIView


class WidgetList(APIView):
    def get(self, request):
        return Response([])


def _helper():
    return None
