import os

SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "api"]
ROOT_URLCONF = os.environ.get("DJANGO_URLCONF", "site_conf.public_urls")
REST_FRAMEWORK = {}
REST_FRAMEWORK.update({"DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAdminUser",)})
