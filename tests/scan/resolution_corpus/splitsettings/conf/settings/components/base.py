PROJECT = "conf"
SECRET_KEY = "corpus"
INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "notes"]
ROOT_URLCONF = PROJECT + ".urls"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"]
}
