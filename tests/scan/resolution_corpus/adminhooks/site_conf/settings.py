SECRET_KEY = "corpus"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "shop.apps.ShopConfig",
    "pages",
]
ROOT_URLCONF = "site_conf.urls"
