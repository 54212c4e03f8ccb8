from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, render

from .decorators import organization_member_required
from .models import Document, Invoice, Plan, Project, User


def pricing(request):  # expect: MG101
    return render(request, "pricing.html", {"plans": Plan.objects.all()})


def password_reset_done(request):  # expect: MG101
    return render(request, "registration/password_reset_done.html")


def invoice_public(request, pk):  # expect: MG101
    invoice = get_object_or_404(Invoice, pk=pk)
    return JsonResponse({"total": invoice.total})


@login_required
def document_detail(request, pk):  # expect: -
    document = get_object_or_404(Document, pk=pk)  # expect: MG104
    return JsonResponse({"title": document.title})


@login_required
def document_checked(request, pk):  # expect: -
    document = get_object_or_404(Document, pk=pk)  # expect: -
    if not document.project.organization.memberships.filter(user=request.user).exists():
        raise PermissionDenied
    return JsonResponse({"title": document.title})


@login_required
def invoice_from_body(request):  # expect: -
    invoice = Invoice.objects.get(pk=request.POST.get("invoice_id"))  # expect: MG104
    return JsonResponse({"total": invoice.total})


@login_required
def invoice_from_kwargs(request, **kwargs):  # expect: -
    invoice = Invoice.objects.get(pk=kwargs.get("pk"))  # expect: MG104
    return JsonResponse({"total": invoice.total})


@login_required
def invoice_owner_checked(request, pk):  # expect: -
    invoice = get_object_or_404(Invoice, pk=pk)  # expect: -
    if invoice.owner != request.user:
        return HttpResponseForbidden()
    return JsonResponse({"total": invoice.total})


@login_required
def invoice_hidden(request, pk):  # expect: -
    invoice = get_object_or_404(Invoice, pk=pk)  # expect: -
    if request.user not in (invoice.owner,):
        raise Http404
    return JsonResponse({"total": invoice.total})


@login_required
def change_bio(request, user_id):  # expect: -
    member = get_object_or_404(User, pk=user_id)  # expect: MG104
    member.bio = request.POST["bio"]
    member.save()
    return JsonResponse({"ok": True})


@organization_member_required
def project_detail(request, slug, pk):  # expect: -
    project = Project.objects.get(organization__slug=slug, pk=pk)  # expect: -
    return JsonResponse({"name": project.name})


@login_required
def project_by_slug(request, slug, pk):  # expect: -
    project = Project.objects.get(organization__slug=slug, pk=pk)  # expect: MG104
    return JsonResponse({"name": project.name})


@login_required
def document_in_project(request, project_pk, pk):  # expect: -
    project = get_object_or_404(Project, pk=project_pk, organization__memberships__user=request.user)  # expect: -
    document = get_object_or_404(Document, pk=pk, project=project)  # expect: -
    return JsonResponse({"title": document.title})
