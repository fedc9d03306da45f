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
