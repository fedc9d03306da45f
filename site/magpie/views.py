"""Small host views."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from magpie.plugins import call_safely


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    """robots.txt: keep crawlers out of the admin, point them at the sitemap."""
    lines = ["User-agent: *", "Disallow: /admin/"]
    for _plugin, extra in call_safely("robots_txt", request=request):
        lines.extend(str(line) for line in extra)
    lines.append(f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_GET
@cache_control(max_age=3600, public=True)
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """``/sitemap.xml``: the index of every section and page of the site's sitemap."""
    from django.contrib.sitemaps.views import index

    from magpie.content.sitemaps import sitemap_sections

    return index(request, sitemap_sections(request), sitemap_url_name="sitemap_section")


@require_GET
@cache_control(max_age=3600, public=True)
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    """``/sitemap-<section>.xml?p=N``: one section's URLs (404 for unknown sections/pages)."""
    from django.contrib.sitemaps.views import sitemap

    from magpie.content.sitemaps import sitemap_sections

    return sitemap(request, sitemap_sections(request), section=section)
