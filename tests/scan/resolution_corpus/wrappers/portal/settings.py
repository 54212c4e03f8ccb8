SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth", "desk"]
ROOT_URLCONF = "portal.urls"
