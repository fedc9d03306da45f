"""Category listings in plain SQL: filter parsing, sorting, paging and facet counts.

:class:`ProductFilter` is the storefront's whole listing engine::

    listing = ProductFilter(category, request.GET, price_lists=[3, 1])
    page = listing.page(request.GET.get("page"))     # a :class:`ListingPage`
    facets = listing.facets()                        # a list of :class:`Facet`

It works on SQLite and PostgreSQL alike (JSON key lookups, ``json_each`` /
``jsonb_array_elements_text``), and it never raises on what a visitor types: unknown
attribute codes, unknown options, non-numeric ranges, huge page numbers and junk are
ignored.

The storefront asks :func:`get_product_filter_class` for the class to use: the search
plugin replaces this SQL engine with its own (same constructor, ``page()`` and
``facets()``) through the host's ``product_listing`` hook when it runs on OpenSearch;
``MAGPIE_CATALOG_PRODUCT_FILTER`` (a dotted path) overrides both.

URL parameters (all optional; several values of one parameter mean "any of them"):

========================  ==============================================================
``sort``                  ``name`` (default), ``price``, ``price-desc``, ``newest``, ``sku``
``page``                  1-based page number; out-of-range numbers show the last page
``brand``                 brand slug
``in_stock``              ``1``: only products with units on hand not reserved
``f.<code>``              an option code (choice, multiple choice) or ``1``/``0`` (yes/no)
``f.<code>.min/.max``     a number range (inclusive) of a number attribute
========================  ==============================================================
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    Expression,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from magpie_catalog.models import (
    Attribute,
    Category,
    CategoryAttribute,
    PriceEntry,
    Product,
    ProductImage,
    StockLevel,
)

#: Sort keys the listing understands, in the order the sort menu offers them.
SORTS = ("name", "price", "price-desc", "newest", "sku")
DEFAULT_SORT = "name"
#: Limits on what a request may ask for; anything beyond is cut or ignored.
MAX_VALUES_PER_PARAMETER = 50
MAX_VALUE_LENGTH = 100
MAX_PAGE = 100_000
NUMBER_LIMIT = 1e15
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
#: Attribute types the listing can filter on.
FILTER_TYPES = {
    Attribute.Type.CHOICE,
    Attribute.Type.MULTI_CHOICE,
    Attribute.Type.BOOLEAN,
    Attribute.Type.NUMBER,
}
SETTING = "MAGPIE_CATALOG_PRODUCT_FILTER"


def get_product_filter_class(request: Any = None) -> type[ProductFilter]:
    """The listing engine: ``settings.MAGPIE_CATALOG_PRODUCT_FILTER`` when set, else the
    answer of the host's ``product_listing`` hook for ``request`` (the search plugin's
    engine on OpenSearch), else :class:`ProductFilter`."""
    configured = getattr(settings, SETTING, None)
    if configured:
        return import_string(configured)
    if request is not None:
        from magpie.plugins import hook

        found = hook("product_listing", request)(request=request)
        if found is not None:
            return found
    return ProductFilter


# -- SQL building blocks ---------------------------------------------------------------------


def _vendor(using: str) -> str:
    return connections[using].vendor


class JsonKeyExpression(Expression):
    """An expression over the value under ``key`` in the JSON ``column``."""

    def __init__(self, column: str, key: str) -> None:
        super().__init__()
        self.column = F(column)
        self.key = key

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.column,) = exprs


class JsonHasAny(JsonKeyExpression):
    """True when the JSON value under ``key`` is, or is a list containing, any of ``values``.

    PostgreSQL: ``attributes -> key ?| array[…]``; SQLite: ``EXISTS`` over ``json_each``.
    Works for choice (a string) and multiple-choice (a list of strings) attributes alike.
    """

    output_field = BooleanField()

    def __init__(self, column: str, key: str, values: Iterable[str]) -> None:
        super().__init__(column, key)
        self.values = list(values)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column_sql, column_params = compiler.compile(self.column)
        if connection.vendor == "postgresql":
            return (
                f"(({column_sql} -> %s) ?| %s::text[])",
                [*column_params, self.key, self.values],
            )
        marks = ", ".join(["%s"] * len(self.values))
        return (
            f"EXISTS (SELECT 1 FROM json_each({column_sql}, %s) AS je "
            f"WHERE je.type = 'text' AND je.value IN ({marks}))",
            [*column_params, _json_path(self.key), *self.values],
        )


class JsonIs(JsonKeyExpression):
    """True when the JSON value under ``key`` is the boolean ``value``."""

    output_field = BooleanField()

    def __init__(self, column: str, key: str, value: bool) -> None:
        super().__init__(column, key)
        self.value = bool(value)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.column)
        word = "true" if self.value else "false"
        if connection.vendor == "postgresql":
            return f"(({sql} -> %s) = %s::jsonb)", [*params, self.key, word]
        return f"(json_type({sql}, %s) = %s)", [*params, _json_path(self.key), word]


class JsonNumber(JsonKeyExpression):
    """The number under ``key`` as a float, ``NULL`` when it is missing or not a number."""

    output_field = FloatField()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.column)
        if connection.vendor == "postgresql":
            return (
                f"(CASE WHEN jsonb_typeof({sql} -> %s) = 'number' "
                f"THEN ({sql} ->> %s)::double precision END)",
                [*params, self.key, *params, self.key],
            )
        path = _json_path(self.key)
        return (
            f"(CASE WHEN json_type({sql}, %s) IN ('integer', 'real') "
            f"THEN json_extract({sql}, %s) END)",
            [*params, path, *params, path],
        )


def _json_path(key: str) -> str:
    """A SQLite JSON path for a top-level key (codes are slugs: no quotes inside)."""
    return '$."' + key.replace('"', "") + '"'


def value_counts(queryset: QuerySet, keys: list[str], using: str) -> dict[str, dict[str, int]]:
    """``{key: {value: number of products}}`` over ``queryset`` in one grouped query.

    Strings count as themselves, lists count each element, booleans as ``"true"``/``"false"``.
    """
    if not keys:
        return {}
    inner = queryset.order_by().values("attributes")
    inner_sql, inner_params = inner.query.get_compiler(using=using).as_sql()
    marks = ", ".join(["(%s)"] * len(keys))
    if _vendor(using) == "postgresql":
        marks = ", ".join(["(%s::text)"] * len(keys))
        sql = f"""
            SELECT k.key, v.value, COUNT(*)
            FROM ({inner_sql}) AS p
            CROSS JOIN (VALUES {marks}) AS k(key)
            CROSS JOIN LATERAL jsonb_array_elements_text(
                CASE jsonb_typeof(p.attributes -> k.key)
                    WHEN 'array' THEN p.attributes -> k.key
                    WHEN 'string' THEN jsonb_build_array(p.attributes -> k.key)
                    WHEN 'boolean' THEN jsonb_build_array(p.attributes -> k.key)
                    ELSE '[]'::jsonb
                END
            ) AS v(value)
            GROUP BY k.key, v.value
        """
    else:
        sql = f"""
            SELECT k.column1, CASE WHEN e.type = 'array' THEN a.value
                                   WHEN e.type IN ('true', 'false') THEN e.type
                                   ELSE e.value END AS v, COUNT(*)
            FROM ({inner_sql}) AS p
            CROSS JOIN (VALUES {marks}) AS k
            JOIN json_each(p.attributes) AS e ON e.key = k.column1
            LEFT JOIN json_each(CASE WHEN e.type = 'array' THEN e.value END) AS a
            WHERE e.type IN ('text', 'true', 'false')
               OR (e.type = 'array' AND a.type = 'text')
            GROUP BY 1, 2
        """
    counts: dict[str, dict[str, int]] = {}
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*inner_params, *keys])
        for key, value, number in cursor.fetchall():
            if value is not None:
                counts.setdefault(key, {})[str(value)] = number
    return counts


def first_image_prefetch() -> Prefetch:
    """The products' images with their Wagtail image and renditions (two queries)."""
    return Prefetch(
        "images",
        queryset=ProductImage.objects.select_related("image").prefetch_related("image__renditions"),
        to_attr="listing_images",
    )


