from django.http import HttpResponse


def hidden(request):
    return HttpResponse("b")
