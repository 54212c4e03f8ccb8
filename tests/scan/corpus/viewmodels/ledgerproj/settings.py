SECRET_KEY = "corpus"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "ledger.apps.LedgerConfig",
]
ROOT_URLCONF = "ledgerproj.urls"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
