"""Test settings: fast hashing, in-memory mail, tasks run inline unless told otherwise.

``MAGPIE_TEST_DATABASE_URL`` points the suite at PostgreSQL (``make test`` starts a
throwaway cluster and sets it).
"""

import os

from magpie import env

os.environ.setdefault("TASK_BACKEND", "immediate")
# Test plugins live in tests/fixtures (on sys.path through pytest's ``pythonpath``).
os.environ.setdefault(
    "MAGPIE_PLUGINS",
    ",".join(
        [
            "recorder=magpie_testplugins.recorder",
            "failing=magpie_testplugins.failing",
            "broken=magpie_testplugins.broken",
            "legacy_admin=magpie_legacy_admin.plugin",
        ]
    ),
)
if os.environ.get("MAGPIE_TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["MAGPIE_TEST_DATABASE_URL"]

from magpie.settings.base import *  # noqa: E402, F403

DEBUG = False
SECRET_KEY = "magpie-tests-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
WAGTAILADMIN_BASE_URL = "http://testserver"
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
MEDIA_ROOT = env.get_str("MAGPIE_TEST_MEDIA_ROOT") or "/tmp/magpie-test-media"
