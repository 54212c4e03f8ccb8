from site.env import get_env_str

SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth", "pages"]
ROOT_URLCONF = "site.urls"
URL_PREFIX = get_env_str("SITE_URL_PREFIX", "")
