"""The sitemap index: pages over every language of a site, plus the plugins' sections."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from wagtail.contrib.sitemaps import Sitemap
from wagtail.models import Page

logger = logging.getLogger(__name__)


class TranslatedSitemap(Sitemap):
    """Live, public pages below the site's root page and below each of its translations."""

    def items(self):
        from magpie.content.models import in_site_tree

        return (
            Page.objects.filter(in_site_tree(self.get_wagtail_site()))
            .live()
            .public()
            .order_by("path")
            .defer_streamfields()
            .specific()
        )


def sitemap_sections(request: HttpRequest) -> dict[str, Any]:
    """The sections of ``request``'s site: the host's ``pages``, then every enabled
    plugin's sections from the ``sitemaps`` hook, in plugin order."""
    from magpie.plugins import call_safely

    sections: dict[str, Any] = {"pages": TranslatedSitemap(request)}
    for plugin, contributed in call_safely("sitemaps", request=request):
        for name, section in contributed.items():
            if name in sections:
                logger.warning("Plugin %s repeats sitemap section %r; ignored.", plugin, name)
                continue
            sections[name] = section
    return sections
