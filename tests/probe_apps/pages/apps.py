"""The pages app."""

from django.apps import AppConfig


class PagesConfig(AppConfig):
    """Profiles and notes as HTML pages."""

    name = "pages"
    default_auto_field = "django.db.models.BigAutoField"
