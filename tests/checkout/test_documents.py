"""Invoices and credit notes: gap-free numbers, frozen data, the PDF read back with pypdf."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from magpie.events.models import Event
from magpie_checkout import oms
from magpie_checkout.documents import filename, render_pdf
from magpie_checkout.models import CompanyTerms, Document
from magpie_checkout.oms import TransitionError
from tests.checkout.conftest import make_cart, make_user, place

pytestmark = pytest.mark.django_db

SELLER = {
    "name": "Magpie Industrie AG",
    "address": ["Bahnhofstrasse 3", "3600 Thun", "Schweiz"],
    "vat_id": "CHE-123.456.789 MWST",
    "bank": "Berner Kantonalbank",
    "iban": "CH93 0076 2011 6238 5295 7",
    "bic": "KBBECH22",
}


@pytest.fixture(autouse=True)
def seller(settings):
    settings.MAGPIE_SELLER = SELLER


@pytest.fixture
def staff(db):
    return make_user("billing@example.com", is_staff=True)


def shipped_order(shop, account, staff, lines, **place_kwargs):
    """An order of ``account``'s buyer with ``(sku, quantity)`` lines, shipped in full."""
    cart = make_cart(
        shop.site,
        account.buyer,
        account.company,
        [(shop.products[sku], quantity) for sku, quantity in lines],
    )
    order = place(cart, account.buyer, account, **place_kwargs)
    oms.confirm(order, staff)
    oms.ship(order, staff, {line.pk: line.quantity for line in order.lines.all()})
    order.refresh_from_db()
    assert order.state == "shipped"
    return order


def pdf_text(document):
    reader = PdfReader(io.BytesIO(render_pdf(document)))
    return "\n".join(page.extract_text() for page in reader.pages)


def year():
    return timezone.localdate().year


def test_invoice_numbers_data_and_state(shop, staff):
    CompanyTerms.objects.create(
        company=shop.de.company, credit_limit=Decimal("10000"), payment_terms_days=14
    )
    order = shipped_order(
        shop, shop.de, staff, [("BOLT", 10), ("MOTOR", 1)],
        po_number="PO-Ä-1", payment_method="invoice",
    )  # fmt: skip
    assert oms.allowed_actions(order) == ["invoice", "return"]
    invoice = oms.issue_invoice(order, staff)
    order.refresh_from_db()
    assert order.state == "invoiced"
    assert invoice.number == f"R-{year()}-000001" and invoice.kind == "invoice"
    assert (invoice.net_total, invoice.tax_total, invoice.gross_total) == (
        order.net_total,
        order.tax_total,
        order.gross_total,
    )
    assert invoice.due_date == timezone.localdate() + timezone.timedelta(days=14)
    data = invoice.data
    assert data["seller"]["name"] == "Magpie Industrie AG" and data["seller"]["country"] == "CH"
    assert data["buyer"] == {
        "company": "Schrauben GmbH",
        "vat_id": "DE123456789",
        "country": "DE",
        "customer": shop.de.company.pk,
    }
    assert data["order"]["number"] == order.number and data["order"]["po_number"] == "PO-Ä-1"
    assert [(l["sku"], l["quantity"], l["unit_net"], l["line_net"]) for l in data["lines"]] == [  # noqa: E741
        ("BOLT", 10, "2.2000", "22.00"),
        ("MOTOR", 1, "430.0000", "430.00"),
    ]
    assert data["currency"] == "EUR" and data["payment"]["terms_days"] == 14
    assert data["payment"]["reference"].startswith("RF")  # invoice payment: from the number
    assert data["totals"]["gross"] == str(order.gross_total)
    assert data["billing_address"]["city"] == "Thun" and data["due_date"] == str(invoice.due_date)
    # the payload of the state change names the document
    changed = Event.objects.filter(type="order.status_changed").order_by("-created_at").first()
    assert (changed.payload["to"], changed.payload["document"]) == ("invoiced", invoice.pk)
    assert order.events.filter(kind="invoiced", message=invoice.number).exists()
    # once only
    with pytest.raises(TransitionError, match="cannot be invoiced"):
        oms.issue_invoice(order, staff)
    assert Document.objects.count() == 1


def test_invoice_only_once_everything_shipped(shop, staff):
    cart = make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(shop.products["BOLT"], 4)])
    order = place(cart, shop.ch.buyer, shop.ch)
    for step in (lambda: None, lambda: oms.confirm(order, staff)):
        step()
        with pytest.raises(TransitionError, match="cannot be invoiced"):
            oms.issue_invoice(order, staff)
    oms.ship(order, staff, {order.lines.get().pk: 2})
    with pytest.raises(TransitionError, match="cannot be invoiced"):
        oms.issue_invoice(order, staff)
    assert not Document.objects.exists()


