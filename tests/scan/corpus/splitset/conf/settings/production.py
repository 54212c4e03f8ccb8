from .base import *  # noqa

AUTH_PASSWORD_VALIDATORS = [  # expect: MG201
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 6},
    },
]
SESSION_COOKIE_AGE = 60 * 60 * 24 * 60  # expect: MG202
PASSWORD_RESET_TIMEOUT_DAYS = 3  # expect: MG203
