SECRET_KEY = "corpus"
DAY = 60 * 60 * 24
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.sessions"]
ROOT_URLCONF = "weak.urls"
AUTH_PASSWORD_VALIDATORS = []  # expect: MG201
SESSION_COOKIE_AGE = DAY * 30  # expect: MG202
PASSWORD_RESET_TIMEOUT = DAY * 7  # expect: MG203
