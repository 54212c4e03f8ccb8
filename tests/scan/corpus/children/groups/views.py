"""Django views listing children of a checked object."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.views.generic import DetailView, View

from groups.models import DeviceGroup, Speaker


class GroupDevicesView(LoginRequiredMixin, View):
    def get(self, request, pk):
        group = get_object_or_404(DeviceGroup.objects.restrict(request.user, "view"), pk=pk)
        rows = group.members.order_by("name")  # expect: MG107
        return render(request, "devices.html", {"group": group, "rows": rows})


class GroupDevicesRestrictedView(LoginRequiredMixin, View):
    def get(self, request, pk):
        group = get_object_or_404(DeviceGroup.objects.restrict(request.user, "view"), pk=pk)
        rows = group.members.restrict(request.user, "view").order_by("name")  # expect: -
        return render(request, "devices.html", {"group": group, "rows": rows})


class EventMixin:
    """The event middleware put on the request (checked against the organiser's teams)."""

    def get_queryset(self):
        return Speaker.objects.filter(talks__event=self.request.event)


class SpeakerDetail(LoginRequiredMixin, EventMixin, DetailView):
    model = Speaker
    template_name = "speaker.html"

    def mails(self):
        return self.object.mails.filter(subject__isnull=False)  # expect: MG107

    def talks(self):
        return self.object.talks.filter(event=self.request.event)  # expect: -

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["mails"] = self.mails()
        context["talks"] = self.talks()
        return context


class SpeakerDetailFixed(LoginRequiredMixin, EventMixin, DetailView):
    model = Speaker
    template_name = "speaker.html"

    def mails(self):
        return self.object.mails.filter(event=self.request.event)  # expect: -

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["mails"] = self.mails()
        return context
