"""Views of a reusable media library (patterns of published Wagtail advisories, issue 12)."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import TemplateView

from library import get_member_model, get_photo_model
from library.forms import CopyForm
from library.models import Album, Folder


# A swappable-model getter (CVE-2026-54261): the lookup is on the Photo model it returns.
@login_required
def photo_preview(request, photo_id):
    photo = get_object_or_404(get_photo_model(), id=photo_id)  # expect: MG104
    return HttpResponse(photo.title)


@login_required
def photo_preview_checked(request, photo_id):
    photo = get_object_or_404(get_photo_model(), id=photo_id)  # expect: -
    if not photo.can_edit(request.user):
        raise PermissionDenied
    return HttpResponse(photo.title)


# A wrapper of Django's get_user_model(): a user record chosen by the caller (low confidence).
@login_required
def member_card(request, member_id):
    member = get_object_or_404(get_member_model(), pk=member_id)  # expect: MG104
    return HttpResponse(member.get_username())


# Records picked by ids the caller lists from a model class the checked parent gives
# (CVE-2026-44199): the album was checked, the entries may be another album's.
class DeleteEntriesView(LoginRequiredMixin, TemplateView):
    template_name = "confirm_delete.html"
    album = None

    def get_queryset(self):
        ids = self.request.GET.getlist("selected-entries")
        entry_class = self.album.get_entry_class()
        return entry_class._default_manager.filter(id__in=ids)  # expect: MG104

    def dispatch(self, request, *args, **kwargs):
        if not Album.objects.filter(owner=request.user, id=kwargs["album_id"]).exists():
            raise PermissionDenied
        self.album = get_object_or_404(Album, id=kwargs["album_id"])
        self.entries = self.get_queryset()
        if request.method == "POST":
            self.entries.delete()
            return redirect("/")
        return super().dispatch(request, *args, **kwargs)


class DeleteEntriesScopedView(DeleteEntriesView):
    def get_queryset(self):
        ids = self.request.GET.getlist("selected-entries")
        return self.album.get_entries().filter(id__in=ids)  # expect: -


# The source object handed to a form is not checked by form.is_valid(); the destination the
# form validates for the user is (CVE-2026-44200).
@login_required
def copy_folder(request, folder_id):
    folder = Folder.objects.get(id=folder_id)  # expect: MG104
    form = CopyForm(request.POST or None, user=request.user, folder=folder)
    if request.method == "POST":
        destination = Folder.objects.get(id=request.POST["destination"])  # expect: -
        if form.is_valid():
            destination = form.cleaned_data["destination"]
            folder.copy_to(destination)
            return redirect("/")
    return render(request, "copy.html", {"form": form, "folder": folder})


@login_required
def copy_folder_checked(request, folder_id):
    folder = get_object_or_404(Folder, id=folder_id)  # expect: -
    if not folder.permissions_for_user(request.user).can_copy():
        raise PermissionDenied
    form = CopyForm(request.POST or None, user=request.user, folder=folder)
    if request.method == "POST":
        destination = Folder.objects.get(id=request.POST["destination"])  # expect: -
        if form.is_valid():
            destination = form.cleaned_data["destination"]
            folder.copy_to(destination)
            return redirect("/")
    return render(request, "copy.html", {"form": form, "folder": folder})


# A model-level permission in dispatch() and an object fetched by URL id (CVE-2026-54262):
# reported with low confidence until the object itself is checked.
class TranslateAlbumView(LoginRequiredMixin, TemplateView):
    template_name = "translate.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perms(["medialibrary.submit_translation"]):
            raise PermissionDenied
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)


class TranslateAlbumUnchecked(TranslateAlbumView):
    def get_object(self):
        return get_object_or_404(Album, id=self.kwargs["album_id"])  # expect: MG104


class TranslateAlbumChecked(TranslateAlbumView):
    def get_object(self):
        album = get_object_or_404(Album, id=self.kwargs["album_id"])  # expect: -
        if not album.permissions_for_user(self.request.user).can_edit():
            raise PermissionDenied
        return album


class TranslateAlbumByPolicy(TranslateAlbumView):
    permission_policy = None

    def get_object(self):
        album = get_object_or_404(Album, pk=self.kwargs["album_id"])  # expect: -
        if not self.permission_policy.user_has_permission_for_instance(
            self.request.user, "change", album
        ):
            raise PermissionDenied
        return album
