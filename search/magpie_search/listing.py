"""Product search and listings with facets: one API, two engines.

:class:`SearchListing` extends the catalog's SQL listing engine
(:class:`magpie_catalog.filters.ProductFilter`: same constructor, ``page()``, ``facets()``
and URL parameters) with a keyword query, a category facet, a price range in the visitor's
price lists and the ``relevance`` sort. :class:`DatabaseSearch` computes everything with SQL;
:class:`EngineSearch` asks OpenSearch/Elasticsearch, one request per page and one for the
facets. Extra URL parameters:

==========================  ===============================================================
``q``                       the keyword query (see :func:`magpie_search.text.parse_query`)
``category``                a category slug: search in that category and below
``price.min/.max``          a unit-price range in the visitor's currency
``sort=relevance``          best match first (the default when there is a query)
==========================  ===============================================================
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping
from typing import Any

from django.db import connections
from django.db.models import F, Max, Min, QuerySet, Value
from django.utils.translation import pgettext_lazy

from magpie_catalog.filters import (
    DEFAULT_SORT,
    Facet,
    FacetOption,
    ListingPage,
    ProductFilter,
    _first,
    first_image_prefetch,
    list_price_subquery,
    parse_number,
    parse_page,
)
from magpie_catalog.models import Brand, Category, Product
from magpie_search.engines import EngineUnavailable
from magpie_search.facets import Candidate, facet_numbers, passes, price_bounds, scope_counts
from magpie_search.text import Query, parse_query

logger = logging.getLogger(__name__)

SEARCH_SORTS = ("relevance", "name", "price", "price-desc", "newest", "sku")


class SearchListing(ProductFilter):
    """A listing with an optional query and an optional category (``None``: everything)."""

    def __init__(
        self,
        category: Category | None,
        params: Mapping[str, Any],
        *,
        query: Query | None = None,
        **options: Any,
    ) -> None:
        super().__init__(category, params, **options)  # type: ignore[arg-type]
        self.query = query if query is not None else parse_query(_first(params, "q"))
        sort = _first(params, "sort")
        if sort in SEARCH_SORTS:
            self.sort = sort
        else:
            self.sort = "relevance" if self.query else DEFAULT_SORT
        if self.sort == "relevance" and not self.query:
            self.sort = DEFAULT_SORT

    # selections --------------------------------------------------------------------------

    @property
    def attributes(self) -> list[Any]:
        """A category's filterable attributes; none across the whole catalog."""
        return super().attributes if self.category is not None else []

    def _parse(self) -> None:
        if self._parsed:
            return
        super()._parse()
        low = parse_number(_first(self.params, "price.min"))
        high = parse_number(_first(self.params, "price.max"))
        self.price_range = (low, high) if self.price_lists and (low, high) != (None, None) else None

    @property
    def selections(self) -> dict[str, Any]:
        selections = super().selections
        selections["price"] = self.price_range
        selections["query"] = self.query.words
        return selections

    def cache_key(self, kind: str) -> str:
        self._parse()
        extra = json.dumps([self.query.words, self.query.sku, self.price_range, self.price_lists])
        digest = hashlib.sha256(extra.encode()).hexdigest()[:16]
        if self.category is not None:
            return f"{super().cache_key(kind)}:{digest}"
        from magpie.pagecache import generation

        if self._generation is None:
            self._generation = generation()
        selections = json.dumps(
            [sorted(self.brands), self.in_stock], sort_keys=True
        )  # no category: no attributes
        digest = hashlib.sha256((extra + selections).encode()).hexdigest()[:24]
        return f"magpie:search:listing:{self.using}:{self._generation}:all:{kind}:{digest}"

    # facets added to the catalog's ---------------------------------------------------------

    def facets(self) -> list[Facet]:
        """Categories first, then the catalog's facets with the price range after brands."""
        facets = super().facets()
        extra = self.cached("search-facets", self._extra_numbers)
        category_facet = self._category_facet(extra["categories"])
        price_facet = self._price_facet(extra["price"])
        brand_at = 1 if facets and facets[0].code == "brand" else 0
        if price_facet is not None:
            facets.insert(brand_at, price_facet)
        if category_facet is not None:
            facets.insert(0, category_facet)
        return facets

    def _extra_numbers(self) -> dict[str, Any]:
        raise NotImplementedError

    def scope_children(self) -> list[Category]:
        """The categories the category facet offers: the scope's children (or the roots)."""
        if self.category is None:
            return list(Category.objects.using(self.using).filter(depth=1))
        return list(
            Category.objects.using(self.using).filter(
                path__startswith=self.category.path, depth=self.category.depth + 1
            )
        )

    def _category_facet(self, counts: dict[int, int]) -> Facet | None:
        facet = Facet(
            code="category",
            label=pgettext_lazy("search page", "Category"),
            type="category",
            param="category",
        )
        children = sorted(self.scope_children(), key=lambda c: str(c.name))
        facet.options = [
            FacetOption(c.slug, c.name, counts[c.pk]) for c in children if counts.get(c.pk)
        ]
        return facet if facet.options else None

    def _price_facet(self, bounds: tuple[float | None, float | None]) -> Facet | None:
        if not self.price_lists or bounds[0] is None:
            return None
        facet = Facet(
            code="price", label=pgettext_lazy("search page", "Price"), type="number", param="price"
        )
        facet.minimum, facet.maximum = bounds
        facet.selected_min, facet.selected_max = self.price_range or (None, None)
        return facet


