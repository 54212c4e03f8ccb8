from django.http import HttpResponse


def page_list(request):
    return HttpResponse("pages")
