"""The demo loader (idempotent, bilingual, plugins' demo data) and the demo admin user."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Revision, Site

from magpie.content.demo import ARTICLES, demo_key, load_demo, make_pdf_bytes
from magpie.content.models import ArticlePage, Audience, HomePage, LandingPage, Topic
from magpie.hookspecs import hookimpl
from magpie.plugins import get_host

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    """Everything the demo touches, in a comparable form."""
    return {
        "pages": sorted(
            Page.objects.values_list(
                "pk", "title", "slug", "live", "latest_revision_id", "last_published_at"
            )
        ),
        "revisions": Revision.objects.count(),
        "images": sorted(get_image_model().objects.values_list("pk", "title", "file")),
        "documents": sorted(get_document_model().objects.values_list("pk", "title", "file")),
        "topics": sorted(Topic.objects.values_list("pk", "name", "slug", "locale_id")),
        "audiences": sorted(Audience.objects.values_list("pk", "name", "slug", "locale_id")),
        "sites": sorted(
            Site.objects.values_list("pk", "hostname", "port", "root_page_id", "site_name")
        ),
        "locales": sorted(Locale.objects.values_list("pk", "language_code")),
    }


def test_second_run_changes_and_duplicates_nothing(demo_media):
    first = load_demo(stdout=io.StringIO())
    assert first.created
    before = snapshot()
    output = io.StringIO()
    second = load_demo(stdout=output)
    assert second.created == []
    assert "created" not in output.getvalue()
    assert snapshot() == before


def test_command_reports_and_stays_idempotent(demo_media):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Created" in out.getvalue()
    counts = snapshot()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Nothing to do" in out.getvalue()
    assert snapshot() == counts


def test_german_site_with_english_translation(demo_site):
    de, en = Locale.objects.get(language_code="de"), Locale.objects.get(language_code="en")
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    assert isinstance(home, HomePage) and home.locale == de
    home_en = home.get_translation(en)
    assert isinstance(home_en.specific, HomePage) and home_en.live
    # Wagtail's initial "Welcome" page is gone: the tree root has the two home pages only.
    assert {p.pk for p in Page.get_first_root_node().get_children()} == {home.pk, home_en.pk}
    for locale in (de, en):
        articles = ArticlePage.objects.live().filter(locale=locale)
        assert articles.count() == len(ARTICLES) >= 6
        assert LandingPage.objects.live().filter(locale=locale).count() == 2
        assert Topic.objects.filter(locale=locale).count() >= 3
        assert Audience.objects.filter(locale=locale).count() >= 3
        used_topics = {t.slug for a in articles for t in a.topics.all()}
        used_audiences = {x.slug for a in articles for x in a.audiences.all()}
        assert len(used_topics) >= 3 and len(used_audiences) >= 3
        assert all(t.locale_id == locale.pk for a in articles for t in a.topics.all())
    for spec in ARTICLES:
        key = demo_key(spec["key"])
        assert ArticlePage.objects.filter(translation_key=key).count() == 2
        assert (
            len(re.findall(r"<p>", ArticlePage.objects.get(translation_key=key, locale=en).body))
            >= 2
        )


def test_whitepaper_landing_page_links_a_real_pdf(demo_site):
    document = get_document_model().objects.get()
    with document.open_file() as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    for language in ("de", "en"):
        page = LandingPage.objects.get(
            translation_key=demo_key("landing:whitepaper"), locale__language_code=language
        )
        types = [block.block_type for block in page.body]
        assert {"hero", "rich_text", "columns", "testimonial", "faq", "call_to_action"} <= set(
            types
        )
        assert page.body.first_block_by_name("hero").value["cta"]["document"] == document
    images = get_image_model().objects.all()
    assert images.count() >= 2 and all(i.width == 1600 and i.height == 900 for i in images)


def test_generated_pdf_has_a_consistent_cross_reference_table():
    data = make_pdf_bytes("Title (with parentheses)", ["line one", "line two"])
    startxref = int(data.rsplit(b"startxref", 1)[1].split()[0])
    assert data[startxref:].startswith(b"xref")
    entries = data[startxref:].split(b"\n")[3:]  # after "xref", "0 N" and the free entry
    offsets = [int(line[:10]) for line in entries if line.endswith(b" n ")]
    assert len(offsets) == 6
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(f"{number} 0 obj".encode())


class DemoDataProbe:
    """A plugin implementing the demo_data hook, registered for one test."""

    def __init__(self) -> None:
        self.calls: list = []

    @hookimpl
    def demo_data(self, stdout):
        self.calls.append(stdout)
        stdout.write("probe demo data\n")


def test_load_demo_calls_every_plugins_demo_data_hook(demo_media):
    probe = DemoDataProbe()
    pm = get_host().pm
    pm.register(probe, name="demo_probe")
    try:
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        call_command("load_demo", "--no-plugins", stdout=io.StringIO())
    finally:
        pm.unregister(name="demo_probe")
    assert len(probe.calls) == 1
    assert "probe demo data" in out.getvalue()


def test_demo_admin_prints_a_password_once(db):
    out = io.StringIO()
    call_command("demo_admin", stdout=out)
    match = re.search(r"password: (\S+)", out.getvalue())
    assert match and "login:    admin" in out.getvalue()
    password = match.group(1)
    assert len(password) >= 16
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff
    assert authenticate(username="admin", password=password) == user

    out = io.StringIO()
    call_command("demo_admin", stdout=out)
    assert "exists already" in out.getvalue()
    assert "password:" not in out.getvalue() and password not in out.getvalue()
    assert authenticate(username="admin", password=password) is not None  # not reset
    assert get_user_model().objects.filter(username="admin").count() == 1
