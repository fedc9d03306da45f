"""Lead capture: the form block and page, submitting (contact, company, consent, touchpoint,
stage, event), bad input, spam protection, double submits, progressive profiling, gated
downloads and the admin screens."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model

from magpie.events.models import Event
from magpie.journey.consent import CONSENT_COOKIE, VISITOR_COOKIE
from magpie.journey.models import JourneySettings, Touchpoint, Visitor
from magpie.people.models import Company, ConsentRecord, Contact
from magpie_leads import views
from magpie_leads.models import StageChange, Submission
from tests.leads.conftest import CONSENT_TEXT, make_lead_form

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
ORIGIN = "http://testserver"


@pytest.fixture
def client() -> Any:
    """A test client asking for English: the messages asserted are the English ones (the
    site's default language is German)."""
    from django.test import Client

    return Client(headers={"Accept-Language": "en"})


def submit_url(lead_form: Any) -> str:
    return reverse("magpie_leads:submit", args=[lead_form.pk])


def answers(**extra: Any) -> dict[str, Any]:
    data = {
        "email": "Anna.Muster@Acme-Tools.ch",
        "first_name": "Anna",
        "last_name": "Muster",
        "company": "Acme Tools AG",
        "job_title": "Head of Engineering",
        "phone": "",
        "consent": "on",
        "page": "/whitepaper/?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring",
        "token": str(uuid.uuid4()),
        "website": "",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def post(client: Any, lead_form: Any, data: dict[str, Any], json: bool = False, **headers):
    headers.setdefault("Origin", ORIGIN)
    headers.setdefault("User-Agent", BROWSER)
    if json:
        headers["Accept"] = "application/json"
    return client.post(submit_url(lead_form), data, headers=headers)


def nothing_stored() -> bool:
    return not (
        Submission.objects.exists()
        or Contact.objects.exists()
        or ConsentRecord.objects.exists()
        or Event.objects.filter(type="lead.captured").exists()
    )


# --- rendering -----------------------------------------------------------------------------


def test_block_renders_a_cacheable_form_without_csrf_token(client, landing_page, lead_form):
    first = client.get(landing_page.url, headers={"User-Agent": BROWSER})
    html = first.content.decode()
    assert first.status_code == 200
    assert f'action="{submit_url(lead_form)}"' in html
    assert "csrfmiddlewaretoken" not in html and "csrftoken" not in first.cookies
    assert 'name="email"' in html and 'name="first_name"' in html
    assert CONSENT_TEXT in html
    assert 'name="utm_campaign"' in html and 'name="token"' in html
    assert 'aria-hidden="true"' in html and 'tabindex="-1"' in html  # the honeypot
    assert "magpie_leads/leadform.js" in html
    assert first["X-Magpie-Cache"] == "miss"
    second = client.get(landing_page.url, headers={"User-Agent": BROWSER})
    assert second["X-Magpie-Cache"] == "hit"


def test_saving_the_form_refreshes_cached_pages(client, landing_page, lead_form):
    client.get(landing_page.url)
    lead_form.submit_label = "Jetzt anfordern"
    lead_form.save()
    response = client.get(landing_page.url)
    assert response["X-Magpie-Cache"] == "miss"
    assert "Jetzt anfordern" in response.content.decode()


def test_lead_form_page_renders_the_form(client, site, lead_form):
    from magpie_leads.models import LeadFormPage

    page = LeadFormPage(title="Kontakt", slug="kontakt", form=lead_form, intro="<p>Hallo</p>")
    site.root_page.add_child(instance=page)
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert f'action="{submit_url(lead_form)}"' in html and "Hallo" in html


# --- submitting ----------------------------------------------------------------------------


def test_submit_creates_contact_company_consent_touchpoint_stage_and_event(client, site, lead_form):
    JourneySettings.objects.create(site=site, consent_mode="opt_in")
    client.cookies[CONSENT_COOKIE] = "all"
    client.get(site.root_page.url + "?utm_source=newsletter", headers={"User-Agent": BROWSER})
    earlier = Touchpoint.objects.get(type="page_view")
    assert earlier.contact_id is None

    response = post(client, lead_form, answers())

    assert response.status_code == 303
    submission = Submission.objects.get()
    assert response["Location"] == reverse("magpie_leads:thanks", args=[submission.public_id])
    contact = Contact.objects.get()
    assert contact.email == "anna.muster@acme-tools.ch"
    assert (contact.first_name, contact.last_name, contact.job_title) == (
        "Anna",
        "Muster",
        "Head of Engineering",
    )
    assert contact.company.name == "Acme Tools AG"
    assert contact.company.domains == ["acme-tools.ch"]
    assert contact.country == "CH"  # enrichment: the .ch domain
    consent = ConsentRecord.objects.get()
    assert consent.wording == CONSENT_TEXT and consent.granted and consent.purpose == "marketing"
    assert consent.source.startswith("http://testserver/whitepaper/")
    assert submission.contact == contact and submission.site == site
    assert submission.data["first_name"] == "Anna"
    assert submission.page_path.startswith("/whitepaper/")
    assert submission.utm == {
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring",
    }
    touchpoint = submission.touchpoint
    assert touchpoint.type == "form_submission" and touchpoint.contact == contact
    assert touchpoint.utm_campaign == "spring" and touchpoint.path == "/whitepaper/"
    assert touchpoint.data == {
        "form": lead_form.pk,
        "submission": submission.pk,
        "tags": ["whitepaper", "linear"],
    }
    earlier.refresh_from_db()
    assert earlier.contact == contact  # the anonymous page view joined the timeline
    assert Visitor.objects.get().contact == contact
    assert contact.stage == "lead"
    assert StageChange.objects.get(contact=contact).cause == "form"
    event = Event.objects.get(type="lead.captured")
    assert event.payload["contact"] == contact.pk
    assert event.payload["form"] == lead_form.pk
    assert event.payload["submission"] == submission.pk
    assert event.payload["tags"] == ["whitepaper", "linear"]
    assert event.payload["utm"]["utm_campaign"] == "spring"
    assert event.payload["site"] == site.pk
    assert "anna" not in str(event.payload).lower()  # ids, no personal data


def test_json_answer_for_the_script(client, site, lead_form):
    response = post(client, lead_form, answers(), json=True)
    assert response.status_code == 200
    submission = Submission.objects.get()
    assert response.json() == {
        "ok": True,
        "redirect": reverse("magpie_leads:thanks", args=[submission.public_id]),
    }
    assert response["Cache-Control"] == "private, no-store"


def test_known_contact_is_updated_answers_overwrite_empty_never_clear(client, site, lead_form):
    company = Company.objects.create(name="Acme Tools AG", domains=["acme-tools.ch"])
    contact = Contact.objects.create(
        site=site,
        email="anna.muster@acme-tools.ch",
        first_name="Ann",
        phone="+41 44 000 00 00",
        company=company,
        stage="mql",
    )
    post(client, lead_form, answers(last_name="", job_title="CTO"))
    contact.refresh_from_db()
    assert Contact.objects.count() == 1 and Company.objects.count() == 1
    assert contact.first_name == "Anna"  # overwritten by the answer
    assert contact.phone == "+41 44 000 00 00"  # not answered: kept
    assert contact.job_title == "CTO"
    assert contact.company == company
    assert contact.stage == "mql"  # never moved back by a form
    assert ConsentRecord.objects.filter(contact=contact).count() == 1


def test_thanks_page_shows_the_message(client, site, lead_form):
    lead_form.success_message = "<p>Danke <b>sehr</b></p>"
    lead_form.save()
    response = post(client, lead_form, answers())
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Danke <b>sehr</b>" in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"


def test_thank_you_page_of_the_form(client, site, lead_form):
    from magpie.content.models import LandingPage

    thanks = LandingPage(title="Danke", slug="danke")
    site.root_page.add_child(instance=thanks)
    thanks.save_revision().publish()
    lead_form.thank_you_page = thanks
    lead_form.save()
    response = post(client, lead_form, answers())
    submission = Submission.objects.get()
    assert response["Location"] == f"{thanks.url}?submission={submission.public_id}"


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": None}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"first_name": "A" * 101}, "first_name"),
        ({"consent": None}, "consent"),
        ({"phone": "call me <b>now</b>"}, "phone"),
    ],
)
def test_missing_or_malformed_fields_answer_400_and_store_nothing(
    client, site, lead_form, changes, field
):
    page = post(client, lead_form, answers(**changes))
    assert page.status_code == 400
    html = page.content.decode()
    assert "Please correct the fields marked below." in html
    assert 'aria-invalid="true"' in html
    assert f'aria-describedby="leadform-{lead_form.pk}-{field}-error' in html
    as_json = post(client, lead_form, answers(**changes), json=True)
    assert as_json.status_code == 400
    body = as_json.json()
    assert body["ok"] is False and field in body["errors"]
    assert nothing_stored()


