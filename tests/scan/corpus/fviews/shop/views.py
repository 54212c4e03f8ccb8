from django.contrib.auth import authenticate, login
from django.contrib.auth import decorators as authdeco
from django.contrib.auth.decorators import login_required
from django.contrib.auth.decorators import login_required as auth_required
from django.contrib.auth.decorators import permission_required, user_passes_test
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .decorators import audit_logged, client_cert_required, member_required, role_required, staff_only
from .models import Order, Product


def catalogue(request):  # expect: MG101
    return JsonResponse({"products": list(Product.objects.values())})


@login_required
def dashboard(request):  # expect: -
    return render(request, "dashboard.html")


@login_required(login_url="/accounts/login/")
def profile(request):  # expect: -
    return render(request, "profile.html")


@permission_required("shop.view_order", raise_exception=True)
def order_report(request):  # expect: -
    return render(request, "report.html")


@user_passes_test(lambda u: u.is_superuser)
def superuser_tools(request):  # expect: -
    return HttpResponse("tools")


@user_passes_test(lambda u: True)
def pretend_check(request):  # expect: MG101
    return JsonResponse({"orders": list(Order.objects.values())})


@staff_member_required
def staff_page(request):  # expect: -
    return HttpResponse("staff")


def inline_return(request):  # expect: -
    if not request.user.is_authenticated:
        return redirect("login")
    return render(request, "inline.html")


def inline_raise(request):  # expect: -
    if request.user.is_anonymous:
        raise PermissionDenied
    return render(request, "inline.html")


def inline_positive(request):  # expect: -
    if request.user.is_authenticated:
        return render(request, "members.html")
    else:
        return HttpResponseForbidden()


def personalised_home(request):  # expect: MG101
    if request.user.is_authenticated:
        return render(request, "home_member.html")
    return render(request, "home.html")


def wrapped_in_urls(request):  # expect: -
    return HttpResponse("wrapped")


def wrapped_perm_in_urls(request):  # expect: -
    return HttpResponse("wrapped")


@member_required
def members_area(request):  # expect: -
    return HttpResponse("members")


@staff_only
def staff_via_local_factory(request):  # expect: -
    return HttpResponse("staff")


@role_required("shop.change_order")
def role_protected(request):  # expect: -
    return HttpResponse("role")


@audit_logged
def audited_but_open(request):  # expect: MG101
    return JsonResponse({"orders": list(Order.objects.values())})


@require_POST
def open_post(request):  # expect: MG101
    Order.objects.create(owner_id=request.POST["owner"], total=0)
    return HttpResponse(status=201)


@auth_required
def aliased_decorator(request):  # expect: -
    return HttpResponse("ok")


@authdeco.login_required
def module_alias_decorator(request):  # expect: -
    return HttpResponse("ok")


@client_cert_required
def cert_only_decorated(request):  # expect: MG102
    return JsonResponse({"orders": list(Order.objects.values())})


def cert_only_inline(request):  # expect: MG102
    dn = request.META.get("SSL_CLIENT_S_DN")
    if not dn:
        return HttpResponseForbidden()
    return JsonResponse({"dn": dn, "orders": list(Order.objects.values())})


@login_required
@client_cert_required
def cert_and_login(request):  # expect: -
    return HttpResponse("both")


@login_required
def order_detail(request, pk):  # expect: -
    order = get_object_or_404(Order, pk=pk)  # expect: MG104
    return render(request, "order.html", {"order": order})


@login_required
def order_detail_scoped(request, pk):  # expect: -
    order = get_object_or_404(Order, pk=pk, owner=request.user)
    return render(request, "order.html", {"order": order})


@login_required
def order_by_get(request, order_id):  # expect: -
    order = Order.objects.get(id=order_id)  # expect: MG104
    return JsonResponse({"total": order.total})


@login_required
def order_via_related(request, pk):  # expect: -
    order = get_object_or_404(request.user.order_set, pk=pk)
    return JsonResponse({"total": order.total})


@login_required
def product_detail(request, pk):  # expect: -
    product = get_object_or_404(Product, pk=pk)
    return JsonResponse({"name": product.name})


def login_view(request):  # expect: MG106
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        login(request, user)
        return redirect("dashboard")
    return HttpResponse(status=401)


def legacy_login(request):  # expect: MG106 MG204
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        request.session["user_id"] = user.pk
        return redirect("dashboard")
    return HttpResponse(status=401)


def legacy_regex_view(request, pk):  # expect: MG101
    return JsonResponse({"product": pk})


def _report_impl(request):
    return HttpResponse("report")


protected_alias = login_required(_report_impl)
