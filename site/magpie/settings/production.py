"""Production settings: refuse to start without a SECRET_KEY; HTTPS and secure cookies.

``manage.py check --deploy`` reports nothing when SECRET_KEY (50+ random characters),
ALLOWED_HOSTS and DATABASE_URL are set (see docs/operations.md).
"""

from django.core.exceptions import ImproperlyConfigured

from magpie import env
from magpie.settings.base import *  # noqa: F403

DEBUG = env.get_bool("DEBUG", False)
if not SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Production settings refuse to start without it; generate one "
        "with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
if len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY is shorter than 50 characters; use a random key.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.get_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.get_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"  # Wagtail allows its own preview frames
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
WHITENOISE_USE_FINDERS = False
