"""The storefront: a routable Wagtail page that shows the catalog.

Editors place a :class:`CatalogPage` in the page tree (``/de/katalog/``, ``/en/catalog/``);
it answers three kinds of URL below itself:

* ``""`` — the top categories (the root categories, or the children of ``root_category``);
* ``<slug>/<slug>/…/`` — a category listing, the category's slugs along the tree (a path
  that names the right leaf but the wrong ancestors redirects to the canonical one);
* ``p/<sku>/`` — a product's detail page.

Only active products are shown. The category slug ``p`` is therefore reserved.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.fields import RichTextField
from wagtail.models import Page

from magpie.content.models import SeoMixin
from magpie_catalog.models import Category, localized


def sku_to_url(sku: str) -> str:
    """``sku`` as one URL segment of letters, digits, ``-`` and ``_`` (what Wagtail routes).

    Other characters become ``_`` plus two hex digits (``GM-0.75`` → ``GM-0_2e75``), and
    ``_`` itself ``__``; :func:`sku_from_url` reverses it. Most SKUs stay as they are.
    """
    out = []
    for char in sku:
        if char == "_":
            out.append("__")
        elif char == "-" or (char.isalnum() and char.isascii()):
            out.append(char)
        else:
            out.append("".join(f"_{byte:02x}" for byte in char.encode("utf-8")))
    return "".join(out)


def sku_from_url(segment: str) -> str:
    """The SKU :func:`sku_to_url` encoded; ``ValueError`` for a malformed segment."""
    data = bytearray()
    i = 0
    while i < len(segment):
        char = segment[i]
        if char != "_":
            data += char.encode("utf-8")
            i += 1
        elif segment[i + 1 : i + 2] == "_":
            data += b"_"
            i += 2
        else:
            data.append(int(segment[i + 1 : i + 3], 16) if len(segment) >= i + 3 else -1)
            i += 3
    return data.decode("utf-8")


class CatalogPage(RoutablePageMixin, SeoMixin, Page):
    """The product catalog: category tree, category listings and product pages."""

    intro = RichTextField(_("intro"), blank=True)
    root_category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("root category"),
        help_text=_("Show only this category and its subcategories; empty: the whole catalog."),
    )
    page_size = models.PositiveSmallIntegerField(
        _("products per page"), default=24, help_text=_("Between 1 and 96.")
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("root_category"),
        FieldPanel("page_size"),
    ]
    promote_panels = SeoMixin.promote_panels
    subpage_types: list[str] = []
    template = "magpie_catalog/catalog_page.html"

    class Meta:
        verbose_name = _("catalog page")

    # -- URLs ----------------------------------------------------------------------------

    def product_url(self, product: Any, request: HttpRequest | None = None) -> str:
        """The URL of ``product``'s detail page below this page."""
        return f"{self._base_url(request)}p/{sku_to_url(product.sku)}/"

    def category_url(self, category: Category, request: HttpRequest | None = None) -> str:
        """The URL of ``category``'s listing below this page (slugs along the tree)."""
        return f"{self._base_url(request)}{self.category_path(category)}/"

    def category_path(self, category: Category) -> str:
        """``parent-slug/child-slug`` of ``category`` below ``root_category``.

        Uses the ancestors cached on the category by :func:`attach_ancestors` when present.
        """
        chain = getattr(category, "_catalog_chain", None)
        if chain is None:
            chain = [*category.get_ancestors(), category]
        root = self.root_category
        if root is not None:
            chain = [c for c in chain if len(c.path) > len(root.path)]
        return "/".join(c.slug for c in chain)

    def _base_url(self, request: HttpRequest | None) -> str:
        cache = getattr(self, "_catalog_base_url", None)
        if cache is None:
            cache = self.get_url(request) or self.url or "/"
            self._catalog_base_url = cache
        return cache

    # -- helpers -------------------------------------------------------------------------

    def root_categories(self):
        """The categories the index lists: the root's children, or the tree's roots."""
        if self.root_category_id:
            root = self.root_category
            return Category.objects.filter(path__startswith=root.path, depth=root.depth + 1)
        return Category.objects.filter(depth=1)

    def in_scope(self, category: Category) -> bool:
        """True when ``category`` lies below ``root_category`` (always without one)."""
        root = self.root_category
        if root is None:
            return True
        return category.path.startswith(root.path) and category.depth > root.depth

    def resolve_category(self, slugs: list[str]) -> tuple[Category | None, bool]:
        """The category a URL names and whether the URL is its canonical path.

        One query: every category named in the URL plus the leaf's ancestors (their paths
        are prefixes of the leaf's path). Unknown leaf: ``(None, False)``.
        """
        if not slugs or len(slugs) > 20 or any(len(s) > 120 for s in slugs):
            return None, False
        leaf = Category.objects.filter(slug=slugs[-1]).first()
        if leaf is None or not self.in_scope(leaf):
            return None, False
        steplen = Category.steplen
        prefixes = [leaf.path[:n] for n in range(steplen, len(leaf.path), steplen)]
        ancestors = list(Category.objects.filter(path__in=prefixes).order_by("depth"))
        leaf._catalog_chain = [*ancestors, leaf]
        for category in ancestors:
            category._catalog_chain = [c for c in ancestors if c.depth <= category.depth]
        canonical = self.category_path(leaf).split("/") == slugs
        return leaf, canonical

    # -- routes --------------------------------------------------------------------------

    @path("", name="index")
    def index_route(self, request: HttpRequest) -> HttpResponse:
        """The top categories with their subcategories."""
        return self.render(request, context_overrides=catalog_index_context(self, request))

    @re_path(r"^p/(?P<sku>[\w-]{1,200})/$", name="product")
    def product_route(self, request: HttpRequest, sku: str) -> HttpResponse:
        """A product's detail page; 404 for unknown SKUs and products that are not active."""
        try:
            sku = sku_from_url(sku)
        except ValueError:
            raise Http404("No such product") from None
        context = product_context(self, request, sku)
        if context is None:
            raise Http404("No such product")
        return self.render(
            request,
            template="magpie_catalog/product.html",
            context_overrides=context,
        )

    @re_path(r"^(?P<category_path>(?:[-\w]+/)+)$", name="category")
    def category_route(self, request: HttpRequest, category_path: str) -> HttpResponse:
        """A category listing with paging, sorting and filters."""
        slugs = [s for s in category_path.split("/") if s]
        category, canonical = self.resolve_category(slugs)
        if category is None:
            raise Http404("No such category")
        if not canonical:
            url = self.category_url(category, request)
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
        return self.render(
            request,
            template="magpie_catalog/category.html",
            context_overrides=category_context(self, request, category),
        )


