from django.http import HttpResponse
from django.views.generic import TemplateView
from stronghold.decorators import public


def index(request):  # expect: -
    return HttpResponse("index")


@public
def public_page(request):  # expect: MG101
    return HttpResponse("public")


class Reports(TemplateView):  # expect: -
    template_name = "reports.html"
