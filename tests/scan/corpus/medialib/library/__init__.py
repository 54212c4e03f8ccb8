"""A reusable app whose photo model the site may swap (like ``AUTH_USER_MODEL``)."""

from django.conf import settings
from django.contrib.auth import get_user_model


def get_photo_model_string():
    return getattr(settings, "LIBRARY_PHOTO_MODEL", "medialibrary.Photo")


def get_photo_model():
    from django.apps import apps

    model_string = get_photo_model_string()
    return apps.get_model(model_string, require_ready=False)


def get_member_model():
    return get_user_model()