def test_malformed_country_and_size(client, site):
    lead_form = make_lead_form(
        fields=[
            ("field", {"target": "country", "label": "Country", "required": False}),
            ("field", {"target": "company_size", "label": "Size", "required": False}),
        ]
    )
    bad = post(client, lead_form, answers(country="XX", company_size="huge"), json=True)
    assert set(bad.json()["errors"]) == {"country", "company_size"}
    good = post(client, lead_form, answers(country="de", company_size="10-49"), json=True)
    assert good.status_code == 200
    contact = Contact.objects.get()
    assert contact.country == "DE" and contact.company.size == "10-49"


def test_oversized_body_is_refused(client, site, lead_form):
    response = post(client, lead_form, answers(message="x" * 30_000))
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert post(client, lead_form, answers(message="x" * 30_000), json=True).json()["ok"] is False
    assert nothing_stored()


def test_forged_utm_and_answers_with_markup_are_text_and_escaped(
    client, site, lead_form, superuser
):
    script = "<script>alert(1)</script>"
    response = post(
        client,
        lead_form,
        answers(
            utm_campaign=script, utm_source="x" * 500, last_name=script, page="/p/?a=" + script
        ),
    )
    assert response.status_code == 303
    submission = Submission.objects.get()
    assert submission.utm["utm_campaign"] == script  # stored as typed, as text
    assert len(submission.utm["utm_source"]) == 100
    assert submission.data["last_name"] == script
    client.force_login(superuser)
    for url in (
        reverse("magpie_leads_submissions:index"),
        reverse("magpie_leads_submissions:inspect", args=[submission.pk]),
    ):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert script not in html, url


