SECRET_KEY = "corpus"
ROOT_URLCONF = "conf.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "rest_framework",
    "core",
    "plugin_a.apps.PluginAConfig",
    "plugin_b",
]
