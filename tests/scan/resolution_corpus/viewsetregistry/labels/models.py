from django.db import models
from searchpkg_not_installed.index import Indexed


class Label(Indexed, models.Model):
    # a base the scanner cannot read does not hide that this is a model
    code = models.CharField(max_length=10, primary_key=True)
