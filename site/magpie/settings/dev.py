"""Development settings: the default for ``magpie demo`` and ``manage``."""

from magpie import env
from magpie.settings.base import *  # noqa: F403

DEBUG = env.get_bool("DEBUG", True)
# A development key, never used in production (production.py refuses to start without one).
SECRET_KEY = SECRET_KEY or "magpie-development-only-not-secret"  # noqa: F405