# -- what the templates get ------------------------------------------------------------------

SORT_LABELS = {
    "name": _("Name"),
    "price": _("Price, lowest first"),
    "price-desc": _("Price, highest first"),
    "newest": _("Newest"),
    "sku": _("Article number"),
}
RELATION_HEADINGS = {
    "accessory": _("Accessories"),
    "spare_part": _("Spare parts"),
    "alternative": _("Alternatives"),
}
SCHEMA_AVAILABILITY = {
    "in_stock": "https://schema.org/InStock",
    "backorder": "https://schema.org/BackOrder",
    "out_of_stock": "https://schema.org/OutOfStock",
}


def current_language() -> str:
    """The two-letter code of the active language (``de`` when none is active)."""
    return (get_language() or "de")[:2]


def visitor_company(request: HttpRequest) -> Any:
    """The company the visitor buys for, or ``None`` for an anonymous visitor.

    The host's ``visitor_company`` hook answers (the B2B accounts plugin does for logged-in
    buyers); pages shown with a company's prices are kept out of the shared page cache.
    """
    from magpie.people import visitor_company as host_visitor_company

    company = host_visitor_company(request)
    if company is not None:
        from magpie.pagecache import never_cache_page

        never_cache_page(request)
    return company


def visitor_currency(company: Any) -> str:
    """The company's currency, else ``MAGPIE_DEFAULT_CURRENCY``."""
    from django.conf import settings

    return getattr(company, "currency", None) or settings.MAGPIE_DEFAULT_CURRENCY


def price_lists_for(company: Any, currency: str) -> list[Any]:
    """The price lists that apply to the visitor, best first (one query)."""
    from django.utils import timezone

    from magpie_catalog.prices import applicable_lists

    try:
        from magpie.pricing import check_currency

        currency = check_currency(currency)
    except LookupError:
        return []
    return list(applicable_lists(company, currency, timezone.now()))


def only_catalog_prices(request: HttpRequest) -> bool:
    """True when the catalog's own price lists answer ``resolve_price`` on this site.

    Then listings price a whole page in one query; otherwise every product asks the hook.
    """
    from magpie.plugins import disabled_for_request, get_host

    impls = get_host().implementations("resolve_price", disabled_for_request(request))
    return all(impl.function.__module__ == "magpie_catalog.plugin" for impl in impls)


