SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "rest_framework", "orgs"]
ROOT_URLCONF = "saas.urls"
AUTH_USER_MODEL = "orgs.User"
MEDIA_ROOT = "/srv/media"
MEDIA_URL = "/media/"
STATIC_ROOT = "/srv/static"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "orgs.middleware.CurrentOrganizationMiddleware",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
