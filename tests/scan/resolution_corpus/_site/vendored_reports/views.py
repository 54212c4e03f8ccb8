from django.http import HttpResponse
from django.views import View


def daily(request):
    return HttpResponse("report")


class ExportView(View):
    def get(self, request):
        return HttpResponse("csv")
