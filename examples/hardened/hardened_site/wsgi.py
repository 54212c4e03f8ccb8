"""WSGI entry point of the hardened example."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hardened_site.settings")

application = get_wsgi_application()
