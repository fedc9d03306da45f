"""OpenSearch 2 / Elasticsearch 8–9: the product index, its analyzers and its queries.

The product index (``<INDEX_PREFIX>products``, an alias onto a dated index so a rebuild
swaps atomically) has its own mapping: folded text with an edge-n-gram subfield for word
prefixes, a search-time ``synonym_graph`` filter fed by the synonym groups edited in the
admin, a normalised SKU keyword, and per-product ``opt.<code>`` keywords, ``num.<code>``
numbers and ``prices.<price list id>`` amounts for facets. The client and the address come
from Wagtail's search backend (``SEARCH_URL``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.utils.functional import cached_property

from magpie_search.engines import EngineUnavailable
from magpie_search.synonyms import solr_rules
from magpie_search.text import MAX_TOKEN_LENGTH

#: Products longer than this many letters and digits in a query word are not prefixes.
MIN_SKU_PREFIX = 3
_PRICE_SCRIPT = (
    "for (def key : params.keys) { def field = 'prices.' + key;"
    " if (doc.containsKey(field) && doc[field].size() > 0) { return doc[field].value; } }"
    " return params.missing;"
)


def _transport_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = []
    try:
        from opensearchpy.exceptions import OpenSearchException

        errors.append(OpenSearchException)
    except ImportError:  # pragma: no cover - opensearch-py is a dependency
        pass
    try:
        from elastic_transport import TransportError
        from elasticsearch.exceptions import ApiError

        errors += [ApiError, TransportError]
    except ImportError:
        pass
    return tuple(errors) or (OSError,)


def index_settings(synonyms: list[str]) -> dict[str, Any]:
    """Analysis settings of the product index."""
    folding = ["lowercase", "asciifolding"]
    return {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "max_ngram_diff": MAX_TOKEN_LENGTH,
        "analysis": {
            "tokenizer": {
                "words": {
                    "type": "pattern",
                    "pattern": "[\\W_]+",
                    "flags": "UNICODE_CHARACTER_CLASS",
                }
            },
            "filter": {
                "prefixes": {"type": "edge_ngram", "min_gram": 1, "max_gram": MAX_TOKEN_LENGTH},
                "synonyms": {
                    "type": "synonym_graph",
                    "synonyms": synonyms or ["magpie_no_synonym_a, magpie_no_synonym_b"],
                    "lenient": True,
                },
            },
            "normalizer": {"folded": {"type": "custom", "filter": folding}},
            "analyzer": {
                "folded": {"tokenizer": "words", "filter": folding},
                "folded_search": {"tokenizer": "words", "filter": [*folding, "synonyms"]},
                "prefixes": {"tokenizer": "words", "filter": [*folding, "prefixes"]},
            },
        },
    }


MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "dynamic_templates": [
        {"options": {"path_match": "opt.*", "mapping": {"type": "keyword"}}},
        {"numbers": {"path_match": "num.*", "mapping": {"type": "double"}}},
        {"prices": {"path_match": "prices.*", "mapping": {"type": "double"}}},
    ],
    "properties": {
        "id": {"type": "long"},
        "sku": {"type": "keyword", "normalizer": "folded"},
        "sku_norm": {"type": "keyword"},
        "name_de": {
            "type": "text",
            "analyzer": "folded",
            "search_analyzer": "folded_search",
            "fields": {"sort": {"type": "keyword", "normalizer": "folded"}},
        },
        "name_en": {
            "type": "text",
            "analyzer": "folded",
            "search_analyzer": "folded_search",
            "fields": {"sort": {"type": "keyword", "normalizer": "folded"}},
        },
        "text": {
            "type": "text",
            "analyzer": "folded",
            "search_analyzer": "folded_search",
            "fields": {
                "prefix": {
                    "type": "text",
                    "analyzer": "prefixes",
                    "search_analyzer": "folded_search",
                }
            },
        },
        "brand": {"type": "keyword"},
        "categories": {"type": "long"},
        "opt": {"type": "object", "dynamic": True},
        "num": {"type": "object", "dynamic": True},
        "prices": {"type": "object", "dynamic": True},
        "in_stock": {"type": "boolean"},
        "created_at": {"type": "date"},
    },
}


def engine_document(document: dict[str, Any]) -> dict[str, Any]:
    """The indexed part of a product document (display data comes from the database)."""
    from magpie_search.documents import document_text

    return {
        "id": document["id"],
        "sku": document["sku"],
        "sku_norm": document["sku_norm"],
        "name_de": document["name_de"],
        "name_en": document["name_en"],
        "text": document_text(document).strip(),
        "brand": document["brand"],
        "categories": document["categories"],
        "opt": document["opt"],
        "num": document["num"],
        "prices": document["prices"],
        "in_stock": document["in_stock"],
        "created_at": document["created_at"],
    }


class ElasticEngine:
    """The product index on OpenSearch or Elasticsearch."""

    _instances: dict[int, ElasticEngine] = {}

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.client = backend.es
        self.alias = f"{backend.index_prefix}products"
        self._ready = False  # the alias is known to exist
        self.name = (
            "elasticsearch" if "elasticsearch" in type(self.client).__module__ else "opensearch"
        )

    @classmethod
    def for_settings(cls) -> ElasticEngine:
        """The engine for the current ``WAGTAILSEARCH_BACKENDS`` (one client per settings)."""
        from django.conf import settings
        from wagtail.search.backends import get_search_backend

        key = id(settings.WAGTAILSEARCH_BACKENDS["default"])
        if key not in cls._instances:
            cls._instances[key] = cls(get_search_backend())
        return cls._instances[key]

    @cached_property
    def errors(self) -> tuple[type[BaseException], ...]:
        return _transport_errors()

    # -- client calls that differ between the two libraries ----------------------------------

    def _call(self, method: Any, **kwargs: Any) -> Any:
        body = kwargs.pop("body", None)
        if body is not None:
            if self.name == "opensearch":
                kwargs["body"] = body
            else:
                kwargs.update({("from_" if k == "from" else k): v for k, v in body.items()})
        try:
            return method(**kwargs)
        except self.errors as exc:
            self._ready = False
            raise EngineUnavailable(f"{self.name}: {exc}") from exc

    def is_available(self) -> bool:
        try:
            return bool(self.client.ping())
        except Exception:
            return False

    # -- index management --------------------------------------------------------------------

    def _index_exists(self) -> bool:
        return bool(self._call(self.client.indices.exists_alias, name=self.alias))

    def create_index(self) -> str:
        """A new dated index with the current synonyms; returns its name."""
        name = f"{self.alias}_{time.strftime('%Y%m%d%H%M%S')}_{time.time_ns() % 1_000_000}"
        body = {"settings": index_settings(solr_rules()), "mappings": MAPPINGS}
        self._call(self.client.indices.create, index=name, body=body)
        return name

    def ensure_index(self) -> None:
        """Create the index and point the alias at it, unless it exists (asked once per
        engine; a failed request asks again)."""
        if self._ready:
            return
        if not self._index_exists():
            name = self.create_index()
            self._call(
                self.client.indices.update_aliases,
                body={"actions": [{"add": {"index": name, "alias": self.alias}}]},
            )
        self._ready = True

    def swap_alias(self, new_index: str) -> None:
        """Point the alias at ``new_index`` and drop the indexes it pointed at."""
        old: list[str] = []
        if self._index_exists():
            old = list(self._call(self.client.indices.get_alias, name=self.alias))
        actions: list[dict[str, Any]] = [{"add": {"index": new_index, "alias": self.alias}}]
        actions += [{"remove_index": {"index": name}} for name in old if name != new_index]
        self._call(self.client.indices.update_aliases, body={"actions": actions})

    def update_synonyms(self) -> None:
        """Load the current synonym groups into the live index's search analyzer."""
        if not self._index_exists():
            return
        names = list(self._call(self.client.indices.get_alias, name=self.alias))
        analysis = index_settings(solr_rules())["analysis"]
        for name in names:
            self._call(self.client.indices.close, index=name)
            try:
                self._call(
                    self.client.indices.put_settings,
                    index=name,
                    body={"analysis": {"filter": {"synonyms": analysis["filter"]["synonyms"]}}},
                )
            finally:
                self._call(self.client.indices.open, index=name)
        self._call(self.client.cluster.health, index=self.alias, wait_for_status="yellow")

    def refresh(self, index: str | None = None) -> None:
        self._call(self.client.indices.refresh, index=index or self.alias)

    def count(self) -> int:
        if not self._index_exists():
            return 0
        return int(self._call(self.client.count, index=self.alias)["count"])

    # -- writing -------------------------------------------------------------------------------

    def index(
        self,
        documents: dict[int, dict[str, Any]],
        removed: Iterable[int],
        index: str | None = None,
        refresh: bool = False,
    ) -> None:
        """Bulk-write ``documents`` and delete ``removed`` (into ``index`` during a rebuild)."""
        if index is None:
            self.ensure_index()
        target = index or self.alias
        lines: list[Any] = []
        for pk, document in documents.items():
            lines += [{"index": {"_index": target, "_id": str(pk)}}, engine_document(document)]
        for pk in removed:
            lines.append({"delete": {"_index": target, "_id": str(pk)}})
        if not lines:
            return
        kwargs: dict[str, Any] = {"refresh": "true" if refresh else "false"}
        if self.name == "opensearch":
            response = self._call(self.client.bulk, body=lines, **kwargs)
        else:
            response = self._call(self.client.bulk, operations=lines, **kwargs)
        if response.get("errors"):
            problems = [
                item
                for item in response["items"]
                for action, result in item.items()
                if result.get("error") and not (action == "delete" and result.get("status") == 404)
            ]
            if problems:
                raise EngineUnavailable(f"{self.name} rejected documents: {problems[:3]}")

    # -- reading ---------------------------------------------------------------------------------

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(self.client.search, index=self.alias, body=body)

    def text_query(self, listing: Any, fuzzy: bool = False) -> dict[str, Any]:
        """Match every word (or a synonym) as a word prefix, or an SKU prefix; with
        ``fuzzy``, whole words with typos instead of prefixes."""
        query = listing.query
        if fuzzy:
            words = {
                "match": {"text": {"query": query.text, "operator": "and", "fuzziness": "AUTO"}}
            }
        else:
            words = {"match": {"text.prefix": {"query": query.text, "operator": "and"}}}
        alternatives: list[dict[str, Any]] = [words]
        if len(query.sku) >= MIN_SKU_PREFIX:
            alternatives.append({"prefix": {"sku_norm": query.sku}})
        name = f"name_{listing.language}" if listing.language in ("de", "en") else "name_de"
        return {
            "bool": {
                "must": [{"bool": {"should": alternatives, "minimum_should_match": 1}}],
                "should": [
                    {"term": {"sku_norm": {"value": query.sku or "-", "boost": 20}}},
                    {"match": {name: {"query": query.text, "operator": "and", "boost": 3}}},
                ],
            }
        }

    def _scope(self, listing: Any, fuzzy: bool = False) -> dict[str, Any]:
        """The query without the facet selections: text and category."""
        filters: list[dict[str, Any]] = []
        if listing.category is not None:
            filters.append({"term": {"categories": listing.category.pk}})
        must = [self.text_query(listing, fuzzy)] if listing.query else []
        return {"bool": {"must": must or [{"match_all": {}}], "filter": filters}}

    def _price_value(self, listing: Any, missing: float) -> dict[str, Any]:
        keys = [str(pk) for pk in listing.price_lists]
        return {
            "script": {
                "source": _PRICE_SCRIPT,
                "params": {"keys": keys, "missing": missing},
            }
        }

    def _selection_filters(self, listing: Any, skip: str = "") -> list[dict[str, Any]]:
        """The facet selections as filters, leaving out facet ``skip``."""
        listing._parse()
        filters: list[dict[str, Any]] = []
        if listing.brands and skip != "brand":
            filters.append({"terms": {"brand": listing.brands}})
        if listing.in_stock and skip != "in_stock":
            filters.append({"term": {"in_stock": True}})
        for code, values in listing.choices.items():
            if code != skip:
                filters.append({"terms": {f"opt.{code}": values}})
        for code, wanted in listing.booleans.items():
            if code != skip:
                filters.append({"term": {f"opt.{code}": "true" if wanted else "false"}})
        if skip != "ranges":
            for code, (low, high) in listing.ranges.items():
                bounds = {k: v for k, v in (("gte", low), ("lte", high)) if v is not None}
                filters.append({"range": {f"num.{code}": bounds}})
        if listing.price_range and skip != "price":
            low, high = listing.price_range
            checks = []
            if low is not None:
                checks.append(f"v >= {float(low)!r}")
            if high is not None:
                checks.append(f"v <= {float(high)!r}")
            keys = [str(pk) for pk in listing.price_lists]
            filters.append(
                {
                    "script": {
                        "script": {
                            "source": (
                                "double v = -1; for (def key : params.keys) {"
                                " def field = 'prices.' + key;"
                                " if (doc.containsKey(field) && doc[field].size() > 0)"
                                " { v = doc[field].value; break; } }"
                                f" return v >= 0 && {' && '.join(checks)};"
                            ),
                            "params": {"keys": keys},
                        }
                    }
                }
            )
        return filters

    def _sort(self, listing: Any) -> list[Any]:
        name = f"name_{listing.language}.sort" if listing.language == "en" else "name_de.sort"
        sort = listing.sort
        if sort == "relevance":
            return ["_score", {"sku": "asc"}]
        if sort in ("price", "price-desc"):
            if not listing.price_lists:
                return [{"sku": "asc"}]
            missing = 1e18 if sort == "price" else -1.0
            order = "asc" if sort == "price" else "desc"
            return [
                {
                    "_script": {
                        "type": "number",
                        "order": order,
                        **self._price_value(listing, missing),
                    }
                },
                {"sku": "asc"},
            ]
        if sort == "newest":
            return [{"created_at": "desc"}, {"id": "desc"}]
        if sort == "sku":
            return [{"sku": "asc"}]
        return [{name: "asc"}, {"sku": "asc"}]

    def search_products(self, listing: Any, offset: int, size: int) -> dict[str, Any]:
        """``{"total": n, "ids": [...]}`` of one page; retried with typo tolerance when the
        exact words find nothing."""
        self.ensure_index()
        for fuzzy in (False, True):
            body = {
                "query": self._scope(listing, fuzzy),
                "post_filter": {"bool": {"filter": self._selection_filters(listing)}},
                "sort": self._sort(listing),
                "from": min(offset, 9_900),
                "size": size,
                "_source": False,
                "track_total_hits": True,
            }
            response = self._search(body)
            total = response["hits"]["total"]["value"]
            if total or not listing.query or fuzzy:
                break
        listing.fuzzy = bool(fuzzy and total)
        return {"total": total, "ids": [int(hit["_id"]) for hit in response["hits"]["hits"]]}

    def facet_products(self, listing: Any) -> dict[str, Any]:
        """Every facet's numbers in one request; each facet's counts ignore its own
        selection (a filter aggregation over the other selections)."""
        self.ensure_index()

        def scoped(skip: str, aggs: dict[str, Any]) -> dict[str, Any]:
            return {
                "filter": {"bool": {"filter": self._selection_filters(listing, skip)}},
                "aggs": aggs,
            }

        aggs: dict[str, Any] = {
            "brand": scoped("brand", {"values": {"terms": {"field": "brand", "size": 200}}}),
            "in_stock": scoped("in_stock", {"values": {"filter": {"term": {"in_stock": True}}}}),
            "categories": scoped(
                "category", {"values": {"terms": {"field": "categories", "size": 1000}}}
            ),
        }
        for attribute in listing.attributes:
            code = attribute.code
            if attribute.type == "number":
                aggs[f"num_{code}"] = scoped(
                    "ranges",
                    {
                        "low": {"min": {"field": f"num.{code}"}},
                        "high": {"max": {"field": f"num.{code}"}},
                    },
                )
            else:
                aggs[f"opt_{code}"] = scoped(
                    code, {"values": {"terms": {"field": f"opt.{code}", "size": 500}}}
                )
        if listing.price_lists:
            value = self._price_value(listing, -1.0)
            aggs["price"] = scoped(
                "price",
                {
                    "priced": {
                        "filter": {
                            "bool": {
                                "should": [
                                    {"exists": {"field": f"prices.{pk}"}}
                                    for pk in listing.price_lists
                                ],
                                "minimum_should_match": 1,
                            }
                        },
                        "aggs": {"low": {"min": value}, "high": {"max": value}},
                    }
                },
            )
        fuzzy = getattr(listing, "fuzzy", False)
        body = {"query": self._scope(listing, fuzzy), "size": 0, "aggs": aggs}
        result = self._search(body)["aggregations"]

        def buckets(name: str) -> dict[str, int]:
            return {
                str(b.get("key_as_string", b["key"])): b["doc_count"]
                for b in result[name]["values"]["buckets"]
            }

        counts: dict[str, dict[str, int]] = {}
        bounds: dict[str, Any] = {}
        for attribute in listing.attributes:
            code = attribute.code
            if attribute.type == "number":
                bounds[f"min_{code}"] = result[f"num_{code}"]["low"]["value"]
                bounds[f"max_{code}"] = result[f"num_{code}"]["high"]["value"]
            else:
                counts[code] = buckets(f"opt_{code}")
        price: tuple[float | None, float | None] = (None, None)
        if "price" in result and result["price"]["priced"]["doc_count"]:
            priced = result["price"]["priced"]
            price = (priced["low"]["value"], priced["high"]["value"])
        return {
            "counts": counts,
            "bounds": bounds,
            "brands": list(buckets("brand").items()),
            "in_stock": result["in_stock"]["values"]["doc_count"],
            "categories": {int(k): n for k, n in buckets("categories").items()},
            "price": price,
        }

    def suggest(self, query: Any, language: str, limit: int) -> list[dict[str, Any]]:
        """Products for the autocomplete: SKU prefixes first, then word prefixes in names."""
        self.ensure_index()
        name = "name_en" if language == "en" else "name_de"
        should: list[dict[str, Any]] = [
            {"match": {"text.prefix": {"query": query.text, "operator": "and"}}}
        ]
        if len(query.sku) >= 2:
            should.append({"prefix": {"sku_norm": {"value": query.sku, "boost": 10}}})
        body = {
            "query": {"bool": {"should": should, "minimum_should_match": 1}},
            "sort": ["_score", {f"{name}.sort": "asc"}],
            "size": limit,
            "_source": ["sku", name],
        }
        hits = self._search(body)["hits"]["hits"]
        return [
            {"id": int(h["_id"]), "sku": h["_source"]["sku"], "name": h["_source"][name]}
            for h in hits
        ]
