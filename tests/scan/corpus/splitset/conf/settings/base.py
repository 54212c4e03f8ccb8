import os

SECRET_KEY = os.environ.get("SECRET_KEY", "corpus")
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.sessions"]
ROOT_URLCONF = "conf.urls"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
]
SESSION_COOKIE_AGE = 60 * 60 * 24 * 60
