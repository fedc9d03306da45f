"""The buyer's emails: confirmation (through the outbox, once), shipped, invoiced (PDF),
cancelled, credit note (PDF); the recipient, the language, failures that never undo a step."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from magpie.events import outbox
from magpie.events.models import Delivery, Event
from magpie.people.models import Contact
from magpie_checkout import notifications, oms
from magpie_checkout.models import CompanyMember
from tests.checkout.conftest import make_cart, make_user, place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def language() -> Iterator[None]:
    """Documents and emails here are read in the site's default language, German (the
    package's other tests switch to English)."""
    yield


class FailingBackend(BaseEmailBackend):
    """An email backend whose server is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server down")


FAILING = "tests.checkout.test_notifications.FailingBackend"


@pytest.fixture(autouse=True)
def seller(settings):
    settings.MAGPIE_SELLER = {"name": "Magpie Industrie AG", "iban": "CH93 0076 2011 6238 5295 7"}
    settings.DEFAULT_FROM_EMAIL = "shop@magpie.example"


@pytest.fixture
def staff(db):
    return make_user("backoffice@example.com", is_staff=True)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a step and its after-commit callbacks (emails, event deliveries)."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def order(shop, commit):
    """A placed order of the Swiss buyer (10 bolts, 2 motors); the confirmation is sent."""
    p = shop.products
    cart = make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(p["BOLT"], 10), (p["MOTOR"], 2)])
    return commit(place, cart, shop.ch.buyer, shop.ch, po_number="PO-4711")


def html_of(message):
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


def pdf_of(message):
    (name, content, mimetype), *_ = message.attachments
    assert mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    return name, text


def test_the_buyer_gets_the_confirmation_when_the_order_is_placed(order):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer@alpenwerkag.example"]
    assert message.from_email == "shop@magpie.example"
    assert order.number in message.subject
    # the site's default language (German): amounts 960,00
    assert "2 × MOTOR Motor DE — 960,00 CHF" in message.body and "PO-4711" in message.body
    assert order.payment_reference in message.body and "CH93 0076" in message.body
    assert f"/shop/account/orders/{order.number}/" in message.body
    html = html_of(message)
    assert '<html lang="de">' in html and "<td>MOTOR</td>" in html
    assert order.events.filter(kind="email", message="confirmation → buyer@alpenwerkag.example")
    delivery = Delivery.objects.get(event__type="order.placed", plugin="checkout")
    assert delivery.status == Delivery.Status.DELIVERED


def test_a_redelivered_event_sends_the_confirmation_once(order, django_capture_on_commit_callbacks):
    event = Event.objects.get(type="order.placed")
    notifications.handle(event)  # the same event again (a worker died after sending)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.retry(Delivery.objects.filter(event=event, plugin="checkout"))
    assert Delivery.objects.get(event=event, plugin="checkout").attempts == 1
    assert len(mail.outbox) == 1
    assert order.events.filter(kind="email").count() == 1


def test_only_order_placed_is_queued_for_the_plugin(order):
    assert not Delivery.objects.filter(plugin="checkout").exclude(event__type="order.placed")


def test_the_recipients_language(shop, commit):
    Contact.objects.create(site=shop.site, email="buyer@alpenwerkag.example", locale="en-GB")
    cart = make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(shop.products["MOTOR"], 3)])
    order = commit(place, cart, shop.ch.buyer, shop.ch)
    message = mail.outbox[-1]
    assert "3 × MOTOR Motor DE — 1440.00 CHF" in message.body
    assert '<html lang="en">' in html_of(message) and "Hello Buyer Alpenwerk AG," in message.body
    assert notifications.language_of(shop.ch.buyer, order) == "en"
    # without a contact: the user's admin language, else the site's
    assert notifications.language_of(shop.ch.admin, order) == "de"
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(shop.ch.admin)
    profile.preferred_language = "en"
    profile.save()
    shop.ch.admin.refresh_from_db()
    assert notifications.language_of(shop.ch.admin, order) == "en"


def test_shipped_email_with_tracking(order, staff, commit):
    lines = {line.sku: line.pk for line in order.lines.all()}
    commit(oms.confirm, order, staff)
    assert len(mail.outbox) == 1  # confirming sends nothing
    commit(
        oms.ship,
        order,
        staff,
        {lines["MOTOR"]: 2},
        carrier="Post CH",
        tracking_number="99.00.1",
        tracking_url="https://post.example/t?n=99.00.1&x=<b>",
    )
    message = mail.outbox[-1]
    assert "Part of your order" in message.subject or "Teil" in message.subject
    assert "2 × MOTOR Motor DE" in message.body and "BOLT" not in message.body.split("Tracking")[0]
    assert "Post CH 99.00.1 https://post.example/t?n=99.00.1&x=<b>" in message.body
    html = html_of(message)
    assert 'href="https://post.example/t?n=99.00.1&amp;x=&lt;b&gt;"' in html  # escaped
    commit(oms.ship, order, staff, {lines["BOLT"]: 10}, carrier="DHL", tracking_number="JD01")
    last = mail.outbox[-1]
    assert "is on its way" in last.subject or "unterwegs" in last.subject
    assert "Post CH 99.00.1" in last.body and "DHL JD01" in last.body  # every parcel
    assert len(mail.outbox) == 3


def test_invoice_email_has_the_pdf(order, staff, commit):
    commit(oms.confirm, order, staff)
    commit(oms.ship, order, staff, {line.pk: line.quantity for line in order.lines.all()})
    invoice = commit(oms.issue_invoice, order, staff)
    message = mail.outbox[-1]
    assert invoice.number in message.subject and message.to == ["buyer@alpenwerkag.example"]
    name, text = pdf_of(message)
    assert name == f"invoice-{invoice.number}.pdf"
    assert invoice.number in text and "MOTOR" in text
    assert invoice.due_date.strftime("%d.%m.%Y") in message.body
    assert invoice.data["payment"]["reference"] in message.body
    assert order.events.filter(kind="email", message__startswith="invoiced → ").count() == 1


def test_credit_note_email_has_the_pdf(order, staff, commit):
    commit(oms.confirm, order, staff)
    commit(oms.ship, order, staff, {line.pk: line.quantity for line in order.lines.all()})
    motor = order.lines.get(sku="MOTOR")
    ret = commit(oms.register_return, order, staff, {motor.pk: 1}, reason="Defekt")
    message = mail.outbox[-1]
    assert ret.credit_note.number in message.subject
    name, text = pdf_of(message)
    assert name == f"credit-note-{ret.credit_note.number}.pdf" and "MOTOR" in text
    assert "1 × MOTOR Motor DE" in message.body


def test_cancellation_email(order, staff, commit):
    commit(oms.cancel, order, staff, reason="internal: credit check failed")
    message = mail.outbox[-1]
    assert order.number in message.subject and message.to == ["buyer@alpenwerkag.example"]
    assert "internal" not in message.body  # the staff's reason stays internal
    assert '<html lang="de">' in html_of(message)


def test_without_the_ordering_user_the_company_admins_are_written_to(shop, order, staff, commit):
    shop.ch.buyer.is_active = False
    shop.ch.buyer.save()
    commit(oms.cancel, order, staff)
    assert mail.outbox[-1].to == ["admin@alpenwerkag.example"]
    second = make_user("admin2@alpenwerkag.example")
    CompanyMember.objects.create(company=shop.ch.company, user=second, role="admin")
    assert [u.email for u in notifications.recipients(order)] == [
        "admin@alpenwerkag.example",
        "admin2@alpenwerkag.example",
    ]


def test_a_rolled_back_step_sends_nothing(order, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            oms.cancel(order, staff)
            raise RuntimeError("the caller failed")
    order.refresh_from_db()
    assert order.state == "placed" and len(mail.outbox) == 1


def test_a_failing_email_is_logged_and_the_step_stands(order, staff, commit, settings, caplog):
    settings.EMAIL_BACKEND = FAILING
    with caplog.at_level(logging.ERROR, logger="magpie.checkout"):
        cancelled = commit(oms.cancel, order, staff)
    assert cancelled.state == "cancelled"
    assert "Could not send the cancelled email" in caplog.text
    assert not order.events.filter(kind="email", message__startswith="cancelled")


def test_a_failing_confirmation_is_retried_by_the_outbox(shop, settings, commit):
    settings.EMAIL_BACKEND = FAILING
    cart = make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(shop.products["BOLT"], 1)])
    order = commit(place, cart, shop.ch.buyer, shop.ch)
    delivery = Delivery.objects.get(event__type="order.placed", plugin="checkout")
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert "SMTP server down" in delivery.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    outbox.deliver_due()
    assert [m.to for m in mail.outbox] == [["buyer@alpenwerkag.example"]]
    assert order.number in mail.outbox[0].subject


def test_an_approved_order_is_confirmed_to_the_requester(shop, commit):
    from decimal import Decimal

    from magpie_checkout.approval import approve

    ch = shop.ch
    CompanyMember.objects.filter(user=ch.requester).update(order_limit=Decimal("100"))
    cart = make_cart(shop.site, ch.requester, ch.company, [(shop.products["MOTOR"], 2)])
    waiting = commit(place, cart, ch.requester, ch)
    assert waiting.state == "awaiting_approval"
    assert "requester@alpenwerkag.example" not in [m.to[0] for m in mail.outbox]
    commit(approve, waiting, ch.approver)
    confirmations = [m for m in mail.outbox if m.to == ["requester@alpenwerkag.example"]]
    assert len(confirmations) == 1 and waiting.number in confirmations[0].subject


def test_a_late_confirmation_of_a_cancelled_order_is_not_sent(shop, staff, settings, commit):
    settings.EMAIL_BACKEND = FAILING
    cart = make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(shop.products["BOLT"], 1)])
    order = commit(place, cart, shop.ch.buyer, shop.ch)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    commit(oms.cancel, order, staff)
    assert len(mail.outbox) == 1 and order.number in mail.outbox[0].subject  # the cancellation
    Delivery.objects.filter(plugin="checkout").update(next_attempt_at=timezone.now())
    outbox.deliver_due()
    assert len(mail.outbox) == 1
    assert Delivery.objects.get(plugin="checkout").status == Delivery.Status.DELIVERED
