"""Keeping the product index current, off the request path.

Catalog changes arrive as domain events through the host's outbox (``product.changed``,
``price.changed``, ``stock.changed``; imports send them in chunks of SKUs). The outbox
delivers them in a task after the change commits and retries with back-off when a delivery
fails — so while the engine is unreachable the updates wait in the outbox and catch up when
it returns. :func:`rebuild` (``magpie manage update_index``) writes everything anew.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from magpie_search.documents import BATCH_SIZE, Vocabulary, product_documents
from magpie_search.engines import get_engine

logger = logging.getLogger(__name__)

EVENT_TYPES = ("product.changed", "price.changed", "stock.changed")


def _batches(ids: list[int], size: int = BATCH_SIZE) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def index_products(ids: Iterable[int], engine: Any = None, **options: Any) -> int:
    """(Re)index the products ``ids``; the inactive or deleted ones leave the index.

    Returns the number of documents written.
    """
    engine = engine or get_engine()
    ids = sorted(set(ids))
    vocabulary = Vocabulary() if ids else None
    written = 0
    for batch in _batches(ids):
        documents = product_documents(batch, vocabulary)
        removed = [pk for pk in batch if pk not in documents]
        engine.index(documents, removed, **options)
        written += len(documents)
    return written


def product_ids_of(event_type: str, payload: dict[str, Any]) -> list[int]:
    """The products a catalog event concerns."""
    from magpie_catalog.models import PriceEntry, PriceList, Product

    ids: set[int] = set()
    if payload.get("product_id"):
        ids.add(int(payload["product_id"]))
    skus = list(payload.get("skus") or [])
    if payload.get("sku"):
        skus.append(payload["sku"])
    if skus:
        ids |= set(Product.objects.filter(sku__in=skus).values_list("pk", flat=True))
    if event_type == "price.changed" and not skus and payload.get("price_list"):
        # a whole price list changed (validity, activation): its products' prices did too
        price_list = PriceList.objects.filter(code=payload["price_list"]).first()
        if price_list is not None:
            ids |= set(
                PriceEntry.objects.filter(price_list=price_list).values_list(
                    "product_id", flat=True
                )
            )
    return sorted(ids)


def handle_event(event: Any) -> None:
    """Index the products a catalog event names (raises when the engine is unreachable,
    so the outbox retries the delivery later)."""
    if event.type not in EVENT_TYPES:
        return
    ids = product_ids_of(event.type, event.payload or {})
    if event.payload.get("deleted") and event.payload.get("product_id"):
        get_engine().index({}, [int(event.payload["product_id"])])
        return
    if ids:
        index_products(ids)


def rebuild(progress: Callable[[int], None] | None = None, engine: Any = None) -> int:
    """Index every active product anew; ``progress(n)`` after each batch of ``n``.

    On OpenSearch/Elasticsearch the documents go into a new index which replaces the old
    one when complete (searches keep answering meanwhile); in the database the documents
    are replaced in one transaction.
    """
    from django.db import transaction

    from magpie_catalog.models import Product

    engine = engine or get_engine()
    ids = list(
        Product.objects.filter(status=Product.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    vocabulary = Vocabulary()
    written = 0
    if engine.name == "database":
        with transaction.atomic():
            engine.clear()
            for batch in _batches(ids):
                documents = product_documents(batch, vocabulary)
                engine.index(documents, [])
                written += len(documents)
                if progress:
                    progress(len(batch))
        engine.finish_rebuild()
        return written
    new_index = engine.create_index()
    for batch in _batches(ids):
        documents = product_documents(batch, vocabulary)
        engine.index(documents, [], index=new_index)
        written += len(documents)
        if progress:
            progress(len(batch))
    engine.refresh(new_index)
    engine.swap_alias(new_index)
    return written
