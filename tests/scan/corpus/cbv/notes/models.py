from django.contrib.auth import get_user_model
from django.db import models


class Note(models.Model):
    author = models.ForeignKey(get_user_model(), on_delete=models.CASCADE)
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)


class Tag(models.Model):
    label = models.CharField(max_length=30)
