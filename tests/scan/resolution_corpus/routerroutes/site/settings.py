SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "inventory"]
ROOT_URLCONF = "site.urls"
