"""Notes, one page each."""

from django.conf import settings
from django.db import models


class Note(models.Model):
    """A private note."""

    title = models.CharField(max_length=80)
    text = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
