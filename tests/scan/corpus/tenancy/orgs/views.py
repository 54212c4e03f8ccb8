from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.core.signing import Signer
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views import View
from django.views.static import serve

from .decorators import organization_member_required
from .models import Document, Invoice, Note, Organization, Plan, Project, ShareLink, Task, User


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


def has_document_access(user, action, document):
    return document.project.organization.memberships.filter(user=user).exists()


@login_required
def note_delete(request, pk):  # expect: -
    current = request.user
    document = get_object_or_404(Document, pk=pk)  # expect: -
    if not has_document_access(current, "change", document):
        return HttpResponseForbidden()
    note = Note.objects.get(id=request.GET.get("id"), document=document)  # expect: -
    note.delete()
    return JsonResponse({"ok": True})


@login_required
def note_delete_anywhere(request, pk):  # expect: -
    current = request.user
    document = get_object_or_404(Document, pk=pk)  # expect: -
    if not has_document_access(current, "change", document):
        return HttpResponseForbidden()
    note = Note.objects.get(id=request.GET.get("id"))  # expect: MG104
    note.delete()
    return JsonResponse({"ok": True})


@login_required
def invoice_search(request):  # expect: -
    query = request.GET.get("q", "")
    invoices = Invoice.objects.filter(total__gte=query)  # expect: MG104
    return JsonResponse({"totals": [i.total for i in invoices]})


@login_required
def invoice_search_mine(request):  # expect: -
    query = request.GET.get("q", "")
    invoices = Invoice.objects.filter(total__gte=query)  # expect: -
    if not request.user.is_staff:
        invoices = invoices.filter(owner=request.user)
    return JsonResponse({"totals": [i.total for i in invoices]})


@login_required
def project_in_current_organization(request, pk):  # expect: -
    project = get_object_or_404(Project, organization=request.organization, pk=pk)  # expect: -
    return JsonResponse({"name": project.name})


@login_required
def project_documents_delete(request, pk):  # expect: -
    project = get_object_or_404(Project, pk=pk, organization__memberships__user=request.user)  # expect: -
    ids = request.POST.getlist("document_ids")
    Document.objects.filter(project=project, id__in=ids).delete()  # expect: -
    return JsonResponse({"ok": True})


@login_required
def shared_invoice(request, pk, token):  # expect: -
    link = get_object_or_404(ShareLink, invoice_id=pk, token=token)  # expect: -
    return JsonResponse({"total": link.invoice.total})


class MediaView(AccessMixin, View):  # expect: -
    def get(self, request, path):
        if request.user.is_authenticated:
            return serve(request, path, document_root=settings.MEDIA_ROOT)
        if path.startswith("branding/"):
            return serve(request, path, document_root=settings.MEDIA_ROOT)
        return self.handle_no_permission()


@login_required
def invoices_bulk_delete(request):  # expect: -
    Invoice.objects.filter(id__in=request.GET.getlist("selected")).delete()  # expect: MG104
    return JsonResponse({"ok": True})


@login_required
def task_detail(request, pk):  # expect: -
    task = get_object_or_404(Task, pk=pk)  # expect: MG104
    return JsonResponse({"project": task.project_id})


@organization_member_required
def organization_settings(request, slug):  # expect: -
    organization = Organization.objects.get(slug=slug)  # expect: -
    return JsonResponse({"name": organization.name})


@organization_member_required
def organization_project(request, slug, pk):  # expect: -
    project = get_object_or_404(Project, pk=pk)  # expect: MG104
    return JsonResponse({"name": project.name})


@organization_member_required
def organization_project_in_it(request, slug, pk):  # expect: -
    organization = Organization.objects.get(slug=slug)  # expect: -
    project = Project.objects.get(pk=pk, organization=organization)  # expect: -
    return JsonResponse({"name": project.name})


@login_required
def invoice_access_asserted(request, pk):  # expect: -
    invoice = get_object_or_404(Invoice, pk=pk)  # expect: -
    request.user.check_invoice_access(invoice)
    return JsonResponse({"total": invoice.total})


@login_required
def invoice_by_signed_id(request):  # expect: -
    invoice = Invoice.objects.get(pk=Signer().unsign(request.GET["i"]))  # expect: -
    return JsonResponse({"total": invoice.total})
