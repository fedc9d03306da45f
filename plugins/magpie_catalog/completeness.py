"""Completeness per product and language, as PIM tools measure it.

A product is complete in a language when it has a name, a short and a long description in
that language, at least one image, and a value for every attribute its categories require.
The score is the share of these checks passed, in percent, stored on the product
(``completeness_de``, ``completeness_en``) so lists can show and filter it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import strip_tags

from magpie_catalog.models import LANGUAGES, CategoryAttribute, Product, ProductImage

TEXT_FIELDS = ("name", "short_description", "description")
BATCH = 2000


def required_attributes_by_category() -> dict[int, set[str]]:
    """Required attribute codes of every category (one query)."""
    required: dict[int, set[str]] = {}
    for category_id, code in CategoryAttribute.objects.filter(required=True).values_list(
        "category_id", "attribute__code"
    ):
        required.setdefault(category_id, set()).add(code)
    return required


def missing(
    product: Product,
    language: str,
    required_codes: set[str],
    has_image: bool,
) -> list[str]:
    """What ``product`` lacks in ``language``: field names and ``attribute:<code>`` items."""
    gaps = [
        name
        for name in TEXT_FIELDS
        if not strip_tags(getattr(product, f"{name}_{language}", "") or "").strip()
    ]
    if not has_image:
        gaps.append("image")
    values = product.attributes or {}
    gaps += [
        f"attribute:{code}" for code in sorted(required_codes) if values.get(code) in (None, "", [])
    ]
    return gaps


def score(product: Product, language: str, required_codes: set[str], has_image: bool) -> int:
    """Completeness of ``product`` in ``language`` in percent (0–100)."""
    total = len(TEXT_FIELDS) + 1 + len(required_codes)
    gaps = len(missing(product, language, required_codes, has_image))
    return round(100 * (total - gaps) / total)


def _chunks(product_ids: Iterable[int] | None) -> Iterable[list[Product]]:
    fields = ["pk", "attributes", "completeness_de", "completeness_en"]
    fields += [f"{name}_{code}" for name in TEXT_FIELDS for code in LANGUAGES]
    queryset = Product.objects.order_by("pk").only(*fields)
    if product_ids is not None:
        ids = sorted(set(product_ids))
        for start in range(0, len(ids), BATCH):
            yield list(queryset.filter(pk__in=ids[start : start + BATCH]))
        return
    last = 0
    while batch := list(queryset.filter(pk__gt=last)[:BATCH]):
        last = batch[-1].pk
        yield batch


def update_completeness(product_ids: Iterable[int] | None = None) -> int:
    """Recompute and store completeness for the given products (all when ``None``).

    Works in batches of 2000 with four queries each; returns how many products changed.
    """
    required = required_attributes_by_category()
    changed = 0
    for batch in _chunks(product_ids):
        ids = [p.pk for p in batch]
        with_image = set(
            ProductImage.objects.filter(product_id__in=ids).values_list("product_id", flat=True)
        )
        categories: dict[int, set[int]] = {}
        for product_id, category_id in Product.categories.through.objects.filter(
            product_id__in=ids
        ).values_list("product_id", "category_id"):
            categories.setdefault(product_id, set()).add(category_id)
        updates = []
        for product in batch:
            codes: set[str] = set()
            for category_id in categories.get(product.pk, ()):
                codes |= required.get(category_id, set())
            scores = {
                code: score(product, code, codes, product.pk in with_image) for code in LANGUAGES
            }
            if (product.completeness_de, product.completeness_en) != (scores["de"], scores["en"]):
                product.completeness_de, product.completeness_en = scores["de"], scores["en"]
                updates.append(product)
        Product.objects.bulk_update(updates, ["completeness_de", "completeness_en"])
        changed += len(updates)
    return changed
