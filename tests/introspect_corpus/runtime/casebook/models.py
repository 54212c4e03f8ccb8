from django.conf import settings
from django.db import models


class Ledger(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    balance = models.IntegerField(default=0)


class Currency(models.Model):
    code = models.CharField(max_length=3)