class DatabaseSearch(SearchListing):
    """The listing and search engine in SQL (SQLite and PostgreSQL).

    With a query whose matches were read as ids (PostgreSQL, up to
    :data:`~magpie_search.engines.database.MAX_MATCH_IDS`), the candidates are read once
    and every count and facet is computed in Python (:mod:`magpie_search.facets`); otherwise
    each is one SQL aggregate, cached like the catalog's.
    """

    _match: Any = None
    _rows: list[Candidate] | None = None

    def engine(self) -> Any:
        from magpie_search.engines.database import DatabaseEngine

        return DatabaseEngine()

    def base_queryset(self) -> QuerySet:
        if self.category is not None:
            qs = super().base_queryset()
        else:
            qs = Product.objects.using(self.using).filter(status=Product.Status.ACTIVE)
        if self.query:
            if self._match is None:
                self._match = self.engine().match_filter(self.query)
            qs = qs.filter(self._match)
        return qs

    def candidates(self) -> list[Candidate] | None:
        """The products in scope that match the query, before any facet selection, or
        ``None`` when they are too many (or there is no query) to count in Python."""
        from magpie_search.engines.database import AnyOf

        if not self.query:
            return None
        qs = self.base_queryset()
        if not isinstance(self._match, AnyOf):
            return None
        if self._rows is None:
            from magpie_catalog.models import StockLevel

            fields = ["pk", "brand__slug", "brand__name", "attributes"]
            if self.price_lists:
                qs = qs.annotate(unit=list_price_subquery(self.price_lists))
                fields.append("unit")
            found = list(qs.order_by().values_list(*fields))
            # stock by index lookups on the candidates (an EXISTS per row makes the planner
            # hash every stock row of the catalog)
            stocked = set(
                StockLevel.objects.using(self.using)
                .filter(AnyOf(F("product_id"), [row[0] for row in found]))
                .filter(on_hand__gt=F("reserved"))
                .values_list("product_id", flat=True)
            )
            self._rows = [
                Candidate(
                    id=row[0],
                    brand_slug=row[1],
                    brand_name=row[2],
                    attributes=row[3] if isinstance(row[3], dict) else {},
                    in_stock=row[0] in stocked,
                    unit_price=float(row[4]) if len(row) > 4 and row[4] is not None else None,
                )
                for row in found
            ]
        return self._rows

    def cached(self, kind: str, compute: Any) -> Any:
        rows = self.candidates()
        if rows is None:
            return super().cached(kind, compute)
        self._parse()
        if kind == "count":
            return sum(1 for row in rows if passes(row, self))
        if kind.startswith("priced-"):  # the price sort's seam: products with a price
            return sum(1 for row in rows if row.unit_price is not None and passes(row, self))
        return compute()

    def _facet_numbers(self) -> dict[str, Any]:
        rows = self.candidates()
        return super()._facet_numbers() if rows is None else facet_numbers(rows, self)

    def filtered(self, *, skip: str = "") -> QuerySet:
        qs = super().filtered(skip=skip)
        if self.price_range and skip != "price":
            low, high = self.price_range
            qs = qs.annotate(search_price=list_price_subquery(self.price_lists))
            if low is not None:
                qs = qs.filter(search_price__gte=low)
            if high is not None:
                qs = qs.filter(search_price__lte=high)
        return qs

    def queryset(self) -> QuerySet:
        if self.sort != "relevance":
            return super().queryset()
        from django.db.models import Case, IntegerField, OuterRef, Subquery, When

        from magpie_search.models import ProductDocument

        rank = Subquery(
            ProductDocument.objects.filter(pk=OuterRef("pk"))
            .annotate(score=self.engine().rank(self.query))
            .values("score")[:1]
        )
        exact = Case(
            When(sku__iexact=self.query.text, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        return (
            self.filtered()
            .select_related("brand")
            .alias(exact=exact, score=rank, listing_name=self.name_expression())
            .order_by(F("exact").desc(), F("score").desc(nulls_last=True), "listing_name", "sku")
        )

    def _extra_numbers(self) -> dict[str, Any]:
        return {"categories": self._category_counts(), "price": self._price_bounds()}

    def _category_counts(self) -> dict[int, int]:
        """Matching products per child of the scope, one query.

        The matches are computed first (a ``MATERIALIZED`` CTE on PostgreSQL), then joined to
        their category links by product id: the planner cannot be tempted into scanning
        every link of the catalog for a query that matches a few thousand products.
        """
        children = self.scope_children()
        if not children:
            return {}
        by_path = {c.path: c.pk for c in children}
        length = children[0].depth * Category.steplen
        rows = self.candidates()
        if rows is not None:
            from magpie_search.engines.database import AnyOf

            ids = [row.id for row in rows if passes(row, self)]
            links = (
                Product.categories.through.objects.using(self.using)
                .filter(AnyOf(F("product_id"), ids))
                .values_list("product_id", "category__path")
            )
            return scope_counts(list(links), length, by_path)
        connection = connections[self.using]
        matches, params = self.filtered().values("pk").query.sql_with_params()
        materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        links = Product.categories.through._meta.db_table
        categories = Category._meta.db_table
        sql = (
            f"WITH matches (id) AS {materialized}({matches}) "
            f"SELECT SUBSTR(c.path, 1, %s) AS scope, COUNT(DISTINCT l.product_id) "
            f"FROM matches m JOIN {links} l ON l.product_id = m.id "
            f"JOIN {categories} c ON c.id = l.category_id "
            f"WHERE c.path LIKE %s AND c.depth >= %s GROUP BY scope"
        )
        prefix = children[0].path[: -Category.steplen] + "%"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, length, prefix, children[0].depth])
            rows = cursor.fetchall()
        return {by_path[scope]: n for scope, n in rows if scope in by_path}

    def _price_bounds(self) -> tuple[float | None, float | None]:
        """Lowest and highest unit price of the matches (ignoring the price selection)."""
        if not self.price_lists:
            return (None, None)
        rows = self.candidates()
        if rows is not None:
            return price_bounds(rows, self)
        found = (
            self.filtered(skip="price")
            .annotate(search_price=list_price_subquery(self.price_lists))
            .aggregate(low=Min("search_price"), high=Max("search_price"))
        )
        if found["low"] is None:
            return (None, None)
        return (float(found["low"]), float(found["high"]))


