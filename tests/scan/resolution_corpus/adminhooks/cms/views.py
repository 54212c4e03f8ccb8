from django.http import HttpResponse


def dashboard(request):
    return HttpResponse("dashboard")


def login(request):
    return HttpResponse("login form")
