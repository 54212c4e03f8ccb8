from django.contrib.auth.decorators import login_required, permission_required, user_passes_test
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.auth.mixins import UserPassesTestMixin
from django.http import HttpResponseForbidden, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import TemplateView

from .decorators import audited, members_only


def open_page(request):  # expect: MG101
    return JsonResponse({})


@login_required
def home(request):  # expect: -
    return JsonResponse({})


@permission_required("casebook.view_ledger")
def ledgers(request):  # expect: -
    return JsonResponse({})


@user_passes_test(lambda u: u.is_staff)
def staff_page(request):  # expect: -
    return JsonResponse({})


@members_only
def members(request):  # expect: -
    return JsonResponse({})


@audited
def audited_page(request):  # expect: MG101
    return JsonResponse({})


def wrapped_in_urls(request):  # expect: -
    return JsonResponse({})


def wrapped_twice_in_urls(request):  # expect: -
    return JsonResponse({})


def inline_guard(request):  # expect: -
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    return JsonResponse({})


def generated(request, slot):  # expect: MG101
    return JsonResponse({"slot": slot})


class BillingView(View):  # expect: MG102
    """The seed: the proxy's verification header is the only check."""

    def get(self, request):
        if request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS":
            return HttpResponseForbidden("client certificate required")
        return JsonResponse({})


class BillingWithLogin(LoginRequiredMixin, View):  # expect: -
    def get(self, request):
        if request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS":
            return HttpResponseForbidden()
        return JsonResponse({})


class MixinFirst(LoginRequiredMixin, View):  # expect: -
    def get(self, request):
        return JsonResponse({})


class MixinLast(View, LoginRequiredMixin):  # expect: MG101
    def get(self, request):
        return JsonResponse({})


class ProtectedBase(LoginRequiredMixin, View):
    pass


class InheritsProtection(ProtectedBase):  # expect: -
    def get(self, request):
        return JsonResponse({})


class NeedsPermission(PermissionRequiredMixin, TemplateView):  # expect: -
    permission_required = "casebook.view_ledger"
    template_name = "x.html"


class TrivialTest(UserPassesTestMixin, TemplateView):  # expect: MG101
    template_name = "x.html"

    def test_func(self):
        return True


@method_decorator(login_required, name="dispatch")
class DecoratedDispatch(View):  # expect: -
    def get(self, request):
        return JsonResponse({})


class DecoratedInUrls(View):  # expect: -
    def get(self, request):
        return JsonResponse({})


class PlainTemplate(TemplateView):  # expect: MG101
    template_name = "x.html"