def test_cross_origin_post_is_refused(client, site, lead_form):
    response = post(client, lead_form, answers(), Origin="https://evil.example")
    assert response.status_code == 403
    assert "only be sent from a page of this website" in response.content.decode()
    no_origin = client.post(
        submit_url(lead_form), answers(), headers={"Referer": "https://evil.example/x"}
    )
    assert no_origin.status_code == 403
    assert nothing_stored()


def test_unknown_form_is_gone(client, site):
    response = client.post(
        reverse("magpie_leads:submit", args=[999]), answers(), headers={"Origin": ORIGIN}
    )
    assert response.status_code == 410 and "no longer exists" in response.content.decode()
    assert nothing_stored()


# --- spam and double submits ---------------------------------------------------------------


def test_honeypot_pretends_success_and_stores_nothing(client, site, lead_form):
    response = post(client, lead_form, answers(website="http://spam.example"))
    assert response.status_code == 303
    assert client.get(response["Location"]).status_code == 200
    assert post(client, lead_form, answers(website="x"), json=True).json()["ok"] is True
    assert nothing_stored()


def test_rate_limit_per_client(client, site, lead_form, settings):
    settings.MAGPIE_LEADS_RATE_LIMIT = "2/600"
    for n in range(2):
        assert post(client, lead_form, answers(email=f"p{n}@acme.ch")).status_code == 303
    refused = post(client, lead_form, answers(email="p3@acme.ch"))
    assert refused.status_code == 429
    assert "Too many forms" in refused.content.decode()
    assert post(client, lead_form, answers(email="p4@acme.ch"), json=True).status_code == 429
    assert Submission.objects.count() == 2
    assert not Contact.objects.filter(email="p3@acme.ch").exists()


def test_rate_limit_per_email(client, site, lead_form, settings):
    settings.MAGPIE_LEADS_EMAIL_RATE_LIMIT = "1/600"
    assert post(client, lead_form, answers()).status_code == 303
    again = post(client, lead_form, answers(first_name="Annabelle"), REMOTE_ADDR="10.0.0.9")
    assert again.status_code == 429
    assert Submission.objects.count() == 1


def test_double_submit_with_the_same_token_is_one_submission(client, site, lead_form):
    data = answers()
    first = post(client, lead_form, data)
    second = post(client, lead_form, data)
    assert first["Location"] == second["Location"]
    assert Submission.objects.count() == 1
    assert ConsentRecord.objects.count() == 1
    assert Touchpoint.objects.filter(type="form_submission").count() == 1
    assert Event.objects.filter(type="lead.captured").count() == 1


