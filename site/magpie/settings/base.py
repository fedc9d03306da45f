"""Settings shared by every environment, read from environment variables.

Every service has an embedded default so Magpie runs on one machine with nothing else
(SQLite, database search, console email, local-memory cache, database task queue); each
scales out by setting one variable. See docs/operations.md for the full list.
"""

from __future__ import annotations

from pathlib import Path

from magpie import env
from magpie.plugins import get_host

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # site/magpie
BASE_DIR = Path(env.get_str("MAGPIE_HOME") or Path.cwd()).resolve()
REPO_DIR = PACKAGE_DIR.parent.parent

DEBUG = env.get_bool("DEBUG", False)
SECRET_KEY = env.get_str("SECRET_KEY", "")
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [])

# --- plugins: discovered from entry points, their Django apps installed ------------------
PLUGIN_HOST = get_host()

INSTALLED_APPS = [
    "magpie.pluginhost",
    "magpie.themes",
    "magpie.events",
    "magpie.pagecache",
    "magpie.people",
    "magpie.journey",
    "magpie.content",
    *PLUGIN_HOST.django_apps(),
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.simple_translation",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "magpie.journey.middleware.JourneyMiddleware",
    "magpie.pagecache.middleware.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "magpie.themes.middleware.ThemeMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "magpie.urls"
WSGI_APPLICATION = "magpie.wsgi.application"

# --- themes: lookup follows the active theme's parents, then plugins, then "base" ----------
MAGPIE_THEME_DIRS = [Path(p) for p in env.get_list("MAGPIE_THEME_DIRS", [str(REPO_DIR / "themes")])]
MAGPIE_DEFAULT_THEME = env.get_str("MAGPIE_DEFAULT_THEME", "base")
# Themes translate their own strings in <theme>/locale.
LOCALE_PATHS = sorted(
    theme / "locale"
    for root in MAGPIE_THEME_DIRS
    if root.is_dir()
    for theme in root.iterdir()
    if (theme / "locale").is_dir()
)

_THEME_LOADERS = [
    "magpie.themes.loaders.ThemeLoader",
    "django.template.loaders.app_directories.Loader",
    "magpie.themes.loaders.BaseThemeLoader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "magpie.themes.context_processors.theme",
            ],
            "loaders": [("magpie.themes.loaders.CachedThemeLoader", _THEME_LOADERS)],
            "builtins": ["magpie.templatetags.magpie_tags"],
        },
    },
]

# --- services ----------------------------------------------------------------------------
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.database_url("DATABASE_URL", f"sqlite:///{VAR_DIR / 'magpie.sqlite3'}")}
if env.get_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = env.database_url("DATABASE_REPLICA_URL", "")
    DATABASE_ROUTERS = ["magpie.db_routers.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache_url("CACHE_URL", "locmem://magpie"),
    # Visitors' hourly "seen" marks (magpie.journey): many tiny entries (~300 bytes each in
    # local memory), kept apart so they neither push cached pages out of the default cache
    # nor fall out after 300 visitors. With CACHE_URL set (Redis), the same server.
    "journey": env.cache_url(
        "JOURNEY_CACHE_URL",
        env.get_str("CACHE_URL", "") or "locmem://magpie-journey?max_entries=100000",
    ),
}

WAGTAILSEARCH_BACKENDS = {"default": env.search_url("SEARCH_URL", "database://")}

TASKS = {"default": env.task_backend("TASK_BACKEND", "database")}

globals().update(env.email_settings())

# --- i18n: German and English content -----------------------------------------------------
LANGUAGE_CODE = env.get_str("LANGUAGE_CODE", "de")
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
TIME_ZONE = env.get_str("TIME_ZONE", "Europe/Zurich")
USE_I18N = True
USE_TZ = True

# --- static and media ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.get_str("STATIC_ROOT") or VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.get_str("MEDIA_ROOT") or VAR_DIR / "media")
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "magpie.themes.finders.ThemeStaticFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Wagtail -------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env.get_str("MAGPIE_SITE_NAME", "Magpie")
WAGTAILADMIN_BASE_URL = env.get_str("MAGPIE_BASE_URL", "http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
WAGTAILIMAGES_IMAGE_MODEL = "wagtailimages.Image"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- money ---------------------------------------------------------------------------------
MAGPIE_CURRENCIES = [c.upper() for c in env.get_list("MAGPIE_CURRENCIES", ["CHF", "EUR"])]
MAGPIE_DEFAULT_CURRENCY = env.get_str("MAGPIE_DEFAULT_CURRENCY", MAGPIE_CURRENCIES[0])

# --- page cache: anonymous page views, invalidated by every content change --------------
MAGPIE_PAGE_CACHE_SECONDS = env.get_int("MAGPIE_PAGE_CACHE_SECONDS", 600)
MAGPIE_PAGE_CACHE_BYPASS_COOKIES = ["sessionid", "messages"]
MAGPIE_PAGE_CACHE_SKIP = ["/admin/", "/documents/", "/static/", "/media/"]

# --- domain events -------------------------------------------------------------------------
MAGPIE_EVENTS_MAX_ATTEMPTS = env.get_int("MAGPIE_EVENTS_MAX_ATTEMPTS", 8)
MAGPIE_EVENTS_BACKOFF_SECONDS = env.get_int("MAGPIE_EVENTS_BACKOFF_SECONDS", 30)
MAGPIE_EVENTS_LEASE_SECONDS = env.get_int("MAGPIE_EVENTS_LEASE_SECONDS", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.get_str("LOG_LEVEL", "WARNING")},
    "loggers": {"magpie": {"level": env.get_str("MAGPIE_LOG_LEVEL", "INFO")}},
}
