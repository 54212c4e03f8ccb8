from django.contrib.auth.models import User
from django.db import models


class Ticket(models.Model):
    reporter = models.ForeignKey(User, on_delete=models.CASCADE)
    subject = models.CharField(max_length=200)
