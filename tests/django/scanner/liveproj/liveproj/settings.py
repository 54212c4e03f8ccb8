SECRET_KEY = "live-resolver-test"
DEBUG = False
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "shelf",
]
ROOT_URLCONF = "liveproj.urls"
# never migrated: any query fails with "no such table"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
