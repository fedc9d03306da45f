"""The test OpenSearch node (magpie.testing.opensearch) answers what opensearch-py sends.

Runs against a real single-node OpenSearch 2.19 (the ``opensearch_url`` fixture); marked
``slow`` so it runs once, in the SQLite pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from opensearchpy import OpenSearch
from opensearchpy.helpers import bulk

pytestmark = pytest.mark.slow

ANALYSIS = {
    "filter": {
        "autocomplete": {"type": "edge_ngram", "min_gram": 2, "max_gram": 12},
        "synonyms": {"type": "synonym", "synonyms": ["sofa, couch", "tv, television"]},
    },
    "analyzer": {
        "autocomplete": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", "autocomplete"],
        },
        "synonyms": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", "synonyms"],
        },
    },
}

DOCS = [
    {"_id": "1", "title": "Leather sofa", "category": "furniture"},
    {"_id": "2", "title": "Crème couch cover", "category": "textiles"},
    {"_id": "3", "title": "Oak coffee table", "category": "furniture"},
]


@pytest.fixture
def client(opensearch_url: str) -> OpenSearch:
    return OpenSearch(opensearch_url, timeout=30)


@pytest.fixture
def index(client: OpenSearch) -> Iterator[str]:
    name = f"magpie-test-{uuid.uuid4().hex[:8]}"
    yield name
    client.indices.delete(index=name, ignore_unavailable=True)


def test_edge_ngram_synonyms_and_terms_aggregation(client: OpenSearch, index: str) -> None:
    client.indices.create(
        index=index,
        body={
            "settings": {"number_of_shards": 1, "number_of_replicas": 0, "analysis": ANALYSIS},
            "mappings": {
                "properties": {
                    "title": {
                        "type": "text",
                        "analyzer": "synonyms",
                        "fields": {
                            "prefix": {
                                "type": "text",
                                "analyzer": "autocomplete",
                                "search_analyzer": "standard",
                            }
                        },
                    },
                    "category": {"type": "keyword"},
                }
            },
        },
    )
    actions = [
        {
            "_index": index,
            "_id": doc["_id"],
            "_source": {k: v for k, v in doc.items() if k != "_id"},
        }
        for doc in DOCS
    ]
    indexed, errors = bulk(client, actions, refresh="wait_for")
    assert (indexed, errors) == (3, [])

    # "couch" finds the sofa through the synonym filter, and the cover directly
    found = client.search(
        index=index,
        body={
            "query": {"match": {"title": "couch"}},
            "aggs": {"categories": {"terms": {"field": "category"}}},
        },
    )
    assert found["hits"]["total"]["value"] == 2
    assert {hit["_id"] for hit in found["hits"]["hits"]} == {"1", "2"}
    buckets = found["aggregations"]["categories"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in buckets} == {"furniture": 1, "textiles": 1}

    # edge n-grams with ASCII folding: "cre" finds "Crème", "co" finds couch and coffee
    assert [h["_id"] for h in _hits(client, index, {"match": {"title.prefix": "cre"}})] == ["2"]
    everything = client.search(
        index=index,
        body={
            "query": {"match": {"title.prefix": "co"}},
            "aggs": {"categories": {"terms": {"field": "category"}}},
        },
    )
    assert {hit["_id"] for hit in everything["hits"]["hits"]} == {"2", "3"}
    buckets = everything["aggregations"]["categories"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in buckets} == {"furniture": 1, "textiles": 1}

    total = client.search(
        index=index, body={"size": 0, "aggs": {"c": {"terms": {"field": "category"}}}}
    )
    assert {b["key"]: b["doc_count"] for b in total["aggregations"]["c"]["buckets"]} == {
        "furniture": 2,
        "textiles": 1,
    }


def test_search_as_you_type_phrase_prefix_and_completion(client: OpenSearch, index: str) -> None:
    client.indices.create(
        index=index,
        body={
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {
                "properties": {
                    "name": {"type": "search_as_you_type"},
                    "suggest": {"type": "completion"},
                }
            },
        },
    )
    actions = [
        {"_index": index, "_id": str(i), "_source": {"name": name, "suggest": name}}
        for i, name in enumerate(["quick brown fox", "quiet night", "lazy dog"], start=1)
    ]
    bulk(client, actions, refresh="wait_for")

    phrase = {"match_phrase_prefix": {"name": "quick bro"}}
    assert [h["_id"] for h in _hits(client, index, phrase)] == ["1"]
    as_you_type = {
        "multi_match": {
            "query": "qui",
            "type": "bool_prefix",
            "fields": ["name", "name._2gram", "name._3gram"],
        }
    }
    assert {h["_id"] for h in _hits(client, index, as_you_type)} == {"1", "2"}
    suggested = client.search(
        index=index, body={"suggest": {"s": {"prefix": "la", "completion": {"field": "suggest"}}}}
    )
    assert [o["text"] for o in suggested["suggest"]["s"][0]["options"]] == ["lazy dog"]


def _hits(client: OpenSearch, index: str, query: dict) -> list[dict]:
    return client.search(index=index, body={"query": query})["hits"]["hits"]
