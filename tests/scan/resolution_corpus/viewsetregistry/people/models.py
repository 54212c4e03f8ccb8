from django.db import models


class Person(models.Model):
    code = models.UUIDField(primary_key=True)