def listing_prices(
    request: HttpRequest, products: list[Any], company: Any, currency: str, lists: list[Any]
) -> dict[int, Any]:
    """The unit price for one piece of each product, by product id.

    With only the catalog's price lists active, one query for the whole page (the same
    rule as :func:`magpie_catalog.prices.resolve`: the best list that has a price for
    quantity 1); otherwise :func:`magpie.pricing.get_price` per product.
    """
    from magpie.pricing import Price, get_price
    from magpie_catalog.models import PriceEntry

    if not products:
        return {}
    if not only_catalog_prices(request):
        return {
            p.pk: get_price(p, 1, company=company, currency=currency, request=request)
            for p in products
        }
    if not lists:
        return {}
    rank = {price_list.pk: i for i, price_list in enumerate(lists)}
    by_pk = {price_list.pk: price_list for price_list in lists}
    best: dict[int, tuple[int, Any]] = {}
    for product_id, list_id, amount in PriceEntry.objects.filter(
        product_id__in=[p.pk for p in products],
        variant__isnull=True,
        min_quantity=1,
        price_list_id__in=list(rank),
    ).values_list("product_id", "price_list_id", "amount"):
        if product_id not in best or rank[list_id] < best[product_id][0]:
            best[product_id] = (rank[list_id], (list_id, amount))
    prices = {}
    for product_id, (_rank, (list_id, amount)) in best.items():
        price_list = by_pk[list_id]
        prices[product_id] = Price(
            amount=amount,
            currency=price_list.currency,
            includes_tax=price_list.includes_tax,
            price_list=price_list.code,
            min_quantity=1,
        )
    return prices


def _chain(category: Category, ancestors: list[Category]) -> None:
    category._catalog_chain = [*ancestors, category]


def catalog_index_context(page: CatalogPage, request: HttpRequest) -> dict[str, Any]:
    """The top categories, each with its subcategories (two queries)."""
    tops = list(page.root_categories().order_by("path"))
    above = [page.root_category] if page.root_category_id else []
    children: dict[str, list[Category]] = {}
    if tops:
        depth = tops[0].depth + 1
        prefix = page.root_category.path if page.root_category_id else ""
        for child in Category.objects.filter(path__startswith=prefix, depth=depth).order_by("path"):
            children.setdefault(child.path[: -Category.steplen], []).append(child)
    entries = []
    for top in tops:
        _chain(top, above)
        subs = children.get(top.path, [])
        for sub in subs:
            _chain(sub, [*above, top])
        entries.append(
            {
                "category": top,
                "url": page.category_url(top, request),
                "children": [{"category": s, "url": page.category_url(s, request)} for s in subs],
            }
        )
    return {"categories": entries}


def category_context(page: CatalogPage, request: HttpRequest, category: Category) -> dict[str, Any]:
    """A category listing: subcategories, products, facets, sort menu and paging."""
    from magpie_catalog.filters import get_product_filter_class

    company = visitor_company(request)
    currency = visitor_currency(company)
    lists = price_lists_for(company, currency)
    engine = get_product_filter_class(request)(
        category,
        request.GET,
        price_lists=[price_list.pk for price_list in lists],
        language=current_language(),
        page_size=page.page_size,
    )
    listing = engine.page(request.GET.get("page"))
    facets = engine.facets()
    prices = listing_prices(request, listing.products, company, currency, lists)
    for product in listing.products:
        product.url = page.product_url(product, request)
        product.price = prices.get(product.pk)
    chain = category._catalog_chain
    subcategories = list(
        Category.objects.filter(path__startswith=category.path, depth=category.depth + 1).order_by(
            "path"
        )
    )
    for sub in subcategories:
        _chain(sub, chain)
    return {
        "category": category,
        "category_description": localized(category, "description"),
        "breadcrumbs": [
            {"category": c, "url": page.category_url(c, request)} for c in chain if page.in_scope(c)
        ],
        "subcategories": [
            {"category": s, "url": page.category_url(s, request)} for s in subcategories
        ],
        "listing": listing,
        "products": listing.products,
        "facets": facets,
        "sort": engine.sort,
        "sorts": [(key, SORT_LABELS.get(key, key)) for key in _sorts()],
        "catalog_url": page.category_url(category, request),
        "canonical": request.build_absolute_uri(page.category_url(category, request)),
        "route_suffix": page.category_path(category) + "/",
    }


def _sorts() -> tuple[str, ...]:
    from magpie_catalog.filters import SORTS

    return SORTS