def test_double_submit_without_token_same_answers_is_one_submission(client, site, lead_form):
    data = answers(token=None, utm_source=None, utm_medium=None, utm_campaign=None, page=None)
    first = post(client, lead_form, data)
    second = post(client, lead_form, data)
    assert first["Location"] == second["Location"]
    assert Submission.objects.count() == 1
    other = post(client, lead_form, {**data, "job_title": "CEO"})
    assert other["Location"] != first["Location"] and Submission.objects.count() == 2


def test_referer_query_string_gives_the_utm_tags_without_script(client, site, lead_form):
    data = answers(token=None, utm_source=None, utm_medium=None, utm_campaign=None, page=None)
    post(client, lead_form, data, Referer="http://testserver/wp/?utm_source=ads&utm_campaign=x")
    submission = Submission.objects.get()
    assert submission.utm == {"utm_source": "ads", "utm_campaign": "x"}
    assert submission.page_path == "/wp/?utm_source=ads&utm_campaign=x"


# --- progressive profiling -----------------------------------------------------------------


def profile(client: Any, lead_form: Any) -> Any:
    response = client.get(reverse("magpie_leads:profile", args=[lead_form.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    return response.json()


@pytest.fixture
def known_visitor(client, site):
    """A tracked visitor linked to a contact who gave first name, last name and company."""
    JourneySettings.objects.create(site=site, consent_mode="opt_in")
    company = Company.objects.create(name="Acme", domains=["acme.ch"])
    contact = Contact.objects.create(
        site=site, email="known@acme.ch", first_name="Kim", last_name="Known", company=company
    )
    visitor = Visitor.objects.create(site=site, contact=contact)
    client.cookies[CONSENT_COOKIE] = "all"
    client.cookies[VISITOR_COOKIE] = str(visitor.pk)
    return contact


def test_profile_of_an_unknown_visitor_asks_everything(client, site, lead_form):
    assert profile(client, lead_form) == {
        "known": False,
        "ask": ["first_name", "last_name", "company", "job_title", "phone"],
    }


def test_profile_of_a_known_visitor_asks_only_unknown_fields(client, lead_form, known_visitor):
    lead_form.max_fields_for_known = 1
    lead_form.save()
    data = profile(client, lead_form)
    assert data == {"known": True, "ask": ["job_title"]}
    assert "Kim" not in str(data) and "known@acme.ch" not in str(data)


def test_profile_without_tracking_consent_is_unknown(client, lead_form, known_visitor):
    client.cookies[CONSENT_COOKIE] = "necessary"
    assert profile(client, lead_form)["known"] is False


def test_known_fields_are_not_required_of_the_known_contact(client, lead_form, known_visitor):
    data = answers(email="known@acme.ch", first_name="", last_name="", company="")
    assert post(client, lead_form, data, json=True).status_code == 200
    known_visitor.refresh_from_db()
    assert known_visitor.first_name == "Kim"  # not cleared
    # someone else on the same browser must still give the required first name
    other = post(client, lead_form, answers(email="other@acme.ch", first_name=""), json=True)
    assert other.status_code == 400 and "first_name" in other.json()["errors"]


# --- gated download ------------------------------------------------------------------------


@pytest.fixture
def gated(lead_form, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    document = get_document_model()(title="Whitepaper")
    document.file.save("whitepaper.pdf", ContentFile(b"%PDF-1.4 tiny"), save=False)
    document.save()
    lead_form.download = document
    lead_form.save()
    return document


def test_gated_download_after_submit(client, site, lead_form, gated):
    response = post(client, lead_form, answers())
    thanks = client.get(response["Location"]).content.decode()
    submission = Submission.objects.get()
    # The signed link holds the second it was made: read it from the page, not rebuilt.
    [link] = set(re.findall(r'href="(/leads/download/[^"]+/)"', thanks))
    assert link.startswith(views.download_url(submission).split(":", 1)[0])
    download = client.get(link)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 tiny"
    touchpoint = Touchpoint.objects.get(type="download")
    assert touchpoint.contact == submission.contact
    assert touchpoint.data == {"document": gated.pk, "form": lead_form.pk}


def test_tampered_download_link_is_refused(client, site, lead_form, gated):
    post(client, lead_form, answers())
    link = views.download_url(Submission.objects.get())
    response = client.get(link[:-3] + "xx/")
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert not Touchpoint.objects.filter(type="download").exists()


def test_expired_download_link_is_410(client, site, lead_form, gated, monkeypatch):
    post(client, lead_form, answers())
    submission = Submission.objects.get()
    old = time.time() - views.DOWNLOAD_MAX_AGE - 60
    monkeypatch.setattr(signing.time, "time", lambda: old)
    token = views.download_token(submission)
    monkeypatch.undo()
    response = client.get(reverse("magpie_leads:download", args=[token]))
    assert response.status_code == 410 and "expired" in response.content.decode()


# --- admin ---------------------------------------------------------------------------------


def test_admin_lists_forms_with_submission_counts(client, site, lead_form, superuser):
    post(client, lead_form, answers())
    client.force_login(superuser)
    html = client.get(reverse("magpie_leads_forms:list")).content.decode()
    assert lead_form.name in html


def test_admin_submissions_list_detail_and_export(client, site, lead_form, superuser):
    post(client, lead_form, answers())
    submission = Submission.objects.get()
    client.force_login(superuser)
    index = client.get(reverse("magpie_leads_submissions:index"))
    assert index.status_code == 200
    html = index.content.decode()
    assert "anna.muster@acme-tools.ch" in html and "spring" in html
    assert reverse("magpie_leads_submissions:inspect", args=[submission.pk]) in html
    other = make_lead_form(name="Other form")
    index_url = reverse("magpie_leads_submissions:index")
    filtered = client.get(index_url, {"form": other.pk}).content.decode()
    assert "anna.muster@acme-tools.ch" not in filtered
    assert "anna.muster@acme-tools.ch" in client.get(index_url, {"form": lead_form.pk}).text
    detail = client.get(reverse("magpie_leads_submissions:inspect", args=[submission.pk]))
    assert detail.status_code == 200 and "Head of Engineering" in detail.content.decode()
    export = client.get(reverse("magpie_leads_submissions:index") + "?export=csv")
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode()
    assert "anna.muster@acme-tools.ch" in body
    assert client.get(reverse("magpie_leads_submissions:add")).status_code != 200  # read-only


def test_admin_create_and_edit_views_of_a_form(client, site, lead_form, landing_page, superuser):
    client.force_login(superuser)
    assert client.get(reverse("magpie_leads_forms:add")).status_code == 200
    edit = client.get(reverse("magpie_leads_forms:edit", args=[lead_form.pk]))
    assert edit.status_code == 200 and CONSENT_TEXT in edit.content.decode()
    page_edit = client.get(reverse("wagtailadmin_pages:edit", args=[landing_page.pk]))
    assert page_edit.status_code == 200


def test_admin_needs_permissions(client, site, lead_form, sales_user):
    post(client, lead_form, answers())
    submission = Submission.objects.get()
    client.force_login(sales_user)
    inspect = reverse("magpie_leads_submissions:inspect", args=[submission.pk])
    assert client.get(reverse("magpie_leads_submissions:index")).status_code == 403
    assert client.get(reverse("magpie_leads_forms:list")).status_code == 403
    assert client.get(inspect).status_code == 403
    sales_user.groups.get().permissions.add(
        Permission.objects.get(content_type__app_label="magpie_leads", codename="view_submission")
    )
    client.force_login(type(sales_user).objects.get(pk=sales_user.pk))
    assert client.get(reverse("magpie_leads_submissions:index")).status_code == 200
    assert client.get(inspect).status_code == 200


# --- demo ----------------------------------------------------------------------------------


def test_demo_adds_the_form_to_the_whitepaper_page_once(client, settings, tmp_path):
    import io

    from wagtail.models import CollectionViewRestriction

    from magpie.content.demo import demo_key, load_demo
    from magpie.content.models import LandingPage
    from magpie_leads.capture_demo import DOCUMENT_TITLE, load_capture_demo
    from magpie_leads.models import LeadForm

    settings.MEDIA_ROOT = str(tmp_path)
    load_demo(stdout=io.StringIO())
    load_capture_demo(io.StringIO())
    load_capture_demo(io.StringIO())  # a second run changes nothing
    assert LeadForm.objects.count() == 2
    pages = LandingPage.objects.filter(translation_key=demo_key("landing:whitepaper"))
    assert pages.count() == 2
    for page in pages:
        assert [b.block_type for b in page.body].count("lead_form") == 1
    document = get_document_model().objects.get(title=DOCUMENT_TITLE)
    assert document.file.read(5) == b"%PDF-"
    assert CollectionViewRestriction.objects.filter(collection=document.collection).exists()
    german = pages.get(locale__language_code="de")
    html = client.get(german.url).content.decode()
    form = LeadForm.objects.get(name__endswith="(DE)")
    assert f'action="{submit_url(form)}"' in html and "Whitepaper anfordern" in html


# --- concurrency (PostgreSQL) --------------------------------------------------------------


def _at_once(lead_form: Any, payloads: list[dict[str, Any]]) -> list[Any]:
    """POST ``payloads`` from as many threads released together; return the responses."""
    import threading

    from django.db import connection
    from django.test import Client

    start = threading.Barrier(len(payloads))
    responses: list[Any] = [None] * len(payloads)
    errors: list[BaseException] = []

    def work(index: int, data: dict[str, Any]) -> None:
        try:
            client = Client()
            start.wait()
            responses[index] = post(client, lead_form, data)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=item) for item in enumerate(payloads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return responses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_double_click_at_the_same_moment_is_one_submission(magpie_site):
    lead_form = make_lead_form()
    data = answers()
    responses = _at_once(lead_form, [data, data, data])
    assert [r.status_code for r in responses] == [303, 303, 303]
    assert len({r["Location"] for r in responses}) == 1
    assert Submission.objects.count() == 1 and Contact.objects.count() == 1
    assert ConsentRecord.objects.count() == 1
    assert Event.objects.filter(type="lead.captured").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_forms_of_a_new_email_at_once_make_one_contact(magpie_site):
    lead_form = make_lead_form()
    responses = _at_once(lead_form, [answers(), answers(job_title="CTO")])
    assert [r.status_code for r in responses] == [303, 303]
    assert Submission.objects.count() == 2
    assert Contact.objects.count() == 1 and Company.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_of_a_new_company_at_once_make_one_company(magpie_site):
    # Two colleagues (a new domain) answer at the same moment: one company, both on it.
    lead_form = make_lead_form()
    payloads = [
        answers(email=f"{name}@neu-firma.ch", first_name=name.title(), token=str(uuid.uuid4()))
        for name in ("anna", "beat", "carla", "dario")
    ]
    responses = _at_once(lead_form, payloads)
    assert [r.status_code for r in responses] == [303] * 4
    assert Contact.objects.count() == 4
    (company,) = Company.objects.all()
    assert company.domains == ["neu-firma.ch"]
    assert set(Contact.objects.values_list("company", flat=True)) == {company.pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_new_company_named_from_several_domains_at_once_is_one_company(magpie_site):
    # The same new company name from four domains at the same moment: one company that
    # keeps every domain.
    lead_form = make_lead_form()
    domains = ["alpen-a.ch", "alpen-b.ch", "alpen-c.ch", "alpen-d.ch"]
    payloads = [
        answers(email=f"info@{domain}", company="Alpen Gruppe AG", token=str(uuid.uuid4()))
        for domain in domains
    ]
    responses = _at_once(lead_form, payloads)
    assert [r.status_code for r in responses] == [303] * 4
    (company,) = Company.objects.all()
    assert company.name == "Alpen Gruppe AG"
    assert sorted(company.domains) == domains
    assert set(Contact.objects.values_list("company", flat=True)) == {company.pk}


def test_a_browser_that_just_accepted_tracking_becomes_the_contacts_visitor(
    client, site, lead_form, landing_page
):
    # Accepted the banner by script (no page view since, so no visitor cookie yet), then
    # sent the form: the answer sets the visitor cookie, and later page views land on the
    # contact's timeline.
    client.cookies[CONSENT_COOKIE] = "all"
    response = post(client, lead_form, answers())
    assert response.status_code == 303
    contact = Contact.objects.get()
    visitor = Visitor.objects.get()
    assert visitor.contact == contact
    assert response.cookies[VISITOR_COOKIE].value == str(visitor.pk)
    client.get(landing_page.url, headers={"User-Agent": BROWSER})
    assert Touchpoint.objects.filter(type="page_view", contact=contact).count() == 1


def test_without_tracking_consent_the_form_sets_no_visitor_cookie(client, site, lead_form):
    response = post(client, lead_form, answers())
    assert response.status_code == 303
    assert VISITOR_COOKIE not in response.cookies
    assert not Visitor.objects.exists()
