SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth", "cms", "polls"]
ROOT_URLCONF = "cmssite.urls"