def format_number(value: Any) -> str:
    """A number without trailing zeros, with the active language's decimal separator."""
    from decimal import Decimal, InvalidOperation

    from django.utils.formats import number_format

    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    text = format(number.normalize(), "f")
    places = len(text.split(".")[1]) if "." in text else 0
    return number_format(number, decimal_pos=places, use_l10n=True)


def format_value(attribute: Any, value: Any, options: dict[str, Any]) -> str:
    """An attribute value as a visitor reads it (labels for codes, units for numbers)."""
    import datetime

    from django.utils.formats import date_format

    kind = attribute.type
    if kind == "number":
        text = format_number(value)
        return f"{text} {attribute.unit}".strip()
    if kind == "boolean":
        return str(_("Yes") if value else _("No"))
    if kind == "choice":
        option = options.get(str(value))
        return option.label if option is not None else str(value)
    if kind == "multi_choice":
        values = value if isinstance(value, list) else [value]
        return ", ".join(
            options[str(v)].label if str(v) in options else str(v) for v in values if v != ""
        )
    if kind == "date":
        try:
            return date_format(datetime.date.fromisoformat(str(value)), "DATE_FORMAT")
        except ValueError:
            return str(value)
    return str(value)


def specs_for(product: Any, categories: list[Category]) -> tuple[list[dict[str, Any]], dict]:
    """The specs table rows (label, value) and the attribute definitions by code.

    Attributes of the product's categories' sets (and their ancestors') come first, in the
    sets' order (attribute position); other attributes with a value follow. Two queries.
    """
    from magpie_catalog.models import Attribute, CategoryAttribute

    values = product.attributes if isinstance(product.attributes, dict) else {}
    steplen = Category.steplen
    prefixes = {c.path[:n] for c in categories for n in range(steplen, len(c.path) + 1, steplen)}
    codes = set(values) | set(getattr(product, "_variant_option_codes", ()))
    attributes = {
        a.code: a
        for a in Attribute.objects.filter(code__in=codes).prefetch_related("options")
        if codes
    }
    in_sets: list[str] = []
    if prefixes:
        for code in (
            CategoryAttribute.objects.filter(category__path__in=prefixes, attribute__code__in=codes)
            .order_by("attribute__position", "attribute__code")
            .values_list("attribute__code", flat=True)
        ):
            if code not in in_sets:
                in_sets.append(code)
    rest = sorted(
        (c for c in attributes if c not in in_sets),
        key=lambda c: (attributes[c].position, c),
    )
    rows = []
    for code in [*in_sets, *rest]:
        attribute = attributes.get(code)
        value = values.get(code)
        if attribute is None or value in (None, "", []):
            continue
        options = {o.code: o for o in attribute.options.all()}
        rows.append(
            {
                "code": code,
                "label": attribute.label,
                "value": format_value(attribute, value, options),
                "unit": attribute.unit,
            }
        )
    return rows, attributes


def stock_by_variant(product: Any) -> dict[Any, dict[str, Any]]:
    """Available units and the fastest delivery time per variant (``None``: the product).

    One grouped query over the product's stock rows.
    """
    from django.db.models import Case, F, IntegerField, Min, Q, Sum, When

    from magpie_catalog.models import StockLevel

    free = Q(on_hand__gt=F("reserved"))
    rows = (
        StockLevel.objects.filter(product=product)
        .order_by()
        .values("variant_id")
        .annotate(
            units=Sum(
                Case(
                    When(free, then=F("on_hand") - F("reserved")),
                    default=0,
                    output_field=IntegerField(),
                )
            ),
            fastest=Min(Case(When(free, then=F("warehouse__lead_time_days")))),
        )
    )
    return {row["variant_id"]: row for row in rows}


def availability_of(units: int, fastest: int | None, lead_time_days: int) -> dict[str, Any]:
    """``in_stock`` with units and delivery days, else ``backorder`` (lead time) or
    ``out_of_stock``."""
    if units > 0:
        status, days = "in_stock", fastest or 0
    elif lead_time_days > 0:
        status, days = "backorder", lead_time_days
    else:
        status, days = "out_of_stock", None
    return {
        "status": status,
        "units": max(units, 0),
        "days": days,
        "in_stock": status == "in_stock",
        "schema": SCHEMA_AVAILABILITY[status],
    }


