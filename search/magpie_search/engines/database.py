"""The database engine: product documents in a table, matched with PostgreSQL full text
(a generated ``tsvector`` with a GIN index) or, on SQLite, ``LIKE`` on the folded text.

Both match every query word (or one of its synonyms) as a word prefix, and an SKU prefix
of the normalised query, so they find the same products.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, F, FloatField, Lookup, Q, QuerySet
from django.db.models.expressions import RawSQL

from magpie_search.documents import document_text
from magpie_search.models import ProductDocument
from magpie_search.synonyms import expand
from magpie_search.text import Query

#: An SKU prefix needs at least this many letters and digits.
MIN_SKU_PREFIX = 3


#: Up to this many matches are read once and handed to every query of a listing as an
#: array; beyond it (a word in most products) the match stays a subquery.
MAX_MATCH_IDS = 20_000


class AnyOf(Lookup):
    """``column = ANY(%s)`` with a list of ids (PostgreSQL): one parameter, planned with the
    array's real size, unlike a subquery the planner has to guess."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


def alternatives(query: Query) -> list[list[str]]:
    """The query's words with their synonyms, expanded once per query."""
    if query.alternatives is None:
        query.alternatives = expand(query.words)
    return query.alternatives


def _tsquery(query: Query) -> str:
    """``(motor:* | antrieb:*) & 0:*``: every word, or a synonym, as a prefix."""
    return " & ".join(
        "(" + " | ".join(f"{word}:*" for word in words) + ")" for words in alternatives(query)
    )


class DatabaseEngine:
    """Index and match product documents in the database."""

    name = "database"

    def is_available(self) -> bool:
        return True

    # -- writing ---------------------------------------------------------------------------

    def index(self, documents: dict[int, dict[str, Any]], removed: list[int]) -> None:
        """Write ``documents`` (replacing earlier ones) and drop the ``removed`` ids."""
        rows = [
            ProductDocument(
                product_id=pk,
                text=document_text(doc),
                sku=doc["sku_norm"][:200],
                name_de=doc["name_de"][:300],
                name_en=doc["name_en"][:300],
            )
            for pk, doc in documents.items()
        ]
        with transaction.atomic():
            ProductDocument.objects.filter(pk__in=[*documents, *removed]).delete()
            ProductDocument.objects.bulk_create(rows, batch_size=1000)

    def clear(self) -> None:
        """Drop every document (a rebuild starts here)."""
        ProductDocument.objects.all().delete()

    def finish_rebuild(self) -> None:
        """After a full rebuild (PostgreSQL): move the GIN index's pending entries into the
        index (searches would scan them until autovacuum runs) and refresh statistics."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT gin_clean_pending_list('magpie_search_vector_gin'::regclass)"
                )
                cursor.execute(f"ANALYZE {ProductDocument._meta.db_table}")

    def count(self) -> int:
        return ProductDocument.objects.count()

    # -- matching --------------------------------------------------------------------------

    def matches(self, query: Query) -> QuerySet:
        """Documents matching ``query``."""
        documents = ProductDocument.objects.all()
        if connection.vendor == "postgresql":
            text = Q(
                RawSQL(
                    "search_vector @@ to_tsquery('simple'::regconfig, %s)",
                    [_tsquery(query)],
                    output_field=BooleanField(),
                )
            )
        else:
            text = Q()
            for words in alternatives(query):
                any_of = Q()
                for word in words:
                    any_of |= Q(text__contains=f" {word}")
                text &= any_of
        if len(query.sku) >= MIN_SKU_PREFIX:
            text |= Q(sku__startswith=query.sku)
        return documents.filter(text)

    def matching_ids(self, query: Query) -> QuerySet:
        """The product ids matching ``query`` (a subquery, evaluated by the caller's query)."""
        return self.matches(query).values("product_id")

    def match_filter(self, query: Query) -> Any:
        """A filter on ``Product`` for the matches of ``query``.

        On PostgreSQL the matching ids are read once (when fewer than
        :data:`MAX_MATCH_IDS`) so the listing's count, page and every facet aggregate reuse
        them instead of repeating the full-text match; elsewhere a subquery.
        """
        if connection.vendor == "postgresql":
            ids = list(
                self.matching_ids(query).values_list("product_id", flat=True)[: MAX_MATCH_IDS + 1]
            )
            if len(ids) <= MAX_MATCH_IDS:
                return AnyOf(F("pk"), ids)
        return Q(pk__in=self.matching_ids(query))

    def rank(self, query: Query) -> Any:
        """An expression of a document's relevance (PostgreSQL ``ts_rank``; else 0)."""
        if connection.vendor != "postgresql":
            return RawSQL("0", [], output_field=FloatField())
        return RawSQL(
            "ts_rank(search_vector, to_tsquery('simple'::regconfig, %s))",
            [_tsquery(query)],
            output_field=FloatField(),
        )

    def suggest(self, query: Query, language: str, limit: int) -> list[dict[str, Any]]:
        """Products for the autocomplete: SKU prefix matches first, then name matches."""
        name = "name_en" if language == "en" else "name_de"
        found: list[dict[str, Any]] = []
        seen: set[int] = set()
        if len(query.sku) >= 2:
            for row in (
                ProductDocument.objects.filter(sku__startswith=query.sku)
                .order_by("sku")
                .values("product_id", "product__sku", name)[:limit]
            ):
                seen.add(row["product_id"])
                found.append(row)
        if len(found) < limit and query:
            for row in (
                self.matches(query)
                .exclude(product_id__in=seen)
                .order_by(name)
                .values("product_id", "product__sku", name)[: limit - len(found)]
            ):
                found.append(row)
        return [{"id": r["product_id"], "sku": r["product__sku"], "name": r[name]} for r in found]