def in_stock_expression() -> Exists:
    """True when any stock row of the product (or a variant) has units not reserved."""
    return Exists(StockLevel.objects.filter(product_id=OuterRef("pk"), on_hand__gt=F("reserved")))


def list_price_subquery(price_lists: list[int]) -> Subquery:
    """The unit price for one piece from the first of ``price_lists`` that has one."""
    rank = Case(
        *[When(price_list_id=pk, then=Value(i)) for i, pk in enumerate(price_lists)],
        output_field=IntegerField(),
    )
    entries = (
        PriceEntry.objects.filter(
            product_id=OuterRef("pk"),
            variant__isnull=True,
            min_quantity=1,
            price_list_id__in=price_lists,
        )
        .order_by(rank)
        .values("amount")[:1]
    )
    return Subquery(entries)


# -- parsed request --------------------------------------------------------------------------


def _strings(params: Mapping[str, Any], name: str) -> list[str]:
    """Up to 50 distinct, non-empty, not-too-long values of ``name``."""
    getlist = getattr(params, "getlist", None)
    raw = getlist(name) if getlist else params.get(name, [])
    if isinstance(raw, str):
        raw = [raw]
    values: list[str] = []
    for value in raw or []:
        if isinstance(value, str) and value and len(value) <= MAX_VALUE_LENGTH:
            if value not in values:
                values.append(value)
        if len(values) >= MAX_VALUES_PER_PARAMETER:
            break
    return values


