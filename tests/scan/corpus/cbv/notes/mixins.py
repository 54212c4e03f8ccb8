from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, HttpResponseForbidden
from django.views import View


class ProtectedBase(LoginRequiredMixin, View):
    pass


class AuthGuardMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return HttpResponseForbidden()
        return super().dispatch(request, *args, **kwargs)


class ShortCircuitMixin:
    def dispatch(self, request, *args, **kwargs):
        return HttpResponse("maintenance")
