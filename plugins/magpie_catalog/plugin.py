"""The catalog's hook implementations (the entry point ``magpie.plugins: catalog``)."""

from __future__ import annotations

from typing import Any

from magpie.hookspecs import hookimpl


@hookimpl
def django_apps() -> list[str]:
    return ["magpie_catalog"]


@hookimpl(trylast=True)
def resolve_price(
    product: Any, variant: Any, quantity: int, company: Any, currency: str, at: Any
) -> Any:
    """The most specific valid price list's tier for the quantity (company > group > all)."""
    from magpie_catalog.prices import resolve

    return resolve(product, variant, quantity, company, currency, at)


@hookimpl(trylast=True)
def resolve_prices(items: list[Any], company: Any, currency: str, at: Any) -> list[Any]:
    """:func:`resolve_price` for a whole cart in two queries."""
    from magpie_catalog.prices import resolve_many

    return resolve_many(items, company, currency, at)


@hookimpl
def demo_data(stdout: Any) -> None:
    from magpie_catalog.demo import load_demo

    load_demo(stdout)


@hookimpl
def sitemaps(request: Any) -> dict[str, Any]:
    """Category listings and product pages of the site's catalog pages, per language."""
    from magpie_catalog.sitemaps import catalog_sitemaps

    return catalog_sitemaps(request)
