"""The search plugin's demo: search pages in both languages, synonyms, and an index over
the demo catalog that answers at once."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from magpie_search.models import Synonym
from magpie_search.pages import SearchPage

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_builds_a_working_search(settings: Any, tmp_path: Path, client) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MAGPIE_PAGE_CACHE_SECONDS = 0
    call_command("load_demo", stdout=io.StringIO())
    languages = SearchPage.objects.live().values_list("locale__language_code", flat=True)
    assert sorted(languages) == ["de", "en"]
    assert Synonym.objects.count() == 4
    page = client.get("/de/suche/", {"q": "antrieb"}).content.decode()  # a synonym of motor
    assert 'id="product-count" role="status">0 ' not in page
    suggestions = client.get("/de/suche/suggest/", {"q": "GM-0.12"}).json()
    assert suggestions["products"] and suggestions["products"][0]["sku"].startswith("GM-0.12")
    again = io.StringIO()
    from magpie_search.demo import load_demo

    load_demo(again)
    assert "0 search pages, 0 synonym groups created" in again.getvalue()
