SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth"]
ROOT_URLCONF = "shop.urls"
