"""What the search page and the autocomplete answer.

Nothing a visitor sends makes these fail: the query goes through
:func:`~magpie_search.text.parse_query`, unknown or malformed filters are dropped by the
listing, and an engine that cannot be reached gives the theme's polite 503 page (the rest
of the site does not depend on it).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from magpie.pagecache import never_cache_page
from magpie_search.engines import EngineUnavailable, engine_kind, get_engine
from magpie_search.text import Query, highlight, parse_query

logger = logging.getLogger(__name__)

CONTENT_PAGE_SIZE = 10
SUGGESTIONS = 8
SORT_LABELS = {
    "relevance": _("Best match"),
    "name": pgettext_lazy("search page", "Name"),
    "price": _("Price, lowest first"),
    "price-desc": _("Price, highest first"),
    "newest": pgettext_lazy("search page", "Newest"),
    "sku": _("Article number"),
}


def language() -> str:
    return (get_language() or "de")[:2]


def listing_class() -> type:
    """The search engine's listing class for the configured engine."""
    from magpie_search.listing import DatabaseSearch, EngineSearch

    return DatabaseSearch if engine_kind() == "database" else EngineSearch


def catalog_page_for(request: HttpRequest, lang: str) -> Any:
    """The live catalog page in ``lang`` on the request's site, for product URLs."""
    from wagtail.models import Site

    from magpie.content.models import in_site_tree
    from magpie_catalog.pages import CatalogPage

    site = Site.find_for_request(request)
    pages = CatalogPage.objects.live().filter(in_site_tree(site), locale__language_code=lang)
    return pages.order_by("path").first()


def search_products(request: HttpRequest, query: Query, lang: str) -> dict[str, Any]:
    """The product tab: listing page, facets, prices and URLs."""
    from magpie_catalog.models import localized
    from magpie_catalog.pages import (
        listing_prices,
        price_lists_for,
        visitor_company,
        visitor_currency,
    )
    from magpie_search.listing import category_from_params

    company = visitor_company(request)
    currency = visitor_currency(company)
    lists = price_lists_for(company, currency)
    listing = listing_class()(
        category_from_params(request.GET),
        request.GET,
        query=query,
        price_lists=[price_list.pk for price_list in lists],
        language=lang,
        page_size=24,
    )
    page = listing.page(request.GET.get("page") if request.GET.get("type") != "content" else 1)
    facets = listing.facets()
    prices = listing_prices(request, page.products, company, currency, lists)
    catalog = catalog_page_for(request, lang)
    for product in page.products:
        product.url = catalog.product_url(product, request) if catalog else ""
        product.price = prices.get(product.pk)
        product.highlighted_name = highlight(product.name, query.words)
        product.snippet = highlight(localized(product, "short_description"), query.words, 200)
    return {"listing": listing, "page": page, "facets": facets}


def search_content(request: HttpRequest, query: Query, lang: str) -> Any:
    """The content tab: live, public pages of the language through Wagtail's search."""
    from wagtail.models import Locale

    from magpie_catalog.pages import CatalogPage
    from magpie_search.pages import SearchPage

    locale = Locale.objects.filter(language_code=lang).first()
    if not query or locale is None:
        return None
    pages = Page.objects.live().public().filter(locale=locale).not_type(SearchPage, CatalogPage)
    try:
        results = pages.search(" ".join(query.words), operator="and")
        paginator = Paginator(results, CONTENT_PAGE_SIZE)
        number = request.GET.get("page") if request.GET.get("type") == "content" else 1
        try:
            content = paginator.page(number or 1)
        except (EmptyPage, ValueError, TypeError):
            content = paginator.page(1 if not paginator.num_pages else paginator.num_pages)
        items = [item.specific for item in content.object_list]
    except EngineUnavailable:
        raise
    except Exception as exc:  # the engine's transport errors come from its client library
        if engine_kind() == "database":
            raise
        raise EngineUnavailable(str(exc)) from exc
    for item in items:
        item.highlighted_title = highlight(item.title, query.words)
        item.snippet = highlight(item.search_description or "", query.words, 200)
        item.result_url = item.get_url(request)
    content.items = items
    return content


