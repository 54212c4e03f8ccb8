"""Per-object permissions (a restricted queryset per user) and tenants (events)."""

from django.conf import settings
from django.db import models


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        return self.filter(viewers=user)


class Device(models.Model):
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    objects = RestrictedQuerySet.as_manager()


class DeviceGroup(models.Model):
    name = models.CharField(max_length=100)
    viewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="device_groups")
    objects = RestrictedQuerySet.as_manager()

    @property
    def members(self):
        """Computed from a filter the group stores: devices of anybody."""
        return Device.objects.filter(name__startswith=self.name)


class Port(models.Model):
    group = models.ForeignKey(DeviceGroup, on_delete=models.CASCADE, related_name="ports")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Event(models.Model):
    slug = models.SlugField()


class Team(models.Model):
    """pretalx's organiser team: users join events through it."""

    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams")
    limit_events = models.ManyToManyField(Event, related_name="teams")


class Speaker(models.Model):
    name = models.CharField(max_length=100)


class Mail(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE)
    to_speakers = models.ManyToManyField(Speaker, related_name="mails")
    subject = models.CharField(max_length=200)


class Talk(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE)
    speakers = models.ManyToManyField(Speaker, related_name="talks")


class Document(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)


class Label(models.Model):
    name = models.CharField(max_length=100)
    documents = models.ManyToManyField(Document, related_name="labels")


class ShareLink(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="share_links")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    slug = models.SlugField()
