from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views import View

from .models import Entry


def ledger(request):  # expect: MG102
    return JsonResponse({"entries": list(Entry.objects.values())})


class EntryView(View):  # expect: MG102
    def get(self, request, pk):
        return JsonResponse({"entry": pk})


@login_required
def me(request):  # expect: -
    return JsonResponse({"user": request.user.username})
