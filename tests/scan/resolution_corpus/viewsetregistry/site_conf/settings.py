SECRET_KEY = "corpus"
INSTALLED_APPS = ["cms", "people", "places"]
ROOT_URLCONF = "site_conf.urls"
