"""WSGI entry point (``magpie serve`` runs it under gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "magpie.settings.production")

application = get_wsgi_application()
