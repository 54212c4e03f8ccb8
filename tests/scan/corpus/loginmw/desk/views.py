from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.generic import ListView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Ticket


def home(request):  # expect: -
    return HttpResponse("home")


class TicketList(ListView):  # expect: MG103
    model = Ticket


@login_not_required
def status(request):  # expect: MG101
    return HttpResponse(str(Ticket.objects.count()))


class TicketAPI(APIView):  # expect: MG101
    def get(self, request):
        return Response({"tickets": Ticket.objects.count()})


class PrivateTicketAPI(APIView):  # expect: -
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"tickets": Ticket.objects.filter(reporter=request.user).count()})


class ApiLogin(APIView):  # expect: -
    permission_classes = []

    def post(self, request):
        user = authenticate(request, username=request.data["u"], password=request.data["p"])
        login(request, user)
        return Response({})
