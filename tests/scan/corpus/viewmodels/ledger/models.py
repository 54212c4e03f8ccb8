from django.conf import settings
from django.db import models


class Invoice(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    total = models.IntegerField(default=0)

    def can_view(self, user):
        return self.owner_id == user.pk


class Currency(models.Model):
    code = models.CharField(max_length=3)