def product_context(page: CatalogPage, request: HttpRequest, sku: str) -> dict[str, Any] | None:
    """Everything the product page shows, or ``None`` for an unknown or inactive SKU."""
    from django.db.models import Prefetch

    from magpie.pricing import get_price
    from magpie_catalog.filters import first_image_prefetch
    from magpie_catalog.models import PriceEntry, Product, ProductImage, ProductRelation

    product = (
        Product.objects.select_related("brand")
        .filter(sku=sku, status=Product.Status.ACTIVE)
        .prefetch_related(
            Prefetch(
                "images",
                queryset=ProductImage.objects.select_related("image").prefetch_related(
                    "image__renditions"
                ),
                to_attr="gallery",
            ),
            "documents__document",
            "variants",
            "categories",
        )
        .first()
    )
    if product is None:
        return None
    variants = list(product.variants.all())
    product._variant_option_codes = {
        k for v in variants if isinstance(v.options, dict) for k in v.options
    }
    categories = sorted(product.categories.all(), key=lambda c: c.path)
    specs, definitions = specs_for(product, categories)

    # breadcrumbs: the first category in scope, with its ancestors
    breadcrumbs: list[dict[str, Any]] = []
    home_category = next((c for c in categories if page.in_scope(c)), None)
    if home_category is not None:
        steplen = Category.steplen
        prefixes = [
            home_category.path[:n] for n in range(steplen, len(home_category.path), steplen)
        ]
        ancestors = (
            list(Category.objects.filter(path__in=prefixes).order_by("depth")) if prefixes else []
        )
        for i, category in enumerate([*ancestors, home_category]):
            _chain(category, ancestors[:i])
            if page.in_scope(category):
                breadcrumbs.append(
                    {"category": category, "url": page.category_url(category, request)}
                )

    # variants with their options and stock
    stock = stock_by_variant(product)
    for variant in variants:
        row = stock.get(variant.pk, {})
        variant.availability = availability_of(
            row.get("units") or 0, row.get("fastest"), product.lead_time_days
        )
        options = variant.options if isinstance(variant.options, dict) else {}
        variant.option_list = []
        # defined options first, by attribute position (JSON key order is not kept by
        # PostgreSQL's jsonb), then undefined ones by name
        ordered = sorted(
            options.items(),
            key=lambda item: (
                (0, definitions[item[0]].position, item[0])
                if item[0] in definitions
                else (1, 0, item[0])
            ),
        )
        for code, value in ordered:
            attribute = definitions.get(code)
            if attribute is not None:
                labels = {o.code: o for o in attribute.options.all()}
                variant.option_list.append(
                    {"label": attribute.label, "value": format_value(attribute, value, labels)}
                )
            else:
                variant.option_list.append({"label": code, "value": str(value)})
    total = sum(row.get("units") or 0 for row in stock.values())
    fastest_days = [row["fastest"] for row in stock.values() if row.get("fastest") is not None]
    availability = availability_of(
        total, min(fastest_days) if fastest_days else None, product.lead_time_days
    )

    # price for one piece, and the tiers of the list it comes from
    company = visitor_company(request)
    currency = visitor_currency(company)
    price = get_price(product, 1, company=company, currency=currency, request=request)
    tiers: list[Any] = []
    if price is not None and price.price_list:
        tiers = list(
            PriceEntry.objects.filter(
                price_list__code=price.price_list, product=product, variant__isnull=True
            ).order_by("min_quantity")
        )
        if len(tiers) < 2:
            tiers = []

    # related products by kind
    relations = list(
        ProductRelation.objects.filter(product=product, related__status=Product.Status.ACTIVE)
        .select_related("related__brand")
        .prefetch_related(
            Prefetch(
                "related__images",
                queryset=first_image_prefetch().queryset,
                to_attr="listing_images",
            )
        )
    )
    related: dict[str, dict[str, Any]] = {}
    labels = RELATION_HEADINGS
    for relation in relations:
        item = relation.related
        images = getattr(item, "listing_images", [])
        item.first_image = images[0].image if images else None
        item.url = page.product_url(item, request)
        group = related.setdefault(
            relation.kind,
            {
                "kind": relation.kind,
                "label": labels.get(relation.kind, relation.kind),
                "products": [],
            },
        )
        group["products"].append(item)

    images = [pi.image for pi in product.gallery]
    url = page.product_url(product, request)
    return {
        "product": product,
        "images": images,
        "documents": list(product.documents.all()),
        "variants": variants,
        "specs": specs,
        "price": price,
        "tiers": tiers,
        "availability": availability,
        "related": list(related.values()),
        "breadcrumbs": breadcrumbs,
        "canonical": request.build_absolute_uri(url),
        "product_url": url,
        "route_suffix": url[len(page._base_url(request)) :],
    }