def test_numbers_have_no_gap_after_a_rolled_back_invoice(shop, staff):
    first = shipped_order(shop, shop.ch, staff, [("BOLT", 1)])
    second = shipped_order(shop, shop.ch, staff, [("CABLE", 1)])
    with pytest.raises(RuntimeError), transaction.atomic():
        oms.issue_invoice(first, staff)
        raise RuntimeError("the caller's transaction failed after the invoice")
    first.refresh_from_db()
    assert first.state == "shipped" and not Document.objects.exists()
    assert oms.issue_invoice(second, staff).number == f"R-{year()}-000001"
    assert oms.issue_invoice(first, staff).number == f"R-{year()}-000002"
    # credit notes have their own sequence
    credit = oms.register_return(first, staff, {first.lines.get().pk: 1}, reason="broken")
    assert credit.credit_note.number == f"G-{year()}-000001"


def test_invoice_pdf_reads_back(shop, staff, settings):
    settings.LANGUAGE_CODE = "de"  # the buyer has no language of their own: the site's
    order = shipped_order(shop, shop.ch, staff, [("BOLT", 10), ("MOTOR", 2)], po_number="PO-4711")
    invoice = oms.issue_invoice(order, staff)
    pdf = render_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.width == pytest.approx(595.27, abs=0.1)  # A4
    text = pdf_text(invoice)
    assert invoice.number in text and order.number in text and "PO-4711" in text
    assert "BOLT" in text and "MOTOR" in text
    # German (the site's language): 1.038,00 CHF net, VAT 8,1 %
    assert "CHF" in text and "Magpie Industrie AG" in text
    assert "8,1 %" in text
    from django.utils import formats, translation

    with translation.override("de"):
        for amount in (invoice.net_total, invoice.tax_total, invoice.gross_total):
            assert formats.number_format(amount, 2, use_l10n=True, force_grouping=True) in text
    assert "CH93 0076 2011 6238 5295 7" in text and order.payment_reference in text
    assert "reverse" not in text.lower()
    assert filename(invoice) == f"invoice-{invoice.number}.pdf"


def test_reverse_charge_euro_and_umlauts_render(shop, staff, settings):
    settings.MAGPIE_SELLER_COUNTRY = "AT"  # an EU seller: a German company gets reverse charge
    settings.MAGPIE_SELLER = {**SELLER, "name": "Grüße & Söhne GmbH", "vat_id": "ATU12345678"}
    shop.de.billing.company_name = "Schrauben GmbH <Einkauf & Co>"
    shop.de.billing.save()
    order = shipped_order(shop, shop.de, staff, [("CABLE", 3)])
    assert order.reverse_charge and order.vat_rate == 0
    invoice = oms.issue_invoice(order, staff)
    text = pdf_text(invoice)
    assert "Steuerschuldnerschaft des Leistungsempfängers / reverse charge" in text
    assert "Grüße & Söhne GmbH" in text  # umlauts, ß, an ampersand
    assert "Schrauben GmbH <Einkauf & Co>" in text  # escaped, not read as markup
    assert "DE123456789" in text and "EUR" in text
    invoice.data["currency"] = "€"  # the euro sign is in WinAnsi and survives
    assert "€" in pdf_text(invoice)


def test_english_labels_and_formats(shop, staff):
    order = shipped_order(shop, shop.ch, staff, [("MOTOR", 3)])
    invoice = oms.issue_invoice(order, staff)
    invoice.data["language"] = "en"
    text = pdf_text(invoice)
    assert "Invoice" in text and "1,440.00" in text and "8.1 %" in text
    invoice.data["language"] = "de"
    assert "1.440,00" in pdf_text(invoice)


def test_many_lines_flow_onto_more_pages(shop, staff):
    order = shipped_order(shop, shop.ch, staff, [("BOLT", 1)])
    invoice = oms.issue_invoice(order, staff)
    line = invoice.data["lines"][0]
    invoice.data["lines"] = [{**line, "position": i, "sku": f"SKU-{i}"} for i in range(1, 121)]
    reader = PdfReader(io.BytesIO(render_pdf(invoice)))
    assert len(reader.pages) > 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "SKU-1" in text and "SKU-120" in text


def test_credit_note_pdf(shop, staff, settings):
    settings.LANGUAGE_CODE = "de"  # the buyer has no language of their own: the site's
    order = shipped_order(shop, shop.ch, staff, [("BOLT", 10), ("MOTOR", 2)])
    invoice = oms.issue_invoice(order, staff)
    motor = order.lines.get(sku="MOTOR")
    ret = oms.register_return(order, staff, {motor.pk: 1}, reason="Falscher Motor geliefert")
    credit = ret.credit_note
    assert credit.kind == "credit_note" and credit.data["invoice_number"] == invoice.number
    assert (credit.net_total, credit.tax_total, credit.gross_total) == (
        Decimal("480.00"),
        Decimal("38.88"),
        Decimal("518.88"),
    )
    text = pdf_text(credit)
    assert credit.number in text and invoice.number in text and "MOTOR" in text
    assert "518,88" in text and "Falscher Motor geliefert" in text and "BOLT" not in text
    assert filename(credit) == f"credit-note-{credit.number}.pdf"
