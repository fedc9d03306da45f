"""Every page type renders on both locales with the base theme; blocks, preview, SEO, feeds,
sitemap, robots.txt, plugin slots and theme switching (base ↔ alpine)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import escape
from html.parser import HTMLParser

import pytest
from django.template import loader
from django.test import RequestFactory
from django.urls import reverse
from wagtail.embeds.embeds import get_embed_hash
from wagtail.embeds.models import Embed
from wagtail.models import Site
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from magpie.content.demo import ARTICLES
from magpie.content.models import ArticleIndexPage, LandingPage
from magpie.plugins import get_host

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


class _Collector(HTMLParser):
    """Collects start tags with their attributes (to assert on markup, not on substrings)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str, tag: str, /, **attrs: str) -> list[dict[str, str | None]]:
    """Attribute dicts of every ``<name>`` tag whose attributes include ``attrs``."""
    parser = _Collector()
    parser.feed(html)
    return [
        found
        for name, found in parser.tags
        if name == tag and all(found.get(k.replace("_", "-")) == v for k, v in attrs.items())
    ]


def get_html(client, page, /, **params) -> str:
    response = client.get(page.url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- every page type on both locales ------------------------------------------------------

PAGES = [
    ("home", "Alpenwerk Antriebstechnik AG"),
    ("articles", None),
    ("article:sizing-geared-motors", None),
    ("landing:whitepaper", None),
    ("landing:service", None),
]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(("name", "heading"), PAGES)
def test_every_page_type_renders_in_both_languages(client, demo_page, name, heading, language):
    page = demo_page(name, language)
    assert page.url.startswith(f"/{language}/")
    html = get_html(client, page)
    assert tags(html, "html", lang=language)
    assert f"<title>{escape(page.seo_title or page.title)}" in html
    assert tags(html, "a", **{"class": "skip-link", "href": "#main"})
    assert tags(html, "main", id="main")
    assert tags(html, "header") and tags(html, "footer")
    assert tags(html, "link", rel="stylesheet", href="/static/themes/base/css/site.css")
    assert not re.search(r"https?://(fonts\.googleapis|cdn\.|unpkg|cdnjs)", html)
    if heading:
        assert f"<h1>{heading}</h1>" in html
    # The language switcher offers the other language's translation of this very page.
    other = demo_page(name, "en" if language == "de" else "de")
    assert any(
        a["href"].endswith(other.url) for a in tags(html, "a", hreflang=other.locale.language_code)
    )


def test_home_page_head_has_seo_open_graph_hreflang_and_feeds(client, demo_page):
    home, home_en = demo_page("home", "de"), demo_page("home", "en")
    html = get_html(client, home)
    assert tags(html, "meta", name="description", content=home.search_description)
    assert tags(html, "link", rel="canonical", href=home.full_url)
    assert tags(html, "link", rel="alternate", hreflang="de", href=home.full_url)
    assert tags(html, "link", rel="alternate", hreflang="en", href=home_en.full_url)
    assert tags(html, "meta", property="og:title", content=home.seo_title)
    assert tags(html, "meta", property="og:type", content="website")
    (og_image,) = tags(html, "meta", property="og:image")
    assert og_image["content"].startswith("http") and "fill-1200x630" in og_image["content"]
    index = demo_page("articles", "de")
    assert tags(html, "link", type="application/rss+xml", href=f"{index.url}feed/rss/")
    assert tags(html, "link", type="application/atom+xml", href=f"{index.url}feed/atom/")


def test_navigation_lists_the_home_pages_menu_children(client, demo_page):
    html = get_html(client, demo_page("home", "en"))
    (nav,) = re.findall(r'<nav class="site-nav".*?</nav>', html, re.S)
    for name in ("articles", "landing:whitepaper", "landing:service"):
        assert f'href="{demo_page(name, "en").url}"' in nav
    assert "/de/" not in nav


def test_article_page_shows_metadata_and_taxonomy_links(client, demo_page):
    article = demo_page("article:bearing-failures", "en")
    html = get_html(client, article)
    assert "Sandra Zürcher" in html
    assert tags(html, "meta", property="og:type", content="article")
    assert tags(html, "time", datetime="2025-04-15")
    index_url = demo_page("articles", "en").url
    assert tags(html, "a", **{"class": "tag", "href": f"{index_url}?topic=bearings"})
    assert tags(
        html, "a", **{"class": "tag", "href": f"{index_url}?audience=maintenance-engineers"}
    )
    assert "<h2>The top five</h2>" in html


def test_article_index_filters_by_topic_and_audience(client, demo_page):
    index = demo_page("articles", "de")
    all_titles = {spec["de"]["title"] for spec in ARTICLES}
    html = get_html(client, index)
    assert all(title in html for title in all_titles)
    assert tags(html, "a", href="?topic=lineartechnik")
    assert tags(html, "a", href="?audience=einkauf")

    html = get_html(client, index, topic="lineartechnik")
    shown = {t for t in all_titles if t in html}
    assert shown == {"Linearführungen: Profilschiene oder Rundführung?"}
    assert tags(html, "a", href="?topic=lineartechnik", aria_current="true")

    html = get_html(client, index, audience="einkauf")
    assert {t for t in all_titles if t in html} == {
        "Total Cost of Ownership im Antriebseinkauf",
        "Lieferketten absichern: Rahmenverträge und Konsignationslager",
    }


def test_article_index_pages_through_articles(client, demo_page, monkeypatch):
    monkeypatch.setattr(ArticleIndexPage, "PAGE_SIZE", 3)
    index = demo_page("articles", "en")
    first = get_html(client, index)
    assert tags(first, "a", href="?page=2", rel="next")
    assert first.count('class="card"') == 3
    last = get_html(client, index, page=3)
    assert last.count('class="card"') == len(ARTICLES) - 6
    assert tags(last, "a", href="?page=2", rel="prev")
    # The oldest article is on the last page only.
    assert "Sizing geared motors correctly" in last and "Sizing geared motors" not in first


def test_landing_pages_render_their_blocks_and_offer_the_whitepaper(client, demo_page):
    html = get_html(client, demo_page("landing:whitepaper", "de"))
    for css in ("hero", "rich-text", "columns", "testimonial", "faq", "cta"):
        assert f'class="block block-{css}' in html, css
    assert "<h1>Lineartechnik sicher auslegen</h1>" in html  # the hero is the page heading
    pdf_links = {a["href"] for a in tags(html, "a") if (a.get("href") or "").endswith(".pdf")}
    assert len(pdf_links) == 1
    response = client.get(pdf_links.pop())
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF")


def test_every_block_template_renders(client, demo_page):
    image = demo_page("home").og_image
    url = "https://www.youtube.com/watch?v=alpenwerk"
    Embed.objects.create(
        hash=get_embed_hash(url),
        url=url,
        type="video",
        html='<iframe title="Alpenwerk film" src="https://www.youtube-nocookie.com/embed/x"></iframe>',
    )
    page = LandingPage(
        title="All blocks",
        slug="all-blocks",
        body=json.dumps(
            [
                {"type": "rich_text", "value": "<p>Intro paragraph</p>"},
                {
                    "type": "hero",
                    "value": {
                        "heading": "Hero heading",
                        "text": "Hero text",
                        "image": {"image": image.pk, "decorative": False, "alt_text": "Gears"},
                        "cta": {
                            "label": "Hero button",
                            "page": None,
                            "url": "https://example.com/",
                            "document": None,
                        },
                    },
                },
                {
                    "type": "image",
                    "value": {
                        "image": image.pk,
                        "decorative": False,
                        "alt_text": "Alt of image block",
                    },
                },
                {
                    "type": "call_to_action",
                    "value": {
                        "heading": "CTA heading",
                        "text": "",
                        "link": {
                            "label": "CTA button",
                            "page": demo_page("articles").pk,
                            "url": "",
                            "document": None,
                        },
                    },
                },
                {
                    "type": "columns",
                    "value": {
                        "columns": [
                            {"heading": "Left", "text": "<p>L</p>"},
                            {"heading": "Right", "text": "<p>R</p>"},
                        ]
                    },
                },
                {
                    "type": "testimonial",
                    "value": {"quote": "Great bearings.", "name": "Jane", "role": "CTO"},
                },
                {
                    "type": "faq",
                    "value": {
                        "heading": "FAQ heading",
                        "items": [{"question": "Why?", "answer": "<p>Because.</p>"}],
                    },
                },
                {"type": "embed", "value": url},
            ]
        ),
    )
    demo_page("home").add_child(instance=page)
    html = get_html(client, page)
    assert "<h1>All blocks</h1>" in html  # no hero first: the page title is the heading
    assert "<h2>Hero heading</h2>" in html
    assert tags(html, "a", **{"class": "button button--large", "href": "https://example.com/"})
    assert tags(html, "img", alt="Alt of image block")
    assert tags(html, "a", href=demo_page("articles").url)
    assert 'class="container columns columns--2"' in html
    assert "<blockquote><p>Great bearings.</p></blockquote>" in html
    assert "<summary>Why?</summary>" in html
    assert tags(html, "iframe", title="Alpenwerk film")


# --- preview --------------------------------------------------------------------------------


def _form_data(page, **overrides) -> dict:
    """Edit-form POST data for ``page`` (its current values plus ``overrides``)."""
    data = {
        "title": page.title,
        "slug": page.slug,
        "seo_title": page.seo_title,
        "search_description": page.search_description,
        "comments": inline_formset([]),
    }
    kind = page.specific_class.__name__
    if kind == "HomePage":
        data |= {"intro": page.intro, "body": streamfield([])}
    elif kind == "ArticleIndexPage":
        data["intro"] = rich_text(page.intro)
    elif kind == "ArticlePage":
        data |= {
            "date": page.date.isoformat(),
            "author": page.author,
            "intro": page.intro,
            "body": rich_text(page.body),
            "topics": [t.pk for t in page.topics.all()],
            "audiences": [a.pk for a in page.audiences.all()],
        }
    elif kind == "LandingPage":
        data["body"] = streamfield(
            [
                ("rich_text", rich_text("<p>Preview-only paragraph</p>")),
                ("testimonial", {"quote": "Previewed quote", "name": "Preview", "role": ""}),
            ]
        )
    data |= overrides
    return nested_form_data(data)


@pytest.mark.parametrize(
    "name", ["home", "articles", "article:condition-monitoring", "landing:service"]
)
@pytest.mark.parametrize("language", ["de", "en"])
def test_preview_works_for_every_page_type(admin_client, demo_page, name, language):
    page = demo_page(name, language)
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    title = f"Unsaved preview title {language}"
    response = admin_client.post(url, _form_data(page, title=title))
    assert response.json() == {"is_valid": True, "is_available": True}, response.content
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert title in html
    assert tags(html, "html", lang=language)
    if name.startswith("landing"):
        assert "Preview-only paragraph" in html and "Previewed quote" in html
    page.refresh_from_db()
    assert page.title != title  # previewing saved nothing


def test_preview_of_a_new_landing_page(admin_client, demo_page):
    home = demo_page("home", "en")
    url = reverse(
        "wagtailadmin_pages:preview_on_add", args=["magpie_content", "landingpage", home.pk]
    )
    data = nested_form_data(
        {
            "title": "Brand-new campaign",
            "slug": "brand-new-campaign",
            "comments": inline_formset([]),
            "body": streamfield(
                [
                    (
                        "call_to_action",
                        {
                            "heading": "Order a catalogue",
                            "text": "",
                            "link": {
                                "label": "Catalogue",
                                "page": "",
                                "url": "https://example.com/c",
                                "document": "",
                            },
                        },
                    )
                ]
            ),
        }
    )
    assert admin_client.post(url, data).json()["is_valid"] is True
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Order a catalogue" in response.content.decode()


# --- sitemap, robots.txt, feeds ------------------------------------------------------------------


def sitemap_locations(client, url: str = "/sitemap.xml") -> set[str]:
    """Every ``<loc>`` of a sitemap; for an index, of every sitemap it lists (all pages)."""
    response = client.get(url)
    assert response.status_code == 200, url
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    root = ET.fromstring(response.content)
    locations = {loc.text for loc in root.iter(f"{ns}loc")}
    if root.tag != f"{ns}sitemapindex":
        return locations
    found: set[str] = set()
    for location in locations:
        found |= sitemap_locations(client, location.removeprefix("http://testserver"))
    return found


def test_sitemap_is_an_index_of_sections(client, demo_page):
    response = client.get("/sitemap.xml")
    assert b"<sitemapindex" in response.content
    assert b"http://testserver/sitemap-pages.xml" in response.content
    assert client.get("/sitemap-unknown.xml").status_code == 404
    assert client.get("/sitemap-pages.xml?p=99").status_code == 404


def test_sitemap_lists_the_pages(client, demo_page):
    locations = sitemap_locations(client)
    for name in ("home", "articles", "article:ie4-retrofit", "landing:whitepaper"):
        assert demo_page(name, "de").full_url in locations


def test_sitemap_lists_the_translations_too(client, demo_page):
    locations = sitemap_locations(client)
    for name in ("home", "articles", "article:ie4-retrofit", "landing:whitepaper"):
        assert demo_page(name, "en").full_url in locations


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


@pytest.mark.parametrize("language", ["de", "en"])
def test_rss_feed_lists_the_articles(client, demo_page, language):
    index = demo_page("articles", language)
    response = client.get(f"{index.url}feed/rss/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    assert channel.findtext("title") == index.title
    titles = [item.findtext("title") for item in channel.findall("item")]
    expected = sorted(ARTICLES, key=lambda spec: spec["date"], reverse=True)
    assert titles == [spec[language]["title"] for spec in expected]
    first = channel.find("item")
    assert first.findtext("link").startswith("http") and first.findall("category")


def test_atom_feed_lists_the_articles(client, demo_page):
    index = demo_page("articles", "de")
    response = client.get(f"{index.url}feed/atom/")
    assert response.status_code == 200
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(ARTICLES)
    assert {e.findtext(f"{ATOM}title") for e in entries} == {s["de"]["title"] for s in ARTICLES}


# --- plugins and error pages ---------------------------------------------------------------------


def test_a_failing_plugin_does_not_break_the_page_and_slots_render(client, demo_page):
    plugins = get_host().plugins
    assert plugins["failing"].loaded and "render_slot" in plugins["failing"].hooks
    assert "page_context" in plugins["failing"].hooks
    html = get_html(client, demo_page("landing:whitepaper", "en"))
    # The recorder's body_end fragment comes after the footer (escaped: it is a plain str).
    assert html.index("recorder slot") > html.index("</footer>")
    assert tags(html, "div", **{"class": "consent-region", "role": "region"})


def test_unknown_url_renders_the_themes_404(client, demo_site):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert tags(html, "main", id="main") and tags(html, "meta", name="robots", content="noindex")


def test_500_page_renders_without_a_request_or_database():
    html = loader.get_template("500.html").render()
    assert "Server error" in html and "Serverfehler" in html
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and b"Serverfehler" in response.content


# --- themes ------------------------------------------------------------------------------------


def _set_theme(name: str) -> None:
    from magpie.themes.models import ThemeSettings

    site = Site.objects.get(is_default_site=True)
    settings = ThemeSettings.for_site(site)
    settings.theme = name
    settings.save()


@pytest.mark.parametrize("name", ["home", "article:tco-drives"])
def test_pages_render_with_the_alpine_theme_when_the_site_says_so(client, demo_page, name):
    page = demo_page(name, "de")
    base_html = get_html(client, page)
    assert tags(base_html, "html", data_theme="base")
    assert "alpine" not in base_html

    _set_theme("alpine")
    html = get_html(client, page)
    assert tags(html, "html", data_theme="alpine")
    assert tags(html, "link", rel="stylesheet", href="/static/themes/base/css/site.css")
    assert tags(html, "link", rel="stylesheet", href="/static/themes/alpine/css/alpine.css")
    assert tags(html, "header", **{"class": "site-header alpine-header"})
    assert tags(html, "footer", **{"class": "site-footer alpine-footer"})
    assert bool(tags(html, "div", **{"class": "alpine-hero"})) == (name == "home")
    assert page.title in html  # the page itself still comes from the base templates

    _set_theme("base")
    assert "alpine" not in get_html(client, page)


def test_theme_static_files_are_served(client):
    for path in ("/static/themes/base/css/site.css", "/static/themes/alpine/css/alpine.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content).decode()
        assert "--color-primary:" in body


def test_link_block_is_optional_but_complete_when_used():
    from django.core.exceptions import ValidationError

    from magpie.content.blocks import HeroBlock

    hero = HeroBlock()
    empty_cta = {"label": "", "page": None, "url": "", "document": None}
    value = hero.to_python({"heading": "Ohne Knopf", "cta": empty_cta})
    assert hero.clean(value)["heading"] == "Ohne Knopf"  # no call to action: fine

    half = hero.to_python({"heading": "Halb", "cta": {**empty_cta, "label": "Mehr"}})
    with pytest.raises(ValidationError):
        hero.clean(half)  # a label without a target
    no_label = hero.to_python({"heading": "X", "cta": {**empty_cta, "url": "https://a.example"}})
    with pytest.raises(ValidationError):
        hero.clean(no_label)
