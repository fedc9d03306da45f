"""sitemap.xml over every language of a site, not only the default locale's tree."""

from __future__ import annotations

from django.db.models import Q
from wagtail.contrib.sitemaps import Sitemap
from wagtail.models import Page


class TranslatedSitemap(Sitemap):
    """Live, public pages below the site's root page and below each of its translations."""

    def items(self):
        roots = self.get_wagtail_site().root_page.get_translations(inclusive=True)
        tree = Q()
        for root in roots:
            tree |= Q(path__startswith=root.path)
        return (
            Page.objects.filter(tree)
            .live()
            .public()
            .order_by("path")
            .defer_streamfields()
            .specific()
        )