def render_results(page: Any, request: HttpRequest) -> HttpResponse:
    """The search page for ``request`` (200, or the theme's 503 while the engine is down)."""
    from magpie_search.analytics import record_search
    from magpie_search.listing import selection_filters

    never_cache_page(request)
    query = parse_query(request.GET.get("q", ""))
    lang = language()
    context: dict[str, Any] = {"page": page, "self": page, "query": query, "request": request}
    try:
        products = search_products(request, query, lang)
        content = search_content(request, query, lang)
    except EngineUnavailable as exc:
        logger.warning("Search engine unavailable: %s", exc)
        context["engine_down"] = True
        return TemplateResponse(request, "magpie_search/unavailable.html", context, status=503)
    listing = products["listing"]
    content_count = content.paginator.count if content is not None else 0
    tab = request.GET.get("type")
    if tab not in ("products", "content"):
        tab = "content" if not products["page"].count and content_count else "products"
    context.update(
        {
            "tab": tab,
            "listing": products["page"],
            "products": products["page"].products,
            "facets": products["facets"],
            "content": content,
            "content_count": content_count,
            "sort": listing.sort,
            "sorts": [
                (key, SORT_LABELS[key]) for key in SORT_LABELS if key != "relevance" or query
            ],
            "search_url": page.url,
            "fuzzy": getattr(listing, "fuzzy", False),
            "category": listing.category,
        }
    )
    if query and str(request.GET.get("page", "1")) in ("", "1"):
        record_search(
            request,
            query,
            selection_filters(listing),
            products["page"].count + content_count,
            lang,
        )
    return TemplateResponse(request, page.get_template(request), context)


def suggest(page: Any, request: HttpRequest) -> JsonResponse:
    """``{"products": [...], "categories": [...], "articles": [...]}`` for ``?q=``.

    Each entry has a ``url``; products also ``sku`` and ``name``, the others ``name`` /
    ``title``. An engine that is down leaves ``products`` empty and sets ``"unavailable"``.
    """
    from magpie_catalog.models import Category, localized

    query = parse_query(request.GET.get("q", ""))
    lang = language()
    data: dict[str, Any] = {"query": query.text, "products": [], "categories": [], "articles": []}
    if not query:
        return JsonResponse(data)
    catalog = catalog_page_for(request, lang)
    try:
        products = get_engine().suggest(query, lang, SUGGESTIONS)
    except EngineUnavailable as exc:
        logger.warning("Search engine unavailable for suggestions: %s", exc)
        products, data["unavailable"] = [], True
    for entry in products:
        entry["url"] = f"{catalog._base_url(request)}p/{_sku_url(entry['sku'])}/" if catalog else ""
    data["products"] = products
    first = query.words[0]
    name_field = "name_en" if lang == "en" else "name_de"
    categories = Category.objects.filter(**{f"{name_field}__istartswith": first}).order_by(
        name_field
    )[:5]
    data["categories"] = [
        {
            "name": localized(c, "name", lang),
            "url": catalog.category_url(c, request) if catalog else "",
        }
        for c in categories
    ]
    try:
        articles = (
            Page.objects.live()
            .public()
            .filter(locale__language_code=lang, title__icontains=first)
            .order_by("title")[:5]
        )
        data["articles"] = [{"title": p.title, "url": p.get_url(request)} for p in articles]
    except Exception:  # pragma: no cover - plain ORM query
        logger.exception("Article suggestions failed")
    response = JsonResponse(data)
    response["Cache-Control"] = "public, max-age=60"
    return response


def _sku_url(sku: str) -> str:
    from magpie_catalog.pages import sku_to_url

    return sku_to_url(sku)
