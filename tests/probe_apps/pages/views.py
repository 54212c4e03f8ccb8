"""The pages site. Planted: the views marked BOLA and the directory that leaks."""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from .models import Note


def _page(request, template, **context):
    response = render(request, f"pages/{template}", {"me": request.user, **context})
    if not request.user.is_authenticated:
        response.status_code = 403
    return response


def home(request):
    """Safe: links to everything."""
    return _page(request, "home.html")


def help_page(request):
    """Safe and public: the same for everyone."""
    return _page(request, "help.html")


def profile(request):
    """Safe: the caller's own profile, with a link to its public view."""
    return _page(request, "profile.html", person=request.user)


def profile_view(request):
    """BOLA: anyone's profile by ``?id=``."""
    try:
        person = get_user_model().objects.get(pk=int(request.GET.get("id", "")))
    except (ValueError, get_user_model().DoesNotExist):
        raise Http404("no such user") from None
    return _page(request, "profile.html", person=person)


def notes(request):
    """Safe: the caller's own notes."""
    return _page(request, "notes.html", notes=Note.objects.filter(owner=request.user.pk))


def note_detail(request, pk):
    """BOLA: any note by id."""
    return _page(request, "note.html", note=get_object_or_404(Note, pk=pk))


def directory(request):
    """Certificate only: every user's name and e-mail, to any certificate holder."""
    people = get_user_model().objects.order_by("id")
    return render(request, "pages/directory.html", {"people": people})
