from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __repr__(self) -> str:
        raise AssertionError("the live resolver must not repr a project object")