def _first(params: Mapping[str, Any], name: str) -> str:
    values = _strings(params, name)
    return values[0].strip() if values else ""


def parse_number(text: str) -> float | None:
    """A finite number from ``text`` (``2.5``, ``2,5``), else ``None``."""
    text = (text or "").strip().replace(",", ".").replace("'", "")
    if not text or len(text) > 30:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > Decimal(NUMBER_LIMIT):
        return None
    return float(number)


def parse_page(text: Any) -> int:
    """A page number between 1 and ``MAX_PAGE`` (1 for anything that is not a number)."""
    text = str(text or "").strip()
    if not text.isascii() or not text.isdigit():
        return 1
    if len(text) > 7:  # a huge number: the last page (never int() of 5000 digits)
        return MAX_PAGE
    return min(max(int(text), 1), MAX_PAGE)


# -- results ---------------------------------------------------------------------------------


@dataclass
class FacetOption:
    """One checkbox of a facet."""

    value: str
    label: Any
    count: int
    selected: bool = False


@dataclass
class Facet:
    """One filter group of the listing with its options (or its number range)."""

    code: str
    label: Any
    type: str
    param: str
    unit: str = ""
    options: list[FacetOption] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    selected_min: float | None = None
    selected_max: float | None = None

    @property
    def active(self) -> bool:
        """True when the visitor filters on this facet."""
        return (
            any(o.selected for o in self.options)
            or self.selected_min is not None
            or self.selected_max is not None
        )


@dataclass
class ListingPage:
    """One page of a listing."""

    products: list[Product]
    number: int
    num_pages: int
    count: int
    page_size: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def page_range(self) -> list[int | None]:
        """Page numbers to link, with ``None`` for gaps (1 … 4 5 6 … 40)."""
        shown = {1, self.num_pages, *range(self.number - 2, self.number + 3)}
        numbers = sorted(n for n in shown if 1 <= n <= self.num_pages)
        out: list[int | None] = []
        for n in numbers:
            if out and out[-1] is not None and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


# -- the engine ------------------------------------------------------------------------------


