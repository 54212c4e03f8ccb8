from django.http import HttpResponse
from django.views.generic import TemplateView


def home(request):
    return HttpResponse("home")


def legacy(request):
    return HttpResponse("legacy")


def desk(request):
    return HttpResponse("desk")


def stats(request):
    return HttpResponse("stats")


class ReportView(TemplateView):
    pass


class LatestFeed:
    def __call__(self, request):
        return HttpResponse("feed")
