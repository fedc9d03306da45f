"""The catalog's sections of the sitemap index: categories and products per catalog page.

Products are not Wagtail pages, so the host's ``pages`` section cannot list them. For every
live, public catalog page of the request's site (one per language), the ``sitemaps`` hook
adds ``catalog-<lang>`` (its category listings) and ``products-<lang>`` (the detail page of
every active product, 50,000 per sitemap file, read in primary-key order).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.db.models import Q
from django.http import HttpRequest

from magpie_catalog.models import Category, Product
from magpie_catalog.pages import CatalogPage, sku_to_url


class CatalogSitemap(Sitemap):
    """Base of the catalog's sections: URLs below one catalog page on the request's site."""

    limit = 50_000

    def __init__(self, page: CatalogPage, request: HttpRequest) -> None:
        self.page = page
        # The page's own site address, as in Wagtail's section (not the request's host).
        url = urlsplit(page.get_full_url(request) or "/")
        self.protocol = url.scheme or None
        self.domain = url.netloc
        self.base_url = url.path

    def get_domain(self, site: Any = None) -> str:
        """The catalog page's host (the request's when the page has no full URL)."""
        return self.domain or super().get_domain(site)


class CategorySitemap(CatalogSitemap):
    """The category listings in the page's scope (the whole tree or its root's subtree)."""

    def items(self) -> list[str]:
        """Category paths (``parent/child``), read in one query."""
        categories = Category.objects.order_by("path").only("path", "depth", "slug")
        root = self.page.root_category
        if root is not None:
            categories = categories.filter(path__startswith=root.path, depth__gt=root.depth)
        slug_paths: dict[str, str] = {}
        steplen = Category.steplen
        for category in categories:
            parent = slug_paths.get(category.path[:-steplen])
            slug_paths[category.path] = f"{parent}/{category.slug}" if parent else category.slug
        return list(slug_paths.values())

    def location(self, item: str) -> str:
        return f"{self.base_url}{item}/"


class ProductSitemap(CatalogSitemap):
    """The detail pages of the active products in the page's scope."""

    def items(self):
        """Active products by primary key (the paginator slices the query per file)."""
        products = Product.objects.filter(status=Product.Status.ACTIVE)
        root = self.page.root_category
        if root is not None:
            in_scope = Category.objects.filter(path__startswith=root.path, depth__gt=root.depth)
            products = products.filter(Q(categories__in=in_scope)).distinct()
        return products.order_by("pk").only("sku", "updated_at")

    def location(self, item: Product) -> str:
        return f"{self.base_url}p/{sku_to_url(item.sku)}/"

    def lastmod(self, item: Product) -> Any:
        return item.updated_at


def catalog_sitemaps(request: HttpRequest) -> dict[str, Sitemap]:
    """``{"catalog-de": …, "products-de": …, …}`` for the catalog pages of the site."""
    from wagtail.models import Site

    from magpie.content.models import in_site_tree

    site = Site.find_for_request(request)
    if site is None:
        return {}
    pages = (
        CatalogPage.objects.filter(in_site_tree(site))
        .live()
        .public()
        .select_related("locale", "root_category")
        .order_by("path")
    )
    sections: dict[str, Sitemap] = {}
    for page in pages:
        name = page.locale.language_code
        if f"products-{name}" in sections:  # a second catalog in the same language
            name = f"{name}-{page.pk}"
        sections[f"catalog-{name}"] = CategorySitemap(page, request)
        sections[f"products-{name}"] = ProductSitemap(page, request)
    return sections
