SECRET_KEY = "corpus"  # expect: MG201
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.sessions", "two_factor"]
ROOT_URLCONF = "miss.urls"
SESSION_COOKIE_AGE = 3600 * 8  # expect: -
PASSWORD_RESET_TIMEOUT = 86400  # expect: -
