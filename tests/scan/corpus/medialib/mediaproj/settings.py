SECRET_KEY = "corpus"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "library.apps.LibraryConfig",
]
ROOT_URLCONF = "mediaproj.urls"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