class EngineSearch(SearchListing):
    """The listing and search engine on OpenSearch/Elasticsearch.

    ``page()`` and ``facets()`` raise :class:`~magpie_search.engines.EngineUnavailable`
    when the engine cannot answer; the callers decide (the catalog falls back to SQL, the
    search page answers 503).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._response: dict[str, Any] | None = None

    def engine(self) -> Any:
        from magpie_search.engines import get_engine

        return get_engine()

    def cached(self, kind: str, compute: Any) -> Any:
        return compute()  # the engine answers in milliseconds; nothing to keep

    def page(self, number: Any = 1) -> ListingPage:
        self._parse()
        requested = parse_page(number)
        offset = (requested - 1) * self.page_size
        response = self.engine().search_products(self, offset=offset, size=self.page_size)
        count = response["total"]
        num_pages = max(1, math.ceil(count / self.page_size))
        if requested > num_pages and count:
            return self.page(num_pages)
        ids = response["ids"]
        by_id = Product.objects.using(self.using).select_related("brand").in_bulk(ids)
        products = [by_id[pk] for pk in ids if pk in by_id]
        from django.db.models import prefetch_related_objects

        prefetch_related_objects(products, first_image_prefetch())
        for product in products:
            images = getattr(product, "listing_images", [])
            product.first_image = images[0].image if images else None
        return ListingPage(products, requested, num_pages, count, self.page_size)

    def _facet_response(self) -> dict[str, Any]:
        if self._response is None:
            self._response = self.engine().facet_products(self)
        return self._response

    def _facet_numbers(self) -> dict[str, Any]:
        found = self._facet_response()
        slugs = [slug for slug, _n in found["brands"]]
        names = dict(
            Brand.objects.using(self.using).filter(slug__in=slugs).values_list("slug", "name")
        )
        brands = sorted(
            ((slug, names[slug], n) for slug, n in found["brands"] if slug in names),
            key=lambda row: row[1],
        )
        return {
            "counts": found["counts"],
            "bounds": found["bounds"],
            "brands": brands,
            "in_stock": found["in_stock"],
        }

    def _extra_numbers(self) -> dict[str, Any]:
        found = self._facet_response()
        return {"categories": found["categories"], "price": found["price"]}


class CatalogEngineListing(EngineSearch):
    """A catalog category listing on the engine; the catalog's SQL answers instead while
    the engine is unreachable (the shop keeps working, a little slower)."""

    _sql: ProductFilter | None = None

    def _fallback(self, exc: Exception) -> ProductFilter:
        if self._sql is None:
            logger.warning("Search engine unavailable, listing in SQL: %s", exc)
            self._sql = ProductFilter(
                self.category,
                self.params,
                price_lists=self.price_lists,
                language=self.language,
                page_size=self.page_size,
                using=self.using,
            )
        return self._sql

    def page(self, number: Any = 1) -> ListingPage:
        try:
            return super().page(number)
        except EngineUnavailable as exc:
            return self._fallback(exc).page(number)

    def facets(self) -> list[Facet]:
        if self._sql is not None:
            return self._sql.facets()
        try:
            return super().facets()
        except EngineUnavailable as exc:
            return self._fallback(exc).facets()


def selection_filters(listing: SearchListing) -> dict[str, Any]:
    """What the listing filters on, for the search log (plain JSON)."""
    listing._parse()
    data: dict[str, Any] = {}
    if listing.category is not None:
        data["category"] = listing.category.slug
    for key, value in listing.selections.items():
        if key != "query" and value:
            data[key] = value
    return data


def category_from_params(params: Mapping[str, Any]) -> Category | None:
    """The category named by the ``category`` parameter, or ``None``."""
    slug = _first(params, "category")
    if not slug or len(slug) > 120:
        return None
    return Category.objects.filter(slug=slug).first()


__all__ = [
    "CatalogEngineListing",
    "DatabaseSearch",
    "EngineSearch",
    "SearchListing",
    "category_from_params",
    "selection_filters",
]
