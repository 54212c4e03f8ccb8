from django.http import JsonResponse
from django.views import View

from shared.generic import CrudView


class TrackView(CrudView):
    pass


class RoomView(CrudView):
    lookup_field = "code"
    path_converter = "slug"
    detail_is_update = False


class ScheduleView(View):
    def get(self, request, **kwargs):
        return JsonResponse({})


def export(request, **kwargs):
    return JsonResponse({})
