"""Domain events and page-cache invalidation for catalog changes made through the ORM.

Bulk imports emit their own summarising events (see :mod:`magpie_catalog.importing`).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from magpie import pagecache
from magpie.events.outbox import emit
from magpie_catalog.models import (
    Attribute,
    AttributeOption,
    Brand,
    Category,
    CategoryAttribute,
    PriceEntry,
    PriceList,
    Product,
    ProductDocument,
    ProductImage,
    ProductRelation,
    StockLevel,
    Variant,
)

PRODUCT_PARTS = (Product, Variant, ProductImage, ProductDocument, ProductRelation)


def _product_of(instance: Any) -> Any:
    return instance if isinstance(instance, Product) else getattr(instance, "product", None)


@receiver([post_save, post_delete])
def catalog_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    """Emit ``product.changed``, ``price.changed`` or ``stock.changed``; refresh pages."""
    if kwargs.get("raw"):
        return
    deleted = kwargs.get("created") is None  # post_delete has no "created"
    if isinstance(instance, PRODUCT_PARTS):
        product = _product_of(instance)
        emit(
            "product.changed",
            {
                "sku": product.sku,
                "product_id": product.pk,
                "deleted": deleted and product is instance,
            },
        )
    elif isinstance(instance, (PriceEntry, PriceList)):
        payload: dict[str, Any] = {"price_list": getattr(instance, "code", None)}
        if isinstance(instance, PriceEntry):
            payload = {
                "price_list": instance.price_list.code,
                "sku": instance.product.sku,
                "min_quantity": instance.min_quantity,
                "amount": str(instance.amount),
            }
        emit("price.changed", payload)
    elif isinstance(instance, StockLevel):
        numbers = (instance.on_hand, instance.reserved)
        if not deleted and not all(isinstance(n, int) for n in numbers):
            # saved with F() expressions: read the numbers the database now holds
            instance.refresh_from_db(fields=["on_hand", "reserved"])
        emit(
            "stock.changed",
            {
                "sku": instance.product.sku,
                "warehouse": instance.warehouse.code,
                "on_hand": instance.on_hand,
                "reserved": instance.reserved,
            },
        )
    elif not isinstance(instance, (Category, CategoryAttribute, Brand, Attribute, AttributeOption)):
        return  # not catalog data: names and labels of these show on pages too
    pagecache.invalidate()


@receiver(m2m_changed, sender=Product.categories.through)
def product_categories_changed(
    sender: type, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    """Moving products between categories changes listings: emit and refresh pages."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # category.products.add(...): instance is the category
        skus = list(Product.objects.filter(pk__in=pk_set or ()).values_list("sku", flat=True))
    else:
        skus = [instance.sku]
    emit("product.changed", {"skus": skus, "categories": True})
    pagecache.invalidate()
