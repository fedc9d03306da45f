"""magpie_search: product and content search with facets and autocomplete.

The database engine (SQLite, PostgreSQL full text) by default; OpenSearch or Elasticsearch
when ``SEARCH_URL`` names one. See docs/search.md.
"""
