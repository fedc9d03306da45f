"""The search page: one page per language (``/de/suche/``, ``/en/search/``) with the results
at its URL and the autocomplete at ``suggest/``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page

from magpie.content.models import SeoMixin


class SearchPage(RoutablePageMixin, SeoMixin, Page):
    """Search over products and content, with facets; the header's search box sends here."""

    intro = RichTextField(_("intro"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    promote_panels = SeoMixin.promote_panels
    subpage_types: list[str] = []
    max_count_per_parent = 1
    template = "magpie_search/search_page.html"

    class Meta:
        verbose_name = _("search page")

    @path("", name="results")
    def results_route(self, request: HttpRequest) -> HttpResponse:
        """The results for ``?q=…`` (tabs, facets, paging); 503 while the engine is down."""
        from magpie_search.views import render_results

        return render_results(self, request)

    @path("suggest/", name="suggest")
    def suggest_route(self, request: HttpRequest) -> JsonResponse:
        """Autocomplete as JSON: products (SKU prefix and name), categories, articles."""
        from magpie_search.views import suggest

        return suggest(self, request)

    def get_sitemap_urls(self, request: HttpRequest | None = None) -> list[dict[str, Any]]:
        """Result pages are not for search engines."""
        return []
