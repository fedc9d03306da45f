"""Product documents: what every engine indexes about a product, built in batches.

:func:`product_documents` reads a batch of products with five queries (products with
brands, category links, price entries, stock, plus the attribute definitions once) and
returns one plain dict per active product — the OpenSearch document as it is, and the
source of the database engine's :class:`~magpie_search.models.ProductDocument` row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import F
from django.utils.html import strip_tags

from magpie_search.text import normalize_sku, tokens

#: Products read per batch when (re)indexing.
BATCH_SIZE = 1000


class Vocabulary:
    """Attribute definitions and the category tree, read once per indexing run."""

    def __init__(self) -> None:
        from magpie_catalog.models import Attribute, AttributeOption, Category

        self.types: dict[str, str] = dict(Attribute.objects.values_list("code", "type"))
        self.option_labels: dict[tuple[str, str], list[str]] = {}
        for code, option, label_de, label_en in AttributeOption.objects.values_list(
            "attribute__code", "code", "label_de", "label_en"
        ):
            self.option_labels[(code, option)] = [label_de, label_en]
        categories = list(Category.objects.values_list("pk", "path", "name_de", "name_en"))
        by_path = {path: pk for pk, path, _de, _en in categories}
        steplen = Category.steplen
        self.category_chain: dict[int, list[int]] = {}
        self.category_names: dict[int, list[str]] = {}
        for pk, path, name_de, name_en in categories:
            self.category_chain[pk] = [
                by_path[path[:n]]
                for n in range(steplen, len(path) + 1, steplen)
                if path[:n] in by_path
            ]
            self.category_names[pk] = [name_de, name_en]


def _plain(html: str) -> str:
    return strip_tags(html or "").replace("&nbsp;", " ")


def product_documents(ids: Iterable[int], vocabulary: Vocabulary | None = None) -> dict[int, Any]:
    """``{product id: document}`` for the active products among ``ids``.

    Ids of products that are missing or not active are left out: the caller removes them
    from the index.
    """
    from magpie_catalog.models import PriceEntry, Product, StockLevel

    ids = list(ids)
    vocabulary = vocabulary or Vocabulary()
    products = list(
        Product.objects.filter(pk__in=ids, status=Product.Status.ACTIVE)
        .select_related("brand")
        .only(
            "pk",
            "sku",
            "name_de",
            "name_en",
            "short_description_de",
            "short_description_en",
            "description_de",
            "description_en",
            "brand__slug",
            "brand__name",
            "attributes",
            "created_at",
        )
    )
    found = [p.pk for p in products]
    categories: dict[int, list[int]] = defaultdict(list)
    for product_id, category_id in Product.categories.through.objects.filter(
        product_id__in=found
    ).values_list("product_id", "category_id"):
        categories[product_id].append(category_id)
    prices: dict[int, dict[str, float]] = defaultdict(dict)
    for product_id, list_id, amount in PriceEntry.objects.filter(
        product_id__in=found, variant__isnull=True, min_quantity=1, price_list__active=True
    ).values_list("product_id", "price_list_id", "amount"):
        prices[product_id][str(list_id)] = float(amount)
    in_stock = set(
        StockLevel.objects.filter(product_id__in=found, on_hand__gt=F("reserved")).values_list(
            "product_id", flat=True
        )
    )
    return {
        product.pk: _document(
            product, vocabulary, categories[product.pk], prices[product.pk], product.pk in in_stock
        )
        for product in products
    }


def _document(
    product: Any,
    vocabulary: Vocabulary,
    category_ids: list[int],
    prices: dict[str, float],
    in_stock: bool,
) -> dict[str, Any]:
    chain: list[int] = []
    category_text: list[str] = []
    for category_id in category_ids:
        for pk in vocabulary.category_chain.get(category_id, [category_id]):
            if pk not in chain:
                chain.append(pk)
        category_text += vocabulary.category_names.get(category_id, [])
    options: dict[str, list[str]] = {}
    numbers: dict[str, float] = {}
    value_text: list[str] = []
    for code, value in (product.attributes or {}).items():
        kind = vocabulary.types.get(code)
        if kind in ("choice", "multi_choice"):
            values = [str(v) for v in (value if isinstance(value, list) else [value])]
            options[code] = values
            for v in values:
                value_text += vocabulary.option_labels.get((code, v), [v])
        elif kind == "boolean" and isinstance(value, bool):
            options[code] = ["true" if value else "false"]
        elif kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            numbers[code] = float(value)
            value_text.append(str(value))
        elif kind == "text" and isinstance(value, str):
            value_text.append(value)
    brand = product.brand
    sku_norm = normalize_sku(product.sku)
    return {
        "id": product.pk,
        "sku": product.sku,
        "sku_norm": sku_norm,
        "name_de": product.name_de,
        "name_en": product.name_en or product.name_de,
        "summary_de": product.short_description_de,
        "summary_en": product.short_description_en or product.short_description_de,
        "description_de": _plain(product.description_de),
        "description_en": _plain(product.description_en),
        "brand": brand.slug if brand else None,
        "brand_name": brand.name if brand else "",
        "categories": chain,
        "category_text": " ".join(category_text),
        "attribute_text": " ".join(value_text),
        "opt": options,
        "num": numbers,
        "prices": prices,
        "in_stock": in_stock,
        "created_at": product.created_at.isoformat() if product.created_at else None,
    }


def document_text(document: dict[str, Any]) -> str:
    """The folded words the database engine matches, with a leading space."""
    parts = [
        document["sku"],
        document["sku_norm"],
        document["name_de"],
        document["name_en"],
        document["brand_name"],
        document["category_text"],
        document["attribute_text"],
        document["summary_de"],
        document["summary_en"],
        document["description_de"],
        document["description_en"],
    ]
    return " " + " ".join(tokens(" ".join(p for p in parts if p))) + " "
