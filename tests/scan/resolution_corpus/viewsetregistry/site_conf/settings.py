SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth", "cms", "people.apps.PeopleConfig", "places", "labels"]
ROOT_URLCONF = "site_conf.urls"
DIRECTORY_PREFIX = "directory"
