from django.http import HttpResponse


def details(request, slug):
    return HttpResponse(slug)