class ProductFilter:
    """Active products of a category (and its descendants), filtered, sorted and paged.

    ``params`` is the request's query dict (or any mapping of lists/strings).
    ``price_lists`` are the ids of the price lists that apply to the visitor, best first
    (see :func:`magpie_catalog.prices.applicable_lists`): sorting by price uses the unit
    price of the first list with one. Nothing touches the database until ``page()``,
    ``facets()`` or ``queryset()`` is called.
    """

    def __init__(
        self,
        category: Category,
        params: Mapping[str, Any],
        *,
        price_lists: list[int] | None = None,
        language: str | None = None,
        page_size: int = 24,
        using: str | None = None,
    ) -> None:
        self.category = category
        self.params = params
        self.price_lists = list(price_lists or [])
        self.language = (language or get_language() or "de")[:2]
        self.page_size = min(max(int(page_size or 24), 1), 96)
        self.using = using or router.db_for_read(Product)
        sort = _first(params, "sort")
        self.sort = sort if sort in SORTS else DEFAULT_SORT
        self._attributes: list[Attribute] | None = None
        self._tree_ids: list[int] | None = None
        self._generation: int | None = None
        self._parsed = False

    # attributes and selections ----------------------------------------------------------

    @property
    def attributes(self) -> list[Attribute]:
        """Filterable attributes of the category's attribute set and its ancestors' sets.

        Two queries: the set rows with their attributes, and the options of choice ones.
        """
        if self._attributes is None:
            steplen = Category.steplen
            path = self.category.path
            prefixes = [path[:n] for n in range(steplen, len(path) + 1, steplen)]
            rows = (
                CategoryAttribute.objects.using(self.using)
                .filter(
                    category__path__in=prefixes,
                    attribute__filterable=True,
                    attribute__type__in=FILTER_TYPES,
                )
                .select_related("attribute")
                .order_by("attribute__position", "attribute__code")
            )
            seen: dict[int, Attribute] = {}
            for row in rows:
                seen.setdefault(row.attribute_id, row.attribute)
            attributes = list(seen.values())
            choice_ids = [
                a.pk
                for a in attributes
                if a.type in (Attribute.Type.CHOICE, Attribute.Type.MULTI_CHOICE)
            ]
            options: dict[int, list[Any]] = {}
            if choice_ids:
                from magpie_catalog.models import AttributeOption

                for option in AttributeOption.objects.using(self.using).filter(
                    attribute_id__in=choice_ids
                ):
                    options.setdefault(option.attribute_id, []).append(option)
            for attribute in attributes:
                attribute.listing_options = options.get(attribute.pk, [])
            self._attributes = attributes
        return self._attributes

    def _parse(self) -> None:
        """Read the selections from ``params``; whatever is not understood is dropped."""
        if self._parsed:
            return
        params = self.params
        self.brands = _strings(params, "brand")
        if self.brands:  # unknown brands are ignored like any other unknown value
            from magpie_catalog.models import Brand

            self.brands = list(
                Brand.objects.using(self.using)
                .filter(slug__in=self.brands)
                .values_list("slug", flat=True)
            )
        self.in_stock = _first(params, "in_stock").lower() in TRUE_WORDS
        self.choices: dict[str, list[str]] = {}
        self.booleans: dict[str, bool] = {}
        self.ranges: dict[str, tuple[float | None, float | None]] = {}
        for attribute in self.attributes:
            name = f"f.{attribute.code}"
            if attribute.type in (Attribute.Type.CHOICE, Attribute.Type.MULTI_CHOICE):
                known = {o.code for o in attribute.listing_options}
                chosen = [v for v in _strings(params, name) if v in known]
                if chosen:
                    self.choices[attribute.code] = chosen
            elif attribute.type == Attribute.Type.BOOLEAN:
                word = _first(params, name).lower()
                if word in TRUE_WORDS or word in FALSE_WORDS:
                    self.booleans[attribute.code] = word in TRUE_WORDS
            elif attribute.type == Attribute.Type.NUMBER:
                low = parse_number(_first(params, f"{name}.min"))
                high = parse_number(_first(params, f"{name}.max"))
                if low is not None or high is not None:
                    self.ranges[attribute.code] = (low, high)
        self._parsed = True

    @property
    def selections(self) -> dict[str, Any]:
        """What the visitor filters on, as understood (for templates and tests)."""
        self._parse()
        return {
            "brand": self.brands,
            "in_stock": self.in_stock,
            "choices": self.choices,
            "booleans": self.booleans,
            "ranges": self.ranges,
        }

    # querysets --------------------------------------------------------------------------

    def subtree_ids(self) -> list[int]:
        """The ids of the category and every category below it (one small query)."""
        if self._tree_ids is None:
            self._tree_ids = list(
                Category.objects.using(self.using)
                .filter(path__startswith=self.category.path)
                .values_list("pk", flat=True)
            )
        return self._tree_ids

    def base_queryset(self) -> QuerySet:
        """Active products in the category or any category below it.

        A semi-join (``EXISTS``) on the category link table over the subtree's few category
        ids: nothing is materialised in Python, each product counts once, and PostgreSQL can
        walk a sort index (see the migration ``0005``) and stop after one page.
        """
        through = Product.categories.through
        in_tree = through.objects.using(self.using).filter(
            product_id=OuterRef("pk"), category_id__in=self.subtree_ids()
        )
        return Product.objects.using(self.using).filter(
            Exists(in_tree), status=Product.Status.ACTIVE
        )

    def filtered(self, *, skip: str = "") -> QuerySet:
        """The base queryset with every selection applied except facet ``skip``.

        ``skip`` is an attribute code, ``"brand"``, ``"in_stock"`` or ``"ranges"`` — used for
        the counts of a facet, which must not be narrowed by the facet's own selection.
        """
        self._parse()
        qs = self.base_queryset()
        if self.brands and skip != "brand":
            qs = qs.filter(brand__slug__in=self.brands)
        if self.in_stock and skip != "in_stock":
            qs = qs.filter(in_stock_expression())
        for code, values in self.choices.items():
            if code != skip:
                qs = qs.filter(JsonHasAny("attributes", code, values))
        for code, wanted in self.booleans.items():
            if code != skip:
                qs = qs.filter(JsonIs("attributes", code, wanted))
        if skip != "ranges":
            for code, (low, high) in self.ranges.items():
                number = JsonNumber("attributes", code)
                if low is not None:
                    qs = qs.filter(GreaterThanOrEqual(number, low))
                if high is not None:
                    qs = qs.filter(LessThanOrEqual(number, high))
        return qs

    def name_expression(self) -> Any:
        """The product name in the listing's language, falling back to German."""
        if self.language == "de":
            return Coalesce(NullIf(F("name_de"), Value("")), F("name_en"))
        return Coalesce(NullIf(F(f"name_{self.language}"), Value("")), F("name_de"))

    def queryset(self) -> QuerySet:
        """Filtered and sorted products (not paged), with their brand."""
        qs = self.filtered().select_related("brand")
        if self.sort in ("price", "price-desc"):
            if self.price_lists:
                qs = qs.annotate(list_price=list_price_subquery(self.price_lists))
                key = F("list_price")
                key = (
                    key.asc(nulls_last=True) if self.sort == "price" else key.desc(nulls_last=True)
                )
                return qs.order_by(key, "sku")
            return qs.order_by("sku")
        if self.sort == "newest":
            return qs.order_by("-created_at", "-pk")
        if self.sort == "sku":
            return qs.order_by("sku")
        return qs.alias(listing_name=self.name_expression()).order_by("listing_name", "sku")

    def page(self, number: Any = 1) -> ListingPage:
        """Page ``number`` (1-based, clamped to the last page): the count (cached, see
        :meth:`cached`), one LIMIT query (two at the seam of a price sort), plus the images
        of the products shown (two queries)."""
        count = self.cached("count", lambda: self.filtered().count())
        num_pages = max(1, math.ceil(count / self.page_size))
        current = min(parse_page(number), num_pages)
        offset = (current - 1) * self.page_size
        products: list[Product] = []
        if count:
            products = self._slice(offset, offset + self.page_size)
            prefetch_related_objects(products, first_image_prefetch())
        for product in products:
            images = getattr(product, "listing_images", [])
            product.first_image = images[0].image if images else None
        return ListingPage(products, current, num_pages, count, self.page_size)

    def _slice(self, start: int, end: int) -> list[Product]:
        """Products ``start:end`` of :meth:`queryset`'s order.

        Sorting by the price of a single price list is done in two parts, so PostgreSQL can
        read the prices in order from the ``catalog_listing_price`` index instead of pricing
        and sorting every product: first the products with a price (joined to their entry,
        by amount, then SKU), then those without one (by SKU) — the same order as
        :meth:`queryset` (prices ascending or descending, nulls last, then SKU).
        """
        if self.sort not in ("price", "price-desc") or len(self.price_lists) != 1:
            return list(self.queryset()[start:end])
        price_list = self.price_lists[0]
        entry = PriceEntry.objects.using(self.using).filter(
            product_id=OuterRef("pk"),
            price_list_id=price_list,
            variant__isnull=True,
            min_quantity=1,
        )
        priced_count = self.cached(
            f"priced-{price_list}", lambda: self.filtered().filter(Exists(entry)).count()
        )
        products: list[Product] = []
        if start < priced_count:
            # driven by the price entries in amount order; each checked against the filters
            amount = "amount" if self.sort == "price" else "-amount"
            rows = list(
                PriceEntry.objects.using(self.using)
                .filter(price_list_id=price_list, variant__isnull=True, min_quantity=1)
                .filter(Exists(self.filtered().filter(pk=OuterRef("product_id"))))
                .order_by(amount, "product__sku")
                .values_list("product_id", "amount")[start : min(end, priced_count)]
            )
            by_id = (
                Product.objects.using(self.using)
                .select_related("brand")
                .in_bulk([product_id for product_id, _amount in rows])
            )
            for product_id, unit_price in rows:
                product = by_id[product_id]
                product.list_price = unit_price
                products.append(product)
        if end > priced_count:
            unpriced = (
                self.filtered()
                .select_related("brand")
                .exclude(Exists(entry))
                .annotate(list_price=Value(None, output_field=DecimalField()))
                .order_by("sku")
            )
            products += unpriced[max(start - priced_count, 0) : end - priced_count]
        return products

    # cached aggregates ------------------------------------------------------------------

    def cache_key(self, kind: str) -> str:
        """The cache key of aggregate ``kind`` for this category and these selections.

        The selections are normalised (sorted, validated), so equivalent URLs share entries;
        page and sort are not part of it. The content generation is: every catalog change
        (products, prices, stock, categories, imports) bumps it, so a change shows at once.
        """
        self._parse()
        selections = [
            sorted((a.code, a.type) for a in self.attributes),  # the facets offered
            sorted(self.brands),
            self.in_stock,
            sorted((code, sorted(values)) for code, values in self.choices.items()),
            sorted(self.booleans.items()),
            sorted((code, list(bounds)) for code, bounds in self.ranges.items()),
        ]
        digest = hashlib.sha256(json.dumps(selections).encode()).hexdigest()[:24]
        if self._generation is None:
            from magpie.pagecache import generation

            self._generation = generation()
        return (
            f"magpie:catalog:listing:{self.using}:{self._generation}:"
            f"{self.category.pk}:{kind}:{digest}"
        )

    def cached(self, kind: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept in Django's cache under :meth:`cache_key` for
        ``MAGPIE_CATALOG_LISTING_CACHE_SECONDS`` (default a day; ``0``: no caching)."""
        seconds = int(getattr(settings, "MAGPIE_CATALOG_LISTING_CACHE_SECONDS", 24 * 3600) or 0)
        if seconds <= 0:
            return compute()
        key = self.cache_key(kind)
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, seconds)
        return value

    # facets -----------------------------------------------------------------------------

    def facets(self) -> list[Facet]:
        """Brand, availability and attribute facets with counts.

        The numbers come from :meth:`_facet_numbers`, cached per category and selections
        under the content generation (:meth:`cached`); labels are added on every request.
        """
        self._parse()
        numbers_cached = self.cached("facets", self._facet_numbers)
        counts: dict[str, dict[str, int]] = numbers_cached["counts"]
        bounds: dict[str, Any] = numbers_cached["bounds"]
        facets: list[Facet] = [self._brand_facet(numbers_cached["brands"])]
        for attribute in self.attributes:
            facet = Facet(
                code=attribute.code,
                label=attribute.label,
                type=attribute.type,
                param=f"f.{attribute.code}",
                unit=attribute.unit,
            )
            if attribute.type == Attribute.Type.NUMBER:
                facet.minimum = bounds.get(f"min_{attribute.code}")
                facet.maximum = bounds.get(f"max_{attribute.code}")
                facet.selected_min, facet.selected_max = self.ranges.get(
                    attribute.code, (None, None)
                )
                if facet.minimum is None and not facet.active:
                    continue  # no product has a value: nothing to filter
            elif attribute.type == Attribute.Type.BOOLEAN:
                found = counts.get(attribute.code, {})
                chosen = self.booleans.get(attribute.code)
                facet.options = [
                    FacetOption("1", _("Yes"), found.get("true", 0), chosen is True),
                    FacetOption("0", _("No"), found.get("false", 0), chosen is False),
                ]
                if not any(o.count for o in facet.options) and not facet.active:
                    continue
            else:
                found = counts.get(attribute.code, {})
                chosen = self.choices.get(attribute.code, [])
                facet.options = [
                    FacetOption(o.code, o.label, found.get(o.code, 0), o.code in chosen)
                    for o in attribute.listing_options
                    if found.get(o.code) or o.code in chosen
                ]
                if not facet.options:
                    continue
            facets.append(facet)
        facets.append(self._stock_facet(numbers_cached["in_stock"]))
        return [f for f in facets if f.options or f.type == Attribute.Type.NUMBER]

    def _facet_numbers(self) -> dict[str, Any]:
        """Every number the facets show, as plain data (what :meth:`cached` stores).

        Queries: one for the value counts of every choice and yes/no attribute without a
        selection, one more per attribute with a selection (its counts ignore its own
        selection, so options can be added), one for the number ranges, one for brands and
        one for availability.
        """
        countable = [
            a
            for a in self.attributes
            if a.type
            in (Attribute.Type.CHOICE, Attribute.Type.MULTI_CHOICE, Attribute.Type.BOOLEAN)
        ]
        free = [
            a.code for a in countable if a.code not in self.choices and a.code not in self.booleans
        ]
        counts = value_counts(self.filtered(), free, self.using) if free else {}
        for attribute in countable:
            if attribute.code not in free:
                own = value_counts(self.filtered(skip=attribute.code), [attribute.code], self.using)
                counts[attribute.code] = own.get(attribute.code, {})
        numbers = [a for a in self.attributes if a.type == Attribute.Type.NUMBER]
        bounds: dict[str, Any] = {}
        if numbers:
            aggregates: dict[str, Any] = {}
            for attribute in numbers:
                value = JsonNumber("attributes", attribute.code)
                aggregates[f"min_{attribute.code}"] = Min(value)
                aggregates[f"max_{attribute.code}"] = Max(value)
            bounds = self.filtered(skip="ranges").aggregate(**aggregates)
        brands = [
            (r["brand__slug"], r["brand__name"], r["n"])
            for r in self.filtered(skip="brand")
            .filter(brand__isnull=False)
            .order_by()
            .values("brand__slug", "brand__name")
            .annotate(n=Count("pk"))
            .order_by("brand__name")
        ]
        in_stock = self.filtered(skip="in_stock").filter(in_stock_expression()).count()
        return {"counts": counts, "bounds": bounds, "brands": brands, "in_stock": in_stock}

    def _brand_facet(self, rows: list[tuple[str, str, int]]) -> Facet:
        facet = Facet(code="brand", label=_("Brand"), type="brand", param="brand")
        facet.options = [FacetOption(slug, name, n, slug in self.brands) for slug, name, n in rows]
        return facet

    def _stock_facet(self, count: int) -> Facet:
        facet = Facet(
            code="in_stock", label=_("Availability"), type="availability", param="in_stock"
        )
        if count or self.in_stock:
            facet.options = [FacetOption("1", _("In stock"), count, self.in_stock)]
        return facet
