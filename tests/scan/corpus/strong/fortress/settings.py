SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth", "stronghold", "keep"]
MIDDLEWARE = [
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "stronghold.middleware.LoginRequiredMiddleware",
]
ROOT_URLCONF = "fortress.urls"
AUTH_PASSWORD_VALIDATORS = [  # expect: MG201
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
