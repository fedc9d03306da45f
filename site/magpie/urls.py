"""URL configuration: admin, plugin URLs, sitemap, robots.txt, then Wagtail pages per language."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from magpie.pluginhost.urls import plugin_url_patterns
from magpie.views import robots_txt, sitemap_index, sitemap_section

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemap_section, name="sitemap_section"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("journey/", include("magpie.journey.urls")),
    path("consent/", include("magpie.people.urls")),
    *plugin_url_patterns(),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
else:
    from django.views.static import serve

    # Media from the local disk; put a CDN or object storage in front at scale.
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]

urlpatterns += i18n_patterns(path("", include(wagtail_urls)), prefix_default_language=True)
