from braces.views import LoginRequiredMixin as BracesLoginRequired
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin, UserPassesTestMixin
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import (
    ArchiveIndexView,
    DetailView,
    ListView,
    MonthArchiveView,
    TemplateView,
    UpdateView,
    YearArchiveView,
)

from .mixins import AuthGuardMixin, ProtectedBase, ShortCircuitMixin
from .models import Note, Tag


class MixinFirst(LoginRequiredMixin, View):  # expect: -
    def get(self, request):
        return HttpResponse("ok")


class MixinLast(View, LoginRequiredMixin):  # expect: MG101
    def get(self, request):
        return JsonResponse({"notes": list(Note.objects.values())})


class NotePermissionView(PermissionRequiredMixin, TemplateView):  # expect: -
    permission_required = "notes.view_note"
    template_name = "notes.html"


class TrivialTestView(UserPassesTestMixin, TemplateView):  # expect: MG101
    template_name = "notes.html"

    def test_func(self):
        return True


class StaffTestView(UserPassesTestMixin, TemplateView):  # expect: -
    template_name = "notes.html"

    def test_func(self):
        return self.request.user.is_staff


@method_decorator(login_required, name="dispatch")
class DispatchDecoratedClass(View):  # expect: -
    def get(self, request):
        return HttpResponse("ok")


class DispatchDecoratedMethod(View):  # expect: -
    @method_decorator(login_required)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return HttpResponse("ok")


class GetOnlyDecorated(View):  # expect: MG101
    @method_decorator(login_required)
    def get(self, request):
        return HttpResponse("ok")

    def post(self, request):
        Note.objects.all().delete()
        return HttpResponse("deleted")


@method_decorator(login_required, name="get")
class NamedGetDecorated(View):  # expect: MG101
    def get(self, request):
        return HttpResponse("ok")

    def post(self, request):
        return HttpResponse("posted")


class InheritsProtectedBase(ProtectedBase):  # expect: -
    def get(self, request):
        return HttpResponse("ok")


class GuardMixinView(AuthGuardMixin, View):  # expect: -
    def get(self, request):
        return HttpResponse("ok")


class ShadowedMixinView(ShortCircuitMixin, LoginRequiredMixin, View):  # expect: MG101
    def get(self, request):
        return HttpResponse("never reached")


class AboutView(TemplateView):  # expect: MG101
    template_name = "about.html"


class NoteDetail(LoginRequiredMixin, DetailView):  # expect: MG103
    model = Note


class MyNoteDetail(LoginRequiredMixin, DetailView):  # expect: -
    model = Note

    def get_queryset(self):
        return Note.objects.filter(author=self.request.user)


class NoteUpdate(LoginRequiredMixin, UpdateView):  # expect: -
    model = Note
    fields = ["text"]

    def get_object(self, queryset=None):
        return Note.objects.get(pk=self.kwargs["pk"], author=self.request.user)


class PublicNoteList(ListView):  # expect: MG101
    model = Note


class WrappedInUrls(View):  # expect: -
    def get(self, request):
        return HttpResponse("ok")


class SiteLogin(auth_views.LoginView):  # expect: -
    template_name = "login.html"


class InlineGuardView(View):  # expect: -
    def get(self, request):
        if not request.user.is_authenticated:
            return HttpResponseForbidden()
        return HttpResponse("ok")


class CertDispatchView(View):  # expect: MG102
    def dispatch(self, request, *args, **kwargs):
        if "HTTP_X_FORWARDED_CLIENT_CERT" not in request.META:
            return HttpResponseForbidden()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return JsonResponse({"notes": list(Note.objects.values())})


class BracesView(BracesLoginRequired, View):  # expect: -
    def get(self, request):
        return HttpResponse("ok")


class TagList(LoginRequiredMixin, ListView):  # expect: -
    model = Tag


class PermissionMixinLast(TemplateView, PermissionRequiredMixin):  # expect: MG101
    permission_required = "notes.view_note"
    template_name = "notes.html"


class MethodOnlyTest(UserPassesTestMixin, TemplateView):  # expect: MG101
    template_name = "notes.html"

    def test_func(self):
        return self.request.method == "GET"


class ExtraOpen(View):  # expect: MG101
    def post(self, request):
        return HttpResponse("posted")


# The auth mixin in the second base: View is shared by both bases, so Python's C3 order runs
# LoginRequiredMixin.dispatch (from MyNoteArchive's bases) before View.dispatch.
class NoteSecurity(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "notes.view_note"


class MyNoteArchive(NoteSecurity, ArchiveIndexView):  # expect: -
    model = Note
    date_field = "created"

    def get_queryset(self):
        return Note.objects.filter(author=self.request.user)


class MyNoteYearArchive(YearArchiveView, MyNoteArchive):  # expect: -
    make_object_list = True


class NoteArchive(ArchiveIndexView):  # expect: MG101
    model = Note
    date_field = "created"


class NoteMonthArchive(MonthArchiveView, NoteArchive):  # expect: MG101
    month_format = "%m"


class NoteYearMixinLast(YearArchiveView, NoteSecurity):  # expect: MG101
    model = Note
    date_field = "created"


# A base whose handlers answer 405 until a subclass overrides one: the inherited GET serves
# nothing, so only the subclass's POST counts.
class NotAllowedBase(TemplateView):
    template_name = "notes.html"

    def get(self, request, *args, **kwargs):
        return HttpResponse(status=405)

    def post(self, request, *args, **kwargs):
        return HttpResponse(status=405)


class NoteSubscribe(NotAllowedBase):  # expect: -
    @method_decorator(login_required)
    def post(self, request):
        Note.objects.create(author=request.user, text=request.POST["text"])
        return HttpResponse("subscribed")


class NoteSubscribeOpen(NotAllowedBase):  # expect: MG101
    def post(self, request):
        return JsonResponse({"notes": list(Note.objects.values())})
