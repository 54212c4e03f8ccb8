from django.http import HttpResponse


def settings_view(request):
    return HttpResponse("a")


def report(request, event):
    return HttpResponse("r")
