"""How many SQL queries the demo pages cost, so that a template or tag change that adds
queries fails here rather than in the ``pages`` benchmark.

The bounds are the counts measured when the template-side queries were cut down (see
``docs/benchmarks.md``). A whole request on the German demo landing page is 13 queries:
site lookup and content generation (middleware, 2), Wagtail's routing and view-restriction
check (6), and what the page itself needs (5): the translations of the page and of the
home page (language switcher, hreflang links, ``lang``, home link — one query for all), the
menu, the Open Graph image, the hero image and the document linked in the rich text.
English pages cost one more query because Wagtail's routing looks up the English home page.

The full-page cache is off in these tests: they count what rendering costs. Every count is
taken on the second request, after the cache-backed lookups (site root paths, renditions,
site state) are warm, as they are on a running site.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from wagtail.models import Page, PageViewRestriction, Site

from magpie.content.models import LandingPage, exclude_private
from magpie.content.templatetags.magpie_content import language_links, menu_pages
from magpie.plugins import disabled_for_request
from magpie.themes.registry import current_theme

pytestmark = pytest.mark.django_db

#: ``(demo page, language) -> the most queries one warm request may take``.
REQUEST_BOUNDS: dict[tuple[str, str], int] = {
    ("home", "de"): 13,
    ("home", "en"): 14,
    ("articles", "de"): 15,
    ("articles", "en"): 16,
    ("article:sizing-geared-motors", "de"): 15,
    ("article:sizing-geared-motors", "en"): 16,
    # Two link blocks choose the whitepaper document: one query each.
    ("landing:whitepaper", "de"): 15,
    ("landing:whitepaper", "en"): 16,
    ("landing:service", "de"): 14,
    ("landing:service", "en"): 15,
}

#: The header, footer and SEO head tags together: translations, menu, Open Graph image.
CHROME_BOUND = 3

CHROME = (
    "{% load wagtailcore_tags %}{% wagtail_site as current_site %}"
    '{% include "includes/seo_meta.html" %}'
    '{% include "includes/header.html" %}'
    '{% include "includes/footer.html" %}'
)


@pytest.fixture(autouse=True)
def _no_page_cache(settings: Any) -> None:
    """Count what rendering costs, not what serving a cached page costs."""
    settings.MAGPIE_PAGE_CACHE_SECONDS = 0


def _get(client: Any, url: str) -> tuple[int, str]:
    """Query count and HTML of a warm request for ``url``."""
    assert client.get(url).status_code == 200  # warm the caches a running site has warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize(("name", "language"), list(REQUEST_BOUNDS))
def test_page_requests_stay_within_their_query_budget(
    client: Any, demo_page: Any, django_assert_max_num_queries: Any, name: str, language: str
) -> None:
    url = demo_page(name, language).url
    client.get(url)
    with django_assert_max_num_queries(REQUEST_BOUNDS[(name, language)]):
        response = client.get(url)
    assert response.status_code == 200


def test_the_demo_landing_page_is_what_the_benchmark_serves(demo_page: Any) -> None:
    """The benchmarked page (``/de/whitepaper-lineartechnik/``) is the one bounded above."""
    assert demo_page("landing:whitepaper", "de").url == "/de/whitepaper-lineartechnik/"


def _chrome_request(page: Page) -> Any:
    """A request for ``page`` with what the middleware would already have looked up."""
    request = RequestFactory().get(page.url)
    request.user = AnonymousUser()
    Site.find_for_request(request)
    disabled_for_request(request)
    return request


def _render_chrome(page: Page, theme: str) -> tuple[int, str]:
    """Query count and HTML of the header, footer and SEO tags of ``page`` in ``theme``."""
    template = engines["django"].from_string(CHROME)
    token = current_theme.set(theme)
    try:
        with translation.override(page.locale.language_code):
            template.render({"page": page}, _chrome_request(page))  # warm renditions
            page = Page.objects.get(pk=page.pk).specific  # nothing cached on the instance
            request = _chrome_request(page)
            with CaptureQueriesContext(connection) as queries:
                html = template.render({"page": page}, request)
    finally:
        current_theme.reset(token)
    return len(queries), html


@pytest.mark.parametrize("theme", ["base", "alpine"])
@pytest.mark.parametrize("language", ["de", "en"])
def test_header_footer_and_seo_tags_share_their_lookups(
    demo_page: Any, theme: str, language: str
) -> None:
    """Language links are computed once (switcher and hreflang), the menu once (header and
    the alpine footer), the page's locale comes with its translations, and the Open Graph
    image is loaded once for all its tags."""
    page = demo_page("landing:whitepaper", language)
    assert page.og_image_id
    count, html = _render_chrome(page, theme)
    assert count <= CHROME_BOUND, count
    assert 'class="language-switcher"' in html
    assert 'hreflang="x-default"' in html
    assert 'property="og:image"' in html and 'name="twitter:card"' in html
    assert 'class="site-nav"' in html


def test_language_links_and_menu_are_memoised_per_request(demo_page: Any) -> None:
    page = demo_page("landing:whitepaper", "en")
    request = _chrome_request(page)
    context = {"page": page, "request": request}
    first_links, first_menu = language_links(context), menu_pages(context)
    with CaptureQueriesContext(connection) as queries:
        assert language_links(context) is first_links
        assert menu_pages(context) is first_menu
    assert len(queries) == 0
    # A new request computes afresh: nothing is kept between requests.
    fresh = {"page": page, "request": _chrome_request(page)}
    assert language_links(fresh) is not first_links
    assert language_links(fresh) == first_links


def test_a_page_without_translation_links_to_the_other_languages_home(
    client: Any, demo_page: Any
) -> None:
    home_de, home_en = demo_page("home", "de"), demo_page("home", "en")
    lonely = home_de.add_child(instance=LandingPage(title="Nur auf Deutsch", slug="nur-deutsch"))
    _count, html = _get(client, lonely.url)
    assert f'href="{home_en.full_url}" hreflang="en"' in html  # the switcher
    assert f'hreflang="de" href="{lonely.full_url}"' in html  # the page's own alternate
    assert 'rel="alternate" hreflang="en"' not in html  # no exact English alternate


def test_menu_leaves_out_restricted_pages_and_sections(client: Any, demo_page: Any) -> None:
    home = demo_page("home", "de")
    menu = [item.pk for item in menu_pages({"page": home, "request": _chrome_request(home)})]
    assert len(menu) >= 2
    restricted = Page.objects.get(pk=menu[0])
    PageViewRestriction.objects.create(
        page=restricted, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    shown = [item.pk for item in menu_pages({"page": home, "request": _chrome_request(home)})]
    assert shown == menu[1:]
    _count, html = _get(client, home.url)
    assert f'href="{restricted.url}"' not in html.split('class="site-nav"', 1)[1].split("</nav>")[0]

    PageViewRestriction.objects.create(
        page=home, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    assert menu_pages({"page": home, "request": _chrome_request(home)}) == []


def test_exclude_private_matches_wagtails_public(demo_page: Any) -> None:
    """Same pages as ``.public()``, in one query instead of two."""
    articles = demo_page("articles", "en")
    PageViewRestriction.objects.create(page=articles, restriction_type=PageViewRestriction.LOGIN)
    PageViewRestriction.objects.create(
        page=demo_page("landing:service", "de"),
        restriction_type=PageViewRestriction.PASSWORD,
        password="secret",
    )
    expected = set(Page.objects.public().values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        got = set(exclude_private(Page.objects.all()).values_list("pk", flat=True))
    assert got == expected
    assert articles.pk not in got and len(queries) == 1
